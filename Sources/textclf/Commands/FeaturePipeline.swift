import Foundation
import TextClf

/// The features of a model: sparse (a fitted vectorizer) or dense (averaged word vectors,
/// optionally standardised), fitted afresh or read back from a model folder.
struct FeaturePipeline {
    var sparse: FittedFeatures?
    var dense: (features: EmbeddingFeatures, store: LazyEmbeddingStore, cache: EmbeddingCache?)?
    var standardizer: Standardizer?
    let report: (String) -> Void

    var columnCount: Int { sparse?.columnCount ?? dense!.features.dimension }

    /// The text stages the features analyze documents with (n-grams included).
    var analyzer: Analyzer { sparse?.analyzer ?? dense!.features.text }

    /// The pipeline of a model folder to resume, else the pipeline `options` describe, fitted
    /// on `trainingTexts`; with the training corpus's features, which a fitted pipeline takes
    /// from the same pass (the training corpus is analysed once).
    static func make(
        resumedFrom directory: String?, options: TrainOptions, trainingTexts: [String], report: @escaping (String) -> Void
    ) throws -> (pipeline: FeaturePipeline, training: Features) {
        let features = options.features, text = try options.text.analyzer()
        if let directory {
            let pipeline = try load(from: directory, cacheDir: features.cacheDir, report: report)
            return (pipeline, try pipeline.transform(trainingTexts))
        }
        if features.features == .glove {
            let (fitted, store, cache) = try features.fitEmbeddings(
                text: text, texts: trainingTexts, seed: options.training.seed, report: report)
            var pipeline = FeaturePipeline(sparse: nil, dense: (fitted, store, cache), standardizer: nil, report: report)
            var matrix = try fitted.transform(trainingTexts, store: store, cache: cache, report: report).matrix
            if options.standardize {
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
