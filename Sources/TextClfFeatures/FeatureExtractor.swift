import Foundation
import TextClfTensor
import TextClfText

/// The kinds of sparse features textclf makes from text.
public enum FeatureKind: String, Sendable, Codable, CaseIterable {
    /// Term counts (scikit-learn's `CountVectorizer`).
    case counts
    /// TF-IDF weights (scikit-learn's `TfidfVectorizer`).
    case tfidf
    /// Hashed term counts (scikit-learn's `HashingVectorizer`).
    case hashing
    /// Dense averages of word vectors (``EmbeddingFeatures``).
    case glove
}

/// Everything needed to turn new text into the same columns as a training corpus: the
/// text stages, the fitted vocabulary or hashing options, and the inverse document
/// frequencies. Saved as `vectorizer.json`.
public enum FittedFeatures: Sendable, Equatable {
    case counts(FittedCountVectorizer)
    case tfidf(FittedCountVectorizer, FittedTfidfTransformer)
    case hashing(HashingVectorizer)

    /// The kind of features.
    public var kind: FeatureKind {
        switch self {
        case .counts: return .counts
        case .tfidf: return .tfidf
        case .hashing: return .hashing
        }
    }

    /// The number of columns.
    public var columnCount: Int {
        switch self {
        case .counts(let counts), .tfidf(let counts, _): return counts.vocabulary.count
        case .hashing(let hashing): return hashing.features
        }
    }

    /// The column names (the vocabulary), or `nil` for hashed features.
    public var vocabulary: Vocabulary? {
        switch self {
        case .counts(let counts), .tfidf(let counts, _): return counts.vocabulary
        case .hashing: return nil
        }
    }

    /// The text stages.
    public var analyzer: Analyzer {
        switch self {
        case .counts(let counts), .tfidf(let counts, _): return counts.options.analyzer
        case .hashing(let hashing): return hashing.analyzer
        }
    }

    /// Whether the values are whole-number counts (saved as integers).
    public var isInteger: Bool {
        switch self {
        case .counts: return true
        case .tfidf, .hashing: return false
        }
    }

    /// The feature matrix of `documents`.
    /// - Throws: ``FeatureError`` if a saved state does not fit.
    public func transform<Documents: Sequence>(_ documents: Documents) throws -> CSRMatrix
    where Documents.Element == String {
        try transform { add in documents.forEach(add) }
    }

    /// The feature matrix of documents streamed from a source: `source` calls the function
    /// it is given once per document, in row order (e.g. from ``CorpusReader``'s `forEach`),
    /// so a corpus never has to be held in memory.
    /// - Throws: What `source` throws, or ``FeatureError`` if a saved state does not fit.
    public func transform(_ source: ((String) -> Void) throws -> Void) throws -> CSRMatrix {
        switch self {
        case .counts(let counts):
            let pass = counts.makeTransformPass()
            try source(pass.add)
            return pass.finish()
        case .tfidf(let counts, let tfidf):
            let pass = counts.makeTransformPass()
            try source(pass.add)
            return try tfidf.transform(pass.finish())
        case .hashing(let hashing):
            let pass = hashing.makeTransformPass()
            try source(pass.add)
            return pass.finish()
        }
    }
}

/// The specification of features before fitting.
public struct FeatureSpecification: Sendable, Equatable {
    /// Counts, TF-IDF or hashing.
    public var kind: FeatureKind
    /// Counting options (the analyzer, pruning, binary); for hashing only the analyzer and
    /// `binary` apply.
    public var counts: CountVectorizer
    /// TF-IDF options (the norm also applies to hashing).
    public var tfidf: TfidfTransformer
    /// The number of hashed columns.
    public var hashFeatures: Int
    /// Signed hashing.
    public var alternateSign: Bool

    /// Creates a specification; the defaults are scikit-learn's.
    public init(
        kind: FeatureKind = .counts, counts: CountVectorizer = .init(), tfidf: TfidfTransformer = .init(),
        hashFeatures: Int = 1 << 20, alternateSign: Bool = true
    ) {
        self.kind = kind
        self.counts = counts
        self.tfidf = tfidf
        self.hashFeatures = hashFeatures
        self.alternateSign = alternateSign
    }

