import Foundation
import TextClfTensor
import TextClfText

/// Dense document features: the average (or sum, or TF-IDF-weighted mean) of the word
/// vectors of a document's tokens. Saved as `embeddings.json`, with everything needed to
/// turn new text into the same features: the embeddings file, the text stages, the
/// averaging options and the fitted document frequencies.
///
/// The embeddings load through the ``EmbeddingCache`` (parsed once, then read back from the
/// SQLite cache), and the averaged matrix of a corpus is cached too, keyed by the texts, the
/// text stages, the embeddings file and the averaging options, so that a second run of the
/// same pipeline skips the work.
public struct EmbeddingFeatures: Sendable, Equatable, Codable {
    /// The format name written in every `embeddings.json`.
    public static let fileFormat = "textclf-embedding-features"
    /// The version of the `embeddings.json` layout this build writes and reads.
    public static let fileVersion = 1

    public var format: String = fileFormat
    public var version: Int = fileVersion
    /// The embeddings file (absolute path).
    public var embeddings: String
    /// Its format, or `nil` to detect it.
    public var embeddingsFormat: EmbeddingFormat?
    /// Skip malformed lines of the embeddings file instead of failing.
    public var skipBadLines: Bool
    /// The text stages.
    public var text: Analyzer
    /// How token vectors are combined.
    public var weighting: EmbeddingAverager.Weighting
    /// What unknown tokens do.
    public var unknownWords: EmbeddingAverager.UnknownWords
    /// The vectors' width (the number of feature columns).
    public var dimension: Int
    /// Document frequencies fitted on the training texts (TF-IDF weighting only).
    public var frequencies: DocumentFrequencies?

    var averager: EmbeddingAverager {
        EmbeddingAverager(analyzer: text, weighting: weighting, unknownWords: unknownWords)
    }

    /// Prepares the embeddings (through the cache), and fits the document frequencies on
    /// `trainingTexts` when the weighting needs them.
    ///
    /// The vectors themselves are loaded only when first needed: when the cache already
    /// holds a fresh entry for the file, its width comes from the cache's index, and a run
    /// whose averaged matrices are all cached never maps the store (see
    /// ``LazyEmbeddingStore``). TF-IDF weighting loads them at once, to count frequencies.
    /// - Throws: ``EmbeddingError`` for an unreadable or malformed embeddings file.
    public static func fit(
        embeddings path: String, format: EmbeddingFormat?, skipBadLines: Bool, text: Analyzer,
        weighting: EmbeddingAverager.Weighting, unknownWords: EmbeddingAverager.UnknownWords,
        trainingTexts: [String], cache: EmbeddingCache, report: @escaping (String) -> Void
    ) throws -> (features: EmbeddingFeatures, store: LazyEmbeddingStore) {
        try fit(
            embeddings: path, format: format, skipBadLines: skipBadLines, text: text, weighting: weighting, unknownWords: unknownWords,
            trainingDocuments: { add in trainingTexts.forEach(add) }, chunk: max(trainingTexts.count, 1), merging: { $0 }, cache: cache,
            report: report)
    }

