import ArgumentParser
import Foundation
import TextClf

/// `textclf cv`: stratified K-fold cross-validation of a `train` configuration.
struct CrossValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "Cross-validate a training configuration: stratified K folds, one row per fold, mean and sd.",
        discussion: """
            Splits TRAIN into K stratified folds (shuffled with --seed: every fold keeps the \
            class proportions of the whole). For each fold, the features are fitted and the \
            model is trained on the other K-1 folds only, then evaluated on the held-out fold. \
            Every 'textclf train' option applies (text, features, model, optimizer, training, \
            --pipeline). Early stopping inside a fold needs --validation-fraction F, which \
            holds out that fraction of the fold's training part (stratified); without it, \
            every fold trains for --epochs epochs.

            Prints one row per fold (accuracy, macro-F1, weighted-F1, the F1 of each class, \
            the held-out loss, the epochs run and the seconds taken), then the mean and the \
            standard deviation of every column. The standard deviation is the sample one \
            (ddof = 1, divided by K-1). --json FILE writes all of it. The same --seed gives \
            the same folds and the same numbers bit for bit (seconds aside).

            Advice: for small or unbalanced corpora (under a few thousand documents) prefer \
            cross-validation to a single validation split: one split of a small corpus gives \
            a noisy estimate, and the spread over the folds shows how noisy.

            Examples:
              textclf cv sms/SMSSpamCollection --folds 5 --seed 1
              textclf cv sst2/dev.tsv --model mlp --hidden 32 --epochs 4 --json cv.json
              textclf cv --pipeline pipelines/sst2-logreg.yaml --folds 10 --quiet
              textclf cv train.tsv --validation-fraction 0.1 --patience 2 --epochs 20
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("The labelled corpus to cross-validate on.", valueName: "train"))
    var train: String

    @Option(help: "The number of folds, K (at least 2, at most the size of the smallest class).")
    var folds: Int = 5

    @Option(help: ArgumentHelp("Write every fold, the means and the standard deviations as JSON to this file.", valueName: "file"))
    var json: String?

    @OptionGroup var options: TrainOptions

    func validate() throws {
        try options.check()
        try options.checkValidation(validation: nil, folds: folds)
    }

    func run() throws {
        try options.runLog.record(command: "cv", options: self, run(recorder:metrics:))
    }

    private func run(recorder: RunRecorder, metrics: inout [String: Double]) throws {
        let progress = options.progress
        CPUBackend.threads = options.training.threads ?? CPUBackend.usableCores
        let corpus = try LabelledCorpus.read(train, data: options.data)
        recorder.update(data: "\(train): \(corpus.count) documents, \(folds) folds")
        let stop = StopSignal()
        let interrupt = InterruptHandler(message: "interrupted: stopping after the current batch (Ctrl-C again to quit now)") { stop.set() }
        defer { interrupt.cancel() }
        let validation = CrossValidation(options: options, folds: folds, name: train)
        let report = try validation.run(corpus, stop: stop, progress: progress, showBar: !options.quiet, recorder: recorder)
        interrupt.cancel()
        metrics = report.runMetrics
        print(report.table(), terminator: "")
        if let json {
            try SummaryFile.write(report.summary(), to: json)
            progress.line("wrote \(json)")
        }
        if report.interrupted {
            print("interrupted: \(report.rows.count) of \(folds) folds finished")
            throw ExitCode(130)
        }
    }
}

/// Stratified K-fold cross-validation of a ``TrainingJob`` on documents in memory: what
/// `textclf cv` runs, and `textclf search --folds K` for each trial.
struct CrossValidation {
    /// The training to repeat on each fold, with the seed of the folds and the fraction of
    /// each fold's training part held out for early stopping.
    var options: TrainOptions
    /// K.
    var folds: Int
    /// The corpus's name, for messages.
    var name: String

    /// The results of one fold, measured on its held-out part.
    struct Row: Codable, Equatable {
        /// The 1-based fold.
        var fold: Int
        /// Training documents (the fold's training part, less any validation part).
        var trainingDocuments: Int
        /// Held-out documents.
        var testDocuments: Int
        var accuracy: Double
        var macroF1: Double
        var weightedF1: Double
        /// F1 of each class, in ``Report/classes`` order.
        var classF1: [Double]
        /// The mean loss on the held-out fold.
        var loss: Double
        /// Epochs run.
        var epochs: Int
        /// Wall-clock seconds of the fold.
        var seconds: Double

        enum CodingKeys: String, CodingKey {
            case fold, accuracy, loss, epochs, seconds
            case trainingDocuments = "training_documents", testDocuments = "test_documents", macroF1 = "macro_f1"
            case weightedF1 = "weighted_f1", classF1 = "class_f1"
        }

        /// The numeric columns, in table order, with their names.
        var columns: [Double] { [accuracy, macroF1, weightedF1] + classF1 + [loss, Double(epochs), seconds] }
    }

    /// Every fold's row, the classes, and the summaries.
    struct Report {
        var folds: Int
        var seed: UInt64
        var classes: [String]
        var rows: [Row]
        /// Whether a Ctrl-C stopped the run before every fold finished.
        var interrupted: Bool

        /// Column names, in ``Row/columns`` order.
        var columnNames: [String] {
            ["accuracy", "macro_f1", "weighted_f1"] + classes.map { "f1_" + $0 } + ["loss", "epochs", "seconds"]
        }

        /// The mean of each column over the finished folds.
        var means: [Double] {
            guard !rows.isEmpty else { return [] }
            return columnNames.indices.map { column in rows.map { $0.columns[column] }.reduce(0, +) / Double(rows.count) }
        }

        /// The sample standard deviation (ddof = 1) of each column; NaN with fewer than two folds.
        var standardDeviations: [Double] {
            let means = means
            return columnNames.indices.map { column in
                guard rows.count > 1 else { return .nan }
                let squares = rows.map { ($0.columns[column] - means[column]) * ($0.columns[column] - means[column]) }.reduce(0, +)
                return (squares / Double(rows.count - 1)).squareRoot()
            }
        }

        /// The metric a search scores a configuration by, averaged over the folds.
        func mean(of metric: String) -> Double? {
            columnNames.firstIndex(of: metric).flatMap { means.isEmpty ? nil : means[$0] }
        }

        /// The run log's metrics of the whole cross-validation.
        var runMetrics: [String: Double] {
            guard !rows.isEmpty else { return [:] }
            let means = means, deviations = standardDeviations
            var metrics: [String: Double] = ["folds": Double(rows.count)]
            for (index, name) in columnNames.enumerated() where name != "seconds" {
                metrics["mean_" + name] = means[index]
                if !deviations[index].isNaN { metrics["sd_" + name] = deviations[index] }
            }
            metrics[RunMetric.meanValidationLoss] = metrics["mean_loss"]
            return metrics
        }

        /// The table: a header, one row per fold, then `mean` and `sd`.
        func table() -> String {
            let names = ["fold", "accuracy", "macro-F1", "weighted-F1"] + classes.map { "F1 " + $0 } + ["loss", "epochs", "seconds"]
            func cells(_ label: String, _ values: [Double], epochsAsInteger: Bool) -> [String] {
                [label] + values.enumerated().map { index, value in
                    if value.isNaN { return "-" }
                    let column = names[index + 1]
                    if column == "epochs" { return epochsAsInteger ? String(Int(value)) : String(format: "%.1f", value) }
                    if column == "seconds" { return String(format: "%.2f", value) }
                    return String(format: "%.4f", value)
                }
            }
            var lines = rows.map { cells(String($0.fold), $0.columns, epochsAsInteger: true) }
            if !rows.isEmpty {
                lines.append(cells("mean", means, epochsAsInteger: false))
                lines.append(cells("sd", standardDeviations, epochsAsInteger: false))
            }
            var text = TextTable.render(names, lines, right: Set(1..<names.count)) + "\n"
            if !rows.isEmpty { text += "sd is the sample standard deviation over the \(rows.count) folds (ddof = 1)\n" }
            return text
        }

        /// What `--json` writes: the folds, the classes, every row and the summaries.
        func summary() -> some Encodable {
            struct Document: Encodable {
                var folds: Int
                var seed: UInt64
                var classes: [String]
                var rows: [Row]
                var mean: [String: Double]
                var sd: [String: Double?]
                var sdDdof = 1
                var interrupted: Bool
                enum CodingKeys: String, CodingKey { case folds, seed, classes, rows, mean, sd, interrupted, sdDdof = "sd_ddof" }
            }
            let names = columnNames
            let means = means, deviations = standardDeviations
            let document = Document(
                folds: folds, seed: seed, classes: classes, rows: rows,
                mean: Dictionary(uniqueKeysWithValues: zip(names, means)),
                sd: Dictionary(uniqueKeysWithValues: zip(names, deviations.map { $0.isNaN ? nil : $0 })), interrupted: interrupted)
            return document
        }
    }

    /// Runs every fold in order.
    /// - Parameters:
    ///   - corpus: the documents.
    ///   - stop: Ctrl-C; the folds finished before it are kept and ``Report/interrupted`` is set.
    ///   - progress: receives one line per fold.
    ///   - showBar: whether to draw the per-batch progress bar.
    ///   - recorder: the parent run; each fold is a child run `fold`.
    func run(
        _ corpus: LabelledCorpus, stop: StopSignal? = nil, progress: Progress = Progress(quiet: true), showBar: Bool = false,
        recorder: RunRecorder = .disabled()
    ) throws -> Report {
        let classes = LabelEncoder(labels: corpus.labels)
        guard classes.count >= 2 else {
            throw DataError("\(name): the data has only one label ('\(classes.classes.first ?? "")'); a classifier needs two or more")
        }
        let seed = options.training.seed
        let splits: [(train: [Int], test: [Int])]
        do {
            splits = try Splits.stratifiedKFold(labels: try classes.encode(corpus.labels), folds: folds, seed: seed)
        } catch let error as SplitError {
            throw DataError("\(name): \(error)")
        }
        var report = Report(folds: folds, seed: seed, classes: classes.classes, rows: [], interrupted: false)
        for (index, split) in splits.enumerated() {
            if stop?.isSet == true {
                report.interrupted = true
                break
            }
            let (training, validation) = try options.holdOut(from: corpus.pick(split.train))
            let held = corpus.pick(split.test)
            let child = recorder.child(
                command: "fold", options: ["fold": String(index + 1), "folds": String(folds)],
                data: "\(name): fold \(index + 1) of \(folds): \(training.count) training, \(validation?.count ?? 0) validation, \(held.count) held-out documents")
            do {
                let outcome = try options.job.run(
                    training: training, validation: validation, test: held,
                    names: .init(training: name, validation: name, test: name), showBar: showBar, stop: stop,
                    prepare: { child.attach(to: $0) })
                let evaluation = outcome.test!
                // The classes of the fold's training part are those of the whole corpus
                // (stratified folds leave every class in every part); map by name to be sure.
                let classF1 = classes.classes.map { name in
                    outcome.encoder.classes.firstIndex(of: name).map { evaluation.metrics.perClass[$0].f1 } ?? .nan
                }
                let row = Row(
                    fold: index + 1, trainingDocuments: training.count, testDocuments: held.count,
                    accuracy: evaluation.metrics.accuracy, macroF1: evaluation.metrics.macro.f1,
                    weightedF1: evaluation.metrics.weighted.f1, classF1: classF1, loss: evaluation.loss,
                    epochs: outcome.result.history.count, seconds: outcome.seconds)
                let metrics = RunMetric.of(outcome.result).merging(
                    [RunMetric.accuracy: row.accuracy, RunMetric.macroF1: row.macroF1, "weighted_f1": row.weightedF1, "loss": row.loss]
                ) { $1 }
                if case .cancelled = outcome.result.stoppingReason {
                    child.finish(.interrupted, metrics: metrics, message: "interrupted")
                    report.interrupted = true
                    break
                }
                child.finish(.completed, metrics: metrics)
                report.rows.append(row)
                progress.line(
                    String(
                        format: "fold %d/%d: accuracy %.4f, macro-F1 %.4f, loss %.4f, %d epochs, %.2f s", index + 1, folds,
                        row.accuracy, row.macroF1, row.loss, row.epochs, row.seconds))
            } catch {
                child.fail(error)
                throw error
            }
        }
        return report
    }
}
