/// An ordered list of tokens kept as UTF-8 bytes in one contiguous buffer.
///
/// Analyzer stages read one `TokenList` and write the next, so a document is
/// processed without allocating a `String` per token. Buffers keep their capacity
/// between documents.
public struct TokenList: Sendable {
    /// The UTF-8 bytes of all tokens, back to back.
    public private(set) var bytes: [UInt8] = []
    /// `ends[i]` is the offset one past the last byte of token `i`.
    public private(set) var ends: [Int] = []

    /// Creates an empty list.
    public init() {}

    /// Creates a list holding `tokens`.
    public init<S: Sequence>(_ tokens: S) where S.Element == String {
        for token in tokens {
            var copy = token
            copy.withUTF8 { appendToken($0) }
        }
    }

    /// The number of tokens.
    @inlinable public var count: Int { ends.count }

    /// Whether the list holds no token.
    @inlinable public var isEmpty: Bool { ends.isEmpty }

    /// The byte range of token `index` inside ``bytes``.
    @inlinable public func range(at index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1])..<ends[index]
    }

    /// Token `index` as a `String`.
    public func string(at index: Int) -> String {
        let range = range(at: index)
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
    }

    /// All tokens as strings.
    public var strings: [String] { (0..<count).map(string(at:)) }

    /// Calls `body` with the bytes of each token in order.
    @inlinable
    public func forEachToken(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            for end in ends {
                try body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                start = end
            }
        }
    }

    /// Removes every token, keeping the storage.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Appends one token.
    public mutating func appendToken(_ token: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: token)
        ends.append(bytes.count)
    }

    /// Replaces the content with a single token: the whole of `text`.
    public mutating func setSingleToken(_ text: UnsafeBufferPointer<UInt8>) {
        removeAll()
        appendToken(text)
    }
}

extension TokenList {
    /// Appends one token whose bytes `build` appends to the buffer it is given.
    public mutating func appendToken(building build: (inout [UInt8]) -> Void) {
        build(&bytes)
        ends.append(bytes.count)
    }
}
