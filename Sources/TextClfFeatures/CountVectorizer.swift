import Foundation
import TextClfTensor
import TextClfText

/// A bound on the number of documents a term appears in, as scikit-learn's `min_df`/`max_df`:
/// an absolute count, or a fraction of the corpus.
public enum DocumentFrequencyBound: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// At least / at most this many documents.
    case count(Int)
    /// At least / at most this fraction of the documents, in `0...1`.
    case fraction(Double)

    /// Parses `5` as a count and `0.5` (anything with a `.` or an exponent) as a fraction,
    /// the way scikit-learn tells an `int` from a `float`.
    /// - Throws: ``FeatureError/invalidOption(_:)`` for a negative count or a fraction outside `0...1`.
    public init(parsing text: String) throws {
        if let count = Int(text) {
            guard count >= 0 else { throw FeatureError.invalidOption("document frequency \(text) is negative") }
            self = .count(count)
        } else if let fraction = Double(text), (0...1).contains(fraction) {
            self = .fraction(fraction)
        } else {
            throw FeatureError.invalidOption(
                "document frequency '\(text)' is neither a count (e.g. 5) nor a fraction in 0...1 (e.g. 0.5)")
        }
    }

    /// The bound in documents for a corpus of `documents` documents (scikit-learn's `max_df * n_doc`).
    public func documents(of documents: Int) -> Double {
        switch self {
        case .count(let count): return Double(count)
        case .fraction(let fraction): return fraction * Double(documents)
        }
    }

    public var description: String {
        switch self {
        case .count(let count): return String(count)
        case .fraction(let fraction): return String(fraction)
        }
    }

    enum CodingKeys: String, CodingKey { case documents, fraction }

    /// Saved as `{"documents": 5}` or `{"fraction": 0.5}`, so that `1` and `1.0` stay distinct.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let count = try container.decodeIfPresent(Int.self, forKey: .documents) {
            self = .count(count)
        } else {
            self = .fraction(try container.decode(Double.self, forKey: .fraction))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .count(let count): try container.encode(count, forKey: .documents)
        case .fraction(let fraction): try container.encode(fraction, forKey: .fraction)
        }
    }
}

/// Counts terms into a sparse document-term matrix, exactly as scikit-learn's `CountVectorizer`.
///
/// `fit` returns a ``FittedCountVectorizer``; only a fitted vectorizer can `transform`, so
/// transforming before fitting does not compile. One counting pass builds the vocabulary
/// and the CSR arrays together; the columns are then pruned by ``minDF``, ``maxDF`` and
/// ``maxFeatures`` and put in sorted term order (scikit-learn's column order).
///
/// Where terms tie at the ``maxFeatures`` cut-off, scikit-learn's choice depends on NumPy's
/// unstable sort; this one keeps the terms that come first in code-point order.
public struct CountVectorizer: Sendable, Equatable, Codable {
    /// The text stages, n-grams included (scikit-learn's `build_analyzer()`).
    public var analyzer: Analyzer
    /// Record presence (1) instead of counts.
    public var binary: Bool
    /// Drop terms in fewer documents than this.
    public var minDF: DocumentFrequencyBound
    /// Drop terms in more documents than this.
    public var maxDF: DocumentFrequencyBound
    /// Keep only this many terms, those with the highest total count.
    public var maxFeatures: Int?
    /// A fixed vocabulary: its terms become the columns in the order given, and fitting
    /// learns nothing. `nil` learns the vocabulary from the corpus.
    public var fixedVocabulary: [String]?

    /// Creates a vectorizer; the defaults are scikit-learn's.
    public init(
        analyzer: Analyzer = .sklearnDefault, binary: Bool = false, minDF: DocumentFrequencyBound = .count(1),
        maxDF: DocumentFrequencyBound = .fraction(1), maxFeatures: Int? = nil, fixedVocabulary: [String]? = nil
    ) {
        self.analyzer = analyzer
        self.binary = binary
        self.minDF = minDF
        self.maxDF = maxDF
        self.maxFeatures = maxFeatures
        self.fixedVocabulary = fixedVocabulary
    }

