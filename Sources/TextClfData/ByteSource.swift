import Foundation
import TextClfText

/// The bytes of one file, viewed through a pointer, plus what every reader needs to decode
/// fields and report errors.
struct ByteContext {
    /// The file's bytes.
    let p: UnsafePointer<UInt8>
    /// The number of bytes.
    let count: Int
    /// Where the content starts (3 when a UTF-8 BOM is skipped, else 0).
    let start: Int
    /// The path used in sources and errors.
    let path: String
    /// The field decoder.
    let decoder: ByteDecoder

    /// The 1-based line holding byte `offset`, lines ending as ``LineBreaks`` says (counted,
    /// so only for error paths).
    func line(at offset: Int) -> Int {
        LineBreaks.lineNumber(in: p, count: count, at: offset)
    }

    /// The error for an undecodable byte at `offset`.
    func encodingError(at offset: Int, field: Int? = nil, fieldName: String? = nil) -> CorpusError {
        let byte = String(p[offset], radix: 16, uppercase: true)
        return CorpusError(
            .invalidEncoding, path: path, line: line(at: offset), field: field, fieldName: fieldName,
            byteOffset: offset,
            message: "invalid \(decoder.encoding.rawValue) byte 0x\(byte.count == 1 ? "0" + byte : byte) (use decode errors 'replace' or 'ignore', or another encoding)")
    }

    /// Decodes `start..<end`, turning a strict failure into a ``CorpusError``.
    func decode(_ s: Int, _ e: Int, field: Int? = nil, fieldName: String? = nil) throws -> String {
        do {
            return try decoder.decode(p, s, e)
        } catch {
            throw encodingError(at: error.offset, field: field, fieldName: fieldName)
        }
    }

    /// Checks that `start..<end` decodes under `strict`, turning a failure into a ``CorpusError``.
    func validate(_ s: Int, _ e: Int, field: Int? = nil, fieldName: String? = nil) throws {
        guard decoder.encoding == .utf8, decoder.errors == .strict else { return }
        if let bad = ByteDecoder.firstInvalidUTF8(p, s, e) {
            throw encodingError(at: bad, field: field, fieldName: fieldName)
        }
    }

    /// The index of the next `byte` in `from..<to`, or `to` when there is none.
    @inline(__always)
    func find(_ byte: UInt8, from: Int, to: Int) -> Int {
        guard from < to, let found = memchr(p + from, Int32(byte), to - from) else { return to }
        return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
    }

    /// Calls `body` with the context of `bytes`, named `path`, skipping a UTF-8 byte-order mark
    /// when the decoder reads UTF-8.
    static func with<R>(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, decoder: ByteDecoder, _ body: (ByteContext) throws -> R
    ) rethrows -> R {
        var empty: UInt8 = 0
        return try withUnsafePointer(to: &empty) { placeholder in
            let p = bytes.baseAddress ?? placeholder
            let bom = decoder.encoding == .utf8 && bytes.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF
            return try body(ByteContext(p: p, count: bytes.count, start: bom ? 3 : 0, path: path, decoder: decoder))
        }
    }
}

/// Maps (or reads) a file and hands its bytes to `body`.
///
/// - Throws: ``CorpusError`` when the file cannot be read, and whatever `body` throws.
func withFileBytes<R>(
    path: String, encoding: TextEncoding, errors: DecodeErrors,
    _ body: (ByteContext) throws -> R
) throws -> R {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        if !FileManager.default.fileExists(atPath: path) {
            throw CorpusError(.fileNotFound, path: path, message: "no such file")
        }
        throw CorpusError(.unreadable, path: path, message: "cannot read the file: \(error.localizedDescription)")
    }
    return try data.withUnsafeBytes { raw in
        try ByteContext.with(
            raw.bindMemory(to: UInt8.self), path: path, decoder: ByteDecoder(encoding: encoding, errors: errors), body)
    }
}

/// Maps a file read-only and hands its bytes to `body` with a function that drops the
/// mapping's resident pages. The bytes stay readable (touched pages come back from the page
/// cache), so a reader that calls it every so often keeps its resident memory small however
/// large the file (`CorpusReader.boundedMemory`).
///
/// - Throws: ``CorpusError`` when the file cannot be opened or mapped, and whatever `body` throws.
func withReleasableFileBytes<R>(
    path: String, encoding: TextEncoding, errors: DecodeErrors,
    _ body: (ByteContext, _ release: () -> Void) throws -> R
) throws -> R {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        if errno == ENOENT { throw CorpusError(.fileNotFound, path: path, message: "no such file") }
        throw CorpusError(.unreadable, path: path, message: "cannot read the file: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        throw CorpusError(.unreadable, path: path, message: "cannot read the file: \(String(cString: strerror(errno)))")
    }
    let size = Int(status.st_size)
    let decoder = ByteDecoder(encoding: encoding, errors: errors)
    guard size > 0 else {
        return try ByteContext.with(UnsafeBufferPointer(start: nil, count: 0), path: path, decoder: decoder) { try body($0, {}) }
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
        throw CorpusError(.unreadable, path: path, message: "cannot map the file: \(String(cString: strerror(errno)))")
    }
    defer { munmap(base, size) }
    let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
    return try ByteContext.with(bytes, path: path, decoder: decoder) { context in
        try body(context, { _ = madvise(base, size, MADV_DONTNEED) })
    }
}
