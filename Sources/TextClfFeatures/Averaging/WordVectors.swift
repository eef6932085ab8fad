import TextClfText

/// Word vectors that ``EmbeddingAverager`` can read: a vocabulary that maps UTF-8 tokens to rows,
/// and the rows themselves, row-major, `dimension` floats each.
///
/// `index(of:)` and `withVectors(_:)` must be safe to call from several threads at once (they
/// only read), since the averager works on several documents in parallel.
public protocol WordVectors {
    /// The number of values per word.
    var dimension: Int { get }
    /// The row of `token` (its UTF-8 bytes), or `nil` for an unknown word.
    func index(of token: UnsafeBufferPointer<UInt8>) -> Int?
    /// Calls `body` with all rows, row-major: row `i` is `[i * dimension, (i + 1) * dimension)`.
    func withVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

/// A small in-memory ``WordVectors``: words and row-major values. Handy for tests and for
/// vectors built in code; large files go through the embedding store.
public struct InMemoryWordVectors: WordVectors, Sendable {
    public let words: [String]
    public let dimension: Int
    public let vectors: [Float]
    private let table: ByteStringTable
    private let rowOfID: [Int]

    /// - Precondition: `vectors.count == words.count * dimension`.
    public init(words: [String], dimension: Int, vectors: [Float]) {
        precondition(dimension > 0 && vectors.count == words.count * dimension,
            "\(vectors.count) values for \(words.count) words of dimension \(dimension)")
        self.words = words
        self.dimension = dimension
        self.vectors = vectors
        var table = ByteStringTable(capacity: max(16, words.count))
        var rowOfID: [Int] = []
        for (row, word) in words.enumerated() {
            var word = word
            // The first occurrence of a word wins, as in GloVe readers.
            if word.withUTF8({ table.insert($0).inserted }) { rowOfID.append(row) }
        }
        self.table = table
        self.rowOfID = rowOfID
    }

    public func index(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        table.id(of: token).map { rowOfID[$0] }
    }

    public func withVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try vectors.withUnsafeBufferPointer(body)
    }
}