    /// Learns the vocabulary of `documents`.
    /// - Throws: ``FeatureError`` for an empty corpus, an empty vocabulary or pruning that leaves nothing.
    public func fit<Documents: Sequence>(_ documents: Documents) throws -> FittedCountVectorizer
    where Documents.Element == String {
        try fitTransform(documents).vectorizer
    }

    /// Learns the vocabulary of `documents` and returns their document-term matrix.
    /// - Parameter threads: Threads that analyze and count (`nil`: the machine's cores, at most 8).
    /// - Throws: ``FeatureError`` for an empty corpus, an empty vocabulary or pruning that leaves nothing.
    /// - Complexity: O(tokens + stored entries · log(entries per row) + terms · log(terms)).
    public func fitTransform<Documents: Sequence>(_ documents: Documents, threads: Int? = nil) throws -> (
        vectorizer: FittedCountVectorizer, matrix: CSRMatrix
    ) where Documents.Element == String {
        let pass = try makeFittingPass(threads: threads)
        for document in documents { pass.add(document) }
        return try pass.finish()
    }

    /// A pass that learns the vocabulary from documents added one at a time, so a corpus can
    /// be streamed from disk.
    /// - Throws: ``FeatureError/invalidOption(_:)`` for invalid options.
    /// - Parameter threads: Threads that analyze and count; the result does not depend on it.
    ///   `nil` uses the machine's cores (at most 8).
    public func makeFittingPass(threads: Int? = nil) throws -> FittingPass {
        try validate()
        return FittingPass(self, threads: threads ?? TermCounting.defaultThreads)
    }

    /// A pass that learns the vocabulary and document frequencies without keeping the rows,
    /// so memory is bounded by the vocabulary whatever the corpus size; end it with
    /// ``FittingPass/finishVocabulary()``. The vocabulary is the one ``makeFittingPass(threads:)``
    /// learns from the same documents.
    /// - Throws: ``FeatureError/invalidOption(_:)`` for invalid options.
    public func makeVocabularyPass(threads: Int? = nil) throws -> FittingPass {
        try validate()
        return FittingPass(self, threads: threads ?? TermCounting.defaultThreads, keepsRows: false)
    }

    func validate() throws {
        if let maxFeatures, maxFeatures < 1 {
            throw FeatureError.invalidOption("max features must be at least 1 (got \(maxFeatures))")
        }
        if let fixedVocabulary {
            if fixedVocabulary.isEmpty { throw FeatureError.invalidOption("the fixed vocabulary is empty") }
            _ = try Vocabulary(terms: fixedVocabulary)
        }
    }

    /// Counts documents added one at a time; ``finish()`` prunes and sorts the columns.
    public final class FittingPass {
        let options: CountVectorizer
        let fixed: Vocabulary?
        var counting: TermCounting

        init(_ options: CountVectorizer, threads: Int, keepsRows: Bool = true) {
            self.options = options
            fixed = options.fixedVocabulary.map { try! Vocabulary(terms: $0) }
            counting = TermCounting(analyzer: options.analyzer, fixed: fixed, threads: threads, keepsRows: keepsRows)
        }

        /// Counts the terms of one document as the next row.
        public func add(_ document: String) { counting.add(document) }

        /// The fitted vectorizer and the matrix of the documents added.
        /// - Throws: ``FeatureError`` for an empty corpus, an empty vocabulary or pruning that leaves nothing.
        public func finish() throws -> (vectorizer: FittedCountVectorizer, matrix: CSRMatrix) {
            counting.flush()
            var matrix = counting.matrix
            if options.binary { matrix.makeBinary() }
            var documentFrequency = [Int](repeating: 0, count: fixed?.count ?? counting.terms.count)
            var totalCount = documentFrequency
            matrix.forEachEntry { column, value in
                documentFrequency[column] += 1
                totalCount[column] += Int(value)
            }
            let (vectorizer, columnMap, _) = try Self.vocabulary(
                options: options, fixed: fixed, terms: counting.terms, documents: matrix.rowCount, documentFrequency: documentFrequency,
                totalCount: totalCount)
            return (vectorizer, matrix.build(columnCount: vectorizer.vocabulary.count, columnMap: columnMap))
        }