    /// ``fit(embeddings:format:skipBadLines:text:weighting:unknownWords:trainingTexts:cache:report:)``
    /// on training documents streamed from `source`, which is called once whatever the
    /// weighting: with TF-IDF weighting their document frequencies are counted `chunk`
    /// documents at a time, and `merge` combines them with other shares' (the ranks of a
    /// data-parallel run), so memory is bounded by the vocabulary of the vectors.
    public static func fit(
        embeddings path: String, format: EmbeddingFormat?, skipBadLines: Bool, text: Analyzer,
        weighting: EmbeddingAverager.Weighting, unknownWords: EmbeddingAverager.UnknownWords,
        trainingDocuments source: ((String) -> Void) throws -> Void, chunk: Int = 4096,
        merging merge: (DocumentFrequencies) throws -> DocumentFrequencies, cache: EmbeddingCache, report: @escaping (String) -> Void
    ) throws -> (features: EmbeddingFeatures, store: LazyEmbeddingStore) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        func features(dimension: Int) -> EmbeddingFeatures {
            EmbeddingFeatures(
                embeddings: absolute, embeddingsFormat: format, skipBadLines: skipBadLines, text: text, weighting: weighting,
                unknownWords: unknownWords, dimension: dimension, frequencies: nil)
        }
        if weighting != .tfidf, let described = cache.describe(path: absolute, format: format, skipBadLines: skipBadLines) {
            try source { _ in }
            let fitted = features(dimension: described.dimension)
            return (fitted, fitted.store(cache: cache, report: report))
        }
        let (store, _) = try cache.load(path: absolute, format: format, skipBadLines: skipBadLines, report: report)
        var fitted = features(dimension: store.dimension)
        guard weighting == .tfidf else {
            try source { _ in }
            return (fitted, LazyEmbeddingStore(loaded: store))
        }
        var parts: [DocumentFrequencies] = []
        var documents: [String] = []
        func count() {
            guard !documents.isEmpty else { return }
            parts.append(fitted.averager.fitDocumentFrequencies(documents, vectors: store))
            parts = [DocumentFrequencies.merged(parts)]
            documents.removeAll(keepingCapacity: true)
        }
        try source { document in
            documents.append(document)
            if documents.count >= chunk { count() }
        }
        count()
        fitted.frequencies = try merge(parts.first ?? fitted.averager.fitDocumentFrequencies([], vectors: store))
        return (fitted, LazyEmbeddingStore(loaded: store))
    }

    /// The embeddings these features use, loaded through the cache on first use.
    ///
    /// Loading throws ``EmbeddingError``, or ``FeatureError`` when the file's width changed.
    public func store(cache: EmbeddingCache, report: @escaping (String) -> Void) -> LazyEmbeddingStore {
        LazyEmbeddingStore { [self] in try loadStore(cache: cache, report: report) }
    }

    /// Loads the embeddings these features use (through the cache).
    /// - Throws: ``EmbeddingError``, or ``FeatureError`` when the file's width changed.
    public func loadStore(cache: EmbeddingCache, report: (String) -> Void) throws -> EmbeddingStore {
        let (store, _) = try cache.load(path: embeddings, format: embeddingsFormat, skipBadLines: skipBadLines, report: report)
        guard store.dimension == dimension else {
            throw FeatureError.invalidOption(
                "\(embeddings) now holds \(store.dimension)-dimensional vectors, but the features were fitted with \(dimension)")
        }
        return store
    }

    /// The `[texts.count, dimension]` matrix of `texts`, read from the cache when this exact
    /// work was done before, and stored there otherwise; `store` is loaded only then.
    /// - Returns: The matrix, the averaging report (`nil` when read from the cache) and whether it was cached.
    public func transform(
        _ texts: [String], store: LazyEmbeddingStore, cache: EmbeddingCache?, report: (String) -> Void
    ) throws -> (matrix: Tensor, report: AveragingReport?, cached: Bool) {
        let key = cacheKey(texts, contentHash: cache.flatMap { try? $0.contentHash(path: embeddings, report: report) })
        if let cache, let hit = cache.loadAveragedTensor(key: key, rows: texts.count, dimension: dimension, report: report) {
            return (hit, nil, true)
        }
        let (values, averaging) = try averager.transform(texts, vectors: try store.load(), frequencies: frequencies)
        if let cache {
            try? cache.storeAveraged(key: key, rows: texts.count, dimension: dimension, vectors: values, report: report)
        }
        return (try Tensor(shape: [texts.count, dimension], values: values, device: .cpu), averaging, false)
    }

    /// The averaged-matrix cache key: a hash (``EmbeddingCache``'s word-at-a-time FNV-1a
    /// variant) of the texts, the text stages, the embeddings file's identity (path, size,
    /// modification time and the cache's sampled `contentHash` of it) and the averaging options.
    func cacheKey(_ texts: [String], contentHash: String?) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ string: String) {
            var copy = string
            copy.withUTF8 { hash = EmbeddingCache.hash64(UnsafeRawBufferPointer($0), seed: hash) }
            hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3
        }
        for text in texts { mix(text) }
        let info = try? EmbeddingCache.fileInfo(embeddings)
        let size = info?.size ?? -1
        let modified = info?.mtime ?? -1
        mix(text.description)
        mix("\(embeddings)|\(size)|\(modified)|\(contentHash ?? "-")|\(weighting.rawValue)|\(unknownWords)|\(skipBadLines)")
        if let frequencies { mix(frequencies.counts.map(String.init).joined(separator: ",")) }
        return "avg-" + String(hash, radix: 16) + "-\(texts.count)"
    }

    /// The JSON of `embeddings.json`.
    public func encodedFile() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads an `embeddings.json`, checking its format and version.
    /// - Throws: ``FeatureError/badVectorizerFile(path:reason:)`` naming what is wrong.
    public static func load(path: String) throws -> EmbeddingFeatures {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FeatureError.badVectorizerFile(path: path, reason: "no such file or not readable")
        }
        let features: EmbeddingFeatures
        do { features = try JSONDecoder().decode(EmbeddingFeatures.self, from: data) } catch {
            throw FeatureError.badVectorizerFile(path: path, reason: "not a valid embeddings.json (\(error))")
        }
        guard features.format == fileFormat else {
            throw FeatureError.badVectorizerFile(path: path, reason: "not textclf embedding features (format '\(features.format)')")
        }
        guard features.version == fileVersion else {
            throw FeatureError.badVectorizerFile(
                path: path, reason: "embedding-features version \(features.version); this textclf reads version \(fileVersion)")
        }
        return features
    }
}

/// Word vectors loaded on first use, then kept: ``EmbeddingFeatures`` asks for them only when
/// averaged matrices must be computed, so a run served wholly by the cache never maps,
/// checks or parses the embeddings. Safe to share between threads (one load at a time).
public final class LazyEmbeddingStore: @unchecked Sendable {
    private let loader: () throws -> EmbeddingStore
    private let lock = NSLock()
    private var loaded: EmbeddingStore?

    /// Vectors that `loader` loads on the first ``load()``; a load that throws is retried by
    /// the next call.
    public init(_ loader: @escaping () throws -> EmbeddingStore) { self.loader = loader }

    /// Vectors already in hand.
    public init(loaded store: EmbeddingStore) {
        loader = { store }
        loaded = store
    }

    /// The vectors, loaded now if this is the first call.
    /// - Throws: whatever the loader throws.
    public func load() throws -> EmbeddingStore {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        let store = try loader()
        loaded = store
        return store
    }

    /// Whether the vectors have been loaded.
    public var isLoaded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return loaded != nil
    }
}
