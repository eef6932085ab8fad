import CTextClfKernels

/// A dense, row-major, contiguous array of `Float` values whose storage belongs to a device.
///
/// Tensors are values: copying one shares storage until either copy is mutated. All
/// arithmetic goes through the device's ``Backend``; the tensor itself only knows its
/// shape, its device and its storage.
///
/// `@unchecked Sendable`: the storage is a `ManagedBuffer`, which the standard library does
/// not mark `Sendable`; it is only ever written through a uniquely referenced copy
/// (``withUnsafeMutableBufferPointer(_:)``), so sharing a tensor across threads is safe.
public struct Tensor: @unchecked Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// Where the storage lives.
    public let device: Device
    /// The values, for a tensor on a host device (``Device/isHost``); empty otherwise.
    @usableFromInline var storage: TensorStorage
    /// The values in a device's memory, for a tensor on a device that is not the host's.
    @usableFromInline var memory: (any DeviceMemory)?

    /// Creates a tensor from values in row-major order.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the count does not match the shape.
    public init(shape: [Int], values: [Float], device: Device = Device.current) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw TensorError.shapeMismatch(operation: "Tensor(shape:values:)", shapes: [shape, [values.count]])
        }
        self.shape = shape
        self.device = device
        if device.isHost {
            storage = TensorStorage.copying(values)
        } else {
            storage = TensorStorage.empty
            memory = device.backend.upload(values)
        }
    }

    /// A tensor whose values are in a device's memory.
    init(shape: [Int], device: Device, memory: any DeviceMemory) {
        precondition(shape.reduce(1, *) == memory.count, "device memory of \(memory.count) values for shape \(shape)")
        self.shape = shape
        self.device = device
        self.storage = TensorStorage.empty
        self.memory = memory
    }

    /// Creates a tensor from storage the caller guarantees fits the shape.
    @usableFromInline init(shape: [Int], device: Device, storage: TensorStorage) {
        precondition(shape.reduce(1, *) == storage.count, "storage of \(storage.count) values for shape \(shape)")
        self.shape = shape
        if device.isHost {
            self.device = device
            self.storage = storage
        } else {
            // Host values for a device tensor: copied to the device.
            self.device = device
            self.storage = TensorStorage.empty
            self.memory = withExtendedLifetime(storage) {
                device.backend.upload(UnsafeBufferPointer(start: storage.base, count: storage.count))
            }
        }
    }

    /// A tensor of `shape` whose `count` values (the shape's product) `fill` writes, every one
    /// of them: the memory is not initialised first.
    @inlinable
    public init(shape: [Int], device: Device, uninitializedCount count: Int, _ fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        let storage = TensorStorage.allocate(count)
        try withExtendedLifetime(storage) { try fill(storage.base) }
        self.init(shape: shape, device: device, storage: storage)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], device: Device = Device.current) -> Tensor {
        full(shape, 0, device: device)
    }

    /// A tensor whose every element is `value`.
    public static func full(_ shape: [Int], _ value: Float, device: Device = Device.current) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, device: device, uninitializedCount: count) { $0.initialize(repeating: value, count: count) }
    }

    /// An empty vector that allocates nothing: what an optimizer leaves in a slot while it
    /// updates the tensor taken out of it in place.
    public static let placeholder = Tensor(shape: [0], device: .cpu, storage: TensorStorage.empty)

    /// A matrix (`[rows, columns]`) from row-major values.
    public static func matrix(_ rows: [[Float]], device: Device = Device.current) throws -> Tensor {
        let columns = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == columns }) else {
            throw TensorError.invalid("Tensor.matrix: rows have different lengths")
        }
        return try Tensor(shape: [rows.count, columns], values: rows.flatMap { $0 }, device: device)
    }

    /// The number of elements.
    @inlinable public var count: Int { memory?.count ?? storage.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The rows of a matrix: the first dimension. A vector or a scalar is one row.
    @inlinable public var rows: Int { shape.count >= 2 ? shape[0] : 1 }
    /// The columns of a matrix: the product of the other dimensions. A vector's columns are
    /// its elements; a scalar has one.
    @inlinable public var columns: Int { shape.count >= 2 ? shape.dropFirst().reduce(1, *) : (shape.first ?? 1) }

    /// The values, copied to host memory, row-major.
    public var scalars: [Float] { withUnsafeBufferPointer { Array($0) } }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor of shape \(shape)")
        if let memory { return memory.read()[0] }
        return withExtendedLifetime(storage) { storage.base[0] }
    }

    /// The same values with another shape of the same element count.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.reduce(1, *) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(operation: "reshape", shapes: [shape, newShape])
        }
        if let memory { return Tensor(shape: newShape, device: device, memory: memory) }
        return Tensor(shape: newShape, device: device, storage: storage)
    }

    /// The same values on another device: shared between host devices, copied to or from a
    /// device's memory otherwise.
    public func to(_ device: Device) -> Tensor {
        if device == self.device { return self }
        if let memory {
            let values = memory.read()
            if device.isHost { return Tensor(shape: shape, device: device, storage: TensorStorage.copying(values)) }
            return Tensor(shape: shape, device: device, memory: device.backend.upload(values))
        }
        return Tensor(shape: shape, device: device, storage: storage)
    }

    /// Read access to the host values, for backends.
    @inlinable
    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        if let memory { return try memory.read().withUnsafeBufferPointer(body) }
        return try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: storage.base, count: storage.count)) }
    }

    /// Write access to the host values, for backends and optimizers; copies shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        if let memory {
            // A device tensor's values, copied to the host and back: for tests and tools,
            // never for a backend's hot path.
            var values = memory.read()
            let result = try values.withUnsafeMutableBufferPointer { try body(&$0) }
            self.memory = device.backend.upload(values)
            return result
        }
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try withExtendedLifetime(storage) {
            var buffer = UnsafeMutableBufferPointer(start: storage.base, count: storage.count)
            return try body(&buffer)
        }
    }

    /// The address of the values, after making the storage unique (copying shared storage,
    /// as ``withUnsafeMutableBufferPointer(_:)`` does), for code that updates a tensor in place
    /// many times without going through it each time.
    ///
    /// The address stays valid, and writes through it reach only this tensor, until the
    /// tensor is copied, replaced or mutated in another way; call again after any of these.
    package mutating func uniqueValues() -> UnsafeMutablePointer<Float> {
        precondition(memory == nil, "uniqueValues of a tensor on \(device)")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.base
    }

    /// The identity of the memory holding the values (host storage or device memory): two
    /// tensors with the same identity share their values, and a tensor that keeps its
    /// identity from step to step was updated in place.
    package var storageIdentifier: ObjectIdentifier {
        if let memory { return ObjectIdentifier(memory) }
        return ObjectIdentifier(storage)
    }

    /// Hints that the rows `indices` of this matrix (or higher-rank tensor, whose rows are its
    /// first dimension) will be read soon, as the next batch of a shuffled epoch: asks the
    /// cache for the memory they cover. Reads and changes nothing; does nothing unless every
    /// index is a row of the tensor.
    public func prefetchRows(_ indices: ArraySlice<Int>) {
        guard rank >= 2, !indices.isEmpty, memory == nil else { return }
        let rows = shape[0]
        for index in indices where index < 0 || index >= rows { return }
        let columns = self.columns
        withUnsafeBufferPointer { values in
            indices.withUnsafeBufferPointer { rows in
                textclf_prefetch_rows(values.baseAddress!, rows.baseAddress!, rows.count, columns)
            }
        }
    }

    /// The index of the first non-finite value, or `nil` when all are finite.
    public func firstNonFiniteIndex() -> Int? { device.backend.firstNonFinite(self) }

    /// Throws if any value is NaN or infinite.
    /// - Throws: ``TensorError/nonFinite(what:index:)`` naming `what` (evaluated only then).
    public func checkFinite(_ what: @autoclosure () -> String) throws {
        if let index = firstNonFiniteIndex() { throw TensorError.nonFinite(what: what(), index: index) }
    }

    /// Equal shapes and equal values (shared storage is equal to itself, as arrays are).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.memory == nil && rhs.memory == nil && lhs.storage === rhs.storage { return true }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