        /// The fitted vectorizer with each column's document frequency and the number of
        /// documents, from a pass that kept no rows (``CountVectorizer/makeVocabularyPass(threads:)``).
        /// - Throws: as ``finish()``.
        public func finishVocabulary() throws -> (vectorizer: FittedCountVectorizer, documentFrequency: [Int], documents: Int) {
            try finishVocabulary(merging: termCounts())
        }

        /// The counts of the documents added, by term, to merge with other passes' (the ranks
        /// of a data-parallel run each count their share of a corpus).
        public func termCounts() -> TermCounts {
            counting.flush()
            precondition(!counting.keepsRows, "term counts come from a pass without rows (makeVocabularyPass)")
            let size = fixed?.count ?? counting.terms.count
            var counts = TermCounts(documents: counting.documents)
            counts.documentFrequency = counting.documentFrequency + repeatElement(0, count: max(0, size - counting.documentFrequency.count))
            counts.totalCount = counting.totalCount + repeatElement(0, count: max(0, size - counting.totalCount.count))
            if fixed == nil { (counts.arena, counts.keyEnds) = (counting.terms.arena, counting.terms.keyEnds) }
            return counts
        }

        /// ``finishVocabulary()`` from `counts`: this pass's (``termCounts()``), or several
        /// passes' merged (``TermCounts/merged(_:)``), which give the vocabulary a pass over
        /// all their documents gives.
        public func finishVocabulary(merging counts: TermCounts) throws -> (
            vectorizer: FittedCountVectorizer, documentFrequency: [Int], documents: Int
        ) {
            var terms = ByteStringTable(capacity: max(16, counts.keyEnds.count))
            counts.arena.withUnsafeBufferPointer { arena in
                var start = 0
                for end in counts.keyEnds {
                    _ = terms.insert(UnsafeBufferPointer(rebasing: arena[start..<end]))
                    start = end
                }
            }
            // With binary counts a term's total is its document frequency.
            let (vectorizer, _, kept) = try Self.vocabulary(
                options: options, fixed: fixed, terms: terms, documents: counts.documents, documentFrequency: counts.documentFrequency,
                totalCount: options.binary ? counts.documentFrequency : counts.totalCount)
            return (vectorizer, kept.map { counts.documentFrequency[$0] }, counts.documents)
        }

        /// The vocabulary of `documents` documents given each term's document frequency and
        /// total count: terms within the document-frequency bounds, the `maxFeatures` most
        /// frequent, in code-point order. Returns the map from term id to column (-1 when
        /// pruned; `nil` for a fixed vocabulary) and the kept term ids in column order.
        private static func vocabulary(
            options: CountVectorizer, fixed: Vocabulary?, terms: ByteStringTable, documents rows: Int, documentFrequency: [Int],
            totalCount: [Int]
        ) throws -> (vectorizer: FittedCountVectorizer, columnMap: [Int32]?, kept: [Int]) {
            guard rows > 0 else { throw FeatureError.emptyCorpus }
            if let fixed { return (FittedCountVectorizer(options: options, vocabulary: fixed), nil, Array(0..<fixed.count)) }
            let termCount = terms.count
            guard termCount > 0 else { throw FeatureError.emptyVocabulary }
            let high = options.maxDF.documents(of: rows)
            let low = options.minDF.documents(of: rows)
            guard high >= low else { throw FeatureError.maxBelowMin(minDocuments: low, maxDocuments: high) }
            // Terms in code-point (= UTF-8 byte) order: scikit-learn's column order.
            let sorted = terms.arena.withUnsafeBufferPointer { arena in
                (0..<termCount).sorted { Self.precedes($0, $1, arena: arena, ends: terms.keyEnds) }
            }
            var keep = [Bool](repeating: false, count: termCount)
            var kept = 0
            for id in 0..<termCount {
                let frequency = Double(documentFrequency[id])
                if frequency <= high && frequency >= low {
                    keep[id] = true
                    kept += 1
                }
            }
            if let limit = options.maxFeatures, kept > limit {
                // Highest total count first; ties in term order (a stable sort of the sorted terms).
                var candidates = sorted.filter { keep[$0] }
                candidates = candidates.enumerated().sorted {
                    totalCount[$0.element] != totalCount[$1.element]
                        ? totalCount[$0.element] > totalCount[$1.element] : $0.offset < $1.offset
                }.map(\.element)
                for id in candidates[limit...] { keep[id] = false }
                kept = limit
            }
            guard kept > 0 else {
                throw FeatureError.noTermsAfterPruning(
                    minDocuments: low, maxDocuments: high, maxFeatures: options.maxFeatures)
            }
            var columnMap = [Int32](repeating: -1, count: termCount)
            var keptIDs: [Int] = []
            var vocabularyTerms: [String] = []
            vocabularyTerms.reserveCapacity(kept)
            var table = ByteStringTable(capacity: kept)
            for id in sorted where keep[id] {
                columnMap[id] = Int32(vocabularyTerms.count)
                keptIDs.append(id)
                let key = terms.key(id)
                key.withUnsafeBufferPointer { _ = table.insert($0) }
                vocabularyTerms.append(String(decoding: key, as: UTF8.self))
            }
            let vocabulary = Vocabulary(terms: vocabularyTerms, table: table)
            return (FittedCountVectorizer(options: options, vocabulary: vocabulary), columnMap, keptIDs)
        }

