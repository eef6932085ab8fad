import Foundation

/// Writes a ZIP archive of STORED (uncompressed) members, streaming each member's bytes.
///
/// Each local header is written with a zero CRC, the member is streamed while being
/// checksummed, and the CRC is patched in afterwards, so no member is ever held in memory
/// twice. Timestamps are fixed at 1980-01-01 00:00 so that equal matrices give equal files.
/// ZIP64 is not written: a member or archive offset past 4 GiB is refused before anything of
/// that member is written.
final class ZipStoredWriter {
    private struct Entry {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt32
        var offset: UInt32
    }

    private let output: FileOutput
    private var entries: [Entry] = []
    private static let dosDate: UInt16 = 0x21  // 1980-01-01
    private static let limit = Int(UInt32.max)

    init(output: FileOutput) { self.output = output }

    private var current: (name: String, nameBytes: [UInt8], offset: Int, crcPosition: Int, dataStart: Int, size: Int, crc: UInt32)?

    /// Starts a member of exactly `size` bytes, to be given with ``write(_:)`` and closed with ``endMember()``.
    func beginMember(name: String, size: Int) throws {
        precondition(current == nil, "ZIP member \(current!.name) was not ended")
        let nameBytes = Array(name.utf8)
        let offset = output.offset
        guard size <= Self.limit, offset <= Self.limit, entries.count < 0xFFFF else {
            throw TensorFileError(
                path: output.path, member: name,
                message: "member of \(size) bytes at offset \(offset) needs ZIP64 (over 4 GiB), which is not supported; split the matrix")
        }
        var header = LittleEndianBytes()
        header.append(UInt32(0x0403_4B50))
        header.append(UInt16(20))  // version needed: 2.0
        header.append(UInt16(0))  // flags
        header.append(UInt16(0))  // method: stored
        header.append(UInt16(0))  // time
        header.append(Self.dosDate)
        let crcPosition = offset + header.bytes.count
        header.append(UInt32(0))  // CRC, patched by endMember
        header.append(UInt32(size))
        header.append(UInt32(size))
        header.append(UInt16(nameBytes.count))
        header.append(UInt16(0))  // extra length
        header.bytes += nameBytes
        try output.write(header.bytes)
        current = (name, nameBytes, offset, crcPosition, output.offset, size, 0)
    }

    /// Appends bytes to the current member.
    func write(_ piece: UnsafeRawBufferPointer) throws {
        current!.crc = crc32Update(current!.crc, piece)
        try output.write(piece)
    }

    /// Appends bytes to the current member.
    func write(_ piece: [UInt8]) throws {
        try piece.withUnsafeBytes { try write($0) }
    }

    /// Writes the member `<name>.npy`: the NPY header for `dtype` and `shape`, then the
    /// elements, which `body` writes.
    func npyMember(_ name: String, dtype: NPYDType, shape: [Int], _ body: () throws -> Void) throws {
        let header = NPYArray.header(dtype: dtype, shape: shape)
        try beginMember(name: name + ".npy", size: header.count + shape.reduce(1, *) * dtype.itemSize)
        try write(header)
        try body()
        try endMember()
    }

    /// Finishes the current member, filling in its checksum.
    func endMember() throws {
        guard let member = current else { preconditionFailure("no ZIP member to end") }
        let written = output.offset - member.dataStart
        precondition(written == member.size, "ZIP member \(member.name) declared \(member.size) bytes but wrote \(written)")
        var patch = LittleEndianBytes()
        patch.append(member.crc)
        try output.overwrite(patch.bytes, at: member.crcPosition)
        entries.append(Entry(name: member.nameBytes, crc: member.crc, size: UInt32(member.size), offset: UInt32(member.offset)))
        current = nil
    }

