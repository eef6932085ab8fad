import Foundation
import Testing
import TextClfSQLite
import TextClfTraining
@testable import TextClfRunLog

@Suite("The run log")
struct RunLogTests {
    func epoch(_ number: Int, validation: Bool = true) -> EpochRecord {
        EpochRecord(
            epoch: number, trainLoss: 1.0 / Double(number), trainAccuracy: 0.5 + 0.1 * Double(number),
            validationLoss: validation ? 0.9 / Double(number) : nil, validationAccuracy: validation ? 0.6 : nil,
            validationMacroF1: validation ? 0.55 : nil, learningRate: 0.01, seconds: 0.25)
    }

    @Test func roundTripOfRunsEpochsAndMetrics() throws {
        let path = temporaryDirectory() + "/nested/folder/runs.sqlite"
        let log = try RunLog(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        let start = Date(timeIntervalSince1970: 1_700_000_000.25)
        let id = try log.begin(
            command: "train", arguments: ["train", "a b.tsv", "--lr", "0.1"], options: ["lr": "0.1", "model": "mlp"],
            data: "a b.tsv: 10 documents", modelPath: "models/x", started: start)
        try log.recordEpoch(id, epoch(1))
        try log.recordEpoch(id, epoch(2, validation: false))
        try log.recordEpoch(id, epoch(2))  // a resumed epoch replaces the earlier record
        try log.finish(id, status: .completed, metrics: ["test_accuracy": 0.9, "validation_loss": 0.45], message: "done")

        let record = try #require(try log.run(id: id))
        #expect(record.command == "train")
        #expect(record.arguments == ["train", "a b.tsv", "--lr", "0.1"])
        #expect(record.options == ["lr": "0.1", "model": "mlp"])
        #expect(record.data == "a b.tsv: 10 documents")
        #expect(record.modelPath == "models/x")
        #expect(record.status == .completed)
        #expect(record.message == "done")
        #expect(record.metrics == ["test_accuracy": 0.9, "validation_loss": 0.45])
        #expect(record.accuracy == 0.9)
        #expect(record.validationLoss == 0.45)
        #expect(record.started == start)
        #expect(record.finished != nil)
        #expect((record.seconds ?? -1) > 0)
        #expect(record.processID == getpid())
        #expect(record.epochCount == 2)
        #expect(record.parent == nil)

        let epochs = try log.epochs(run: id)
        #expect(epochs == [epoch(1), epoch(2)])
        let withoutValidation = try log.begin(command: "train", arguments: [])
        try log.recordEpoch(withoutValidation, epoch(1, validation: false))
        #expect(try log.epochs(run: withoutValidation) == [epoch(1, validation: false)])

        // The timestamps are ISO-8601 UTC with milliseconds in the file itself.
        let db = try Connection(path: path)
        let statement = try db.prepare("SELECT started, arguments, options FROM runs WHERE id = ?")
        statement.bind(1, id)
        #expect(try statement.step())
        #expect(statement.text(0) == "2023-11-14T22:13:20.250Z")
        #expect(statement.text(1) == #"["train","a b.tsv","--lr","0.1"]"#)
        #expect(statement.text(2) == #"{"lr":"0.1","model":"mlp"}"#)
    }

    @Test func finishMergesMetricsAndKeepsNonFiniteValues() throws {
        let log = try RunLog(path: temporaryDirectory() + "/runs.sqlite")
        let id = try log.begin(command: "train", arguments: [])
        try log.finish(id, status: .running, metrics: ["a": 1, "b": 2])
        try log.finish(id, status: .failed, metrics: ["b": 3, "loss": .infinity], message: "diverged", seconds: 4)
        let record = try #require(try log.run(id: id))
        #expect(record.metrics == ["a": 1, "b": 3, "loss": .infinity])
        #expect(record.status == .failed)
        #expect(record.seconds == 4)
        #expect(record.message == "diverged")
    }

    @Test func listingFiltersByCommandAndParentNewestFirst() throws {
        let log = try RunLog(path: temporaryDirectory() + "/runs.sqlite")
        let train = try log.begin(command: "train", arguments: [])
        let cv = try log.begin(command: "cv", arguments: [])
        let folds = try (1...3).map { _ in try log.begin(command: "fold", arguments: [], parent: cv) }
        let search = try log.begin(command: "search", arguments: [])
        #expect(try log.runs().map(\.id) == [search] + folds.reversed() + [cv, train])
        #expect(try log.runs(limit: 2).map(\.id) == [search, folds[2]])
        #expect(try log.runs(parent: .topLevel).map(\.id) == [search, cv, train])
        #expect(try log.runs(parent: .children(of: cv)).map(\.id) == folds.reversed())
        #expect(try log.runs(command: "cv").map(\.id) == [cv])
        #expect(try log.runs(command: "fold", parent: .children(of: cv)).count == 3)
        #expect(try log.run(id: cv)?.childCount == 3)
        #expect(try log.run(id: 999) == nil)

        // Deleting a parent deletes its children and their epochs.
        try log.recordEpoch(folds[0], epoch(1))
        #expect(try log.delete(ids: [cv, 12345]) == [cv] + folds)
        #expect(try log.runs().map(\.id) == [search, train])
        #expect(try log.epochs(run: folds[0]).isEmpty)
        #expect(try log.delete(ids: [777]).isEmpty)
    }

    @Test func aRunWhoseProcessHasGoneReadsAsInterrupted() throws {
        let log = try RunLog(path: temporaryDirectory() + "/runs.sqlite")
        let finishedProcess = Process()
        finishedProcess.executableURL = URL(fileURLWithPath: "/bin/true")
        try finishedProcess.run()
        finishedProcess.waitUntilExit()
        let dead = try log.begin(
            command: "train", arguments: [], options: [:], parent: nil, data: nil, modelPath: nil, started: Date(),
            processID: finishedProcess.processIdentifier)
        let alive = try log.begin(command: "train", arguments: [])
        #expect(try log.run(id: dead)?.status == .interrupted)
        #expect(try log.run(id: alive)?.status == .running)
    }

    @Test func schemaVersionIsSetAndANewerOneIsRefused() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        _ = try RunLog(path: path)
        let db = try Connection(path: path)
        let version = try db.prepare("PRAGMA user_version")
        #expect(try version.step())
        #expect(version.int(0) == RunLog.schemaVersion)
        version.finish()
        let mode = try db.prepare("PRAGMA journal_mode")
        #expect(try mode.step())
        #expect(mode.text(0) == "wal")
        mode.finish()
        // Opening again neither fails nor migrates twice.
        let again = try RunLog(path: path)
        _ = try again.begin(command: "train", arguments: [])
        try db.exec("PRAGMA user_version=\(RunLog.schemaVersion + 1)")
        #expect(throws: RunLogError.newerSchema(path: path, version: RunLog.schemaVersion + 1, supported: RunLog.schemaVersion)) {
            _ = try RunLog(path: path)
        }
    }

    @Test func aVersionOneLogIsMigratedAndKeepsItsEpochs() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        do {
            let db = try Connection(path: path)
            try db.exec(RunLog.migrations[0])
            try db.exec("PRAGMA user_version=1")
            try db.exec("INSERT INTO runs(command, started, status) VALUES ('train', '2026-01-01T00:00:00.000Z', 'completed')")
            try db.exec("INSERT INTO epochs(run, epoch, train_loss, train_accuracy) VALUES (1, 1, 0.5, 0.75)")
        }
        let log = try RunLog(path: path)
        let old = try log.epochs(run: 1)
        #expect(old.count == 1 && old[0].trainAccuracy == 0.75 && old[0].trainMacroF1 == nil)
        var record = epoch(2)
        record.trainMacroF1 = 0.625
        try log.recordEpoch(1, record)
        #expect(try log.epochs(run: 1).last?.trainMacroF1 == 0.625)
        let db = try Connection(path: path)
        let version = try db.prepare("PRAGMA user_version")
        #expect(try version.step() && version.int(0) == 2)
    }

    @Test func aFileThatIsNotADatabaseGivesAClearErrorAndIsLeftInPlace() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        try garbage.write(to: URL(fileURLWithPath: path))
        var caught: RunLogError?
        do { _ = try RunLog(path: path) } catch { caught = error }
        let error = try #require(caught)
        guard case .corrupt = error else {
            Issue.record("expected a corruption error, got \(error)")
            return
        }
        #expect(error.description.contains(path))
        #expect(error.description.contains("left as it is"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(siblings == ["runs.sqlite"])

        // The recorder warns once and records nothing; the work it records goes on.
        let warnings = Warnings()
        let recorder = RunRecorder.begin(path: path, command: "train", arguments: [], warn: { warnings.append($0) })
        recorder.record(epoch(1))
        recorder.finish(.completed)
        #expect(recorder.runID == nil)
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains(path) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func aDamagedPageIsReportedAsCorruptionNamingTheFile() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        do {
            let log = try RunLog(path: path)
            for index in 0..<200 {
                let id = try log.begin(command: "train", arguments: [String(repeating: "x", count: 200 + index)])
                try log.recordEpoch(id, epoch(1))
            }
            let db = try Connection(path: path)
            try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // Overwrite every page after the first with noise.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data((0..<Int(size) - 4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try handle.close()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        var caught: RunLogError?
        do {
            let log = try RunLog(path: path)
            _ = try log.runs()
            _ = try log.epochs(run: 1)
        } catch { caught = error }
        let error = try #require(caught)
        guard case .corrupt(let where_, _) = error else {
            Issue.record("expected a corruption error, got \(error)")
            return
        }
        #expect(where_ == path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == damaged)
    }

    @Test func aFolderThatCannotBeCreatedIsNamed() throws {
        let blocker = temporaryDirectory() + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        #expect {
            _ = try RunLog(path: blocker + "/sub/runs.sqlite")
        } throws: { error in
            guard let error = error as? RunLogError, case .unavailable = error else { return false }
            return error.description.contains(blocker)
        }
    }

    @Test func defaultPathFollowsTheEnvironment() {
        #expect(RunLog.defaultPath(environment: ["TEXTCLF_RUN_LOG": "/x/r.sqlite", "XDG_DATA_HOME": "/d"]) == "/x/r.sqlite")
        #expect(RunLog.defaultPath(environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]) == "/d/textclf/runs.sqlite")
        #expect(RunLog.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/share/textclf/runs.sqlite")
        #expect(RunLog.defaultPath(environment: ["TEXTCLF_RUN_LOG": "", "HOME": "/h"]) == "/h/.local/share/textclf/runs.sqlite")
    }

    @Test func concurrentWritersFromManyThreads() async throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        let shared = try RunLog(path: path)
        let parent = try shared.begin(command: "search", arguments: [])
        let threads = 8, runsPerThread = 10, epochsPerRun = 5
        // Half the threads share one RunLog; the other half each open their own connection.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    let log = thread % 2 == 0 ? shared : try RunLog(path: path)
                    for trial in 0..<runsPerThread {
                        let id = try log.begin(
                            command: "trial", arguments: [], options: ["thread": "\(thread)", "trial": "\(trial)"],
                            parent: parent)
                        for number in 1...epochsPerRun { try log.recordEpoch(id, self.epoch(number)) }
                        try log.finish(id, status: .completed, metrics: ["accuracy": Double(thread * 100 + trial)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let children = try shared.runs(parent: .children(of: parent))
        #expect(children.count == threads * runsPerThread)
        #expect(Set(children.map(\.id)).count == threads * runsPerThread)
        #expect(children.allSatisfy { $0.status == .completed && $0.epochCount == epochsPerRun })
        #expect(Set(children.compactMap { $0.metrics["accuracy"] }).count == threads * runsPerThread)
    }

    @Test func recorderChildrenFromManyThreadsShareTheLog() async throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        let recorder = RunRecorder.begin(path: path, command: "search", arguments: ["search"], warn: { Issue.record("\($0)") })
        let parent = try #require(recorder.runID)
        await withTaskGroup(of: Void.self) { group in
            for trial in 0..<12 {
                group.addTask {
                    let child = recorder.child(command: "trial", options: ["trial": "\(trial)"])
                    child.record(self.epoch(1))
                    child.finish(.completed, metrics: [RunMetric.accuracy: Double(trial) / 12])
                }
            }
        }
        recorder.finish(.completed, metrics: [RunMetric.accuracy: 11.0 / 12])
        recorder.finish(.failed)  // only the first finish counts
        let log = try RunLog(path: path)
        #expect(try log.run(id: parent)?.status == .completed)
        #expect(try log.runs(parent: .children(of: parent)).count == 12)
    }

    @Test func recorderAttachesToTheTrainerAndRecordsFailures() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        let data = separableData(rows: 40, classes: 2)
        let model = LogisticRegression(features: 8, classes: 2, seed: 1)
        var options = TrainingOptions()
        options.epochs = 3
        options.batchSize = 8
        let trainer = Trainer(model: model, options: options)
        var seen: [Int] = []
        trainer.onEpoch = { seen.append($0.epoch) }
        let recorder = RunRecorder.begin(path: path, command: "train", arguments: ["train", "x.tsv"], warn: { Issue.record("\($0)") })
        recorder.attach(to: trainer)
        try recorder.recording {
            let result = try trainer.fit(train: data.sparse, validation: data.sparse)
            return RunMetric.of(result)
        }
        #expect(seen == [1, 2, 3])
        let log = try RunLog(path: path)
        let id = try #require(recorder.runID)
        let record = try #require(try log.run(id: id))
        #expect(record.status == .completed)
        #expect(record.metrics[RunMetric.epochs] == 3)
        #expect(record.metrics[RunMetric.validationAccuracy] != nil)
        #expect(try log.epochs(run: id).map(\.epoch) == [1, 2, 3])
        #expect(try log.epochs(run: id) == trainer.state.history)

        struct Broken: Error, CustomStringConvertible { var description: String { "the data is broken" } }
        let failing = RunRecorder.begin(path: path, command: "train", arguments: [], warn: { Issue.record("\($0)") })
        #expect(throws: Broken.self) { try failing.recording { throw Broken() } }
        let failedID = try #require(failing.runID)
        let failed = try #require(try log.run(id: failedID))
        #expect(failed.status == .failed)
        #expect(failed.message == "the data is broken")

        let disabled = RunRecorder.disabled()
        disabled.record(epoch(1))
        disabled.finish(.completed)
        #expect(disabled.runID == nil)
    }

    /// Writes runs into `$TEXTCLF_RUN_LOG_TEST_WRITER` when that is set: the second process of
    /// ``concurrentWritersFromTwoProcesses()``, which starts this test binary again. Without
    /// the variable it checks nothing.
    @Test func secondProcessWriter() throws {
        guard let path = ProcessInfo.processInfo.environment["TEXTCLF_RUN_LOG_TEST_WRITER"] else { return }
        let log = try RunLog(path: path)
        for index in 0..<Self.runsPerProcess {
            let id = try log.begin(command: "trial", arguments: ["child", "\(index)"])
            try log.recordEpoch(id, epoch(1))
            try log.finish(id, status: .completed)
        }
    }

    static let runsPerProcess = 40

    @Test func concurrentWritersFromTwoProcesses() throws {
        let path = temporaryDirectory() + "/runs.sqlite"
        _ = try RunLog(path: path)
        // The second writer is this test binary again, running only secondProcessWriter().
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--testing-library", "swift-testing", "--filter", "secondProcessWriter"]
        var environment = ProcessInfo.processInfo.environment
        environment["TEXTCLF_RUN_LOG_TEST_WRITER"] = path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let log = try RunLog(path: path)
        for index in 0..<Self.runsPerProcess {
            let id = try log.begin(command: "trial", arguments: ["parent", "\(index)"])
            try log.recordEpoch(id, epoch(1))
            try log.finish(id, status: .completed)
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let runs = try log.runs()
        #expect(runs.filter { $0.arguments.first == "parent" }.count == Self.runsPerProcess)
        #expect(runs.filter { $0.arguments.first == "child" }.count == Self.runsPerProcess)
        #expect(runs.allSatisfy { $0.status == .completed && $0.epochCount == 1 })
        #expect(Set(runs.compactMap(\.processID)).count == 2)
    }
}

/// Collects warnings from any thread.
final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func append(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}
