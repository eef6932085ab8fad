import CZlib
import Foundation

/// A numpy `.npz` archive: named ``NPYArray``s stored as `<name>.npy` ZIP members.
///
/// Names are numpy's keys, without the `.npy` suffix (`np.load(path)["data"]`). Writing uses
/// STORED members only, like `np.savez` and `scipy.sparse.save_npz(..., compressed=False)`;
/// reading also accepts DEFLATE members (`np.savez_compressed`, scipy's default
/// `compressed=True`), checking their CRC-32.
public struct NPZArchive: Equatable, Sendable {
    /// The array names, in archive order.
    public private(set) var names: [String] = []
    private var arrays: [String: NPYArray] = [:]

    /// Creates an empty archive.
    public init() {}

    /// The array called `name` (a key without the `.npy` suffix), or `nil`.
    public subscript(name: String) -> NPYArray? {
        get { arrays[name] }
        set {
            if arrays[name] == nil, newValue != nil { names.append(name) }
            if newValue == nil { names.removeAll { $0 == name } }
            arrays[name] = newValue
        }
    }

    /// Reads an `.npz` file.
    /// - Throws: ``TensorFileError`` naming the file and member when the archive is corrupt, a
    ///   member uses a compression other than DEFLATE or is not a supported `.npy` array, or
    ///   the file cannot be read.
    /// - Complexity: O(file size).
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TensorFileError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        self = try data.withUnsafeBytes { bytes in
            let zip = try ZipReader(bytes: bytes, path: path)
            var archive = NPZArchive()
            for member in zip.members where !member.name.hasSuffix("/") {
                let key = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
                archive[key] = try NPZArchive.decode(member, of: zip, path: path)
            }
            return archive
        }
    }

    static func decode(_ member: ZipReader.Member, of zip: ZipReader, path: String) throws -> NPYArray {
        guard member.flags & 1 == 0 else {
            throw TensorFileError(path: path, member: member.name, message: "encrypted members are not supported")
        }
        let raw = try zip.rawData(of: member)
        switch member.method {
        case 0:
            do { return try NPYArray(decoding: raw, path: path) } catch let error as TensorFileError {
                throw error.inMember(member.name)
            }
        case 8:
            let inflated: [UInt8]
            do { inflated = try inflateRaw(raw, expectedSize: member.size) } catch {
                throw TensorFileError(
                    path: path, member: member.name,
                    message: "corrupt compressed member (\(error.message)); re-save with scipy.sparse.save_npz(..., compressed=False)")
            }
            let checksum = inflated.withUnsafeBytes { crc32Update(0, $0) }
            guard checksum == member.crc else {
                throw TensorFileError(path: path, member: member.name, message: "CRC-32 mismatch after decompression")
            }
            do { return try inflated.withUnsafeBytes { try NPYArray(decoding: $0, path: path) } } catch let error as TensorFileError {
                throw error.inMember(member.name)
            }
        default:
            throw TensorFileError(path: path, member: member.name, message: "unsupported ZIP compression method \(member.method)")
        }
    }

    /// Writes the archive atomically, members in ``names`` order.
    /// - Throws: ``TensorFileError`` on a file-system failure or a member over 4 GiB.
    /// - Complexity: O(total array bytes).
    public func write(to path: String) throws {
        try AtomicFile.write(to: path) { output in
            let zip = ZipStoredWriter(output: output)
            for name in names {
                let array = arrays[name]!
                try zip.npyMember(name, dtype: array.dtype, shape: array.shape) {
                    try array.elements.withUnsafeBytes { try zip.write($0) }
                }
            }
            try zip.finish()
        }
    }
}

/// Why a raw DEFLATE stream could not be decompressed.
struct InflateFailure: Error {
    var message: String
}

/// Decompresses the raw DEFLATE stream (RFC 1951, no zlib or gzip wrapper) of a ZIP member with
/// zlib, into exactly `expectedSize` bytes.
/// - Throws: ``InflateFailure`` when the stream is corrupt, ends early, or does not decompress
///   to `expectedSize` bytes.
/// - Complexity: O(`expectedSize`).
func inflateRaw(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(InflateFailure) -> [UInt8] {
    // DEFLATE's densest code (258-byte matches in under 2 bits each) expands at most 1032
    // times: a larger declared size is a corrupt header, refused before it is allocated.
    guard expectedSize >= 0, expectedSize / 1032 <= input.count else {
        throw InflateFailure(message: "the header declares \(expectedSize) bytes, more than DEFLATE makes of \(input.count) compressed bytes")
    }
    var stream = z_stream()
    guard textclf_inflate_init_raw(&stream) == Z_OK else { throw InflateFailure(message: "zlib could not start inflating") }
    defer { inflateEnd(&stream) }
    // One byte of room past the expected size, so that a stream that decompresses to more is
    // caught rather than cut short (and so that the output pointer is never null).
    var output = [UInt8](repeating: 0, count: expectedSize + 1)
    let chunk = Int(UInt32.max)
    var status = Z_OK
    output.withUnsafeMutableBytes { out in
        var inputLeft = input.count
        var outputLeft = out.count
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        // zlib counts its buffers in 32 bits: feed both in pieces of at most 4 GiB.
        while status == Z_OK {
            let inputPiece = min(inputLeft, chunk)
            let outputPiece = min(outputLeft, chunk)
            stream.avail_in = uInt(inputPiece)
            stream.avail_out = uInt(outputPiece)
            status = inflate(&stream, Z_NO_FLUSH)
            inputLeft -= inputPiece - Int(stream.avail_in)
            outputLeft -= outputPiece - Int(stream.avail_out)
        }
    }
    let produced = Int(stream.total_out)
    guard produced <= expectedSize else {
        throw InflateFailure(message: "inflates to more than the expected \(expectedSize) bytes")
    }
    switch status {
    case Z_STREAM_END where produced == expectedSize:
        output.removeLast()
        return output
    case Z_STREAM_END:
        throw InflateFailure(message: "inflated to \(produced) bytes, expected \(expectedSize)")
    case Z_BUF_ERROR:
        throw InflateFailure(message: "compressed data ends early")
    default:
        throw InflateFailure(message: stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
    }
}

/// `crc` continued over `bytes` (zlib's `crc32_z`); start from 0 for the CRC-32 of ZIP members.
func crc32Update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
    return UInt32(crc32_z(uLong(crc), base.assumingMemoryBound(to: Bytef.self), bytes.count))
}

/// Streams `source` converted element by element into fixed-size chunks, so that widening a
/// large array (e.g. `Float` values to `float64`) never allocates a second full-size copy.
func emitConverted<Source, Target>(
    _ source: [Source], to _: Target.Type, into zip: ZipStoredWriter, _ convert: (Source) -> Target
) throws {
    let chunk = 1 << 15
    var buffer = [Target]()
    buffer.reserveCapacity(min(chunk, source.count))
    try source.withUnsafeBufferPointer { elements in
        var start = 0
        while start < elements.count {
            let end = min(start + chunk, elements.count)
            buffer.removeAll(keepingCapacity: true)
            for index in start..<end { buffer.append(convert(elements[index])) }
            try buffer.withUnsafeBytes { try zip.write($0) }
            start = end
        }
    }
}