    /// Fits on `documents` and returns the fitted features with the training matrix.
    /// - Throws: ``FeatureError`` for an empty corpus or vocabulary, or invalid options.
    public func fitTransform<Documents: Sequence>(_ documents: Documents) throws -> (
        features: FittedFeatures, matrix: CSRMatrix
    ) where Documents.Element == String {
        try fitTransform { add in documents.forEach(add) }
    }

    /// Fits on documents streamed from a source and returns the fitted features with the
    /// training matrix: `source` calls the function it is given once per document, in row
    /// order, so a corpus never has to be held in memory.
    /// - Throws: What `source` throws, or ``FeatureError`` for an empty corpus or vocabulary,
    ///   or invalid options.
    public func fitTransform(_ source: ((String) -> Void) throws -> Void) throws -> (
        features: FittedFeatures, matrix: CSRMatrix
    ) {
        switch kind {
        case .counts, .tfidf:
            let pass = try counts.makeFittingPass()
            try source(pass.add)
            let (fitted, matrix) = try pass.finish()
            guard kind == .tfidf else { return (.counts(fitted), matrix) }
            let transformer = tfidf.fit(matrix)
            return (.tfidf(fitted, transformer), try transformer.transform(matrix))
        case .glove:
            throw FeatureError.invalidOption("word-vector features are dense: fit them with EmbeddingFeatures.fit")
        case .hashing:
            let hashing = try HashingVectorizer(
                analyzer: counts.analyzer, features: hashFeatures, alternateSign: alternateSign,
                binary: counts.binary, norm: tfidf.norm)
            let pass = hashing.makeTransformPass()
            try source(pass.add)
            let matrix = pass.finish()
            guard matrix.rowCount > 0 else { throw FeatureError.emptyCorpus }
            return (.hashing(hashing), matrix)
        }
    }
}

extension FeatureSpecification {
    /// Fits on documents streamed from a source without keeping their matrix: memory is
    /// bounded by the vocabulary, whatever the corpus size. The fitted features equal those
    /// of ``fitTransform(_:)-8ohxe`` on the same documents. Hashing needs no fitting; the
    /// source is read to check that it has a document.
    /// - Throws: What `source` throws, or ``FeatureError`` for an empty corpus or vocabulary,
    ///   or invalid options.
    public func fit(_ source: ((String) -> Void) throws -> Void) throws -> FittedFeatures {
        try fit(source, merging: { $0 })
    }

    /// ``fit(_:)`` on a share of a corpus, whose counts `merge` combines with the other
    /// shares' (a data-parallel run gathers them from every rank): the features fitted on the
    /// whole corpus. `merge` is called once, on every share the same way.
    public func fit(_ source: ((String) -> Void) throws -> Void, merging merge: (TermCounts) throws -> TermCounts) throws -> FittedFeatures {
        switch kind {
        case .counts, .tfidf:
            let pass = try counts.makeVocabularyPass()
            try source(pass.add)
            let (fitted, documentFrequency, documents) = try pass.finishVocabulary(merging: try merge(pass.termCounts()))
            guard kind == .tfidf else { return .counts(fitted) }
            return .tfidf(fitted, tfidf.fit(documentFrequency: documentFrequency, documents: documents))
        case .glove:
            throw FeatureError.invalidOption("word-vector features are dense: fit them with EmbeddingFeatures.fit")
        case .hashing:
            var documents = 0
            try source { _ in documents += 1 }
            guard try merge(TermCounts(documents: documents)).documents > 0 else { throw FeatureError.emptyCorpus }
            return .hashing(
                try HashingVectorizer(
                    analyzer: counts.analyzer, features: hashFeatures, alternateSign: alternateSign, binary: counts.binary,
                    norm: tfidf.norm))
        }
    }
}

// MARK: - vectorizer.json

extension FittedFeatures {
    /// The format name written in every `vectorizer.json`.
    public static let fileFormat = "textclf-vectorizer"
    /// The version of the `vectorizer.json` layout this build writes and reads.
    public static let fileVersion = 1

    struct File: Codable {
        var format: String
        var version: Int
        var kind: FeatureKind
        var text: Analyzer
        var columns: Int
        var binary: Bool
        var minDF: DocumentFrequencyBound?
        var maxDF: DocumentFrequencyBound?
        var maxFeatures: Int?
        var fixedVocabulary: Bool?
        var tfidf: TfidfTransformer?
        var hashing: HashingOptions?
        var labels: [String]?
        var vocabulary: [String]?
        var idf: [Double]?