/// A tensor's values in a device's memory, owned by the device's backend and freed when the
/// last tensor holding them goes. Tensors never write to memory another tensor holds: a
/// backend writes a result into new memory, or into memory only the written tensor holds.
public protocol DeviceMemory: AnyObject, Sendable {
    /// The number of values.
    var count: Int { get }
    /// The values, copied to the host.
    func read() -> [Float]
}

/// Host memory of a tensor: one allocation, the element count followed by the values, so a
/// new tensor costs a single `malloc` and its values sit at a fixed address for as long as
/// the storage lives. Shared between tensor copies until one of them writes.
public final class TensorStorage: ManagedBuffer<Int, Float> {
    /// New storage of `count` uninitialised values (`Float` needs no initialisation to be
    /// overwritten or deallocated).
    @inlinable
    static func allocate(_ count: Int) -> TensorStorage {
        unsafeDowncast(TensorStorage.create(minimumCapacity: count) { _ in count }, to: TensorStorage.self)
    }

    /// The shared storage of empty tensors.
    nonisolated(unsafe) static let empty = allocate(0)

    /// New storage holding a copy of `values`.
    @inlinable
    static func copying(_ values: [Float]) -> TensorStorage {
        let storage = allocate(values.count)
        values.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { storage.base.initialize(from: start, count: source.count) }
        }
        return storage
    }

    /// A copy, for copy-on-write.
    @usableFromInline
    func copy() -> TensorStorage {
        let storage = TensorStorage.allocate(count)
        storage.base.initialize(from: base, count: count)
        return storage
    }

    /// The number of values. Read through a pointer: the header never changes after
    /// creation, and reading `header` itself would be checked for exclusive access each time.
    @inlinable var count: Int { withUnsafeMutablePointerToHeader { $0.pointee } }

    /// The first value; valid while the storage lives (its elements never move).
    @inlinable var base: UnsafeMutablePointer<Float> { withUnsafeMutablePointerToElements { $0 } }
}
