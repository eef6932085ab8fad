/// A dense, row-major, contiguous array of `Float` values whose storage belongs to a device.
///
/// Tensors are values: copying one shares storage until either copy is mutated. All
/// arithmetic goes through the device's ``Backend``; the tensor itself only knows its
/// shape, its device and its storage.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// Where the storage lives.
    public let device: Device
    @usableFromInline var storage: TensorStorage

    /// Creates a tensor from values in row-major order.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the count does not match the shape.
    public init(shape: [Int], values: [Float], device: Device = Device.current) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw TensorError.shapeMismatch(operation: "Tensor(shape:values:)", shapes: [shape, [values.count]])
        }
        self.shape = shape
        self.device = device
        storage = TensorStorage(values)
    }

    /// Creates a tensor from storage the caller guarantees fits the shape.
    @usableFromInline init(shape: [Int], device: Device, storage: TensorStorage) {
        precondition(shape.reduce(1, *) == storage.values.count, "storage of \(storage.values.count) values for shape \(shape)")
        self.shape = shape
        self.device = device
        self.storage = storage
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], device: Device = Device.current) -> Tensor {
        Tensor(shape: shape, device: device, storage: TensorStorage([Float](repeating: 0, count: shape.reduce(1, *))))
    }

    /// A tensor whose every element is `value`.
    public static func full(_ shape: [Int], _ value: Float, device: Device = Device.current) -> Tensor {
        Tensor(shape: shape, device: device, storage: TensorStorage([Float](repeating: value, count: shape.reduce(1, *))))
    }

    /// A matrix (`[rows, columns]`) from row-major values.
    public static func matrix(_ rows: [[Float]], device: Device = Device.current) throws -> Tensor {
        let columns = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == columns }) else {
            throw TensorError.invalid("Tensor.matrix: rows have different lengths")
        }
        return try Tensor(shape: [rows.count, columns], values: rows.flatMap { $0 }, device: device)
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.values.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The rows of a matrix: the first dimension. A vector or a scalar is one row.
    @inlinable public var rows: Int { shape.count >= 2 ? shape[0] : 1 }
    /// The columns of a matrix: the product of the other dimensions. A vector's columns are
    /// its elements; a scalar has one.
    @inlinable public var columns: Int { shape.count >= 2 ? shape.dropFirst().reduce(1, *) : (shape.first ?? 1) }

    /// The values, copied to host memory, row-major.
    public var scalars: [Float] { storage.values }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor of shape \(shape)")
        return storage.values[0]
    }

    /// The same values with another shape of the same element count.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)``.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.reduce(1, *) == count, newShape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(operation: "reshape", shapes: [shape, newShape])
        }
        return Tensor(shape: newShape, device: device, storage: storage)
    }

    /// The same values on another device.
    public func to(_ device: Device) -> Tensor {
        Tensor(shape: shape, device: device, storage: storage)
    }

    /// Read access to the host values, for backends.
    @inlinable
    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try storage.values.withUnsafeBufferPointer(body)
    }

    /// Write access to the host values, for backends and optimizers; copies shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        if !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(storage.values) }
        return try storage.values.withUnsafeMutableBufferPointer(body)
    }

    /// The index of the first non-finite value, or `nil` when all are finite.
    public func firstNonFiniteIndex() -> Int? {
        withUnsafeBufferPointer { values in values.firstIndex { !$0.isFinite } }
    }

    /// Throws if any value is NaN or infinite.
    /// - Throws: ``TensorError/nonFinite(what:index:)`` naming `what`.
    public func checkFinite(_ what: String) throws {
        if let index = firstNonFiniteIndex() { throw TensorError.nonFinite(what: what, index: index) }
    }

    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.storage.values == rhs.storage.values
    }
}

/// Host memory of a tensor. Shared between tensor copies until one of them writes.
public final class TensorStorage: @unchecked Sendable {
    /// The values, row-major.
    public var values: [Float]

    /// Wraps `values`.
    public init(_ values: [Float]) { self.values = values }
}
