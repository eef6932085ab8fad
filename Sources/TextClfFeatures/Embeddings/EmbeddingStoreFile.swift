import Foundation
import TextClfTensor
import TextClfText

/// The binary, memory-mappable layout in which ``EmbeddingCache`` keeps a parsed embedding
/// file (`<cache>/stores/*.tcemb`).
///
/// All integers are little-endian; every section starts on a 64-byte boundary:
///
/// | offset | content |
/// |---|---|
/// | 0 | magic `TCLFEMB1` |
/// | 8 | format version (`UInt32`, 1), dimension (`UInt32`) |
/// | 16 | word count, slot count, arena bytes (`UInt64` each) |
/// | 40 | checksum of every byte from offset 64 to the end (`UInt64`) |
/// | 48 | file size (`UInt64`) |
/// | 64 | vectors: `count × dimension` float32, row-major |
/// | … | word ends: `count` × `UInt64`, the arena offset one past each word |
/// | … | lookup slots: `slotCount` × `UInt64`, open addressing with linear probing on the words' 64-bit FNV-1a hash; each slot packs the hash's upper 32 bits over `row + 1`, 0 when empty |
/// | … | arena: the words' UTF-8 bytes back to back, in row order |
///
/// A load maps the file, checks the header against the file's size and the checksum over
/// the body, and then uses it in place: no copy, no parsing, no table to rebuild.
enum EmbeddingStoreFile {
    static let magic: [UInt8] = Array("TCLFEMB1".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64

    /// Section offsets and the total size for a store of the given shape.
    struct Layout: Equatable {
        let count: Int
        let dimension: Int
        let slotCount: Int
        let arenaBytes: Int

        var vectorsOffset: Int { EmbeddingStoreFile.headerSize }
        var endsOffset: Int { align(vectorsOffset + 4 * count * dimension) }
        var slotsOffset: Int { align(endsOffset + 8 * count) }
        var arenaOffset: Int { align(slotsOffset + 8 * slotCount) }
        var fileSize: Int { arenaOffset + arenaBytes }

        private func align(_ offset: Int) -> Int { (offset + 63) & ~63 }

        /// The slot count for `count` words: a power of two at least twice the count.
        static func slotCount(for count: Int) -> Int {
            var size = 16
            while size < count * 2 { size <<= 1 }
            return size
        }
    }

    /// Writes `store` to `path` atomically (temporary file, fsync, rename).
    static func write(_ store: EmbeddingStore, to path: String) throws {
        #if _endian(big)
        throw EmbeddingError.cache("the store file layout is little-endian only")
        #else
        let count = store.count
        let layout = Layout(
            count: count, dimension: store.dimension, slotCount: Layout.slotCount(for: count),
            arenaBytes: store.arenaByteCount)
        // Every byte is written below (sections, zeroed padding and slots), so the buffer is
        // not zero-filled first: the vectors alone are most of it.
        let bodySize = layout.fileSize - headerSize
        let body = [UInt8](unsafeUninitializedCapacity: bodySize) { raw, initialized in
            let base = UnsafeMutableRawPointer(raw.baseAddress!) - headerSize
            let vectorBytes = 4 * count * layout.dimension
            store.withVectors { vectors in
                if !vectors.isEmpty {
                    (base + layout.vectorsOffset).copyMemory(from: vectors.baseAddress!, byteCount: 4 * vectors.count)
                }
            }
            (base + layout.vectorsOffset + vectorBytes).initializeMemory(
                as: UInt8.self, repeating: 0, count: layout.endsOffset - layout.vectorsOffset - vectorBytes)
            (base + layout.endsOffset + 8 * count).initializeMemory(
                as: UInt8.self, repeating: 0, count: layout.slotsOffset - layout.endsOffset - 8 * count)
            (base + layout.slotsOffset).initializeMemory(as: UInt8.self, repeating: 0, count: layout.arenaOffset - layout.slotsOffset)
            initialized = bodySize
            let ends = (base + layout.endsOffset).bindMemory(to: UInt64.self, capacity: count)
            let slots = (base + layout.slotsOffset).bindMemory(to: UInt64.self, capacity: layout.slotCount)
            let arena = (base + layout.arenaOffset).assumingMemoryBound(to: UInt8.self)
            let mask = layout.slotCount - 1
            var offset = 0
            for row in 0..<count {
                store.withWord(row) { word in
                    if !word.isEmpty { (arena + offset).update(from: word.baseAddress!, count: word.count) }
                    offset += word.count
                    ends[row] = UInt64(offset)
                    let hash = ByteStringTable.hash(word)
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                    slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(row + 1)
                }
            }
            if offset < layout.arenaBytes { (arena + offset).initialize(repeating: 0, count: layout.arenaBytes - offset) }
        }
        var header = [UInt8](repeating: 0, count: headerSize)
        header.replaceSubrange(0..<8, with: magic)
        header.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(layout.dimension).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt64(count).littleEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: UInt64(layout.slotCount).littleEndian, toByteOffset: 24, as: UInt64.self)
            raw.storeBytes(of: UInt64(layout.arenaBytes).littleEndian, toByteOffset: 32, as: UInt64.self)
            raw.storeBytes(of: body.withUnsafeBytes { checksum($0) }.littleEndian, toByteOffset: 40, as: UInt64.self)
            raw.storeBytes(of: UInt64(layout.fileSize).littleEndian, toByteOffset: 48, as: UInt64.self)
        }
        try AtomicFile.write(to: path) { output in
            try output.write(header)
            try body.withUnsafeBytes { try output.write($0) }
        }
        #endif
    }

    /// A 64-bit checksum read at memory speed: four independent FNV-1a-style lanes over
    /// 8-byte words (each with an xor-shift for mixing), folded with the length and tail.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (
            0xCBF2_9CE4_8422_2325, 0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9
        )
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return lanes.0 ^ UInt64(count) }
        var offset = 0
        while offset + 32 <= count {
            lanes.0 = (lanes.0 ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* prime
            lanes.1 = (lanes.1 ^ base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* prime
            lanes.2 = (lanes.2 ^ base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) &* prime
            lanes.3 = (lanes.3 ^ base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)) &* prime
            lanes.0 ^= lanes.0 >> 29
            lanes.1 ^= lanes.1 >> 29
            lanes.2 ^= lanes.2 >> 29
            lanes.3 ^= lanes.3 >> 29
            offset += 32
        }
        var hash = UInt64(count)
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] {
            hash = (hash ^ lane) &* prime
            hash ^= hash >> 31
        }
        while offset < count {
            hash = (hash ^ UInt64(base.load(fromByteOffset: offset, as: UInt8.self))) &* prime
            offset += 1
        }
        return hash
    }
}

