import ArgumentParser
import Foundation
import TextClf

/// Labelled documents held in memory: texts, labels and where each came from.
struct LabelledCorpus {
    var texts: [String] = []
    var labels: [String] = []
    var sources: [DocumentSource] = []

    /// The number of documents.
    var count: Int { texts.count }

    /// Reads every document of the corpus at `path`; each must have a label.
    static func read(_ path: String, data: DataOptions) throws -> LabelledCorpus {
        var corpus = LabelledCorpus()
        try CorpusReader(path: path, options: data.corpusOptions(labelRequired: true)).forEach(warn: printWarning) { document in
            corpus.texts.append(document.text)
            corpus.labels.append(document.label ?? "")
            corpus.sources.append(document.source)
        }
        return corpus
    }

    /// The documents at `indices`, in that order.
    func pick(_ indices: [Int]) -> LabelledCorpus {
        LabelledCorpus(texts: indices.map { texts[$0] }, labels: indices.map { labels[$0] }, sources: indices.map { sources[$0] })
    }

    /// Class indices of the labels; an unknown label is an error naming its file and line.
    func encoded(_ encoder: LabelEncoder) throws -> [Int] {
        try zip(labels, sources).map { label, source in
            do { return try encoder.encode(label) } catch {
                throw CorpusError(
                    .invalidValue, path: source.path, line: source.line,
                    message: "label '\(label)' does not occur in the training data (\(encoder.classes.joined(separator: ", ")))")
            }
        }
    }
}

/// One training of the `train` pipeline on documents already in memory: fit the features on
/// the training documents, build the classifier, train it (with validation data for early
/// stopping and the best epoch, when given) and evaluate it.
///
/// `textclf train` runs one job on the files it reads; `textclf cv` runs one per fold and
/// `textclf search` one per trial (or per trial and fold), reading the files only once.
///
/// ```swift
/// let job = train.options.job   // of a parsed `Train`
/// let outcome = try job.run(training: corpus, validation: nil, test: nil)
/// outcome.result.history.count   // epochs run
/// ```
struct TrainingJob {
    /// The model, text stages, features, training options and `--standardize`.
    var options: TrainOptions

    /// The loss and metrics of the trained model on one set.
    struct Evaluation {
        /// The mean loss.
        var loss: Double
        /// Accuracy, per-class and averaged precision, recall and F1.
        var metrics: ClassificationMetrics
        /// The number of documents.
        var count: Int
    }

    /// What a job produced.
    struct Outcome {
        /// The classes, in index order.
        var encoder: LabelEncoder
        /// The fitted features.
        var pipeline: FeaturePipeline
        /// The trained classifier (holding the best epoch's weights when there was validation data).
        var classifier: any Classifier
        /// The trainer, with its state.
        var trainer: Trainer
        /// The history, best epoch and stopping reason.
        var result: TrainingResult
        /// The number of training documents.
        var trainingCount: Int
        /// The final model on the validation data, when given.
        var validation: Evaluation?
        /// The final model on the test data, when given.
        var test: Evaluation?
        /// Wall-clock seconds of the whole job.
        var seconds: Double
    }

    /// Where the sets came from, for error messages.
    struct Names {
        var training: String
        var validation: String?
        var test: String?
    }

