import Dispatch
import Foundation
import TextClfTensor
import TextClfText

/// What ``EmbeddingAverager`` counted while averaging.
public struct AveragingReport: Sendable, Equatable {
    /// Documents averaged.
    public var documents = 0
    /// Documents with no known word (no token, or only unknown ones): their row is all zeros.
    public var emptyDocuments = 0
    /// Tokens the analyzer produced, known or not.
    public var tokens = 0
    /// Tokens with no vector.
    public var unknownTokens = 0

    public init(documents: Int = 0, emptyDocuments: Int = 0, tokens: Int = 0, unknownTokens: Int = 0) {
        self.documents = documents
        self.emptyDocuments = emptyDocuments
        self.tokens = tokens
        self.unknownTokens = unknownTokens
    }

    static func + (a: Self, b: Self) -> Self {
        Self(documents: a.documents + b.documents, emptyDocuments: a.emptyDocuments + b.emptyDocuments,
             tokens: a.tokens + b.tokens, unknownTokens: a.unknownTokens + b.unknownTokens)
    }
}

/// Document frequencies of the embedding's words over training documents, for
/// ``EmbeddingAverager/Weighting/tfidf``.
///
/// `counts[i]` is the number of documents holding word `i` of the vectors at least once; the
/// last slot, `counts[wordCount]`, counts documents holding at least one unknown token (all
/// unknown words share one weight, as they share one vector under ``EmbeddingAverager/UnknownWords/unk(seed:)``).
public struct DocumentFrequencies: Sendable, Equatable, Codable {
    /// Training documents.
    public let documents: Int
    /// Documents per word, then the unknown-word slot.
    public let counts: [Int32]

    public init(documents: Int, counts: [Int32]) {
        self.documents = documents
        self.counts = counts
    }

    /// The frequencies of all of `parts`' documents together (shares of one corpus, counted
    /// against the same vectors).
    public static func merged(_ parts: [DocumentFrequencies]) -> DocumentFrequencies {
        var counts = [Int32](repeating: 0, count: parts.map(\.counts.count).max() ?? 0)
        for part in parts { for (index, count) in part.counts.enumerated() { counts[index] += count } }
        return DocumentFrequencies(documents: parts.reduce(0) { $0 + $1.documents }, counts: counts)
    }

    /// scikit-learn's smoothed idf, `ln((1 + n) / (1 + df)) + 1`, per word then the unknown slot.
    public var idf: [Double] {
        let n = Double(documents) + 1
        return counts.map { log(n / (Double($0) + 1)) + 1 }
    }
}

/// Turns documents into dense rows, one per document: a weighted mean (or sum) of the vectors of
/// its tokens.
///
/// - ``Weighting/mean``: `Σ v(t) / n`, over the document's token occurrences `t` that count (see
///   ``UnknownWords``), `n` their number.
/// - ``Weighting/sum``: `Σ v(t)`.
/// - ``Weighting/tfidf``: `Σ idf(t) v(t) / Σ idf(t)` over token occurrences, which is the same as
///   weighting each distinct word by `count × idf`. `idf` comes from ``fitDocumentFrequencies(_:vectors:)``
///   on the training documents (scikit-learn's smoothed formula, see ``DocumentFrequencies/idf``).
///
/// Sums are accumulated in `Double` and rounded to `Float` once per value, so a row equals a
/// NumPy float64 reference to well within 1e-6. Documents are independent, so the result does not
/// depend on the thread count.
///
/// ```swift
/// let averager = EmbeddingAverager(analyzer: .sklearnDefault)
/// let (rows, report) = try averager.transform(documents, vectors: store)  // documents × dimension
/// ```
public struct EmbeddingAverager: Sendable {
    /// How token vectors are combined.
    public enum Weighting: String, Sendable, CaseIterable, Codable {
        case mean, sum, tfidf
    }

    /// What happens to tokens with no vector.
    public enum UnknownWords: Sendable, Equatable, Codable {
        /// Ignored: they count neither in the sum nor in the mean's denominator (the default).
        case skip
        /// Zero vectors: they count in the mean's denominator only.
        case zero
        /// One random vector shared by all unknown words, drawn from `seed` (uniform in
        /// `[-0.5, 0.5)`), counted like a known word.
        case unk(seed: UInt64)
    }

    /// The text stages that make tokens.
    public var analyzer: Analyzer
    public var weighting: Weighting
    public var unknownWords: UnknownWords
    /// Worker threads (`nil`: the machine's cores, at most 8).
    public var threads: Int?

