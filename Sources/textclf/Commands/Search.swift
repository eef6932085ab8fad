import ArgumentParser
import Dispatch
import Foundation
import TextClf

#if canImport(Glibc)
import Glibc
#endif

/// `textclf search`: grid or random search over `textclf train` options.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search train options (grid or random) and save the best configuration as a pipeline file.",
        discussion: """
            Each --space KEY=VALUES names a 'textclf train' option (without dashes, or a \
            pipeline key such as optimizer.lr) and its values:
              a|b|c          choices (a flag takes true|false)
              a..b           uniform between a and b
              log:a..b       log-uniform (learning rates, penalties)
              int:a..b       an integer from a to b
            --strategy grid tries every combination of the choices (a range needs \
            --grid-points N); --strategy random draws --trials N configurations (default 10). \
            Every other option is the base of every trial, as for 'textclf train' (text, \
            features, model, optimizer, training, --pipeline); each trial is the base \
            options plus its values, parsed as 'textclf train' parses them.

            A trial is scored on --validation FILE or --validation-fraction F (held out of \
            TRAIN, stratified, with --seed), or by --folds K cross-validation (the mean over \
            the folds; --validation-fraction then holds out part of each fold's training \
            part for early stopping). --metric picks the score: val-f1 (macro-F1, the \
            default), val-accuracy or val-loss. --patience stops each trial early.

            Trial i's values come from --seed and i alone, and every trial trains with \
            --seed, so the same seed and space give the same trials and scores whatever \
            --jobs is. Trials run in parallel (--jobs, default: the cores; each then uses \
            one BLAS thread). --time-budget stops starting trials after that many seconds.

            With --out DIR, every finished trial is appended to DIR/trials.jsonl and the \
            best configuration is written to DIR/best.yaml, a pipeline file: train the final \
            model with 'textclf train --pipeline DIR/best.yaml --out MODEL'. --resume reads \
            DIR/trials.jsonl and runs only the trials it lacks; Ctrl-C stops the running \
            trials and keeps the finished ones. --json FILE writes a summary: the \
            metric, the strategy, the trials planned and finished, every finished trial \
            ranked best first (as in trials.jsonl), the best one, the pipeline file written \
            and whether the search was interrupted or ran out of time.

            Examples:
              textclf search sst2/dev.tsv --folds 3 --space 'lr=log:1e-3..1e-1' \\
                  --strategy random --trials 8 --out runs/sst2-search
              textclf search sms/SMSSpamCollection --validation-fraction 0.2 --model mlp \\
                  --space 'hidden=16|32|64,32' --space 'dropout=0|0.2|0.4' --patience 2 \\
                  --epochs 10 --out runs/sms
              textclf search train.tsv --validation dev.tsv --metric val-accuracy \\
                  --space 'optimizer=adam|sgd' \\
                  --space 'text=lowercase,words|lowercase,sklearn,porter'
              textclf search train.tsv --validation dev.tsv --space 'lr=0.001..0.1' \\
                  --grid-points 5 --out runs/lr
              textclf search train.tsv --validation dev.tsv --space 'lr=log:1e-4..1e-1' \\
                  --strategy random --trials 40 --out runs/lr --resume
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("The training corpus.", valueName: "train"))
    var train: String

    @Option(
        parsing: .singleValue,
        help: ArgumentHelp("A searched option and its values: KEY=a|b|c, KEY=a..b, KEY=log:a..b or KEY=int:a..b (repeatable).", valueName: "key=values"))
    var space: [String] = []

    @Option(help: "grid (every combination) or random (--trials draws).")
    var strategy: Strategy = .grid

    @Option(help: "Trials: the number of random draws (default 10), or at most this many grid points (default all).")
    var trials: Int?

    @Option(help: ArgumentHelp("Values per range in a grid, evenly spaced (log-spaced for log:).", valueName: "n"))
    var gridPoints: Int?

    @Option(help: ArgumentHelp("Start no trial after this many seconds.", valueName: "seconds"))
    var timeBudget: Double?

    @Option(help: "The score: val-f1 (macro-F1), val-accuracy or val-loss.")
    var metric: Metric = .valF1

    @Option(help: "Score each trial by K-fold cross-validation instead of a validation set.")
    var folds: Int?

    @Option(help: "Trials run at once (default: the cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("The folder for trials.jsonl and best.yaml.", valueName: "dir"))
    var out: String?

    @Flag(help: "Continue the search in --out: run only the trials its trials.jsonl lacks.")
    var resume = false

    @Option(help: ArgumentHelp("Write the ranked trials and the best one as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("A labelled corpus to score each trial on.", valueName: "file"))
    var validation: String?

    @OptionGroup var options: TrainOptions

    enum Strategy: String, ExpressibleByArgument, CaseIterable { case grid, random }

    enum Metric: String, ExpressibleByArgument, CaseIterable {
        case valF1 = "val-f1", valAccuracy = "val-accuracy", valLoss = "val-loss"
        var higherIsBetter: Bool { self != .valLoss }
    }

    /// Options of `search` itself, left out of the trials' `train` arguments.
    static let ownOptions: Set<String> = [
        "space", "strategy", "trials", "grid-points", "time-budget", "metric", "folds", "jobs", "out", "resume", "json", "quiet",
        "pipeline", "run-log", "no-run-log", "help", "version",
    ]

    /// The model folder the trials' `train` arguments name; trials never save a model.
    static let unsavedModel = "/nonexistent/textclf-search-trial"

    func validate() throws {
        guard !space.isEmpty else {
            throw ValidationError("give at least one --space KEY=VALUES, e.g. --space 'lr=log:1e-4..1e-1'")
        }
        let dimensions = try space.map { try SearchDimension(parsing: $0) }
        let keys = dimensions.map(\.key)
        if let repeated = keys.first(where: { key in keys.filter { $0 == key }.count > 1 }) {
            throw ValidationError("--space: '\(repeated)' is given twice")
        }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1 (got \(trials))") }
        if let gridPoints, gridPoints < 1 { throw ValidationError("--grid-points must be at least 1 (got \(gridPoints))") }
        if strategy == .random && gridPoints != nil { throw ValidationError("--grid-points applies to --strategy grid") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        if let timeBudget, !(timeBudget > 0) { throw ValidationError("--time-budget must be positive (got \(timeBudget))") }
        try options.checkValidation(validation: validation, folds: folds)
        if folds != nil && validation != nil {
            throw ValidationError("--folds scores on the held-out folds; --validation does not apply")
        }
        if folds == nil && validation == nil && options.validationFraction == nil {
            throw ValidationError("a search scores each trial on validation data: give --validation FILE, --validation-fraction F or --folds K")
        }
        if resume && out == nil { throw ValidationError("--resume needs --out DIR, the folder of the search to continue") }
        if let out, !resume, FileManager.default.fileExists(atPath: out + "/trials.jsonl") {
            throw ValidationError("\(out) already holds a search (trials.jsonl); pass --resume to continue it, or choose another --out")
        }
        if strategy == .grid { _ = try dimensions.map { try $0.gridValues(points: gridPoints) } }
    }

    /// The `train` arguments every trial shares: the parsed command line without the
    /// subcommand's name, `search`'s own options and the searched options (and the options
    /// they exclude).
    static func baseArguments(_ parsed: [String], searched: Set<String>) -> [String] {
        var arguments = Array(parsed.first == "search" ? parsed.dropFirst() : parsed[...])
        let declared = CommandArguments(Search.self)
        var drop = ownOptions.union(searched)
        for key in searched { drop.formUnion(PipelineKey.exclusive[key] ?? []) }
        for option in declared.scan(arguments).reversed() where option.name.map(drop.contains) == true {
            arguments.removeSubrange(option.range)
        }
        return arguments
    }

    func run() throws {
        try options.runLog.record(command: "search", options: self, modelPath: out, run(recorder:metrics:))
    }

    private func run(recorder: RunRecorder, metrics: inout [String: Double]) throws {
        let clock = ContinuousClock()
        let started = clock.now
        let progress = options.progress
        let dimensions = try space.map { try SearchDimension(parsing: $0) }
        let plan = try SearchPlan.trials(
            dimensions, random: strategy == .random, trials: trials, gridPoints: gridPoints, seed: options.training.seed)
        let base = Self.baseArguments(
            PipelineExpansion.parsedArguments ?? Array(CommandLine.arguments.dropFirst()), searched: Set(dimensions.map(\.key)))

        // Every trial's train arguments, parsed (and checked) before anything runs.
        var specifications: [TrialSpecification] = []
        for (index, values) in plan.enumerated() {
            let arguments = base + zip(dimensions, values).flatMap { $0.arguments($1) }
            let parsed: Train
            do {
                parsed = try Train.parse(arguments + ["--out", Self.unsavedModel])
            } catch {
                let described = zip(dimensions, values).map { "\($0.key)=\($1)" }.joined(separator: ", ")
                throw ValidationError("trial \(index + 1) (\(described)): \(Train.message(for: error))")
            }
            specifications.append(TrialSpecification(index: index + 1, values: values, arguments: arguments, train: parsed))
        }

        // Finished trials of an earlier run of this search.
        var finished: [Int: TrialResult] = [:]
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if resume {
                finished = try TrialLog.read(out + "/trials.jsonl", warn: { printError("warning: " + $0) })
                for (index, result) in finished {
                    guard index >= 1, index <= specifications.count,
                        result.values == Dictionary(uniqueKeysWithValues: zip(dimensions.map(\.key), specifications[index - 1].values))
                    else {
                        throw DataError(
                            "\(out)/trials.jsonl: trial \(index) was not drawn from this space and seed; resume with the same --space, --strategy, --trials and --seed, or choose another --out")
                    }
                }
                progress.line("resuming: \(finished.count) of \(specifications.count) trials already finished")
            }
        }
        let log = try out.map { try TrialLog(path: $0 + "/trials.jsonl") }

        let corpus = try LabelledCorpus.read(train, data: options.data)
        let validationCorpus = try validation.map { try LabelledCorpus.read($0, data: options.data) }
        recorder.update(
            data: "\(train): \(corpus.count) documents" + (validation.map { "; \($0): \(validationCorpus!.count) validation documents" } ?? "")
                + "; \(specifications.count) trials")

        let jobs = self.jobs ?? CPUBackend.usableCores
        CPUBackend.threads = jobs > 1 ? 1 : (options.training.threads ?? CPUBackend.usableCores)
        let stop = StopSignal()
        let interrupt = InterruptHandler(
            message: "interrupted: stopping the running trials; finished trials are kept (Ctrl-C again to quit now)"
        ) { stop.set() }
        defer { interrupt.cancel() }

        let pending = specifications.filter { finished[$0.index] == nil }
        let state = SearchState(pending: pending)
        let keys = dimensions.map(\.key)
        let total = specifications.count
        let work = { (worker: Int) in
            while let specification = state.next() {
                if stop.isSet { return }
                if let timeBudget, (clock.now - started).inSeconds > timeBudget {
                    state.reachedBudget()
                    return
                }
                let child = recorder.child(
                    command: "trial", arguments: specification.arguments,
                    options: RunOptionValues.of(specification.train).merging(["trial": String(specification.index)]) { $1 },
                    data: "\(train): trial \(specification.index) of \(total)")
                do {
                    let result = try Self.runTrial(
                        specification, keys: keys, corpus: corpus, validation: validationCorpus, folds: folds, metric: metric,
                        name: train, stop: stop, recorder: child)
                    guard let result else {
                        child.finish(.interrupted, message: "interrupted")
                        return
                    }
                    child.finish(.completed, metrics: result.runMetrics)
                    try log?.append(result)
                    state.finish(result)
                    progress.line(
                        String(format: "trial %d/%d: %@ %.4f (", result.trial, total, metric.rawValue, result.score)
                            + result.described(keys)
                            + String(format: "), %@ epochs, %.2f s", Self.formatEpochs(result.epochs), result.seconds))
                } catch {
                    child.fail(error)
                    state.fail(error)
                    stop.set()
                    return
                }
            }
        }
        if jobs > 1 && pending.count > 1 {
            // The workers share only thread-safe state (SearchState, StopSignal, TrialLog, the
            // run log) and read-only data (the corpora, the parsed trials).
            let shared = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: min(jobs, pending.count)) { shared.value($0) }
        } else {
            work(0)
        }
        interrupt.cancel()
        if let error = state.error { throw error }

        let results = Array(finished.values) + state.results
        let ranked = results.sorted { Self.better($0, $1, metric: metric) }
        print(Self.table(ranked, keys: keys, metric: metric), terminator: "")
        var summary = Summary(
            metric: metric.rawValue, strategy: strategy.rawValue, total: total, finished: results.count, best: ranked.first,
            trials: ranked, pipeline: nil, interrupted: stop.isSet, budgetReached: state.budgetReached)
        if let best = ranked.first {
            metrics = [
                "trials": Double(results.count), "best_score": best.score, "best_trial": Double(best.trial),
                RunMetric.accuracy: best.accuracy, RunMetric.macroF1: best.macroF1,
            ].filter { !$0.value.isNaN }
            let described = best.described(keys)
            if let out {
                let path = out + "/best.yaml"
                let yaml = try PipelineFile.yaml(
                    from: best.arguments, relativeTo: out,
                    header: [
                        "The best configuration of textclf search: trial \(best.trial) of \(total), "
                            + String(format: "%@ %.4f", metric.rawValue, best.score) + ".",
                        "Searched: \(described).",
                        "Train it with: textclf train --pipeline \(path) --out MODEL",
                    ])
                try AtomicFile.write(Data(yaml.utf8), to: path)
                summary.pipeline = path
                print("best: trial \(best.trial) (\(described)); wrote \(path) and \(out)/trials.jsonl")
            } else {
                print("best: trial \(best.trial) (\(described))")
            }
        }
        if let json {
            try SummaryFile.write(summary, to: json)
            progress.line("wrote \(json)")
        }
        if state.budgetReached {
            print("time budget reached: \(results.count) of \(total) trials finished")
        }
        if stop.isSet {
            print("interrupted: \(results.count) of \(total) trials finished" + (out == nil ? "" : "; the same command plus --resume runs the rest"))
            throw ExitCode(130)
        }
    }

    /// What `--json` writes.
    struct Summary: Encodable {
        /// The score's name.
        var metric: String
        /// grid or random.
        var strategy: String
        /// The trials planned.
        var total: Int
        /// The trials finished, this run's and those resumed from trials.jsonl.
        var finished: Int
        /// The best trial, when one finished.
        var best: TrialResult?
        /// The finished trials, best first.
        var trials: [TrialResult]
        /// The pipeline file of the best configuration (with --out).
        var pipeline: String?
        /// Whether Ctrl-C stopped the search.
        var interrupted: Bool
        /// Whether --time-budget stopped it.
        var budgetReached: Bool

        enum CodingKeys: String, CodingKey {
            case metric, strategy, total, finished, best, trials, pipeline, interrupted
            case budgetReached = "budget_reached"
        }
    }

    /// Whether `a` ranks above `b`: the better score, then the lower trial number; NaN last.
    static func better(_ a: TrialResult, _ b: TrialResult, metric: Metric) -> Bool {
        if a.score.isNaN != b.score.isNaN { return !a.score.isNaN }
        if a.score != b.score && !a.score.isNaN { return metric.higherIsBetter ? a.score > b.score : a.score < b.score }
        return a.trial < b.trial
    }

    static func formatEpochs(_ epochs: Double) -> String {
        epochs == epochs.rounded() ? String(Int(epochs)) : String(format: "%.1f", epochs)
    }

    /// The ranked table: rank, trial, score, the searched values, epochs and seconds.
    static func table(_ ranked: [TrialResult], keys: [String], metric: Metric) -> String {
        let header = ["rank", "trial", metric.rawValue] + keys + ["epochs", "seconds"]
        let rows = ranked.enumerated().map { rank, result in
            [String(rank + 1), String(result.trial), result.score.isNaN ? "nan" : String(format: "%.4f", result.score)]
                + keys.map { result.values[$0] ?? "" } + [formatEpochs(result.epochs), String(format: "%.2f", result.seconds)]
        }
        return TextTable.render(header, rows, right: Set(header.indices).subtracting(3..<3 + keys.count)) + "\n"
    }

    /// Trains and scores one trial; `nil` when Ctrl-C stopped it.
    static func runTrial(
        _ specification: TrialSpecification, keys: [String], corpus: LabelledCorpus, validation: LabelledCorpus?, folds: Int?,
        metric: Metric, name: String, stop: StopSignal, recorder: RunRecorder
    ) throws -> TrialResult? {
        let options = specification.train.options
        var result = TrialResult(
            trial: specification.index, values: Dictionary(uniqueKeysWithValues: zip(keys, specification.values)), metric: metric.rawValue,
            score: .nan, accuracy: .nan, macroF1: .nan, loss: .nan, epochs: 0, seconds: 0, arguments: specification.arguments)
        if let folds {
            let report = try CrossValidation(options: options, folds: folds, name: name).run(corpus, stop: stop, recorder: recorder)
            if report.interrupted { return nil }
            result.accuracy = report.mean(of: "accuracy") ?? .nan
            result.macroF1 = report.mean(of: "macro_f1") ?? .nan
            result.loss = report.mean(of: "loss") ?? .nan
            result.epochs = report.mean(of: "epochs") ?? 0
            result.seconds = report.rows.map(\.seconds).reduce(0, +)
        } else {
            let (training, held) = try options.holdOut(from: corpus, else: validation)
            let outcome = try options.job.run(
                training: training, validation: held, test: nil,
                names: .init(training: name, validation: specification.train.validation ?? name), stop: stop,
                prepare: { recorder.attach(to: $0) })
            if case .cancelled = outcome.result.stoppingReason { return nil }
            let evaluation = outcome.validation!
            result.accuracy = evaluation.metrics.accuracy
            result.macroF1 = evaluation.metrics.macro.f1
            result.loss = evaluation.loss
            result.epochs = Double(outcome.result.history.count)
            result.seconds = outcome.seconds
        }
        switch metric {
        case .valF1: result.score = result.macroF1
        case .valAccuracy: result.score = result.accuracy
        case .valLoss: result.score = result.loss
        }
        return result
    }
}

/// One trial to run: its 1-based number, its values (in `--space` order), its `train`
/// arguments and their parse.
struct TrialSpecification {
    var index: Int
    var values: [String]
    var arguments: [String]
    var train: Train
}

/// A finished trial, one line of `trials.jsonl`.
struct TrialResult: Codable, Equatable {
    /// The 1-based trial number.
    var trial: Int
    /// The searched options' values.
    var values: [String: String]
    /// The score's name (`val-f1`, `val-accuracy`, `val-loss`).
    var metric: String
    /// The score.
    var score: Double
    /// Validation (or mean held-out) accuracy.
    var accuracy: Double
    /// Validation (or mean held-out) macro-F1.
    var macroF1: Double
    /// Validation (or mean held-out) loss.
    var loss: Double
    /// Epochs run (the mean over the folds with --folds).
    var epochs: Double
    /// Wall-clock seconds.
    var seconds: Double
    /// The trial's `textclf train` arguments (without `--out`).
    var arguments: [String]

    enum CodingKeys: String, CodingKey {
        case trial, values, metric, score, accuracy, loss, epochs, seconds, arguments
        case macroF1 = "macro_f1"
    }

    /// The searched values in `keys` order: `lr=0.1, hidden=8`.
    func described(_ keys: [String]) -> String { keys.map { "\($0)=\(values[$0] ?? "")" }.joined(separator: ", ") }

    /// The run log's metrics of the trial.
    var runMetrics: [String: Double] {
        ["score": score, RunMetric.accuracy: accuracy, RunMetric.macroF1: macroF1, "loss": loss, RunMetric.epochs: epochs]
            .filter { !$0.value.isNaN }
    }
}

/// NaN (a diverged trial) is written as null.
extension TrialResult {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        self.init(
            trial: try container.decode(Int.self, forKey: .trial), values: try container.decode([String: String].self, forKey: .values),
            metric: try container.decode(String.self, forKey: .metric), score: try number(.score), accuracy: try number(.accuracy),
            macroF1: try number(.macroF1), loss: try number(.loss), epochs: try number(.epochs), seconds: try number(.seconds),
            arguments: try container.decode([String].self, forKey: .arguments))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func number(_ value: Double, _ key: CodingKeys) throws {
            if value.isNaN { try container.encodeNil(forKey: key) } else { try container.encode(value, forKey: key) }
        }
        try container.encode(trial, forKey: .trial)
        try container.encode(values, forKey: .values)
        try container.encode(metric, forKey: .metric)
        try number(score, .score)
        try number(accuracy, .accuracy)
        try number(macroF1, .macroF1)
        try number(loss, .loss)
        try number(epochs, .epochs)
        try number(seconds, .seconds)
        try container.encode(arguments, forKey: .arguments)
    }
}

/// `trials.jsonl`: one finished trial a line, appended and flushed to disk (fsync) as each
/// trial finishes, so that an interrupted search loses no finished trial.
final class TrialLog: @unchecked Sendable {
    private let lock = NSLock()
    private let descriptor: Int32
    let path: String

    /// Opens `path` for appending, creating it if needed.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DataError("\(path): cannot open for writing (\(String(cString: strerror(errno))))")
        }
    }

    deinit { close(descriptor) }

    /// Appends one trial as a line and flushes it to disk.
    func append(_ result: TrialResult) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(result) + Data("\n".utf8)
        try lock.withLock {
            try line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw DataError("\(path): cannot write (\(String(cString: strerror(errno))))")
                    }
                    offset += written
                }
            }
            guard fsync(descriptor) == 0 else { throw DataError("\(path): cannot flush to disk (\(String(cString: strerror(errno))))") }
        }
    }

    /// The finished trials in `path` by number; a missing file holds none. An unreadable last
    /// line (a write cut short) is removed from the file with a warning, so that appending
    /// starts on a fresh line; any other unreadable line is an error.
    static func read(_ path: String, warn: (String) -> Void) throws -> [Int: TrialResult] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let lines = LineBreaks.lines(of: String(decoding: data, as: UTF8.self)).filter { !$0.isEmpty }
        var results: [Int: TrialResult] = [:]
        var kept: [Substring] = []
        for (number, line) in lines.enumerated() {
            do {
                let result = try JSONDecoder().decode(TrialResult.self, from: Data(line.utf8))
                results[result.trial] = result
                kept.append(line)
            } catch {
                if number == lines.count - 1 {
                    warn("\(path):\(number + 1): removing an incomplete last line; that trial runs again")
                } else {
                    throw DataError("\(path):\(number + 1): not a trial record (\(error))")
                }
            }
        }
        let clean = Data(kept.map { $0 + "\n" }.joined().utf8)
        if clean != data { try AtomicFile.write(clean, to: path) }
        return results
    }
}

/// What the workers of a search share: the trials left, the results and the first error.
final class SearchState: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [TrialSpecification]
    private var position = 0
    private(set) var results: [TrialResult] = []
    private(set) var error: (any Error)?
    private(set) var budgetReached = false

    init(pending: [TrialSpecification]) { self.pending = pending }

    /// The next trial to run, in trial order, or `nil` when none is left.
    func next() -> TrialSpecification? {
        lock.withLock {
            guard position < pending.count, error == nil, !budgetReached else { return nil }
            defer { position += 1 }
            return pending[position]
        }
    }

    func finish(_ result: TrialResult) { lock.withLock { results.append(result) } }
    func fail(_ error: any Error) { lock.withLock { if self.error == nil { self.error = error } } }
    func reachedBudget() { lock.withLock { budgetReached = true } }
}

/// A value handed to worker threads whose thread safety the code guarantees itself.
final class UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
