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
    /// The processes of a data-parallel run (`mpirun`), or `nil`.
    var collective: (any Collective)?

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

        /// Throws unless the training data has two classes or more.
        func checkClasses(_ encoder: LabelEncoder) throws {
            guard encoder.count >= 2 else {
                throw DataError(
                    "\(training): the training data has only one label ('\(encoder.classes.first ?? "")'); a classifier needs two or more")
            }
        }
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
        let started = ContinuousClock.now
        let (device, resumed) = try begin(resumedFrom: resumedFrom)
        let encoder = resumed.map { LabelEncoder(classes: $0.document.classes) } ?? LabelEncoder(labels: training.labels)
        try names.checkClasses(encoder)
        let (pipeline, trainingFeatures) = try FeaturePipeline.make(
            resumedFrom: resumedFrom, options: options, trainingTexts: training.texts, report: { progress.line($0) })
        let trainingSet = try Dataset(features: trainingFeatures, labels: training.encoded(encoder))
        let validationSet = try validation.map { try Dataset(features: pipeline.transform($0.texts), labels: $0.encoded(encoder)) }
        let testSet = try test.map { try Dataset(features: pipeline.transform($0.texts), labels: $0.encoded(encoder)) }
        progress.line(
            "data: \(trainingSet.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test "
                + "documents; \(pipeline.columnCount) features; \(encoder.count) classes")
        return try train(
            encoder: encoder, pipeline: pipeline, trainingCount: trainingSet.count, device: device, resumed: resumed, progress: progress,
            showBar: showBar, stop: stop, prepare: prepare, started: started, validation: validationSet, test: testSet
        ) { trainer, _ in try trainer.fit(train: trainingSet, validation: validationSet) }
    }

    /// Runs the job on corpora streamed from their files (`textclf train --stream`): one pass
    /// learns the classes and fits the features (memory bounded by the vocabulary), and each
    /// epoch reads the training corpus again, shuffled within a buffer of `shuffleBuffer` rows
    /// (``StreamedBatches``); validation and test documents are read batch by batch. With
    /// several ranks (``collective``), each reads its own share and the features are fitted
    /// from every rank's counts. `--standardize` and `--balanced-sampling` are refused: they
    /// need the whole corpus at once.
    func runStreaming(
        training: StreamedCorpus, validation: StreamedCorpus?, test: StreamedCorpus?, shuffleBuffer: Int, names: Names,
        resumedFrom: String? = nil, progress: Progress = Progress(quiet: true), showBar: Bool = false, stop: StopSignal? = nil,
        prepare: (Trainer) -> Void = { _ in }
    ) throws -> Outcome {
        let started = ContinuousClock.now
        let settings = options.training
        guard !options.standardize else {
            throw DataError("--stream: --standardize needs the whole feature matrix; it is not streamed")
        }
        guard !settings.balancedSampling else { throw DataError("--stream: --balanced-sampling draws rows from the whole corpus; it is not streamed") }
        let (device, resumed) = try begin(resumedFrom: resumedFrom)
        // The first pass: the labels in order of first appearance, and the features fitted.
        var firstSeen: [String: Int] = [:], seen: [Int32] = []
        func record(_ document: LabeledDocument) {
            let label = document.label ?? ""
            let id = firstSeen[label] ?? firstSeen.count
            firstSeen[label] = id
            seen.append(Int32(id))
        }
        // With several ranks, each reads its own share; the counts are merged for the features.
        let share = collective.map { training.sharded(rank: $0.rank, size: $0.size) } ?? training
        var pipeline: FeaturePipeline
        if let resumedFrom {
            pipeline = try FeaturePipeline.load(from: resumedFrom, cacheDir: options.features.cacheDir, report: { progress.line($0) })
            try share.forEach(warn: printWarning, record)
        } else if options.features.features == .glove {
            let (fitted, store, _) = try options.features.fitEmbeddings(
                text: try options.text.analyzer(),
                documents: { add in
                    try share.forEach(warn: printWarning) { document in
                        add(document.text)
                        record(document)
                    }
                },
                merging: { frequencies in
                    guard let collective else { return frequencies }
                    let parts = try collective.allGather([Int32(truncatingIfNeeded: frequencies.documents)] + frequencies.counts)
                    return .merged(parts.map { DocumentFrequencies(documents: Int($0[0]), counts: Array($0.dropFirst())) })
                }, seed: settings.seed, report: { progress.line($0) })
            pipeline = FeaturePipeline(sparse: nil, dense: (fitted, store, nil), standardizer: nil, report: { progress.line($0) })
        } else {
            let specification = try options.features.specification(analyzer: try options.text.analyzer())
            do {
                let fitted = try specification.fit({ add in
                    try share.forEach(warn: printWarning) { document in
                        add(document.text)
                        record(document)
                    }
                }, merging: { counts in
                    guard let collective else { return counts }
                    return TermCounts.merged(try collective.allGather(counts.encoded).map(TermCounts.init(encoded:)))
                })
                pipeline = FeaturePipeline(sparse: fitted, dense: nil, standardizer: nil, report: { progress.line($0) })
            } catch let error as FeatureError {
                throw DataError("the training corpus: \(error)")
            }
        }
        // Streamed chunks are averaged afresh: caching each would fill the cache with pieces.
        pipeline.dense = pipeline.dense.map { (features: $0.features, store: $0.store, cache: nil) }
        var labelNames = Array(firstSeen.keys)
        if let collective {
            // Every rank's labels, so that every rank has the same classes.
            labelNames = try collective.allGather(Array(try JSONEncoder().encode(labelNames.sorted())))
                .flatMap { try JSONDecoder().decode([String].self, from: Data($0)) }
        }
        let encoder = resumed.map { LabelEncoder(classes: $0.document.classes) } ?? LabelEncoder(labels: labelNames)
        try names.checkClasses(encoder)
        var classOf = [Int](repeating: 0, count: firstSeen.count)
        for (label, id) in firstSeen {
            guard let index = try? encoder.encode(label) else {
                throw DataError("\(names.training): label '\(label)' does not occur in the resumed model's classes (\(encoder.classes.joined(separator: ", ")))")
            }
            classOf[id] = index
        }
        let labels = seen.map { classOf[Int($0)] }
        seen = []
        // With several ranks: every rank's classes (for class weights), this rank's share of
        // each batch, and the most batches any share makes.
        var allLabels = labels
        var rankLocal: (rank: Int, batchesPerEpoch: Int)?
        var batchSize = settings.batchSize
        if let collective {
            allLabels = try collective.allGather(labels.map(Int32.init)).flatMap { $0.map(Int.init) }
            let (rank, size) = (collective.rank, collective.size)
            batchSize = settings.batchSize * (rank + 1) / size - settings.batchSize * rank / size
            guard batchSize > 0 else {
                throw DataError("--batch-size \(settings.batchSize) is smaller than the \(size) ranks: give each rank a row of every batch")
            }
            let local = StreamedBatches.batches(documents: labels.count, size: batchSize, dropLast: settings.options().dropLast)
            rankLocal = (rank, try collective.allGather([Int64(local)]).map { Int($0[0]) }.max() ?? local)
        }
        let validationSet = validation.map { StreamedEvaluation(corpus: $0, features: pipeline, encoder: encoder) }
        let testSet = test.map { StreamedEvaluation(corpus: $0, features: pipeline, encoder: encoder) }
        progress.line(
            "data: \(allLabels.count) training documents, streamed (shuffle buffer \(shuffleBuffer) rows); \(pipeline.columnCount) features; "
                + "\(encoder.count) classes")
        return try train(
            encoder: encoder, pipeline: pipeline, trainingCount: allLabels.count, device: device, resumed: resumed, progress: progress,
            showBar: showBar, stop: stop, prepare: prepare, started: started, validation: validationSet, test: testSet
        ) { trainer, validation in
            let batches = StreamedBatches(
                corpus: share, features: pipeline, encoder: encoder, labels: labels, batchSize: batchSize,
                dropLast: trainer.options.dropLast, shuffle: trainer.options.shuffle && trainer.options.overfitBatches == nil,
                bufferSize: shuffleBuffer, seed: trainer.shuffleSeed, allLabels: allLabels, rankLocal: rankLocal)
            return try trainer.fit(source: batches, validation: validation)
        }
    }

    /// The device, opened, and the model folder to continue from, loaded, for either kind of job.
    private func begin(resumedFrom: String?) throws -> (device: Device, resumed: (model: any Classifier, document: ModelDocument)?) {
        let device = try Device(parsing: options.training.device)
        return (device, try resumedFrom.map { try ModelFile.loadForResuming(from: $0) })
    }

    /// The part both kinds of job share: the model built (or resumed), trained by `fit`, and
    /// evaluated on the validation and test data.
    private func train(
        encoder: LabelEncoder, pipeline: FeaturePipeline, trainingCount: Int, device: Device,
        resumed: (model: any Classifier, document: ModelDocument)?, progress: Progress, showBar: Bool, stop: StopSignal?,
        prepare: (Trainer) -> Void, started: ContinuousClock.Instant, validation: (any EvaluationData)?, test: (any EvaluationData)?,
        fit: (Trainer, (any EvaluationData)?) throws -> TrainingResult
    ) throws -> Outcome {
        let settings = options.training
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
        trainer.collective = collective
        prepare(trainer)
        stop?.register(trainer.cancellation)
        let result = try fit(trainer, validation)
        bar.clear()

        let evaluate = { (set: any EvaluationData) throws -> Evaluation in
            let (loss, metrics) = try trainer.evaluate(set)
            return Evaluation(loss: loss, metrics: metrics, count: metrics.sampleCount)
        }
        return Outcome(
            encoder: encoder, pipeline: pipeline, classifier: classifier, trainer: trainer, result: result,
            trainingCount: trainingCount, validation: try validation.map(evaluate), test: try test.map(evaluate),
            seconds: (ContinuousClock.now - started).inSeconds)
    }
}
