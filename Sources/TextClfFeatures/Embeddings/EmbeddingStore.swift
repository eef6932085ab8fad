import TextClfText

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Word embeddings: words in file order and one row-major `Float` matrix.
///
/// A store reads the store-file layout in place: the image a parse wrote the vectors into
/// (``EmbeddingFile``), or a read-only mapping of a store file in the ``EmbeddingCache``.
/// A store made from arrays (``init(words:dimension:vectors:)``) keeps them in memory. Lookups
/// never allocate: ``index(of:)-(UnsafeBufferPointer<UInt8>)`` hashes the token's UTF-8 bytes
/// into an open-addressing table.
public struct EmbeddingStore: Sendable, Equatable {
    enum Backing: Sendable {
        case memory(table: ByteStringTable, vectors: [Float])
        case mapped(MappedEmbeddings)
    }

    let backing: Backing

    /// The length of every vector.
    public let dimension: Int

    /// The number of words.
    public var count: Int {
        switch backing {
        case .memory(let table, _): return table.count
        case .mapped(let file): return file.count
        }
    }

    /// The words, in file order; row `i` of ``vectors`` belongs to `words[i]`. Made on each
    /// call (the store keeps the words' bytes only).
    /// - Complexity: O(total word length).
    public var words: [String] { (0..<count).map { row in withWord(row) { String(decoding: $0, as: UTF8.self) } } }

    /// The vectors, row-major: `count × dimension` values. A copy for a mapped store; use
    /// ``withVectors(_:)`` to read them in place.
    public var vectors: [Float] {
        switch backing {
        case .memory(_, let vectors): return vectors
        case .mapped(let file): return Array(file.vectorBuffer)
        }
    }

    /// Whether the store reads the store-file layout in place (``EmbeddingStoreFile``): a cached
    /// store file mapped from disk, or the image a parse wrote its vectors into. `false` for a
    /// store made from arrays by ``init(words:dimension:vectors:)``.
    public var isMapped: Bool {
        if case .mapped = backing { return true }
        return false
    }

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

    /// Creates a store from a table whose key `i` is the word of row `i`.
    init(table: ByteStringTable, dimension: Int, vectors: [Float]) {
        self.backing = .memory(table: table, vectors: vectors)
        self.dimension = dimension
    }

    /// Wraps a checked store-file mapping.
    init(mapped: MappedEmbeddings) {
        self.backing = .mapped(mapped)
        self.dimension = mapped.dimension
    }

    /// Calls `body` with the UTF-8 bytes of the word of `row`.
    public func withWord<R>(_ row: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch backing {
        case .memory(let table, _):
            let key = table.key(row)
            return try key.withUnsafeBufferPointer(body)
        case .mapped(let file):
            return try body(file.word(row))
        }
    }

    /// The row of the word whose UTF-8 bytes are `token`, or `nil`. Does not allocate.
    public func index(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        switch backing {
        case .memory(let table, _): return table.id(of: token)
        case .mapped(let file): return file.index(of: token)
        }
    }

    /// The row of `word`, or `nil`.
    public func index(of word: String) -> Int? {
        var word = word
        return word.withUTF8 { index(of: $0) }
    }

    /// The vector of row `index`.
    /// - Complexity: O(1) for a store in memory; a mapped store copies the row.
    public func vector(at index: Int) -> ArraySlice<Float> {
        let range = (index * dimension)..<((index + 1) * dimension)
        switch backing {
        case .memory(_, let vectors): return vectors[range]
        case .mapped(let file): return Array(file.vectorBuffer[range])[...]
        }
    }

    /// The vector of `word`, or `nil` if it has none.
    public func vector(for word: String) -> ArraySlice<Float>? {
        index(of: word).map { vector(at: $0) }
    }

    /// Stores are equal when their words, dimension and vector bits match, however they are held.
    public static func == (lhs: EmbeddingStore, rhs: EmbeddingStore) -> Bool {
        guard lhs.dimension == rhs.dimension, lhs.count == rhs.count else { return false }
        for row in 0..<lhs.count {
            let same = lhs.withWord(row) { a in rhs.withWord(row) { b in a.elementsEqual(b) } }
            if !same { return false }
        }
        return lhs.withVectors { a in
            rhs.withVectors { b in
                a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, 4 * a.count) == 0)
            }
        }
    }
}