        static func precedes(_ a: Int, _ b: Int, arena: UnsafeBufferPointer<UInt8>, ends: [Int]) -> Bool {
            let aStart = a == 0 ? 0 : ends[a - 1]
            let bStart = b == 0 ? 0 : ends[b - 1]
            let aLength = ends[a] - aStart
            let bLength = ends[b] - bStart
            let common = min(aLength, bLength)
            if common > 0 {
                let order = memcmp(arena.baseAddress! + aStart, arena.baseAddress! + bStart, common)
                if order != 0 { return order < 0 }
            }
            return aLength < bLength
        }
    }
}

/// The counts a vocabulary is learned from: each term's document frequency and total count
/// (the terms in a byte arena; none for a fixed vocabulary, whose columns they are) and the
/// number of documents. Counts of several shares of a corpus merge into those of the whole.
public struct TermCounts: Sendable, Equatable {
    /// The terms' UTF-8 bytes, one after another; term *i* ends at `keyEnds[i]`.
    public var arena: [UInt8] = []
    public var keyEnds: [Int] = []
    public var documentFrequency: [Int] = []
    public var totalCount: [Int] = []
    public var documents: Int

    public init(documents: Int = 0) { self.documents = documents }

    /// The counts of all of `parts` together, terms in order of first appearance across them.
    public static func merged(_ parts: [TermCounts]) -> TermCounts {
        var table = ByteStringTable(capacity: 1 << 12)
        var result = TermCounts()
        for part in parts {
            result.documents += part.documents
            if part.keyEnds.isEmpty {
                // A fixed vocabulary: the counts are by column.
                if result.documentFrequency.count < part.documentFrequency.count {
                    result.documentFrequency += repeatElement(0, count: part.documentFrequency.count - result.documentFrequency.count)
                    result.totalCount += repeatElement(0, count: part.totalCount.count - result.totalCount.count)
                }
                for column in part.documentFrequency.indices {
                    result.documentFrequency[column] += part.documentFrequency[column]
                    result.totalCount[column] += part.totalCount[column]
                }
                continue
            }
            part.arena.withUnsafeBufferPointer { arena in
                var start = 0
                for (index, end) in part.keyEnds.enumerated() {
                    let id = table.insert(UnsafeBufferPointer(rebasing: arena[start..<end])).id
                    if id == result.documentFrequency.count {
                        result.documentFrequency.append(0)
                        result.totalCount.append(0)
                    }
                    result.documentFrequency[id] += part.documentFrequency[index]
                    result.totalCount[id] += part.totalCount[index]
                    start = end
                }
            }
        }
        (result.arena, result.keyEnds) = (table.arena, table.keyEnds)
        return result
    }

