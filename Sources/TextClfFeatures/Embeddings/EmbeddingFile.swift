import Foundation
import TextClfText

/// The on-disk layout of a word-embedding file.
public enum EmbeddingFormat: String, Sendable, CaseIterable, Codable {
    /// GloVe text: one `word v1 … vd` line per word, no header.
    case glove
    /// word2vec text: a `count dim` header line, then `word v1 … vd` lines.
    case word2vecText = "word2vec-text"
    /// word2vec binary: a `count dim` header line, then per word `word<space>` followed by
    /// `dim` little-endian float32 values and an optional newline.
    case word2vecBinary = "word2vec-binary"
}

/// An error reading a word-embedding file or its cache.
public enum EmbeddingError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file holds no entries.
    case empty(path: String)
    /// A line (or, in word2vec binary, an entry: line 1 is the header, entry `k` is line
    /// `k + 1`) is malformed. `field` is 1-based: field 1 is the word, field `k + 1` value `k`.
    case badLine(path: String, line: Int, field: Int, reason: String)
    /// The cache database failed in a way that could not be recovered.
    case cache(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .empty(let path): return "\(path): no embeddings in the file"
        case .badLine(let path, let line, let field, let reason): return "\(path):\(line): field \(field): \(reason)"
        case .cache(let message): return "embedding cache: \(message)"
        }
    }
}

/// The result of parsing an embedding file.
public struct EmbeddingParseResult: Sendable {
    /// The embeddings, in file order.
    public let store: EmbeddingStore
    /// The format that was read (detected or forced).
    public let format: EmbeddingFormat
    /// How many bad lines were skipped (always 0 unless `skipBadLines` was set).
    public let skippedLines: Int
    /// The errors of the first (at most 20) skipped lines.
    public let skippedErrors: [EmbeddingError]
}

/// Reads GloVe text, word2vec text and word2vec binary embedding files.
///
/// The file is memory-mapped and scanned byte by byte; numbers are parsed by a fast exact
/// path (at most 7 significant digits and 10 decimals, no exponent: one correctly rounded
/// `Float` division, so the result equals `strtof`'s) or by `strtof` on a NUL-terminated
/// stack copy of the token otherwise.
public enum EmbeddingFile {
    /// Detects the format of `bytes`: word2vec binary when the first line is `count dim` and
    /// the bytes after it are not printable text; word2vec text when the first line is
    /// exactly two integers; GloVe otherwise.
    public static func detectFormat(_ bytes: UnsafeBufferPointer<UInt8>) -> EmbeddingFormat {
        guard let header = parseHeader(bytes) else { return .glove }
        let sample = bytes[header.bodyStart..<min(bytes.count, header.bodyStart + 4096)]
        for byte in sample where (byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D) || byte == 0x7F {
            return .word2vecBinary
        }
        // Float32 bytes that happen to avoid control codes are still very unlikely to be UTF-8.
        var trimmed = Array(sample)
        if header.bodyStart + 4096 < bytes.count {
            while let last = trimmed.last, last >= 0x80 { trimmed.removeLast() }
        }
        if String(validating: trimmed, as: UTF8.self) == nil { return .word2vecBinary }
        return .word2vecText
    }

    /// Detects the format of the file at `path`.
    public static func detectFormat(path: String) throws(EmbeddingError) -> EmbeddingFormat {
        let data = try map(path)
        return data.withUnsafeBytes { detectFormat($0.bindMemory(to: UInt8.self)) }
    }

    /// Parses the file at `path`.
    /// - Parameters:
    ///   - format: the format to read; `nil` detects it.
    ///   - skipBadLines: skip malformed lines (counting them) instead of throwing.
    public static func parse(
        path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false
    ) throws(EmbeddingError) -> EmbeddingParseResult {
        let data = try map(path)
        return try parse(data, path: path, format: format, skipBadLines: skipBadLines)
    }

    /// Parses `data`, naming `path` in errors.
    public static func parse(
        _ data: Data, path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false
    ) throws(EmbeddingError) -> EmbeddingParseResult {
        let result: Result<EmbeddingParseResult, EmbeddingError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var parser = Parser(bytes: bytes, path: path, skipBadLines: skipBadLines)
            let chosen = format ?? detectFormat(bytes)
            do throws(EmbeddingError) {
                switch chosen {
                case .glove: try parser.parseText(hasHeader: false)
                case .word2vecText: try parser.parseText(hasHeader: true)
                case .word2vecBinary: try parser.parseBinary()
                }
                guard !parser.words.isEmpty else { return .failure(.empty(path: path)) }
                let store = EmbeddingStore(
                    table: parser.table, dimension: parser.dimension,
                    vectors: parser.vectors)
                return .success(
                    EmbeddingParseResult(
                        store: store, format: chosen, skippedLines: parser.skipped,
                        skippedErrors: parser.skippedErrors))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func map(_ path: String) throws(EmbeddingError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(path: path, reason: String(describing: error))
        }
    }

    /// The `count dim` header, if the first line is exactly two non-negative integers.
    static func parseHeader(_ bytes: UnsafeBufferPointer<UInt8>) -> (count: Int, dimension: Int, bodyStart: Int)? {
        var end = 0
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count || end > 0 else { return nil }
        var numbers: [Int] = []
        var index = 0
        while index < end {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0D {
                index += 1
                continue
            }
            var value = 0
            var digits = 0
            while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                value = value &* 10 &+ Int(bytes[index] - 0x30)
                digits += 1
                index += 1
                if digits > 15 { return nil }
            }
            if digits == 0 { return nil }
            if index < end, !(bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D) { return nil }
            numbers.append(value)
            if numbers.count > 2 { return nil }
        }
        guard numbers.count == 2 else { return nil }
        return (numbers[0], numbers[1], min(end + 1, bytes.count))
    }
}

