import Foundation
import TextClfTraining

/// Records one run in a ``RunLog`` without ever failing the work it records.
///
/// Any trouble with the log (it cannot be opened, is damaged, a write fails) is reported
/// once through `warn` and recording stops; training goes on. Children (folds, trials) made
/// with ``child(command:arguments:options:data:modelPath:)`` share the log, the lock and the
/// warn-once state, and may record from several threads at once.
///
/// ```swift
/// let recorder = RunRecorder.begin(command: "train", arguments: Array(CommandLine.arguments.dropFirst()),
///                                  options: ["lr": "0.01"], data: "train.tsv: 1000 documents", modelPath: "models/x")
/// recorder.attach(to: trainer)                       // every epoch goes to the log
/// do {
///     let result = try trainer.fit(train: trainSet, validation: validationSet)
///     recorder.finish(.completed, metrics: RunMetric.of(result))
/// } catch {
///     recorder.fail(error)
///     throw error
/// }
/// ```
public final class RunRecorder: @unchecked Sendable {
    /// Reports the first failure, once for a recorder and all its children.
    final class Warning: @unchecked Sendable {
        private let lock = NSLock()
        private var warned = false
        let warn: @Sendable (String) -> Void
        init(_ warn: @escaping @Sendable (String) -> Void) { self.warn = warn }
        func report(_ message: String) {
            lock.lock()
            let first = !warned
            warned = true
            lock.unlock()
            if first { warn(message) }
        }
    }

    private let lock = NSLock()
    private var log: RunLog?
    private let warning: Warning
    private var finished = false

    /// The run's id in the log, or `nil` when nothing is being recorded.
    public private(set) var runID: Int64?

    /// The log being written, or `nil` when recording is off or failed.
    public var runLog: RunLog? { lock.withLock { log } }

    private init(log: RunLog?, runID: Int64?, warning: Warning) {
        self.log = log
        self.runID = runID
        self.warning = warning
    }

    /// A recorder that records nothing (`--no-run-log`).
    public static func disabled() -> RunRecorder {
        RunRecorder(log: nil, runID: nil, warning: Warning { _ in })
    }

    /// Writes `message` to standard error as `warning: message`.
    public static let standardErrorWarning: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    /// Opens the log at `path` (default: ``RunLog/defaultPath(environment:)``) and begins a run,
    /// as ``RunLog/begin(command:arguments:options:parent:data:modelPath:started:)`` does (the
    /// data may follow through ``update(data:modelPath:message:)``). Never throws: a failure is
    /// reported through `warn` (one line, prefixed by the caller or by ``standardErrorWarning``)
    /// and the recorder records nothing.
    public static func begin(
        path: String? = nil, command: String, arguments: [String], options: [String: String] = [:], data: String? = nil,
        modelPath: String? = nil, warn: @escaping @Sendable (String) -> Void = standardErrorWarning
    ) -> RunRecorder {
        let warning = Warning(warn)
        do {
            let log = try RunLog(path: path)
            let id = try log.begin(command: command, arguments: arguments, options: options, data: data, modelPath: modelPath)
            return RunRecorder(log: log, runID: id, warning: warning)
        } catch {
            warning.report("not recording this run: \(error)")
            return RunRecorder(log: nil, runID: nil, warning: warning)
        }
    }

    /// Begins a child run (a fold, a trial) in the same log; a disabled recorder gives a
    /// disabled child. Safe to call from several threads.
    public func child(
        command: String, arguments: [String] = [], options: [String: String] = [:], data: String? = nil,
        modelPath: String? = nil
    ) -> RunRecorder {
        let (log, parent) = lock.withLock { (self.log, runID) }
        guard let log, let parent else { return RunRecorder(log: nil, runID: nil, warning: warning) }
        do {
            let id = try log.begin(
                command: command, arguments: arguments, options: options, parent: parent, data: data, modelPath: modelPath)
            return RunRecorder(log: log, runID: id, warning: warning)
        } catch {
            warning.report("not recording this run: \(error)")
            return RunRecorder(log: nil, runID: nil, warning: warning)
        }
    }

    /// Runs `body` on the log when recording; a failure is reported once and stops recording.
    private func write(_ body: (RunLog, Int64) throws(RunLogError) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard let log, let runID else { return }
        do {
            try body(log, runID)
        } catch {
            self.log = nil
            warning.report("stopped recording run \(runID): \(error)")
        }
    }

    /// Records one epoch.
    public func record(_ epoch: EpochRecord) {
        write { log, id throws(RunLogError) in try log.recordEpoch(id, epoch) }
    }

    /// Sends every epoch of `trainer` to the log, after any ``Trainer/onEpoch`` already set
    /// (set the command's own handler first).
    public func attach(to trainer: Trainer) {
        guard runLog != nil else { return }
        let previous = trainer.onEpoch
        trainer.onEpoch = { [self] record in
            previous?(record)
            self.record(record)
        }
    }

    /// Changes the data description, model path or message; `nil` leaves a field as it is.
    public func update(data: String? = nil, modelPath: String? = nil, message: String? = nil) {
        write { log, id throws(RunLogError) in try log.update(id, data: data, modelPath: modelPath, message: message) }
    }

    /// Records the end of the run, as ``RunLog/finish(_:status:metrics:modelPath:message:seconds:)``
    /// does; later calls do nothing.
    public func finish(_ status: RunStatus, metrics: [String: Double] = [:], modelPath: String? = nil, message: String? = nil) {
        let first = lock.withLock {
            defer { finished = true }
            return !finished
        }
        guard first else { return }
        write { log, id throws(RunLogError) in
            try log.finish(id, status: status, metrics: metrics, modelPath: modelPath, message: message)
        }
    }

    /// Records the run as failed with `error`'s description.
    public func fail(_ error: any Error, metrics: [String: Double] = [:]) {
        finish(.failed, metrics: metrics, message: String(describing: error))
    }

    /// Runs `body`, then records the run as completed with the metrics it returns, or as
    /// failed with its error (which is rethrown).
    public func recording(_ body: () throws -> [String: Double]) rethrows {
        do {
            finish(.completed, metrics: try body())
        } catch {
            fail(error)
            throw error
        }
    }
}