    /// The counts as bytes, to send to other processes (``init(encoded:)`` reads them).
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        func put(_ values: [Int]) {
            var count = Int64(values.count)
            withUnsafeBytes(of: &count) { bytes.append(contentsOf: $0) }
            values.map(Int64.init).withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        put([documents])
        put(keyEnds)
        put(documentFrequency)
        put(totalCount)
        var length = Int64(arena.count)
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        return bytes + arena
    }

    /// Counts from ``encoded``.
    /// - Throws: ``FeatureError/invalidOption(_:)`` for bytes that are not such counts.
    public init(encoded bytes: [UInt8]) throws {
        var offset = 0
        func int64() throws -> Int64 {
            guard offset + 8 <= bytes.count else { throw FeatureError.invalidOption("truncated term counts") }
            defer { offset += 8 }
            return bytes[offset..<(offset + 8)].withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        }
        func take() throws -> [Int] {
            let count = try int64()
            guard count >= 0, count <= (bytes.count - offset) / 8 else { throw FeatureError.invalidOption("truncated term counts") }
            return try (0..<count).map { _ in Int(try int64()) }
        }
        documents = try take().first ?? 0
        keyEnds = try take()
        documentFrequency = try take()
        totalCount = try take()
        let length = Int(try int64())
        guard length >= 0, offset + length == bytes.count, keyEnds.last ?? 0 <= length,
            documentFrequency.count == totalCount.count, keyEnds.isEmpty || keyEnds.count == documentFrequency.count
        else { throw FeatureError.invalidOption("inconsistent term counts") }
        arena = Array(bytes[offset...])
    }
}

/// A ``CountVectorizer`` with its learned vocabulary.
public struct FittedCountVectorizer: Sendable, Equatable {
    /// The options it was fitted with.
    public let options: CountVectorizer
    /// The columns.
    public let vocabulary: Vocabulary

    /// Creates a fitted vectorizer from saved state.
    public init(options: CountVectorizer, vocabulary: Vocabulary) {
        self.options = options
        self.vocabulary = vocabulary
    }

    /// The document-term matrix of `documents` over this vocabulary; unseen terms are dropped.
    /// - Complexity: O(tokens + stored entries · log(entries per row)).
    /// - Parameter threads: Threads that analyze and count (`nil`: the machine's cores, at most 8).
    public func transform<Documents: Sequence>(_ documents: Documents, threads: Int? = nil) -> CSRMatrix
    where Documents.Element == String {
        let pass = makeTransformPass(threads: threads)
        for document in documents { pass.add(document) }
        return pass.finish()
    }

    /// A pass that transforms documents added one at a time.
    /// - Parameter threads: Threads that analyze and count (`nil`: the machine's cores, at most 8).
    public func makeTransformPass(threads: Int? = nil) -> TransformPass {
        TransformPass(self, threads: threads ?? TermCounting.defaultThreads)
    }

    /// Transforms documents added one at a time.
    public final class TransformPass {
        let vectorizer: FittedCountVectorizer
        var counting: TermCounting

        init(_ vectorizer: FittedCountVectorizer, threads: Int) {
            self.vectorizer = vectorizer
            counting = TermCounting(
                analyzer: vectorizer.options.analyzer, fixed: vectorizer.vocabulary, threads: threads)
        }

        /// Adds one document as the next row.
        public func add(_ document: String) { counting.add(document) }

        /// The matrix of the documents added.
        public func finish() -> CSRMatrix {
            counting.flush()
            var matrix = counting.matrix
            if vectorizer.options.binary { matrix.makeBinary() }
            return matrix.build(columnCount: vectorizer.vocabulary.count, columnMap: nil)
        }
    }
}

/// Accumulates per-row term counts in CSR arrays (columns in order of first appearance
/// within a row), then maps and sorts the columns once at the end.
struct SparseCountBuilder {
    var rowPointers: [Int] = [0]
    var columns: [Int32] = []
    var counts: [Int32] = []
    /// For each column id: the last row it was counted in, and its entry there.
    private var lastRow: [Int32] = []
    private var entry: [Int] = []

