import Foundation

/// Line breaks as Python's universal newlines (`open(path, newline=None)`): `\n`, `\r\n` and a
/// lone `\r` each end a line, and `\r\n` is one break.
///
/// A break at the very end of the input starts no further line, so `"a\n"` is one line, `""`
/// none, and `"a\r\rb"` three (`a`, an empty line, `b`), as iterating over a Python file gives
/// them. The readers of label files, word lists, stop-word lists, corpora (TSV, CSV, JSON Lines,
/// ARFF) and standard input all split lines here; only bytes are inspected, so the rules hold
/// for any ASCII-compatible encoding.
///
/// ```swift
/// LineBreaks.lines(of: "spam\r\nham\rham\n")   // ["spam", "ham", "ham"]
/// ```
public enum LineBreaks {
    /// Whether `byte` is `\n` or `\r`, the bytes that end a line.
    @inlinable @inline(__always)
    public static func isBreak(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }

    /// The length of the line break at `p[i]`, looking no further than `p[limit - 1]`: 2 for
    /// `\r\n`, 1 for `\n` or a lone `\r`, 0 when `p[i]` ends no line.
    /// - Precondition: `i < limit`.
    @inlinable @inline(__always)
    public static func length(_ p: UnsafePointer<UInt8>, at i: Int, limit: Int) -> Int {
        switch p[i] {
        case 0x0A: return 1
        case 0x0D: return i + 1 < limit && p[i + 1] == 0x0A ? 2 : 1
        default: return 0
        }
    }

    /// The number of line breaks in `p[start..<end]` (a `\r\n` counts once; a `\r` at
    /// `end - 1` counts as a lone `\r`).
    public static func count(in p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var breaks = 0
        var i = start
        while i < end, let found = memchr(p + i, 0x0A, end - i) {
            breaks += 1
            i = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p + 1
        }
        i = start
        while i < end, let found = memchr(p + i, 0x0D, end - i) {
            let index = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
            if index + 1 >= end || p[index + 1] != 0x0A { breaks += 1 }
            i = index + 1
        }
        return breaks
    }

    /// The lines of `text`, without their breaks.
    public static func lines(of text: String) -> [Substring] {
        var text = text
        let ranges = text.withUTF8 { lines(of: $0) }
        let utf8 = text.utf8
        return ranges.map { range in
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)])
        }
    }

    /// The byte ranges of the lines of `bytes`, without their breaks.
    public static func lines(of bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
        var scanner = LineScanner(base, count: bytes.count)
        var ranges: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            let (end, next) = scanner.line(from: start)
            ranges.append(start..<end)
            start = next
        }
        return ranges
    }

    /// The byte ranges of the lines of `bytes`, without their breaks.
    public static func lines(of bytes: [UInt8]) -> [Range<Int>] {
        bytes.withUnsafeBufferPointer { lines(of: $0) }
    }

    /// The 1-based line holding byte `offset` of `p[0..<count]` (the line a break belongs to
    /// is the one it ends).
    public static func lineNumber(in p: UnsafePointer<UInt8>, count: Int, at offset: Int) -> Int {
        var scanner = LineScanner(p, count: count)
        var line = 1
        var start = 0
        let limit = min(offset, count)
        while start < limit {
            let (end, next) = scanner.line(from: start)
            if next > offset || next == end { break }
            line += 1
            start = next
        }
        return line
    }
}

/// Finds the lines of a byte buffer one after another with ``LineBreaks``' rules.
///
/// It searches with `memchr` and remembers the next `\n` and the next `\r` before it, so
/// each byte is searched at most twice however the lines end (LF, CRLF or CR only).
public struct LineScanner {
    /// The bytes.
    public let p: UnsafePointer<UInt8>
    /// The number of bytes.
    public let count: Int
    /// The next `\n` at or after the last start asked for (`count` when there is none).
    private var nextLF = -1
    /// The next `\r` at or after the last start asked for (`count` when there is none).
    private var nextCR = -1

    /// A scanner of `p[0..<count]`.
    public init(_ p: UnsafePointer<UInt8>, count: Int) {
        self.p = p
        self.count = count
    }

    /// The line that starts at `start`: its content is `start..<end`, and the next line starts
    /// at `next` (`next == end == count` for a last line without a break).
    /// - Precondition: `start <= count`, and `start` is not before a start asked for earlier.
    public mutating func line(from start: Int) -> (end: Int, next: Int) {
        if nextLF < start { nextLF = find(0x0A, from: start, to: count) }
        // A carriage return matters only before the line feed: the search stops there, so a
        // file without any reads each byte once, in order (never the whole file ahead).
        if nextCR < start { nextCR = find(0x0D, from: start, to: nextLF) }
        if nextCR < nextLF { return (nextCR, nextCR + 1 == nextLF ? nextCR + 2 : nextCR + 1) }
        if nextLF < count { return (nextLF, nextLF + 1) }
        return (count, count)
    }

    /// The first `byte` in `start..<end`, or `end`.
    private func find(_ byte: UInt8, from start: Int, to end: Int) -> Int {
        guard start < end, let found = memchr(p + start, Int32(byte), end - start) else { return end }
        return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
    }
}
