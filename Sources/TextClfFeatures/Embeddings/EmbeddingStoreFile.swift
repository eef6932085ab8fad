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
/// | 8 | format version (`UInt32`, 2), dimension (`UInt32`) |
/// | 16 | word count, slot count, arena bytes (`UInt64` each) |
/// | 40 | checksum of every byte from offset 64 to the end (`UInt64`, see ``checksum(_:)``) |
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
    static let version: UInt32 = 2
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

    /// Writes the header of the store whose body (every byte from ``headerSize`` to
    /// `layout.fileSize`) is already at `base`: the shape, the size and the body's checksum.
    static func writeHeader(into base: UnsafeMutableRawPointer, layout: Layout) {
        let body = UnsafeRawBufferPointer(start: base + headerSize, count: layout.fileSize - headerSize)
        let header = UnsafeMutableRawBufferPointer(start: base, count: headerSize)
        header.initializeMemory(as: UInt8.self, repeating: 0)
        header.copyBytes(from: magic)
        header.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
        header.storeBytes(of: UInt32(layout.dimension).littleEndian, toByteOffset: 12, as: UInt32.self)
        header.storeBytes(of: UInt64(layout.count).littleEndian, toByteOffset: 16, as: UInt64.self)
        header.storeBytes(of: UInt64(layout.slotCount).littleEndian, toByteOffset: 24, as: UInt64.self)
        header.storeBytes(of: UInt64(layout.arenaBytes).littleEndian, toByteOffset: 32, as: UInt64.self)
        header.storeBytes(of: checksum(body).littleEndian, toByteOffset: 40, as: UInt64.self)
        header.storeBytes(of: UInt64(layout.fileSize).littleEndian, toByteOffset: 48, as: UInt64.self)
    }

    /// The bytes one checksum block covers.
    static let checksumBlock = 4 << 20

    /// A 64-bit checksum of `bytes`, read at memory speed on every core: the checksum of each
    /// 4 MiB block (``blockChecksum(_:)``, computed in parallel), folded in order with the length.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        let blocks = max(1, (count + checksumBlock - 1) / checksumBlock)
        var sums = [UInt64](repeating: 0, count: blocks)
        sums.withUnsafeMutableBufferPointer { sums in
            let out = UncheckedBox(sums)
            runInParallel(blocks) { block in
                let start = block * checksumBlock
                out.value[block] = blockChecksum(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<min(count, start + checksumBlock)]))
            }
        }
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var hash = UInt64(count) ^ 0x9E37_79B9_7F4A_7C15
        for sum in sums {
            hash = (hash ^ sum) &* prime
            hash ^= hash >> 31
        }
        return hash
    }

    /// A 64-bit checksum of one block: four independent FNV-1a-style lanes over 8-byte words
    /// (each with an xor-shift for mixing), folded with the length and tail.
    static func blockChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
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
    /// The mapping this class unmaps, or `nil` when ``image`` owns the memory.
    private let mapping: (base: UnsafeMutableRawPointer, size: Int)?
    /// The image a parse built, kept alive while the store reads it.
    private let image: StoreImage?
    private let vectors: UnsafePointer<Float>
    private let ends: UnsafePointer<UInt64>
    private let slots: UnsafePointer<UInt64>
    private let arena: UnsafePointer<UInt8>
    private let mask: Int

    /// Maps `path` and checks its header against `expected` (count, dimension) and its
    /// checksum against the file's own.
    convenience init(path: String, count expectedCount: Int, dimension expectedDimension: Int) throws(Invalid) {
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
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED
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

        self.init(path: path, layout: layout, base: mapped, mapping: (mapped, size), image: nil)
        #endif
    }

    /// Reads a finished image in place (``EmbeddingFile`` builds it, so it is not checked again).
    convenience init(image: StoreImage, layout: EmbeddingStoreFile.Layout, path: String) {
        self.init(path: path, layout: layout, base: image.base, mapping: nil, image: image)
    }

    private init(
        path: String, layout: EmbeddingStoreFile.Layout, base: UnsafeMutableRawPointer,
        mapping: (base: UnsafeMutableRawPointer, size: Int)?, image: StoreImage?
    ) {
        self.path = path
        self.count = layout.count
        self.dimension = layout.dimension
        self.mapping = mapping
        self.image = image
        self.vectors = UnsafeRawPointer(base + layout.vectorsOffset).assumingMemoryBound(to: Float.self)
        self.ends = UnsafeRawPointer(base + layout.endsOffset).assumingMemoryBound(to: UInt64.self)
        self.slots = UnsafeRawPointer(base + layout.slotsOffset).assumingMemoryBound(to: UInt64.self)
        self.arena = UnsafeRawPointer(base + layout.arenaOffset).assumingMemoryBound(to: UInt8.self)
        self.mask = layout.slotCount - 1
    }

    deinit {
        if let mapping { munmap(mapping.base, mapping.size) }
    }

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