    var rowCount: Int { rowPointers.count - 1 }

    mutating func count(_ column: Int) {
        if column >= lastRow.count {
            let grown = max(column + 1, lastRow.count * 2)
            lastRow.append(contentsOf: repeatElement(-1, count: grown - lastRow.count))
            entry.append(contentsOf: repeatElement(0, count: grown - entry.count))
        }
        let row = Int32(rowPointers.count - 1)
        if lastRow[column] == row {
            counts[entry[column]] += 1
        } else {
            lastRow[column] = row
            entry[column] = columns.count
            columns.append(Int32(column))
            counts.append(1)
        }
    }

    mutating func endRow() { rowPointers.append(columns.count) }

    /// Empties the builder, keeping its storage.
    mutating func removeAll() {
        rowPointers.removeAll(keepingCapacity: true)
        rowPointers.append(0)
        columns.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        for index in lastRow.indices { lastRow[index] = -1 }
    }

    /// Appends the rows of `other`, its columns renumbered by `columnMap` (which must not
    /// map two columns to one).
    mutating func appendRows(of other: SparseCountBuilder, columnMap: [Int]?) {
        let base = columns.count
        if let columnMap {
            for column in other.columns { columns.append(Int32(columnMap[Int(column)])) }
        } else {
            columns.append(contentsOf: other.columns)
        }
        counts.append(contentsOf: other.counts)
        for row in 1..<other.rowPointers.count { rowPointers.append(base + other.rowPointers[row]) }
    }

    mutating func makeBinary() {
        for index in counts.indices { counts[index] = 1 }
    }

    func forEachEntry(_ body: (Int, Int32) -> Void) {
        for index in columns.indices { body(Int(columns[index]), counts[index]) }
    }

    /// The CSR matrix, columns renumbered by `columnMap` (entries mapped to -1 dropped)
    /// and sorted within each row.
    ///
    /// Two counting-sort passes (by column, then back by row) sort every row in
    /// O(rows + columns + entries), instead of a comparison sort per row.
    func build(columnCount: Int, columnMap: [Int32]?) -> CSRMatrix {
        let rows = rowCount
        // Pass 1: bucket the entries by (renumbered) column, rows ascending within a column.
        var columnStarts = [Int](repeating: 0, count: columnCount + 1)
        var mapped = [Int32](repeating: -1, count: columns.count)
        for index in columns.indices {
            let column = columnMap.map { $0[Int(columns[index])] } ?? columns[index]
            mapped[index] = column
            if column >= 0 { columnStarts[Int(column) + 1] += 1 }
        }
        for column in 0..<columnCount { columnStarts[column + 1] += columnStarts[column] }
        let stored = columnStarts[columnCount]
        var byColumnRow = [Int32](repeating: 0, count: stored)
        var byColumnCount = [Int32](repeating: 0, count: stored)
        var next = columnStarts
        var rowPointersOut = [Int](repeating: 0, count: rows + 1)
        for row in 0..<rows {
            for index in rowPointers[row]..<rowPointers[row + 1] where mapped[index] >= 0 {
                let column = Int(mapped[index])
                byColumnRow[next[column]] = Int32(row)
                byColumnCount[next[column]] = counts[index]
                next[column] += 1
                rowPointersOut[row + 1] += 1
            }
        }
        for row in 0..<rows { rowPointersOut[row + 1] += rowPointersOut[row] }
        // Pass 2: back to rows, columns ascending within a row.
        var outColumns = [Int32](repeating: 0, count: stored)
        var outValues = [Float](repeating: 0, count: stored)
        var fill = rowPointersOut
        for column in 0..<columnCount {
            for position in columnStarts[column]..<columnStarts[column + 1] {
                let row = Int(byColumnRow[position])
                outColumns[fill[row]] = Int32(column)
                outValues[fill[row]] = Float(byColumnCount[position])
                fill[row] += 1
            }
        }
        return CSRMatrix(
            unchecked: rows, columnCount: columnCount, rowPointers: rowPointersOut, columnIndices: outColumns,
            values: outValues)
    }
}
