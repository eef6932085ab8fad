import ArgumentParser
import Dispatch
import Foundation
import TextClf

#if canImport(Glibc)
import Glibc
#endif

/// `textclf train`: labelled text in, a trained and saved classifier out.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a logistic regression or an MLP on labelled text and save it.",
        discussion: """
            Reads TRAIN, fits the features on it (the same options as 'textclf vectorize'), \
            trains with mini-batches, reports every epoch, and saves the model folder:
              model.json           architecture, labels, options, per-epoch history
              model.safetensors    weights (the best epoch's when there is validation data)
              vectorizer.json      the fitted features, so 'predict' reads raw text
              optimizer.safetensors, best.safetensors, last.safetensors   for --resume

            Validation data comes from --validation FILE or --validation-fraction F (a \
            stratified split of TRAIN, seeded). Early stopping (--patience) monitors it. \
            --seed makes the run reproducible bit for bit.

            Training into a folder that already holds a model fails unless --resume or \
            --overwrite (start afresh) is given. --resume continues the saved run with every \
            option it was trained with (data, text stages, features, model, optimizer, \
            schedule, batch size, seed, validation split, early stopping): give TRAIN, --out \
            and what changes. Only --epochs, --patience, --lr, --log-every, --threads, \
            --test and --cache-dir may change; any other option given must equal the saved \
            value. Resuming N epochs gives the weights and history of a run of N epochs \
            in one go.

            Ctrl-C stops after the current batch: model.safetensors then holds the best \
            epoch's weights, and last.safetensors with optimizer.safetensors the state at \
            the interruption, from which --resume finishes the epoch exactly as an \
            uninterrupted run would.

            Examples:
              textclf train sst2/train.tsv --validation sst2/dev.tsv --model logreg \\
                  --text whitespace,porter,sklearn --lr 0.01 --batch-size 16 --epochs 2 \\
                  --out models/sst2
              textclf train imdb/train.jsonl --test imdb/test.jsonl --model mlp \\
                  --features tfidf --hidden 64 --dropout 0.4 --validation-fraction 0.1 \\
                  --patience 2 --out models/imdb
              textclf train imdb/train.jsonl --out models/imdb --resume --epochs 8
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("The training corpus.", valueName: "train"))
    var train: String

    @Option(help: "The model: logreg or mlp.")
    var model: ModelChoice = .logreg

    @Option(help: ArgumentHelp("The model folder to write.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("A labelled corpus to validate on after each epoch.", valueName: "file"))
    var validation: String?

    @Option(help: ArgumentHelp("Hold out this fraction of TRAIN (stratified) for validation.", valueName: "fraction"))
    var validationFraction: Double?

    @Option(help: ArgumentHelp("A labelled corpus to evaluate the final model on.", valueName: "file"))
    var test: String?

    @OptionGroup var pipelineFile: PipelineOption

    @OptionGroup(title: "Text")
    var text: TextOptions

    @OptionGroup(title: "Features")
    var features: FeatureOptions

    @OptionGroup(title: "Data")
    var data: DataOptions

    @OptionGroup(title: "Training")
    var training: TrainingArguments

    @Flag(help: "Continue training the model in --out from its last state.")
    var resume = false

    @Flag(help: "Replace a model already in --out.")
    var overwrite = false

    @Flag(help: "Print nothing but errors and the final summary.")
    var quiet = false

    @Option(help: ArgumentHelp(
        "Write a summary as JSON to this file: the model folder, data, classes, every epoch, the best epoch, why training stopped, validation and test metrics.",
        valueName: "file"))
    var json: String?

    @Flag(help: "z-score dense features (glove) with training statistics, saved with the model.")
    var standardize = false

    @OptionGroup(title: "Run log")
    var runLog: RunLogOptions

    enum ModelChoice: String, ExpressibleByArgument, CaseIterable { case logreg, mlp }

    func validate() throws {
        if resume && overwrite { throw ValidationError("give either --resume or --overwrite, not both") }
        let existing = FileManager.default.fileExists(atPath: out + "/model.json")
        if resume {
            // The other options are checked with the saved ones (TrainResume).
            guard existing else { throw ValidationError("--resume: \(out) holds no model to continue") }
            return
        }
        if existing && !overwrite {
            throw ValidationError(
                "\(out) already holds a model; pass --resume to continue training it or --overwrite to start afresh")
        }
        try checkOptions()
    }

    /// Checks the options together (those of a resumed run once the saved ones are in).
    func checkOptions() throws {
        try TrainingJob(self).check()
        if validation != nil && validationFraction != nil {
            throw ValidationError("give either --validation or --validation-fraction, not both")
        }
        if let fraction = validationFraction, !(fraction > 0 && fraction < 1) {
            throw ValidationError("--validation-fraction must be between 0 and 1 (got \(fraction))")
        }
        if training.patience != nil && validation == nil && validationFraction == nil {
            throw ValidationError("--patience needs validation data: --validation FILE or --validation-fraction F")
        }
    }

    /// Reads the training, validation and test documents, splitting off the validation part
    /// when `--validation-fraction` is given.
    func readCorpora() throws -> (training: LabelledCorpus, validation: LabelledCorpus?, test: LabelledCorpus?) {
        var trainingCorpus = try LabelledCorpus.read(train, data: data)
        var validationCorpus = try validation.map { try LabelledCorpus.read($0, data: data) }
        if let fraction = validationFraction {
            (trainingCorpus, validationCorpus) = try trainingCorpus.splitValidation(fraction: fraction, seed: training.seed)
        }
        return (trainingCorpus, validationCorpus, try test.map { try LabelledCorpus.read($0, data: data) })
    }

    func run() throws {
        // The arguments as parsed (a pipeline file's included), without the subcommand's name.
        let arguments = PipelineExpansion.parsedArguments.map { Array($0.dropFirst()) }
        guard resume else { return try train(arguments: arguments) }
        switch try TrainResume.resolve(self, arguments: arguments ?? []) {
        case .finished(let sentence):
            print(sentence)
        case .train(let effective, let effectiveArguments):
            try effective.train(arguments: effectiveArguments)
        }
    }

    /// Trains with these options, recording the run; `arguments` are saved with the model
    /// for `--resume`.
    private func train(arguments: [String]?) throws {
        let recorder = runLog.recorder(command: "train", options: self, modelPath: out)
        var metrics: [String: Double] = [:]
        do {
            try run(recorder: recorder, metrics: &metrics, arguments: arguments)
            recorder.finish(.completed, metrics: metrics)
        } catch {
            recorder.finish(throwing: error, metrics: metrics)
            throw error
        }
    }

    private func run(recorder: RunRecorder, metrics: inout [String: Double], arguments: [String]?) throws {
        let clock = ContinuousClock()
        let started = clock.now
        let progress = Progress(quiet: quiet)
        CPUBackend.threads = training.threads ?? CPUBackend.usableCores

        let corpora = try readCorpora()
        recorder.update(data: Self.describeData(train: train, corpora.training, validation: validation, corpora.validation, test: test, corpora.test))
        var interrupt: InterruptHandler?
        defer { interrupt?.cancel() }
        let outcome = try TrainingJob(self).run(
            training: corpora.training, validation: corpora.validation, test: corpora.test,
            names: .init(training: train, validation: validation ?? train, test: test), resumedFrom: resume ? out : nil,
            progress: progress, showBar: !quiet,
            prepare: { trainer in
                recorder.attach(to: trainer)
                let cancellation = trainer.cancellation
                interrupt = InterruptHandler { cancellation.set() }
            })
        interrupt?.cancel()
        interrupt = nil
        let result = outcome.result
        metrics = RunMetric.of(result)
        if let evaluation = outcome.test {
            metrics[RunMetric.testAccuracy] = evaluation.metrics.accuracy
            metrics[RunMetric.testMacroF1] = evaluation.metrics.macro.f1
            metrics[RunMetric.testLoss] = evaluation.loss
        }

        var document = ModelDocument(
            architecture: outcome.classifier.architecture, classes: outcome.encoder.classes, options: outcome.trainer.options,
            history: result.history, bestEpoch: result.bestEpoch, stoppingReason: result.stoppingReason.description,
            training: outcome.trainer.state)
        document.arguments = arguments.map(TrainResume.savedArguments)
        try outcome.pipeline.save(into: out, document: &document, classifier: outcome.classifier)

        print("\(result.stoppingReason.description); best epoch \(result.bestEpoch.map(String.init) ?? "-")")
        if let evaluation = outcome.validation,
            let best = result.bestEpoch.flatMap({ epoch in result.history.first { $0.epoch == epoch } }) ?? result.history.last
        {
            let accuracy = best.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-"
            let f1 = best.validationMacroF1.map { String(format: "%.4f", $0) } ?? "-"
            print("validation: accuracy \(accuracy), macro-F1 \(f1) (epoch \(best.epoch))")
            print("validation F1 per class (saved model): " + zip(outcome.encoder.classes, evaluation.metrics.perClass).map {
                "\($0.0) \(String(format: "%.4f", $0.1.f1))"
            }.joined(separator: ", "))
        }
        if let evaluation = outcome.test {
            print(
                String(format:
                    "test: accuracy %.4f, macro-F1 %.4f, loss %.4f (%ld documents)", evaluation.metrics.accuracy,
                    evaluation.metrics.macro.f1, evaluation.loss, evaluation.count))
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("saved \(out) in " + String(format: "%.2f s", seconds))
        if let json {
            let summary = TrainSummary(outcome: outcome, model: out, train: train, seconds: seconds)
            try SummaryFile.write(summary, to: json)
            progress.line("wrote \(json)")
        }
        if case .cancelled(let epoch, let step) = result.stoppingReason {
            let weights = result.restoredBest
                ? "model.safetensors holds the best epoch's weights (epoch \(result.bestEpoch.map(String.init) ?? "-"))"
                : "no epoch was complete, so model.safetensors holds the weights at the interruption"
            print("interrupted in epoch \(epoch) after step \(step): \(weights); continue with: textclf train \(train) --out \(out) --resume")
            throw ExitCode(130)
        }
    }

    /// The run log's description of the data: each file and its document count.
    static func describeData(
        train: String, _ training: LabelledCorpus, validation: String?, _ validationCorpus: LabelledCorpus?, test: String?,
        _ testCorpus: LabelledCorpus?
    ) -> String {
        var parts = ["\(train): \(training.count) training documents"]
        if let validationCorpus {
            parts.append(validation.map { "\($0): \(validationCorpus.count) validation documents" }
                ?? "\(validationCorpus.count) validation documents held out")
        }
        if let test, let testCorpus { parts.append("\(test): \(testCorpus.count) test documents") }
        return parts.joined(separator: "; ")
    }
}

extension Train {
    /// One line per epoch: losses, accuracies, macro-F1, learning rate and time.
    static func describe(_ record: EpochRecord) -> String {
        var line = String(format: "epoch %ld: train loss %.4f, accuracy %.4f", record.epoch, record.trainLoss, record.trainAccuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += String(format: "; validation loss %.4f, accuracy %.4f", loss, accuracy)
            if let f1 = record.validationMacroF1 { line += String(format: ", macro-F1 %.4f", f1) }
        }
        line += String(format: "; lr %g; %.2f s", Double(record.learningRate), record.seconds)
        return line
    }
}

/// What `textclf train --json FILE` writes.
struct TrainSummary: Encodable {
    /// Scores of the saved model on one set.
    struct Scores: Encodable {
        var documents: Int
        var loss: Double
        var accuracy: Double
        var macroF1: Double
        var weightedF1: Double
        var perClass: [String: PrecisionRecallF1]
        enum CodingKeys: String, CodingKey {
            case documents, loss, accuracy, perClass = "per_class", macroF1 = "macro_f1", weightedF1 = "weighted_f1"
        }

        init(_ evaluation: TrainingJob.Evaluation, classes: [String]) {
            documents = evaluation.count
            loss = evaluation.loss
            accuracy = evaluation.metrics.accuracy
            macroF1 = evaluation.metrics.macro.f1
            weightedF1 = evaluation.metrics.weighted.f1
            perClass = Dictionary(uniqueKeysWithValues: zip(classes, evaluation.metrics.perClass))
        }
    }

    var model: String
    var train: String
    var trainingDocuments: Int
    var features: Int
    var classes: [String]
    var epochs: [EpochRecord]
    var bestEpoch: Int?
    var stoppingReason: String
    var interrupted: Bool
    var validation: Scores?
    var test: Scores?
    var seconds: Double
    enum CodingKeys: String, CodingKey {
        case model, train, features, classes, epochs, interrupted, validation, test, seconds
        case trainingDocuments = "training_documents", bestEpoch = "best_epoch", stoppingReason = "stopping_reason"
    }

    init(outcome: TrainingJob.Outcome, model: String, train: String, seconds: Double) {
        self.model = model
        self.train = train
        trainingDocuments = outcome.trainingCount
        features = outcome.pipeline.columnCount
        classes = outcome.encoder.classes
        epochs = outcome.result.history
        bestEpoch = outcome.result.bestEpoch
        stoppingReason = outcome.result.stoppingReason.description
        if case .cancelled = outcome.result.stoppingReason { interrupted = true } else { interrupted = false }
        validation = outcome.validation.map { Scores($0, classes: outcome.encoder.classes) }
        test = outcome.test.map { Scores($0, classes: outcome.encoder.classes) }
        self.seconds = seconds
    }
}

/// The features of a model: sparse (a fitted vectorizer) or dense (averaged word vectors,
/// optionally standardised), fitted afresh or read back from a model folder.
struct FeaturePipeline {
    var sparse: FittedFeatures?
    var dense: (features: EmbeddingFeatures, store: LazyEmbeddingStore, cache: EmbeddingCache?)?
    var standardizer: Standardizer?
    let report: (String) -> Void

    var columnCount: Int { sparse?.columnCount ?? dense!.features.dimension }

    /// The pipeline for a run, with the training corpus's features: read back from the model
    /// folder being resumed, or fitted on `trainingTexts`, whose features come from the same
    /// pass (the training corpus is analysed once).
    static func make(
        resumedFrom directory: String?, features: FeatureOptions, text: Analyzer, trainingTexts: [String], standardize: Bool,
        seed: UInt64, report: @escaping (String) -> Void
    ) throws -> (pipeline: FeaturePipeline, training: Features) {
        if let directory {
            let pipeline = try load(from: directory, cacheDir: features.cacheDir, report: report)
            return (pipeline, try pipeline.transform(trainingTexts))
        }
        if features.features == .glove {
            let (fitted, store, cache) = try features.fitEmbeddings(text: text, texts: trainingTexts, seed: seed, report: report)
            var pipeline = FeaturePipeline(sparse: nil, dense: (fitted, store, cache), standardizer: nil, report: report)
            var matrix = try fitted.transform(trainingTexts, store: store, cache: cache, report: report).matrix
            if standardize {
                let standardizer = try Standardizer(fitting: matrix)
                pipeline.standardizer = standardizer
                matrix = try standardizer.transform(matrix)
            }
            return (pipeline, .dense(matrix))
        }
        let specification = try features.specification(analyzer: text)
        do {
            let (fitted, matrix) = try specification.fitTransform(trainingTexts)
            return (FeaturePipeline(sparse: fitted, dense: nil, standardizer: nil, report: report), .sparse(matrix))
        } catch let error as FeatureError {
            throw DataError("the training corpus: \(error)")
        }
    }

    /// The pipeline saved in a model folder (`vectorizer.json` or `embeddings.json`, and `standardizer.json`).
    static func load(from directory: String, cacheDir: String?, report: @escaping (String) -> Void) throws -> FeaturePipeline {
        let embeddingsPath = directory + "/embeddings.json"
        var pipeline: FeaturePipeline
        if FileManager.default.fileExists(atPath: embeddingsPath) {
            let features = try EmbeddingFeatures.load(path: embeddingsPath)
            let cache = EmbeddingCache(directory: cacheDir)
            pipeline = FeaturePipeline(sparse: nil, dense: (features, features.store(cache: cache, report: report), cache), standardizer: nil, report: report)
        } else {
            pipeline = FeaturePipeline(sparse: try FittedFeatures.load(path: directory + "/vectorizer.json").features, dense: nil, standardizer: nil, report: report)
        }
        let standardizerPath = directory + "/standardizer.json"
        if let data = FileManager.default.contents(atPath: standardizerPath) {
            do { pipeline.standardizer = try JSONDecoder().decode(Standardizer.self, from: data) } catch {
                throw DataError("\(standardizerPath): not a valid standardizer (\(error))")
            }
        }
        return pipeline
    }

    /// The features of `texts`.
    func transform(_ texts: [String]) throws -> Features {
        if let sparse { return .sparse(try sparse.transform(texts)) }
        let (features, store, cache) = dense!
        var matrix = try features.transform(texts, store: store, cache: cache, report: report).matrix
        if let standardizer { matrix = try standardizer.transform(matrix) }
        return .dense(matrix)
    }

    /// Saves the model with these features beside it.
    func save(into directory: String, document: inout ModelDocument, classifier: any Classifier) throws {
        var standardizerJSON: Data?
        if let standardizer {
            standardizerJSON = try JSONEncoder().encode(standardizer)
        } else {
            _ = unlink(directory + "/standardizer.json")  // files of an earlier model; none is fine
        }
        // Written with the model's files, in one batch.
        let batch = AtomicFile.Batch()
        if let dense {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try batch.add(try dense.features.encodedFile(), to: directory + "/embeddings.json")
            document.vectorizer = "embeddings.json"
            _ = unlink(directory + "/vectorizer.json")
        } else {
            _ = unlink(directory + "/embeddings.json")
        }
        try ModelFile.save(
            classifier, document: document, to: directory, vectorizer: sparse, standardizerJSON: standardizerJSON, batch: batch)
    }
}

/// Training options shared by `train` (and later `cv` and `search`).
struct TrainingArguments: ParsableArguments {
    @Option(help: "Optimizer: sgd, adam, adamw, adagrad or rmsprop.")
    var optimizer: OptimizerKind = .adam
    @Option(help: "Learning rate.")
    var lr: Float = 0.01
    @Option(help: "Momentum (sgd and rmsprop only).")
    var momentum: Float = 0
    @Flag(help: "Nesterov momentum (sgd only, with --momentum).")
    var nesterov = false
    @Option(help: "Weight decay (decoupled for adamw, as L2 otherwise), on weights only.")
    var weightDecay: Float = 0
    @Option(help: "L1 penalty strength on weights.")
    var l1: Float = 0
    @Option(help: "L2 penalty strength on weights.")
    var l2: Float = 0
    @Option(help: "Learning-rate schedule per epoch: none, step, exponential, cosine, inverse-time or warmup.")
    var schedule: String = "none"
    @Option(help: "Schedule factor (step, exponential) or decay (inverse-time).")
    var gamma: Float = 0.5
    @Option(help: "Epochs per step (step), or the period (cosine, warmup).")
    var stepSize: Int = 1
    @Option(help: "Epochs.")
    var epochs: Int = 10
    @Option(help: "Mini-batch size.")
    var batchSize: Int = 32
    @Option(help: "Stop after this many epochs without improvement of --monitor (needs validation data).")
    var patience: Int?
    @Option(help: "What early stopping and the best model watch: val-loss, val-accuracy or val-f1.")
    var monitor: String = "val-loss"
    @Option(help: "The smallest change that counts as an improvement.")
    var minDelta: Double = 0
    @Option(help: ArgumentHelp("MLP hidden layer sizes, comma-separated (default: 64).", valueName: "sizes"))
    var hidden: String?
    @Option(help: "MLP activation: \(HelpText.choices(of: ActivationKind.self)).")
    var activation: String = "relu"
    @Option(help: "MLP dropout probability after each hidden layer.")
    var dropout: Float = 0
    @Flag(help: "MLP batch normalisation after each hidden layer.")
    var batchNorm = false
    @Flag(help: "MLP layer normalisation after each hidden layer.")
    var layerNorm = false
    @Option(help: "Weight initialiser: pytorch, xavier-uniform, xavier-normal, kaiming-uniform, kaiming-normal or zeros.")
    var initializer: String = "pytorch"
    @Option(help: "Class weights in the loss: none or balanced.")
    var classWeight: String = "none"
    @Flag(help: "Sample training rows so that every class is equally likely (with replacement).")
    var balancedSampling = false
    @Option(help: "Clip the gradients' total norm to this value.")
    var clipNorm: Float?
    @Option(help: "Seed for initialisation, shuffling and dropout.")
    var seed: UInt64 = 0
    @Option(help: "BLAS threads (default: the cores).")
    var threads: Int?
    @Option(help: "Device: cpu or reference.")
    var device: String = "cpu"
    @Option(help: "Log the mean training loss every N steps.")
    var logEvery: Int?
    @Option(help: "Train on the first N batches only, to check that the loss goes to about 0.")
    var overfitBatches: Int?

    func check() throws {
        guard epochs >= 1, batchSize >= 1 else { throw ValidationError("--epochs and --batch-size must be at least 1") }
        guard lr > 0 else { throw ValidationError("--lr must be positive (got \(lr))") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        // Options that would do nothing are refused rather than ignored.
        if momentum != 0 && ![.sgd, .rmsprop].contains(optimizer) {
            throw ValidationError("--momentum applies to --optimizer sgd or rmsprop, not \(optimizer.rawValue)")
        }
        if nesterov && optimizer != .sgd {
            throw ValidationError("--nesterov applies to --optimizer sgd, not \(optimizer.rawValue)")
        }
        if nesterov && momentum <= 0 {
            throw ValidationError("--nesterov needs a positive --momentum (got \(momentum))")
        }
        if batchNorm && layerNorm { throw ValidationError("give --batch-norm or --layer-norm, not both") }
        _ = try hiddenSizesChecked()
        _ = try monitorValue()
        _ = try scheduleOptions()
        guard ActivationKind(rawValue: activation) != nil else {
            throw ValidationError("--activation: unknown '\(activation)' (\(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard InitializerKind(rawValue: initializer) != nil else {
            throw ValidationError("--initializer: unknown '\(initializer)' (\(InitializerKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard ["none", "balanced"].contains(classWeight) else { throw ValidationError("--class-weight: none or balanced") }
        _ = try Device(parsing: device)
    }

    func hiddenSizesChecked() throws -> [Int] {
        guard let hidden else { return [64] }
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--hidden: expected positive sizes separated by commas, e.g. 64,32 (got '\(hidden)')")
        }
        return sizes.map { $0! }
    }

    var hiddenSizes: [Int] { (try? hiddenSizesChecked()) ?? [64] }
    var activationKind: ActivationKind { ActivationKind(rawValue: activation) ?? .relu }
    var normalization: NormalizationKind { batchNorm ? .batch : (layerNorm ? .layer : .none) }
    var initializerKind: InitializerKind { InitializerKind(rawValue: initializer) ?? .pytorchDefault }

    func monitorValue() throws -> Monitor {
        switch monitor {
        case "val-loss": return .valLoss
        case "val-accuracy": return .valAccuracy
        case "val-f1": return .valF1
        default: throw ValidationError("--monitor: val-loss, val-accuracy or val-f1 (got '\(monitor)')")
        }
    }

    func scheduleOptions() throws -> ScheduleOptions? {
        if schedule == "none" { return nil }
        guard let kind = ScheduleOptions.Kind(rawValue: schedule) else {
            throw ValidationError("--schedule: none, \(ScheduleOptions.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(schedule)')")
        }
        return ScheduleOptions(kind: kind, stepSize: stepSize, gamma: gamma, period: stepSize, decay: gamma)
    }

    func options() -> TrainingOptions {
        var options = TrainingOptions()
        options.optimizer = optimizer
        options.learningRate = lr
        options.momentum = momentum
        options.nesterov = nesterov
        options.weightDecay = weightDecay
        options.l1 = l1
        options.l2 = l2
        options.schedule = try? scheduleOptions()
        options.clipNorm = clipNorm
        options.classWeights = classWeight == "balanced" ? .balanced : nil
        options.patience = patience
        options.monitor = (try? monitorValue()) ?? .valLoss
        options.minDelta = minDelta
        options.overfitBatches = overfitBatches
        options.seed = seed
        options.logEvery = logEvery
        options.epochs = epochs
        options.batchSize = batchSize
        options.balancedSampling = balancedSampling
        return options
    }
}

extension OptimizerKind: ExpressibleByArgument {}

/// Stops training cleanly on Ctrl-C: the first SIGINT sets the trainer's flag (it stops after
/// the current batch and the command saves a checkpoint); a second one ends the process.
final class InterruptHandler {
    private let source: DispatchSourceSignal

    /// Begins handling SIGINT.
    /// - Parameters:
    ///   - message: what the first Ctrl-C prints.
    ///   - onInterrupt: called on the first Ctrl-C.
    init(
        message: String = "interrupted: stopping after the current batch and saving a checkpoint (Ctrl-C again to quit now)",
        _ onInterrupt: @escaping @Sendable () -> Void
    ) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let counter = InterruptCounter()
        source.setEventHandler {
            if counter.increment() > 1 { exit(130) }
            printError("\n" + message)
            onInterrupt()
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

final class InterruptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}

/// A one-line progress bar on standard error, drawn only on a terminal.
final class ProgressBar {
    private let enabled: Bool
    private var lastDraw = DispatchTime.now().uptimeNanoseconds
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled && isatty(2) == 1 }

    func update(_ step: StepProgress) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || step.step == step.stepsPerEpoch else { return }
        lastDraw = now
        let width = 30
        let filled = step.stepsPerEpoch == 0 ? width : width * step.step / step.stepsPerEpoch
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        printError(
            String(format: "\repoch %ld [", step.epoch) + bar + String(format: "] %ld/%ld loss %.4f", step.step, step.stepsPerEpoch, step.loss),
            newline: false)
        drawn = true
    }

    func clear() {
        guard drawn else { return }
        printError("\r" + String(repeating: " ", count: 78) + "\r", newline: false)
        drawn = false
    }
}