/// Powers of ten exactly representable as `Float` (10^10 = 2^10 · 5^10, 5^10 < 2^24).
private let exactPowersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

/// Parses a decimal token to `Float`, rounding to nearest exactly like `strtof`.
/// - Returns: `nil` when the token is not a whole number.
@inline(__always)
func parseFloat(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    // Fast path: [+-]digits[.digits] with mantissa ≤ 2^24 and ≤ 10 decimals. Both operands
    // are exact Floats, so one IEEE division rounds the exact quotient to nearest: strtof's result.
    var index = 0
    var negative = false
    if count > 0 && (start[0] == 0x2D || start[0] == 0x2B) {
        negative = start[0] == 0x2D
        index = 1
    }
    var mantissa: UInt64 = 0
    var digits = 0
    var decimals = 0
    var fast = true
    while index < count {
        let digit = start[index] &- 0x30
        if digit > 9 { break }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        digits += 1
        index += 1
        if digits > 18 { fast = false; break }
    }
    if fast && index < count && start[index] == 0x2E {
        index += 1
        while index < count {
            let digit = start[index] &- 0x30
            if digit > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            digits += 1
            decimals += 1
            index += 1
            if digits > 18 { fast = false; break }
        }
    }
    if fast && index == count && digits > 0 && mantissa <= 1 << 24 && decimals <= 10 {
        let value = Float(mantissa) / exactPowersOfTen[decimals]
        return negative ? -value : value
    }
    return slowParseFloat(start, count)
}

@inline(never)
func slowParseFloat(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    guard count > 0 else { return nil }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> Float? in
        let base = buffer.baseAddress!
        UnsafeMutableRawPointer(base).copyMemory(from: start, byteCount: count)
        base[count] = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtof(base, &end)
        guard let end, end == base + count else { return nil }
        return value
    }
}