    /// Writes the central directory and the end-of-central-directory record.
    func finish() throws {
        let directoryOffset = output.offset
        var directory = LittleEndianBytes()
        for entry in entries {
            directory.append(UInt32(0x0201_4B50))
            directory.append(UInt16(0x031E))  // made by: Unix, spec 3.0
            directory.append(UInt16(20))
            directory.append(UInt16(0))
            directory.append(UInt16(0))
            directory.append(UInt16(0))
            directory.append(Self.dosDate)
            directory.append(entry.crc)
            directory.append(entry.size)
            directory.append(entry.size)
            directory.append(UInt16(entry.name.count))
            directory.append(UInt16(0))  // extra
            directory.append(UInt16(0))  // comment
            directory.append(UInt16(0))  // disk
            directory.append(UInt16(0))  // internal attributes
            directory.append(UInt32(0o100644) << 16)  // external: regular file, rw-r--r--
            directory.append(entry.offset)
            directory.bytes += entry.name
        }
        guard directoryOffset + directory.bytes.count <= Self.limit else {
            throw TensorFileError(path: output.path, message: "archive over 4 GiB needs ZIP64, which is not supported; split the matrix")
        }
        let directorySize = UInt32(directory.bytes.count)
        directory.append(UInt32(0x0605_4B50))
        directory.append(UInt16(0))
        directory.append(UInt16(0))
        directory.append(UInt16(entries.count))
        directory.append(UInt16(entries.count))
        directory.append(directorySize)
        directory.append(UInt32(directoryOffset))
        directory.append(UInt16(0))  // comment length
        try output.write(directory.bytes)
    }
}

/// A growable little-endian byte buffer for binary headers.
struct LittleEndianBytes {
    var bytes: [UInt8] = []
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads the member table of a ZIP archive held in memory (usually memory-mapped).
struct ZipReader {
    struct Member {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    let path: String
    let bytes: UnsafeRawBufferPointer
    private(set) var members: [Member] = []

    private func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
    private func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
    private func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }

    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        self.bytes = bytes
        self.path = path
        func fail(_ message: String) -> TensorFileError { TensorFileError(path: path, message: message) }
        // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
        var end = -1
        var candidate = bytes.count - 22
        while candidate >= 0 && candidate >= bytes.count - 22 - 0xFFFF {
            if u32(candidate) == 0x0605_4B50 { end = candidate; break }
            candidate -= 1
        }
        guard end >= 0 else { throw fail("not a ZIP/NPZ archive (no end-of-central-directory record)") }
        var count = u16(end + 10)
        var directorySize = u32(end + 12)
        var directoryOffset = u32(end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            let locator = end - 20
            guard locator >= 0, u32(locator) == 0x0706_4B50 else { throw fail("ZIP64 end record locator missing") }
            let record = u64(locator + 8)
            guard record >= 0, record + 56 <= bytes.count, u32(record) == 0x0606_4B50 else { throw fail("ZIP64 end record missing") }
            count = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= bytes.count else {
            throw fail("corrupt ZIP archive: central directory outside the file")
        }
        var position = directoryOffset
        for _ in 0..<count {
            guard position + 46 <= bytes.count, u32(position) == 0x0201_4B50 else {
                throw fail("corrupt ZIP archive: bad central directory entry at offset \(position)")
            }
            let nameLength = u16(position + 28)
            let extraLength = u16(position + 30)
            let commentLength = u16(position + 32)
            guard position + 46 + nameLength + extraLength <= bytes.count else { throw fail("corrupt ZIP archive: truncated central directory") }
            var member = Member(
                name: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 46)..<(position + 46 + nameLength)]), as: UTF8.self),
                method: UInt16(u16(position + 10)), flags: UInt16(u16(position + 8)), crc: UInt32(u32(position + 16)),
                compressedSize: u32(position + 20), size: u32(position + 24), localHeaderOffset: u32(position + 42))
            // ZIP64 extra field: present values follow in a fixed order for the saturated fields.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra)
                let length = u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if member.size == 0xFFFF_FFFF, field + 8 <= extraEnd { member.size = u64(field); field += 8 }
                    if member.compressedSize == 0xFFFF_FFFF, field + 8 <= extraEnd { member.compressedSize = u64(field); field += 8 }
                    if member.localHeaderOffset == 0xFFFF_FFFF, field + 8 <= extraEnd { member.localHeaderOffset = u64(field) }
                }
                extra += 4 + length
            }
            members.append(member)
            position = extraEnd + commentLength
        }
    }

    /// The raw (possibly compressed) bytes of `member`, located through its local header.
    func rawData(of member: Member) throws -> UnsafeRawBufferPointer {
        let local = member.localHeaderOffset
        guard local >= 0, local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else {
            throw TensorFileError(path: path, member: member.name, message: "corrupt ZIP archive: bad local header")
        }
        let start = local + 30 + u16(local + 26) + u16(local + 28)
        guard member.compressedSize >= 0, start + member.compressedSize <= bytes.count else {
            throw TensorFileError(path: path, member: member.name, message: "corrupt ZIP archive: member data runs past the end of the file")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + member.compressedSize)])
    }
}