        struct HashingOptions: Codable {
            var features: Int
            var alternateSign: Bool
            var norm: TfidfTransformer.Norm
        }
    }

    /// The JSON of `vectorizer.json`: format and version, every option, the vocabulary in
    /// column order and the inverse document frequencies.
    /// - Parameter labels: The training labels in class order, saved alongside, or `nil`.
    public func encodedFile(labels: [String]? = nil) throws -> Data {
        var file = File(
            format: Self.fileFormat, version: Self.fileVersion, kind: kind, text: analyzer, columns: columnCount,
            binary: false, labels: labels)
        switch self {
        case .counts(let counts), .tfidf(let counts, _):
            file.binary = counts.options.binary
            file.minDF = counts.options.minDF
            file.maxDF = counts.options.maxDF
            file.maxFeatures = counts.options.maxFeatures
            file.fixedVocabulary = counts.options.fixedVocabulary != nil
            file.vocabulary = counts.vocabulary.terms
            if case .tfidf(_, let tfidf) = self {
                file.tfidf = tfidf.options
                file.idf = tfidf.idf
            }
        case .hashing(let hashing):
            file.binary = hashing.binary
            file.hashing = .init(features: hashing.features, alternateSign: hashing.alternateSign, norm: hashing.norm)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(file)
    }

    /// Reads a `vectorizer.json`, checking its format, version and consistency.
    /// - Returns: The fitted features and the saved labels, if any.
    /// - Throws: ``FeatureError/badVectorizerFile(path:reason:)`` naming what is wrong.
    public static func load(path: String) throws -> (features: FittedFeatures, labels: [String]?) {
        func bad(_ reason: String) -> FeatureError { .badVectorizerFile(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("no such file or not readable") }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw bad("missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw bad("field '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw bad((field.isEmpty ? "" : "field '\(field)': ") + "not valid JSON or a bad value (\(context.debugDescription))")
        } catch {
            throw bad("\(error)")
        }
        guard file.format == fileFormat else { throw bad("not a textclf vectorizer (format '\(file.format)')") }
        guard file.version == fileVersion else {
            throw bad("vectorizer format version \(file.version); this textclf reads version \(fileVersion)")
        }
        let features: FittedFeatures
        switch file.kind {
        case .glove:
            throw bad("holds word-vector features; they are saved in embeddings.json")
        case .counts, .tfidf:
            guard let terms = file.vocabulary else { throw bad("missing field 'vocabulary'") }
            guard terms.count == file.columns else {
                throw bad("'columns' is \(file.columns) but the vocabulary has \(terms.count) terms")
            }
            let vocabulary: Vocabulary
            do { vocabulary = try Vocabulary(terms: terms) } catch { throw bad("\(error)") }
            let options = CountVectorizer(
                analyzer: file.text, binary: file.binary, minDF: file.minDF ?? .count(1),
                maxDF: file.maxDF ?? .fraction(1), maxFeatures: file.maxFeatures,
                fixedVocabulary: file.fixedVocabulary == true ? terms : nil)
            let counts = FittedCountVectorizer(options: options, vocabulary: vocabulary)
            if file.kind == .tfidf {
                guard let tfidf = file.tfidf else { throw bad("missing field 'tfidf'") }
                if tfidf.useIDF {
                    guard let idf = file.idf, idf.count == terms.count else {
                        throw bad("'idf' must hold one value per term (\(terms.count))")
                    }
                    guard idf.allSatisfy({ $0.isFinite && $0 >= 1 }) else { throw bad("'idf' holds a value below 1 or not finite") }
                }
                features = .tfidf(counts, FittedTfidfTransformer(options: tfidf, idf: tfidf.useIDF ? file.idf : nil))
            } else {
                features = .counts(counts)
            }
        case .hashing:
            guard let options = file.hashing else { throw bad("missing field 'hashing'") }
            do {
                features = .hashing(
                    try HashingVectorizer(
                        analyzer: file.text, features: options.features, alternateSign: options.alternateSign,
                        binary: file.binary, norm: options.norm))
            } catch { throw bad("\(error)") }
        }
        return (features, file.labels)
    }
}