/// The byte scanner behind ``EmbeddingFile``.
struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    let skipBadLines: Bool
    var words: [String] = []
    var table = ByteStringTable()
    var lines: [Int32] = []
    var vectors: [Float] = []
    var dimension = 0
    var skipped = 0
    var skippedErrors: [EmbeddingError] = []

    init(bytes: UnsafeBufferPointer<UInt8>, path: String, skipBadLines: Bool) {
        self.bytes = bytes
        self.path = path
        self.skipBadLines = skipBadLines
    }

    /// Throws `error`, or counts it when skipping bad lines.
    mutating func fail(_ error: EmbeddingError) throws(EmbeddingError) {
        guard skipBadLines else { throw error }
        skipped += 1
        if skippedErrors.count < 20 { skippedErrors.append(error) }
    }

    /// Adds `word` (already followed by its values in ``vectors``); rolls back and reports
    /// a duplicate or a word that is not UTF-8.
    mutating func add(
        word: UnsafeBufferPointer<UInt8>, line: Int, rollbackTo mark: Int
    ) throws(EmbeddingError) {
        guard let string = String(validating: word, as: UTF8.self) else {
            vectors.removeSubrange(mark...)
            try fail(.badLine(path: path, line: line, field: 1, reason: "the word is not valid UTF-8"))
            return
        }
        let (id, inserted) = table.insert(word)
        guard inserted else {
            vectors.removeSubrange(mark...)
            try fail(
                .badLine(
                    path: path, line: line, field: 1,
                    reason: "duplicate word '\(string)' (first on line \(lines[id]))"))
            return
        }
        words.append(string)
        lines.append(Int32(truncatingIfNeeded: line))
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    mutating func parseText(hasHeader: Bool) throws(EmbeddingError) {
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let total = bytes.count
        var position = 0
        var line = 0
        var expected: Int? = nil
        if hasHeader {
            guard let header = EmbeddingFile.parseHeader(bytes) else {
                throw .badLine(path: path, line: 1, field: 1, reason: "expected a 'count dimension' header line")
            }
            guard header.dimension > 0 else {
                throw .badLine(path: path, line: 1, field: 2, reason: "the dimension must be positive")
            }
            dimension = header.dimension
            expected = header.count
            position = header.bodyStart
            line = 1
            vectors.reserveCapacity(header.count * header.dimension)
            words.reserveCapacity(header.count)
        } else {
            vectors.reserveCapacity(total / 8)
        }
        while position < total {
            line += 1
            let lineStart = position
            var lineEnd: Int
            if let found = memchr(base + position, 0x0A, total - position) {
                lineEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                position = lineEnd + 1
            } else {
                lineEnd = total
                position = total
            }
            if lineEnd > lineStart && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == lineStart { continue }  // blank line
            // Field 1: the word, up to the first space or tab.
            var cursor = lineStart
            while cursor < lineEnd && !Self.isSpace(base[cursor]) { cursor += 1 }
            let word = UnsafeBufferPointer(start: base + lineStart, count: cursor - lineStart)
            if word.isEmpty {
                try fail(.badLine(path: path, line: line, field: 1, reason: "the line starts with a space: no word"))
                continue
            }
            if dimension == 0 {
                // GloVe: the first entry fixes the dimension.
                var fields = 0
                var scan = cursor
                while scan < lineEnd {
                    while scan < lineEnd && Self.isSpace(base[scan]) { scan += 1 }
                    if scan == lineEnd { break }
                    fields += 1
                    while scan < lineEnd && !Self.isSpace(base[scan]) { scan += 1 }
                }
                guard fields > 0 else {
                    throw .badLine(path: path, line: line, field: 2, reason: "the first entry has no values")
                }
                dimension = fields
            }
            let mark = vectors.count
            var field = 1
            var bad: EmbeddingError? = nil
            while true {
                while cursor < lineEnd && Self.isSpace(base[cursor]) { cursor += 1 }
                if cursor == lineEnd { break }
                let tokenStart = cursor
                while cursor < lineEnd && !Self.isSpace(base[cursor]) { cursor += 1 }
                field += 1
                if field > dimension + 1 {
                    bad = .badLine(
                        path: path, line: line, field: field,
                        reason: "too many values: expected \(dimension), found more")
                    break
                }
                guard let value = parseFloat(base + tokenStart, cursor - tokenStart), value.isFinite else {
                    let token = String(decoding: UnsafeBufferPointer(start: base + tokenStart, count: cursor - tokenStart), as: UTF8.self)
                    bad = .badLine(path: path, line: line, field: field, reason: "'\(token)' is not a finite number")
                    break
                }
                vectors.append(value)
            }
            if bad == nil && field < dimension + 1 {
                bad = .badLine(
                    path: path, line: line, field: field + 1,
                    reason: "too few values: expected \(dimension), found \(field - 1)")
            }
            if let bad {
                vectors.removeSubrange(mark...)
                try fail(bad)
                continue
            }
            try add(word: word, line: line, rollbackTo: mark)
        }
        if let expected, expected != words.count + skipped {
            throw .badLine(
                path: path, line: 1, field: 1,
                reason: "the header announces \(expected) words but the file holds \(words.count + skipped)")
        }
    }

    mutating func parseBinary() throws(EmbeddingError) {
        guard let header = EmbeddingFile.parseHeader(bytes) else {
            throw .badLine(path: path, line: 1, field: 1, reason: "expected a 'count dimension' header line")
        }
        guard header.dimension > 0 else {
            throw .badLine(path: path, line: 1, field: 2, reason: "the dimension must be positive")
        }
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let total = bytes.count
        dimension = header.dimension
        let rowBytes = 4 * dimension
        vectors.reserveCapacity(header.count * dimension)
        words.reserveCapacity(header.count)
        var position = header.bodyStart
        for entry in 0..<header.count {
            let line = entry + 2
            while position < total && (base[position] == 0x0A || base[position] == 0x0D) { position += 1 }
            let wordStart = position
            while position < total && base[position] != 0x20 { position += 1 }
            guard position < total else {
                throw .badLine(
                    path: path, line: line, field: 1,
                    reason: "binary entry \(entry + 1) at byte \(wordStart): truncated word (header announces \(header.count))")
            }
            let word = UnsafeBufferPointer(start: base + wordStart, count: position - wordStart)
            position += 1
            guard total - position >= rowBytes else {
                throw .badLine(
                    path: path, line: line, field: 2 + (total - position) / 4,
                    reason: "binary entry \(entry + 1) at byte \(wordStart): truncated vector")
            }
            let mark = vectors.count
            var bad: EmbeddingError? = nil
            let raw = UnsafeRawPointer(base + position)
            for k in 0..<dimension {
                let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
                let value = Float(bitPattern: bits)
                if !value.isFinite && bad == nil {
                    bad = .badLine(
                        path: path, line: line, field: k + 2,
                        reason: "binary entry \(entry + 1): value is not finite")
                }
                vectors.append(value)
            }
            position += rowBytes
            if word.isEmpty && bad == nil {
                bad = .badLine(path: path, line: line, field: 1, reason: "binary entry \(entry + 1): empty word")
            }
            if let bad {
                vectors.removeSubrange(mark...)
                try fail(bad)
                continue
            }
            try add(word: word, line: line, rollbackTo: mark)
        }
    }
}
