import TextClfText

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Word embeddings in memory: words in file order and one row-major `Float` matrix.
///
/// Lookups go through a ``ByteStringTable`` keyed by the words' UTF-8 bytes, so
/// ``index(of:)-(UnsafeBufferPointer<UInt8>)`` never allocates.
public struct EmbeddingStore: Sendable, Equatable {
    /// The words, in file order; row `i` of ``vectors`` belongs to `words[i]`.
    public let words: [String]
    /// The length of every vector.
    public let dimension: Int
    /// The vectors, row-major: `count × dimension` values.
    public let vectors: [Float]
    /// The lookup table from UTF-8 bytes to row index.
    public let table: ByteStringTable

    /// The number of words.
    @inlinable public var count: Int { words.count }

    /// Creates a store, checking that `vectors` holds `words.count × dimension` values and
    /// that no word repeats.
    public init(words: [String], dimension: Int, vectors: [Float]) throws(EmbeddingError) {
        guard dimension > 0, vectors.count == words.count * dimension else {
            throw .cache("\(vectors.count) values do not make \(words.count) vectors of dimension \(dimension)")
        }
        var table = ByteStringTable(capacity: words.count)
        for (index, word) in words.enumerated() {
            var word = word
            let inserted = word.withUTF8 { table.insert($0).inserted }
            guard inserted else { throw .cache("the word '\(word)' appears twice (row \(index))") }
        }
        self.init(uncheckedWords: words, table: table, dimension: dimension, vectors: vectors)
    }

    init(uncheckedWords words: [String], table: ByteStringTable, dimension: Int, vectors: [Float]) {
        self.words = words
        self.table = table
        self.dimension = dimension
        self.vectors = vectors
    }

    /// The row of the word whose UTF-8 bytes are `token`, or `nil`. Does not allocate.
    @inlinable
    public func index(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        table.id(of: token)
    }

    /// The row of `word`, or `nil`.
    public func index(of word: String) -> Int? {
        var word = word
        return word.withUTF8 { table.id(of: $0) }
    }

    /// The vector of row `index`.
    @inlinable
    public func vector(at index: Int) -> ArraySlice<Float> {
        vectors[(index * dimension)..<((index + 1) * dimension)]
    }

    /// The vector of `word`, or `nil` if it has none.
    public func vector(for word: String) -> ArraySlice<Float>? {
        index(of: word).map { vector(at: $0) }
    }

    /// Stores are equal when their words, dimension and vector bits match.
    public static func == (lhs: EmbeddingStore, rhs: EmbeddingStore) -> Bool {
        guard lhs.dimension == rhs.dimension, lhs.words == rhs.words, lhs.vectors.count == rhs.vectors.count else {
            return false
        }
        return lhs.vectors.withUnsafeBytes { a in
            rhs.vectors.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }
}