    /// Runs the job.
    /// - Parameters:
    ///   - training: the training documents.
    ///   - validation: documents to validate on after each epoch (early stopping, best epoch).
    ///   - test: documents to evaluate the final model on.
    ///   - names: the files the sets came from, for messages.
    ///   - resumedFrom: a model folder whose features, classes, weights and training state to
    ///     continue from (`textclf train --resume`).
    ///   - progress: receives the feature and data lines.
    ///   - showBar: whether to draw the per-batch progress bar.
    ///   - stop: a stop signal the trainer follows (Ctrl-C).
    ///   - prepare: called with the trainer before training, after the progress handlers are
    ///     set (a run log attaches here).
    func run(
        training: LabelledCorpus, validation: LabelledCorpus?, test: LabelledCorpus?, names: Names,
        resumedFrom: String? = nil, progress: Progress = Progress(quiet: true), showBar: Bool = false, stop: StopSignal? = nil,
        prepare: (Trainer) -> Void = { _ in }
    ) throws -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        let settings = options.training
        let device = try Device(parsing: settings.device)
        var resumed: (model: any Classifier, document: ModelDocument)?
        if let resumedFrom { resumed = try ModelFile.loadForResuming(from: resumedFrom) }
        let encoder = resumed.map { LabelEncoder(classes: $0.document.classes) } ?? LabelEncoder(labels: training.labels)
        guard encoder.count >= 2 else {
            throw DataError(
                "\(names.training): the training data has only one label ('\(encoder.classes.first ?? "")'); a classifier needs two or more")
        }
        let (pipeline, trainingFeatures) = try FeaturePipeline.make(
            resumedFrom: resumedFrom, options: options, trainingTexts: training.texts, report: { progress.line($0) })
        let trainingSet = try Dataset(features: trainingFeatures, labels: training.encoded(encoder))
        let validationSet = try validation.map { try Dataset(features: pipeline.transform($0.texts), labels: $0.encoded(encoder)) }
        let testSet = try test.map { try Dataset(features: pipeline.transform($0.texts), labels: $0.encoded(encoder)) }
        progress.line(
            "data: \(trainingSet.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test "
                + "documents; \(pipeline.columnCount) features; \(encoder.count) classes")

        if resumed == nil {
            // A model too large for this machine is refused before any of it is allocated: its
            // weights, their gradients and an optimizer's two moments, as 32-bit floats.
            let requested = ModelArchitecture(
                kind: options.model == .logreg ? .logisticRegression : .mlp, features: pipeline.columnCount,
                classes: encoder.count, hidden: options.model == .logreg ? [] : settings.hiddenSizes)
            let memory = ProcessInfo.processInfo.physicalMemory
            let values = requested.valueCount
            if values.map({ UInt64($0) > memory / 16 }) ?? true {
                // 16 bytes a value, in megabytes, without multiplying (which could overflow).
                let needed = values.map { "\($0 / 62_500) MB" } ?? "more memory than can be counted"
                throw DataError(
                    "the model (\(pipeline.columnCount) features\(options.model == .logreg ? "" : ", hidden \(settings.hiddenSizes.map(String.init).joined(separator: ","))")) "
                        + "needs \(needed) for its weights, gradients and optimizer state; this machine has \(memory / 1_000_000) MB")
            }
        }
        let classifier: any Classifier
        if let resumed {
            classifier = resumed.model
        } else if options.model == .logreg {
            classifier = LogisticRegression(
                features: pipeline.columnCount, classes: encoder.count, initializer: settings.initializer, device: device,
                seed: settings.seed)
        } else {
            classifier = MLP(
                features: pipeline.columnCount, hidden: settings.hiddenSizes, classes: encoder.count,
                activation: settings.activation, dropout: settings.dropout, normalization: settings.normalization,
                initializer: settings.initializer, device: device, seed: settings.seed)
        }
        let trainer = Trainer(model: classifier, options: settings.options(), resuming: resumed?.document.training)
        let bar = ProgressBar(enabled: showBar)
        trainer.onStep = { step in bar.update(step) }
        trainer.onEpoch = { record in
            bar.clear()
            progress.line(Train.describe(record))
        }
        trainer.onLog = { line in
            bar.clear()
            progress.line(line)
        }
        prepare(trainer)
        stop?.register(trainer.cancellation)
        let result = try trainer.fit(train: trainingSet, validation: validationSet)
        bar.clear()

        let evaluate = { (set: Dataset) throws -> Evaluation in
            let (loss, metrics) = try trainer.evaluate(set)
            return Evaluation(loss: loss, metrics: metrics, count: set.count)
        }
        return Outcome(
            encoder: encoder, pipeline: pipeline, classifier: classifier, trainer: trainer, result: result,
            trainingCount: trainingSet.count, validation: try validationSet.map(evaluate), test: try testSet.map(evaluate),
            seconds: (clock.now - started).inSeconds)
    }
}
