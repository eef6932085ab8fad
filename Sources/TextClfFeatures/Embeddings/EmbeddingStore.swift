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
    /// The words, in file order; row `i` of ``vectors`` belongs to `words[i]`. Made from
    /// ``table`` on each call (the store keeps the words' bytes only, so that a cached load
    /// does not build hundreds of thousands of strings).
    /// - Complexity: O(total word length).
    public var words: [String] { (0..<count).map { table.string($0) } }
    /// The length of every vector.
    public let dimension: Int
    /// The vectors, row-major: `count × dimension` values.
    public let vectors: [Float]
    /// The lookup table from UTF-8 bytes to row index.
    public let table: ByteStringTable

    /// The number of words.
    public var count: Int { table.count }

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
        self.init(table: table, dimension: dimension, vectors: vectors)
    }

    /// Creates a store from the words' UTF-8 bytes separated by `\n` (the cache's layout),
    /// without making a string per word.
    /// - Throws: ``EmbeddingError/cache(_:)`` if the word count or the vector count does not
    ///   fit, or a word repeats.
    init(wordsBlob: [UInt8], count: Int, dimension: Int, vectors: [Float]) throws(EmbeddingError) {
        guard dimension > 0, vectors.count == count * dimension else {
            throw .cache("\(vectors.count) values do not make \(count) vectors of dimension \(dimension)")
        }
        var table = ByteStringTable(capacity: count)
        let duplicate: Int? = wordsBlob.withUnsafeBufferPointer { blob in
            var start = 0
            for index in 0...blob.count where index == blob.count || blob[index] == 0x0A {
                if !table.insert(UnsafeBufferPointer(rebasing: blob[start..<index])).inserted { return table.count }
                start = index + 1
            }
            return nil
        }
        if let duplicate { throw .cache("a word appears twice (row \(duplicate))") }
        guard table.count == count else { throw .cache("\(table.count) words for \(count) vectors") }
        self.init(table: table, dimension: dimension, vectors: vectors)
    }

    /// The words' UTF-8 bytes separated by `\n`, in row order (the cache's layout).
    var wordsBlob: [UInt8] {
        var blob: [UInt8] = []
        blob.reserveCapacity(table.arena.count + count)
        var start = 0
        for (index, end) in table.keyEnds.enumerated() {
            if index > 0 { blob.append(0x0A) }
            blob.append(contentsOf: table.arena[start..<end])
            start = end
        }
        return blob
    }

    /// Creates a store from a table whose key `i` is the word of row `i`.
    init(table: ByteStringTable, dimension: Int, vectors: [Float]) {
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
        guard lhs.dimension == rhs.dimension, lhs.table.keyEnds == rhs.table.keyEnds, lhs.table.arena == rhs.table.arena,
            lhs.vectors.count == rhs.vectors.count
        else {
            return false
        }
        return lhs.vectors.withUnsafeBytes { a in
            rhs.vectors.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }
}
