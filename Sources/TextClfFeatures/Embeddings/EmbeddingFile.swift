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
        try map(path).withUnsafeBytes { detectFormat($0.bindMemory(to: UInt8.self)) }
    }

    /// Parses the file at `path`.
    /// - Parameters:
    ///   - format: the format to read; `nil` detects it.
    ///   - skipBadLines: skip malformed lines (counting them) instead of throwing.
    public static func parse(
        path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false
    ) throws(EmbeddingError) -> EmbeddingParseResult {
        try parse(try map(path), path: path, format: format, skipBadLines: skipBadLines)
    }

    /// Parses `data`, naming `path` in errors.
    ///
    /// Large text files are parsed in parallel, in pieces cut at line boundaries; errors,
    /// line numbers and the result are those of a line-by-line reading.
    public static func parse(
        _ data: Data, path: String, format: EmbeddingFormat? = nil, skipBadLines: Bool = false
    ) throws(EmbeddingError) -> EmbeddingParseResult {
        try parse(data, path: path, format: format, skipBadLines: skipBadLines) { capacity, _ throws(EmbeddingError) in
            try StoreImage.memory(capacity: capacity)
        }.result
    }

    /// Parses `data` into an image from `makeImage` (a temporary store file for the cache).
    static func parse(
        _ data: Data, path: String, format: EmbeddingFormat?, skipBadLines: Bool, pieceBytes: Int = 1 << 20,
        makeImage: EmbeddingParser.ImageMaker
    ) throws(EmbeddingError) -> (result: EmbeddingParseResult, built: EmbeddingParser.Built) {
        let outcome: Result<(EmbeddingParseResult, EmbeddingParser.Built), EmbeddingError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let chosen = format ?? detectFormat(bytes)
            do throws(EmbeddingError) {
                let built = try EmbeddingParser.build(
                    bytes, path: path, format: chosen, skipBadLines: skipBadLines, pieceBytes: pieceBytes,
                    makeImage: makeImage)
                let store = EmbeddingStore(mapped: MappedEmbeddings(image: built.image, layout: built.layout, path: path))
                let result = EmbeddingParseResult(
                    store: store, format: chosen, skippedLines: built.skipped, skippedErrors: built.skippedErrors)
                return .success((result, built))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
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
let exactPowersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

/// Parses a decimal token to `Float`, rounding to nearest exactly like `strtof`.
/// - Returns: `nil` when the token is not a whole number.
@inline(__always)
func parseFloat(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    var index = 0
    if let value = scanDecimal(start, &index, count), index == count { return value }
    return slowParseFloat(start, count)
}

/// Reads `[+-]digits[.digits]` from `base[position...]` (up to `end`), moving `position` past
/// it, and returns its value when the fast path is exact: at most 18 digits, a mantissa of at
/// most 2^24 and at most 10 decimals. Both operands of the one division are then exact
/// Floats, so IEEE rounding of the quotient gives strtof's result. `nil` otherwise (the
/// caller reads the token with ``slowParseFloat(_:_:)``).
@inline(__always)
func scanDecimal(_ base: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int) -> Float? {
    var negative = false
    if position < end && (base[position] == 0x2D || base[position] == 0x2B) {
        negative = base[position] == 0x2D
        position += 1
    }
    var mantissa: UInt64 = 0
    let integerDigits = accumulateDigits(base, &position, end, &mantissa)
    var decimals = 0
    if position < end && base[position] == 0x2E {
        position += 1
        decimals = accumulateDigits(base, &position, end, &mantissa)
    }
    let digits = integerDigits + decimals
    guard digits > 0, digits <= 18, mantissa <= 1 << 24, decimals <= 10 else { return nil }
    let value = Float(mantissa) / exactPowersOfTen[decimals]
    return negative ? -value : value
}

/// Appends the decimal digits at `base[position...]` to `mantissa` (wrapping past 19 digits,
/// which ``scanDecimal(_:_:_:)`` rejects) and returns how many there were.
@inline(__always)
private func accumulateDigits(
    _ base: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int, _ mantissa: inout UInt64
) -> Int {
    let first = position
    while position < end {
        let digit = base[position] &- 0x30
        if digit > 9 { break }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        position += 1
    }
    return position - first
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
