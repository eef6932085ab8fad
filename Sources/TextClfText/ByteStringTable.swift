import Foundation

/// An interning table from byte strings to dense integer ids (0, 1, 2, …).
///
/// Keys live back to back in one arena and the table is open addressing with
/// linear probing on an FNV-1a hash, as fastText's dictionary does, so looking up
/// or inserting a token never allocates unless the table grows.
public struct ByteStringTable: Sendable {
    /// The bytes of every key, in id order.
    public private(set) var arena: [UInt8] = []
    /// `keyEnds[id]` is the arena offset one past the end of key `id`.
    public private(set) var keyEnds: [Int] = []
    private var hashes: [UInt64] = []
    /// Each slot packs the upper 32 bits of its key's hash (a tag checked before the key is
    /// touched) over `id + 1`; 0 marks an empty slot.
    private var slots: [UInt64]
    private var mask: Int

    /// Creates an empty table sized for about `capacity` keys.
    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// The number of keys.
    @inlinable public var count: Int { keyEnds.count }

    /// The 64-bit FNV-1a hash of `bytes`, continuing from `seed` (the FNV offset basis by default).
    @inlinable @inline(__always)
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var hash: UInt64 = seed
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The id of `key`, or `nil` if it is not in the table.
    /// - Complexity: O(key length) expected.
    public func id(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(key)
        let stored = slots[find(key, hash: hash)]
        return stored == 0 ? nil : Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1
    }

    /// The id of `key`, inserting it with the next id if it is new.
    /// - Returns: the id and whether the key was inserted.
    /// - Complexity: amortised O(key length) expected.
    @discardableResult
    public mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (id: Int, inserted: Bool) {
        let hash = Self.hash(key)
        let slot = find(key, hash: hash)
        let stored = slots[slot]
        if stored != 0 { return (Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1, false) }
        let id = keyEnds.count
        arena.append(contentsOf: key)
        keyEnds.append(arena.count)
        hashes.append(hash)
        slots[slot] = Self.slotValue(hash: hash, id: id)
        if keyEnds.count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The bytes of key `id`.
    public func key(_ id: Int) -> ArraySlice<UInt8> {
        arena[(id == 0 ? 0 : keyEnds[id - 1])..<keyEnds[id]]
    }

    /// Key `id` as a `String`.
    public func string(_ id: Int) -> String {
        String(decoding: key(id), as: UTF8.self)
    }

    /// Removes every key, keeping the storage.
    public mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        keyEnds.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for index in slots.indices { slots[index] = 0 }
    }

    @inline(__always)
    private static func slotValue(hash: UInt64, id: Int) -> UInt64 {
        (hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func find(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                keyEnds.withUnsafeBufferPointer { ends in
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let stored = slots[slot]
                        if stored == 0 { return slot }
                        if stored & 0xFFFF_FFFF_0000_0000 == tag {
                            let id = Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1
                            let start = id == 0 ? 0 : ends[id - 1]
                            if ends[id] - start == key.count
                                && (key.isEmpty || Self.equal(arena.baseAddress! + start, key))
                            {
                                return slot
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func equal(_ stored: UnsafePointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = key.count
        if count > 16 { return memcmp(stored, key.baseAddress!, count) == 0 }
        for index in 0..<count where stored[index] != key[index] { return false }
        return true
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for id in 0..<hashes.count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Self.slotValue(hash: hashes[id], id: id)
        }
    }
}
