import ArgumentParser
import Foundation
import TextClf

/// `textclf report`: scores a saved model on labelled data, or any predictions against the
/// truth, as text, JSON and a self-contained HTML page.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Score a model on labelled data, or predictions against the truth: text, JSON and HTML.",
        discussion: """
            With --model, runs the saved model over the labelled corpus FILE and reports its \
            classification report (laid out as scikit-learn's), the confusion matrix (rows are \
            true labels), the training summary saved with the model (epochs, best epoch, why \
            training stopped) and a bias/variance reading from the best epoch's training and \
            validation error. With --predictions and --truth, scores two label files (one label \
            per line, or the JSON lines of 'textclf predict --json'); the classes are the \
            labels of both, sorted.

            The macro and weighted averages are scikit-learn's default (labels=None): over \
            the classes in the truth or the predictions. A model's other classes are still \
            listed, with support 0, and left out of the averages; --labels all averages over \
            every class of the model (as labels= with all of them), counting those as the \
            --zero-division value.

            The text goes to standard output (--quiet skips it); --json FILE and --html FILE \
            write the report as JSON (keys accuracy, classes, macro, micro, weighted, \
            confusion_matrix, ...) and as one HTML page with the training curves, the confusion \
            matrix as a heat map, the per-class table and the run's options. Files are written \
            atomically.

            Examples:
              textclf report --model models/sst2 sst2/dev.tsv
              textclf report --model models/reuters corpora/reuters/test.arff --html out/report.html --json out/report.json
              textclf predict --model models/sst2 sst2/dev.tsv > predicted.txt
              textclf report --predictions predicted.txt --truth dev.labels.txt --digits 4
              textclf report --model models/sms sms.tsv --bayes-error 0.01 --zero-division 1
              textclf report --model models/trec trec/test.tsv --labels all
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String?

    @Argument(help: ArgumentHelp("The labelled corpus to score the model on (with --model).", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Predicted labels: one per line, or 'textclf predict --json' lines.", valueName: "file"))
    var predictions: String?

    @Option(help: ArgumentHelp("True labels for --predictions, in the same order.", valueName: "file"))
    var truth: String?

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Option(help: ArgumentHelp("Write the report as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Write the report as a self-contained HTML page to this file.", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp(
        "Add a scatter plot of the documents to the --html page: pca or tsne of the model's last hidden layer (a logistic regression's input features, pca only), coloured by true class, misclassified documents ringed.",
        valueName: "method"))
    var projection: String?

    @Option(help: "Digits after the decimal point in the text report.")
    var digits = 2

    @Option(help: "Value of a ratio with a zero denominator: 0, 1 or nan (as scikit-learn's zero_division).")
    var zeroDivision = "0"

    @Option(help: "The classes the macro and weighted averages are over: those in the truth or predictions, or all of the model's.")
    var labels: AveragedClasses = .present

    @Option(help: "The human-level (Bayes) error for the bias/variance reading.")
    var bayesError = 0.0

    @Option(help: "A gap larger than this reads as high bias or high variance.")
    var tolerance = 0.05

    @Option(help: "Documents per batch when running the model.")
    var batchSize = 1024

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    @Option(help: "Device that runs the model: cpu, reference, opencl[:N] (an OpenCL device) or cuda[:N] (an NVIDIA GPU); see 'textclf info'.")
    var device: String = "cpu"

    @Flag(help: "Do not print the text report.")
    var quiet = false

    func validate() throws {
        if model != nil {
            guard input != nil else { throw ValidationError("--model needs the labelled corpus FILE to score") }
            guard predictions == nil, truth == nil else { throw ValidationError("give either --model FILE or --predictions with --truth") }
        } else {
            guard predictions != nil, truth != nil else {
                throw ValidationError("give --model DIR FILE, or --predictions FILE with --truth FILE")
            }
            guard input == nil else { throw ValidationError("FILE is read with --model only") }
        }
        if let projection {
            guard ["pca", "tsne"].contains(projection) else { throw ValidationError("--projection: pca or tsne (got '\(projection)')") }
            guard model != nil, html != nil else { throw ValidationError("--projection draws on the --html page of a --model report") }
        }
        guard ZeroDivision(parsing: zeroDivision) != nil else {
            throw ValidationError("--zero-division must be 0, 1 or nan (got '\(zeroDivision)')")
        }
        guard (0...15).contains(digits) else { throw ValidationError("--digits must be between 0 and 15") }
        guard (0..<1).contains(bayesError), tolerance >= 0 else {
            throw ValidationError("--bayes-error must be in [0, 1) and --tolerance >= 0")
        }
    }

    func run() throws {
        let zero = ZeroDivision(parsing: zeroDivision) ?? .zero
        let report = try model != nil ? modelReport(zeroDivision: zero) : labelFileReport(zeroDivision: zero)
        // Nothing is written until the whole report exists; each file is replaced atomically.
        if let json { try AtomicFile.write(Array(report.json().utf8), to: json) }
        if let html { try AtomicFile.write(Array(report.html(digits: max(digits, 2)).utf8), to: html) }
        if !quiet {
            var text = report.text(digits: digits)
            while text.hasSuffix("\n") { text.removeLast() }
            print(text)
            fflush(nil)  // the text before the messages on standard error
        }
        if let json { printError("wrote \(json)") }
        if let html { printError("wrote \(html)") }
    }

    /// Runs the saved model over the corpus and adds what `model.json` recorded of training.
    func modelReport(zeroDivision: ZeroDivision) throws -> EvaluationReport {
        guard let model, let input else { throw ValidationError("--model needs FILE") }
        let device = try Device(parsing: self.device)
        let (classifier, document) = try Device.withDefault(device) { try ModelFile.load(from: model) }
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { printError($0) })
        let corpus = try LabelledCorpus.read(input, data: data)
        let classes = document.classes
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let truthIDs = try corpus.labels.enumerated().map { row, label in
            guard let id = index[label] else {
                throw DataError(
                    "\(input): document \(row + 1) has the label '\(label)', which the model does not know (its classes: \(classes.joined(separator: ", ")))")
            }
            return id
        }
        let predicted = try Predict.labels(of: corpus.texts, classifier: classifier, pipeline: pipeline, batchSize: batchSize)
        let metrics = ClassificationMetrics(
            predictions: predicted, truth: truthIDs, classCount: classes.count, zeroDivision: zeroDivision,
            averagedClasses: self.labels)

        let history = document.history.map {
            EpochSummary(
                epoch: $0.epoch, trainLoss: $0.trainLoss, trainAccuracy: $0.trainAccuracy, trainMacroF1: $0.trainMacroF1,
                validationLoss: $0.validationLoss, validationAccuracy: $0.validationAccuracy,
                validationMacroF1: $0.validationMacroF1, learningRate: Double($0.learningRate), seconds: $0.seconds)
        }
        let training = document.history.isEmpty
            ? nil
            : TrainingSummary(
                epochsRun: document.history.count, bestEpoch: document.bestEpoch,
                stoppingReason: document.stoppingReason ?? "unknown",
                seconds: document.history.reduce(0) { $0 + $1.seconds })
        let reading = BiasVarianceReading(
            history: history, epoch: document.bestEpoch, bayesError: bayesError, tolerance: tolerance)
        var report = EvaluationReport(
            title: "\((model as NSString).lastPathComponent) on \((input as NSString).lastPathComponent)",
            source: "model \(model), data \(input) (\(corpus.count) documents)", classNames: classes, metrics: metrics,
            training: training, history: history, biasVariance: reading,
            options: Self.options(of: document, model: model))
        if let projection {
            let projected = classifier
            projected.isTraining = false
            let points = try Device.withDefault(device) {
                try Project.points(
                    of: corpus.texts, classifier: projected, pipeline: pipeline, method: projection, layer: nil, tsne: TSNE(),
                    activations: nil)
            }
            let what = document.architecture.kind == .logisticRegression ? "the input features" : "the last hidden layer"
            report.projection = EvaluationReport.Projection(
                title: (projection == "pca" ? "PCA" : "t-SNE") + " of " + what, x: points.map { $0[0] }, y: points.map { $0[1] },
                truth: truthIDs, predicted: predicted)
        }
        return report
    }

    /// Scores two label files line by line.
    func labelFileReport(zeroDivision: ZeroDivision) throws -> EvaluationReport {
        guard let predictions, let truth else { throw ValidationError("--predictions needs --truth") }
        let predicted = try Self.readLabels(predictions)
        let actual = try Self.readLabels(truth)
        guard predicted.count == actual.count else {
            throw DataError("\(predictions) has \(predicted.count) labels but \(truth) has \(actual.count)")
        }
        guard !actual.isEmpty else { throw DataError("\(truth): no labels") }
        let classes = Array(Set(predicted).union(actual)).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let metrics = ClassificationMetrics(
            predictions: predicted.map { index[$0]! }, truth: actual.map { index[$0]! }, classCount: classes.count,
            zeroDivision: zeroDivision, averagedClasses: labels)
        return EvaluationReport(
            title: "\((predictions as NSString).lastPathComponent) against \((truth as NSString).lastPathComponent)",
            source: "predictions \(predictions), truth \(truth) (\(actual.count) labels)", classNames: classes,
            metrics: metrics)
    }

    /// One label per line, lines ending in `\n`, `\r\n` or `\r` (``LineBreaks``); a line starting
    /// with `{` is a JSON object whose `label` is taken; a tab ends the label (`--proba` output);
    /// a label written as a JSON string (`"not spam"`, as `textclf predict` writes labels with
    /// white space, `=`, `"` or a backslash) is read as that string.
    static func readLabels(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw DataError("\(path): not UTF-8 text") }
        return try LineBreaks.lines(of: text).enumerated().map { number, line in
            if line.hasPrefix("{") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let label = object["label"]
                else {
                    throw DataError("\(path):\(number + 1): not a JSON object with a \"label\" field")
                }
                return label as? String ?? "\(label)"
            }
            let label = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if label.hasPrefix("\"") {
                guard let string = try? JSONSerialization.jsonObject(with: Data(label.utf8), options: .fragmentsAllowed) as? String else {
                    throw DataError("\(path):\(number + 1): not a JSON string: \(label)")
                }
                return string
            }
            guard !label.isEmpty else { throw DataError("\(path):\(number + 1): empty label") }
            return label
        }
    }

    /// The model's architecture and training options as ordered key/value pairs.
    static func options(of document: ModelDocument, model: String) -> [ReportOption] {
        var options = [ReportOption("model folder", model)]
        let architecture = document.architecture
        options.append(ReportOption("model", architecture.kind.rawValue))
        options.append(ReportOption("features", String(architecture.features)))
        if !architecture.hidden.isEmpty {
            options.append(ReportOption("hidden", architecture.hidden.map(String.init).joined(separator: ",")))
            options.append(ReportOption("activation", "\(architecture.activation)"))
            options.append(ReportOption("dropout", "\(architecture.dropout)"))
            options.append(ReportOption("normalization", "\(architecture.normalization)"))
        }
        options.append(ReportOption("classes", document.classes.joined(separator: ", ")))
        if let training = document.options {
            for child in Mirror(reflecting: training).children {
                guard let label = child.label, let value = RunOptionValues.describe(child.value) else { continue }
                options.append(ReportOption(label, value))
            }
        }
        return options
    }
}

extension AveragedClasses: ExpressibleByArgument {}
