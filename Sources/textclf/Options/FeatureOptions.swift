import ArgumentParser
import Foundation
import TextClf

/// The features: shared by `vectorize`, `train`, `cv` and `search`.
struct FeatureOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Feature kind: \(HelpText.choices(of: FeatureKind.self)).",
        discussion: "counts, tfidf and hashing are sparse word features; glove averages word vectors (--embeddings FILE)."))
    var features: FeatureKind = .counts

    @Option(help: ArgumentHelp("Word n-grams of the final tokens, e.g. 1..2 (appended as the last text stage).", valueName: "min..max"))
    var ngram: String = "1..1"

    @Option(help: ArgumentHelp("Drop terms in fewer documents: a count (5) or a fraction (0.01).", valueName: "n|fraction"))
    var minDF: String = "1"

    @Option(help: ArgumentHelp("Drop terms in more documents: a count (500) or a fraction (0.5).", valueName: "n|fraction"))
    var maxDF: String = "1.0"

    @Option(help: "Keep only the terms with the highest total count (ties broken by term order).")
    var maxFeatures: Int?

    @Flag(help: "Record presence (1) instead of counts.")
    var binary = false

    @Option(help: "Row normalisation for tfidf and hashing: l2, l1 or none.")
    var norm: TfidfTransformer.Norm = .l2

    @Flag(name: .customLong("no-idf"), help: "TF-IDF without inverse document frequency.")
    var noIDF = false

    @Flag(name: .customLong("no-smooth-idf"), help: "Do not add one to document frequencies.")
    var noSmoothIDF = false

    @Flag(help: "Use 1 + ln(tf) for term frequencies.")
    var sublinearTF = false

    @Option(help: "The number of hashed columns.")
    var hashFeatures: Int = 1 << 20

    @Flag(help: "Hash without alternating signs (every occurrence adds +1).")
    var noAlternateSign = false

    @Option(help: ArgumentHelp(
        "Word vectors for --features glove: GloVe or word2vec text, or word2vec binary.",
        discussion: "embeddings/fetch-glove.sh writes embeddings/glove.6B.50d.txt. The file is parsed once and cached.",
        valueName: "file"))
    var embeddings: String?

    @Option(help: "The embeddings' format: glove, word2vec-text or word2vec-binary (default: detected).")
    var embeddingsFormat: EmbeddingFormat?

    @Flag(help: "Skip malformed lines of the embeddings file (they are counted) instead of failing.")
    var skipBadLines = false

    @Option(help: "Unknown words in glove features: skip, zero (count in the mean as zero vectors) or unk (one random vector).")
    var oov: String = "skip"

    @Option(help: "How glove features combine a document's word vectors: mean, tfidf (IDF-weighted mean) or sum.")
    var weighting: EmbeddingAverager.Weighting = .mean

    @Option(help: ArgumentHelp("The cache folder (default: $TEXTCLF_CACHE_DIR, else ~/.cache/textclf).", valueName: "dir"))
    var cacheDir: String?

    /// The unknown-word policy.
    func unknownWords(seed: UInt64) throws -> EmbeddingAverager.UnknownWords {
        switch oov {
        case "skip": return .skip
        case "zero": return .zero
        case "unk": return .unk(seed: seed)
        default: throw ValidationError("--oov: skip, zero or unk (got '\(oov)')")
        }
    }

    /// Checks the options together, the word-vector ones included.
    func check() throws {
        _ = try specification(analyzer: .sklearnDefault)
        _ = try unknownWords(seed: 0)
        if features == .glove {
            guard let embeddings else { throw ValidationError("--features glove needs --embeddings FILE (see embeddings/fetch-glove.sh)") }
            guard FileManager.default.fileExists(atPath: embeddings) else {
                throw ValidationError("--embeddings: \(embeddings): no such file (embeddings/fetch-glove.sh writes embeddings/glove.6B.50d.txt)")
            }
        }
    }

    /// Fits word-vector features on `texts`, reporting cache messages through `report`.
    func fitEmbeddings(text: Analyzer, texts: [String], seed: UInt64, report: @escaping (String) -> Void) throws -> (
        EmbeddingFeatures, LazyEmbeddingStore, EmbeddingCache
    ) {
        try fitEmbeddings(text: text, documents: { add in texts.forEach(add) }, merging: { $0 }, seed: seed, report: report)
    }

    /// Fits word-vector features on documents streamed from `source` (called once), their
    /// document frequencies combined with other shares' by `merge` (`textclf train --stream`).
    func fitEmbeddings(
        text: Analyzer, documents source: ((String) -> Void) throws -> Void, merging merge: (DocumentFrequencies) throws -> DocumentFrequencies,
        seed: UInt64, report: @escaping (String) -> Void
    ) throws -> (EmbeddingFeatures, LazyEmbeddingStore, EmbeddingCache) {
        let cache = EmbeddingCache(directory: cacheDir)
        let (fitted, store) = try EmbeddingFeatures.fit(
            embeddings: embeddings!, format: embeddingsFormat, skipBadLines: skipBadLines, text: text, weighting: weighting,
            unknownWords: try unknownWords(seed: seed), trainingDocuments: source, merging: merge, cache: cache, report: report)
        return (fitted, store, cache)
    }

    func specification(analyzer: Analyzer) throws -> FeatureSpecification {
        let parts = ngram.components(separatedBy: "..")
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low >= 1, high >= low else {
            throw ValidationError("--ngram: expected MIN..MAX with 1 <= MIN <= MAX, e.g. 1..2 (got '\(ngram)')")
        }
        var stages = analyzer.stages
        if high > 1 { stages.append(.ngrams(min: low, max: high)) }
        if high == 1 && low != 1 { throw ValidationError("--ngram: \(ngram) is empty") }
        let minimum: DocumentFrequencyBound
        let maximum: DocumentFrequencyBound
        do {
            minimum = try DocumentFrequencyBound(parsing: minDF)
            maximum = try DocumentFrequencyBound(parsing: maxDF)
        } catch {
            throw ValidationError("--min-df/--max-df: \(error)")
        }
        if let maxFeatures, maxFeatures < 1 { throw ValidationError("--max-features must be at least 1") }
        if hashFeatures < 1 || hashFeatures > Int(Int32.max) {
            throw ValidationError("--hash-features must be in 1...\(Int32.max)")
        }
        return FeatureSpecification(
            kind: features,
            counts: CountVectorizer(
                analyzer: try Analyzer(stages), binary: binary, minDF: minimum, maxDF: maximum, maxFeatures: maxFeatures),
            tfidf: TfidfTransformer(norm: norm, useIDF: !noIDF, smoothIDF: !noSmoothIDF, sublinearTF: sublinearTF),
            hashFeatures: hashFeatures, alternateSign: !noAlternateSign)
    }
}

extension FeatureKind: ExpressibleByArgument {}
extension EmbeddingFormat: ExpressibleByArgument {}
extension EmbeddingAverager.Weighting: ExpressibleByArgument {}
extension TfidfTransformer.Norm: ExpressibleByArgument {}