    public init(
        analyzer: Analyzer = .sklearnDefault, weighting: Weighting = .mean,
        unknownWords: UnknownWords = .skip, threads: Int? = nil
    ) {
        self.analyzer = analyzer
        self.weighting = weighting
        self.unknownWords = unknownWords
        self.threads = threads
    }

    /// The vector shared by unknown words under ``UnknownWords/unk(seed:)``: SplitMix64 from the
    /// seed, each value `(next >> 40) / 2^24 - 0.5`.
    public static func unknownVector(seed: UInt64, dimension: Int) -> [Float] {
        var state = seed
        return (0..<dimension).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 24) - 0.5
        }
    }

    /// Counts, over `documents`, the documents holding each word of `vectors` (and any unknown
    /// word), for ``Weighting/tfidf``.
    public func fitDocumentFrequencies<V: WordVectors>(_ documents: [String], vectors: V) -> DocumentFrequencies {
        let slots = wordCount(vectors) + 1
        let parts = partition(documents.count)
        var perPart = [[Int32]](repeating: [], count: parts.count)
        let shared = UncheckedBox(vectors)
        perPart.withUnsafeMutableBufferPointer { results in
            let out = UncheckedBox(results)
            runInParallel(parts.count) { part in
                let worker = analyzer.makeWorker()
                var counts = [Int32](repeating: 0, count: slots)
                var lastSeen = [Int32](repeating: -1, count: slots)
                for d in parts[part] {
                    let stamp = Int32(truncatingIfNeeded: d)
                    worker.withTokens(of: documents[d]) { tokens in
                        tokens.forEachToken { token in
                            let slot = shared.value.index(of: token) ?? (slots - 1)
                            if lastSeen[slot] != stamp {
                                lastSeen[slot] = stamp
                                counts[slot] += 1
                            }
                        }
                    }
                }
                out.value[part] = counts
            }
        }
        var total = [Int32](repeating: 0, count: slots)
        for counts in perPart where !counts.isEmpty {
            for i in 0..<slots { total[i] += counts[i] }
        }
        return DocumentFrequencies(documents: documents.count, counts: total)
    }

    /// The rows of `documents`, row-major `[documents.count × vectors.dimension]`.
    /// - Parameter frequencies: Needed for ``Weighting/tfidf`` (fitted on the training documents).
    /// - Throws: ``FeatureError`` when tf-idf weighting has no (or mismatched) frequencies.
    public func transform<V: WordVectors>(
        _ documents: [String], vectors: V, frequencies: DocumentFrequencies? = nil
    ) throws -> (values: [Float], report: AveragingReport) {
        let dimension = vectors.dimension
        var idf: [Double] = []
        if weighting == .tfidf {
            guard let frequencies else {
                throw AveragingError.missingFrequencies
            }
            guard frequencies.counts.count == wordCount(vectors) + 1 else {
                throw AveragingError.frequenciesMismatch(
                    expected: wordCount(vectors) + 1, found: frequencies.counts.count)
            }
            idf = frequencies.idf
        }
        var unk: [Float] = []
        if case .unk(let seed) = unknownWords { unk = Self.unknownVector(seed: seed, dimension: dimension) }

        let parts = partition(documents.count)
        var reports = [AveragingReport](repeating: AveragingReport(), count: parts.count)
        var values = [Float](repeating: 0, count: documents.count * dimension)
        let shared = UncheckedBox(vectors)
        values.withUnsafeMutableBufferPointer { output in
            reports.withUnsafeMutableBufferPointer { reportBuffer in
                let out = UncheckedBox((output, reportBuffer))
                vectors.withVectors { table in
                    let table = UncheckedBox(table)
                    runInParallel(parts.count) { part in
                        let worker = analyzer.makeWorker()
                        var report = AveragingReport()
                        var accumulator = [Double](repeating: 0, count: dimension)
                        accumulator.withUnsafeMutableBufferPointer { acc in
                            unk.withUnsafeBufferPointer { unk in
                                idf.withUnsafeBufferPointer { idf in
                                    for d in parts[part] {
                                        let row = UnsafeMutableBufferPointer(
                                            rebasing: out.value.0[(d * dimension)..<((d + 1) * dimension)])
                                        worker.withTokens(of: documents[d]) { tokens in
                                            Self.average(
                                                tokens, vectors: shared.value, table: table.value,
                                                dimension: dimension, weighting: weighting, unknown: unknownWords,
                                                idf: idf, unk: unk, accumulator: acc, row: row, report: &report)
                                        }
                                    }
                                }
                            }
                        }
                        out.value.1[part] = report
                    }
                }
            }
        }
        return (values, reports.reduce(AveragingReport(), +))
    }

    /// The rows of `documents` as a `[documents.count, dimension]` tensor.
    public func transformTensor<V: WordVectors>(
        _ documents: [String], vectors: V, frequencies: DocumentFrequencies? = nil, device: Device = .current
    ) throws -> (tensor: Tensor, report: AveragingReport) {
        let (values, report) = try transform(documents, vectors: vectors, frequencies: frequencies)
        return (try Tensor(shape: [documents.count, vectors.dimension], values: values, device: device), report)
    }

    // MARK: - Work

    /// Averages one document's tokens into `row`; allocation-free.
    @inline(__always)
    static func average<V: WordVectors>(
        _ tokens: TokenList, vectors: V, table: UnsafeBufferPointer<Float>, dimension: Int, weighting: Weighting,
        unknown: UnknownWords, idf: UnsafeBufferPointer<Double>, unk: UnsafeBufferPointer<Float>,
        accumulator: UnsafeMutableBufferPointer<Double>, row: UnsafeMutableBufferPointer<Float>,
        report: inout AveragingReport
    ) {
        let acc = accumulator.baseAddress!
        for i in 0..<dimension { acc[i] = 0 }
        var known = 0
        var denominator = 0.0
        let unknownSlot = idf.count - 1
        let weighted = weighting == .tfidf
        tokens.forEachToken { token in
            report.tokens += 1
            if let index = vectors.index(of: token) {
                known += 1
                let weight = weighted ? idf[index] : 1
                denominator += weight
                accumulate(acc, table.baseAddress! + index * dimension, weight, dimension)
            } else {
                report.unknownTokens += 1
                guard unknown != .skip else { return }
                let weight = weighted ? idf[unknownSlot] : 1
                denominator += weight
                if case .unk = unknown { accumulate(acc, unk.baseAddress!, weight, dimension) }
            }
        }
        report.documents += 1
        guard known > 0 else {
            report.emptyDocuments += 1
            for i in 0..<dimension { row[i] = 0 }
            return
        }
        let scale = weighting == .sum ? 1 : 1 / denominator
        for i in 0..<dimension { row[i] = Float(acc[i] * scale) }
    }

    /// `acc[0..<n] += weight * v[0..<n]`, with the common widths (50, 100, 200, 300) spelled out
    /// so that the compiler sees a constant trip count and unrolls and vectorises the loop.
    @inline(__always)
    static func accumulate(_ acc: UnsafeMutablePointer<Double>, _ v: UnsafePointer<Float>, _ weight: Double, _ n: Int) {
        switch n {
        case 50: axpy(acc, v, weight, 50)
        case 100: axpy(acc, v, weight, 100)
        case 200: axpy(acc, v, weight, 200)
        case 300: axpy(acc, v, weight, 300)
        default: axpy(acc, v, weight, n)
        }
    }

    @inline(__always)
    static func axpy(_ acc: UnsafeMutablePointer<Double>, _ v: UnsafePointer<Float>, _ weight: Double, _ n: Int) {
        if weight == 1 {
            for i in 0..<n { acc[i] += Double(v[i]) }
        } else {
            for i in 0..<n { acc[i] += weight * Double(v[i]) }
        }
    }

    private func wordCount<V: WordVectors>(_ vectors: V) -> Int {
        vectors.withVectors { $0.count } / max(1, vectors.dimension)
    }

    /// Contiguous document ranges, one per thread (fewer for small inputs).
    private func partition(_ count: Int) -> [Range<Int>] {
        let threads = max(1, threads ?? TermCounting.defaultThreads)
        let parts = count < 256 ? 1 : min(threads, count)
        let size = (count + parts - 1) / max(1, parts)
        return (0..<parts).map { min($0 * size, count)..<min(($0 + 1) * size, count) }
    }
}

/// Errors of ``EmbeddingAverager``.
public enum AveragingError: Error, Equatable, CustomStringConvertible {
    case missingFrequencies
    case frequenciesMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case .missingFrequencies:
            return "tf-idf averaging needs document frequencies fitted on the training documents"
        case .frequenciesMismatch(let expected, let found):
            return "document frequencies have \(found) slots, expected \(expected) (words + 1): fitted on other vectors?"
        }
    }
}