/// A store file mapped read-only into memory, checked and used in place.
final class MappedEmbeddings: @unchecked Sendable {
    /// Why a store file cannot be used.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    let count: Int
    let dimension: Int
    let arenaBytes: Int
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let vectors: UnsafePointer<Float>
    private let ends: UnsafePointer<UInt64>
    private let slots: UnsafePointer<UInt64>
    private let arena: UnsafePointer<UInt8>
    private let mask: Int

    /// Maps `path` and checks its header against `expected` (count, dimension) and its
    /// checksum against the file's own.
    init(path: String, count expectedCount: Int, dimension expectedDimension: Int) throws(Invalid) {
        #if _endian(big)
        throw Invalid(description: "store files are little-endian")
        #else
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Invalid(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Invalid(description: "cannot stat \(path)") }
        let size = Int(status.st_size)
        guard size >= EmbeddingStoreFile.headerSize else { throw Invalid(description: "truncated to \(size) bytes") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, descriptor, 0), mapped != MAP_FAILED
        else {
            throw Invalid(description: "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        func fail(_ why: String) -> Invalid {
            munmap(mapped, size)
            return Invalid(description: why)
        }
        let header = UnsafeRawBufferPointer(start: mapped, count: EmbeddingStoreFile.headerSize)
        guard Array(header[0..<8]) == EmbeddingStoreFile.magic else { throw fail("not a store file (bad magic)") }
        let version = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == EmbeddingStoreFile.version else { throw fail("store format version \(version)") }
        let dimension = Int(UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let count = Int(truncatingIfNeeded: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        let slotCount = Int(truncatingIfNeeded: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        let arenaBytes = Int(truncatingIfNeeded: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
        let checksum = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
        let recordedSize = Int(truncatingIfNeeded: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 48, as: UInt64.self)))
        guard count == expectedCount, dimension == expectedDimension else {
            throw fail("holds \(count) × \(dimension), the index says \(expectedCount) × \(expectedDimension)")
        }
        guard count >= 0, arenaBytes >= 0, slotCount >= 16, slotCount & (slotCount - 1) == 0, slotCount >= 2 * count
        else { throw fail("inconsistent header") }
        let layout = EmbeddingStoreFile.Layout(
            count: count, dimension: dimension, slotCount: slotCount, arenaBytes: arenaBytes)
        guard layout.fileSize == recordedSize, recordedSize == size else {
            throw fail("\(size) bytes where the header describes \(layout.fileSize) (truncated or overwritten)")
        }
        let body = UnsafeRawBufferPointer(start: mapped + EmbeddingStoreFile.headerSize, count: size - EmbeddingStoreFile.headerSize)
        guard EmbeddingStoreFile.checksum(body) == checksum else { throw fail("checksum mismatch") }
        let ends = UnsafeRawPointer(mapped + layout.endsOffset).assumingMemoryBound(to: UInt64.self)
        if count > 0 && Int(truncatingIfNeeded: ends[count - 1]) != arenaBytes { throw fail("word table does not match the arena") }

        self.path = path
        self.count = count
        self.dimension = dimension
        self.arenaBytes = arenaBytes
        self.base = mapped
        self.size = size
        self.vectors = UnsafeRawPointer(mapped + layout.vectorsOffset).assumingMemoryBound(to: Float.self)
        self.ends = ends
        self.slots = UnsafeRawPointer(mapped + layout.slotsOffset).assumingMemoryBound(to: UInt64.self)
        self.arena = UnsafeRawPointer(mapped + layout.arenaOffset).assumingMemoryBound(to: UInt8.self)
        self.mask = slotCount - 1
        #endif
    }

    deinit { munmap(base, size) }

    /// All rows, row-major.
    var vectorBuffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: vectors, count: count * dimension) }

    /// The UTF-8 bytes of the word of `row`.
    @inline(__always)
    func word(_ row: Int) -> UnsafeBufferPointer<UInt8> {
        let start = row == 0 ? 0 : Int(truncatingIfNeeded: ends[row - 1])
        return UnsafeBufferPointer(start: arena + start, count: Int(truncatingIfNeeded: ends[row]) - start)
    }

    /// The row of the word whose UTF-8 bytes are `token`, or `nil`. Does not allocate.
    @inline(__always)
    func index(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = ByteStringTable.hash(token)
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = slots[slot]
            if stored == 0 { return nil }
            if stored & 0xFFFF_FFFF_0000_0000 == tag {
                let row = Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1
                let word = word(row)
                if word.count == token.count && (token.isEmpty || memcmp(word.baseAddress!, token.baseAddress!, token.count) == 0) {
                    return row
                }
            }
            slot = (slot + 1) & mask
        }
    }
}
