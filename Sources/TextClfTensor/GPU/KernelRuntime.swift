import Synchronization

/// A value passed to a device kernel.
enum KernelArgument {
    case buffer(DeviceBuffer)
    case int32(Int32)
    case int64(Int)
    case float(Float)
}

/// What ``KernelBackend`` needs of a device's driver: memory from a ``BufferPool``, copies
/// to and from the host, and launches of the kernels of ``DeviceKernelSource`` by name.
///
/// Work runs in the order it is given (an in-order queue, a stream): a read after launches
/// sees their results, and a buffer given back to the pool may be handed out again at once,
/// because whatever used it before was queued before whatever writes it next. A new device
/// plugs in by conforming to this protocol; ``OpenCLContext`` and ``CUDAContext`` do.
protocol KernelRuntime: AnyObject, Sendable {
    /// The device, as `--device` names it.
    var device: Device { get }
    /// Where this device's buffers come from.
    var pool: BufferPool { get }
    /// The most bytes a sparse data set may take on the device to be kept there whole
    /// (a quarter of its memory, within its largest allocation); larger ones go batch by batch.
    var residentBytes: Int { get }

    /// Copies `source` to the start of `buffer`, returning once the host memory may be reused.
    func write(_ source: UnsafeRawBufferPointer, to buffer: DeviceBuffer) throws

    /// Copies the start of `buffer` into `destination` once every launch before has run.
    func read(_ buffer: DeviceBuffer, into destination: UnsafeMutableRawBufferPointer) throws

    /// Runs kernel `name` over `count` work items (`INDEX` from 0) with `arguments`.
    func launch(_ name: String, count: Int, _ arguments: [KernelArgument]) throws

    /// `c = alpha · op(a) · op(b) + beta · c` for row-major matrices (`op(a)` is `[m, k]`,
    /// `c` is `[m, n]`, `lda` and `ldb` the stored rows' lengths) through the vendor's BLAS.
    /// Returns `false`, having done nothing, when the device has none; the `gemm` kernel runs
    /// then.
    func vendorGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: DeviceBuffer, lda: Int, b: DeviceBuffer, ldb: Int,
        beta: Float, c: DeviceBuffer
    ) throws -> Bool
}

extension KernelRuntime {
    /// A buffer of `bytes` bytes from the pool, holding `values` (unwritten when `nil`).
    func buffer(bytes: Int, values: UnsafeRawPointer? = nil) throws -> DeviceBuffer {
        let buffer = try pool.buffer(bytes: bytes)
        if let values, bytes > 0 { try write(UnsafeRawBufferPointer(start: values, count: bytes), to: buffer) }
        return buffer
    }

    /// A buffer holding `values` (floats, or indices as `Int64` or `Int32`).
    func buffer<Element: BitwiseCopyable>(_ values: [Element]) throws -> DeviceBuffer {
        try values.withUnsafeBytes { try buffer(bytes: $0.count, values: $0.baseAddress) }
    }

    /// An unwritten buffer of `count` floats.
    func buffer(floats count: Int) throws -> DeviceBuffer {
        try buffer(bytes: count * MemoryLayout<Float>.stride)
    }

    /// The buffer's values, copied to the host once every launch before has run.
    func read<Element: BitwiseCopyable>(_ buffer: DeviceBuffer, as _: Element.Type = Float.self) throws -> [Element] {
        let count = buffer.bytes / MemoryLayout<Element>.stride
        return try [Element](unsafeUninitializedCapacity: count) { values, initialized in
            if count > 0 { try read(buffer, into: UnsafeMutableRawBufferPointer(values)) }
            initialized = count
        }
    }

    /// Runs an optimizer's element-wise kernel over `buffers` (the case's tensors, in its
    /// order), each holding `count` floats.
    func run(_ kernel: ElementwiseKernel, on buffers: [DeviceBuffer], count: Int) throws {
        let (name, scalars, tensors) = kernel.deviceLaunch(count: count)
        let arguments = scalars.map { scalar -> KernelArgument in
            switch scalar {
            case .int32(let value): .int32(value)
            case .int64(let value): .int64(value)
            case .float(let value): .float(value)
            }
        }
        try launch(name, count: count, arguments + tensors.map { .buffer(buffers[$0]) })
    }

    func vendorGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: DeviceBuffer, lda: Int, b: DeviceBuffer, ldb: Int,
        beta: Float, c: DeviceBuffer
    ) throws -> Bool { false }
}

/// The runtimes of one kind of device, one per ordinal, made on first use and kept for the
/// process (their contexts, programs and pools are reused by every backend made later).
final class RuntimeRegistry<Runtime: KernelRuntime>: Sendable {
    private let runtimes = Mutex<[Int: Runtime]>([:])

    /// The runtime of device `ordinal`, made by `make` the first time.
    func runtime(_ ordinal: Int, _ make: () throws -> Runtime) throws -> Runtime {
        try runtimes.withLock { runtimes in
            if let runtime = runtimes[ordinal] { return runtime }
            let runtime = try make()
            runtimes[ordinal] = runtime
            return runtime
        }
    }
}

/// A caching allocator of one device's memory, as PyTorch's: a buffer whose last reference
/// goes returns to the pool, and a later request of the same size class takes it without
/// asking the driver (whose allocation and release can wait for the device). Training asks
/// for the same sizes step after step, so once warm it allocates nothing.
///
/// Sizes are rounded up to a class: a multiple of 512 bytes up to 1 MiB, and above that a
/// multiple of an eighth of the power of two below (at most 12.5 % unused). When the driver
/// refuses an allocation, every cached buffer is released and the request tried once more.
///
/// `@unchecked Sendable`: the cache is behind a mutex, and the two driver calls it holds are
/// safe from any thread (OpenCL's and CUDA's allocation entry points are).
final class BufferPool: @unchecked Sendable {
    /// Asks the driver for `bytes` bytes; returns its handle (a pointer's bits).
    private let allocate: (Int) throws -> UInt
    /// Gives a handle back to the driver.
    private let release: (UInt) -> Void
    private let cache = Mutex<(free: [Int: [UInt]], bytes: Int)>(([:], 0))

    init(allocate: @escaping (Int) throws -> UInt, release: @escaping (UInt) -> Void) {
        self.allocate = allocate
        self.release = release
    }

    /// The size class of a request of `bytes` bytes.
    static func capacity(for bytes: Int) -> Int {
        let bytes = Swift.max(bytes, 1)
        let step = bytes <= 1 << 20 ? 512 : 1 << (Int.bitWidth - bytes.leadingZeroBitCount - 4)
        return (bytes + step - 1) / step * step
    }

    /// A buffer of at least `bytes` bytes, cached or new.
    func buffer(bytes: Int) throws -> DeviceBuffer {
        let capacity = Self.capacity(for: bytes)
        let cached = cache.withLock { cache -> UInt? in
            guard let handle = cache.free[capacity]?.popLast() else { return nil }
            cache.bytes -= capacity
            return handle
        }
        if let cached { return DeviceBuffer(handle: cached, bytes: bytes, capacity: capacity, pool: self) }
        let handle: UInt
        do {
            handle = try allocate(capacity)
        } catch {
            trim()
            handle = try allocate(capacity)
        }
        return DeviceBuffer(handle: handle, bytes: bytes, capacity: capacity, pool: self)
    }

    /// Takes back a buffer's memory for reuse.
    fileprivate func recycle(_ handle: UInt, capacity: Int) {
        cache.withLock { cache in
            cache.free[capacity, default: []].append(handle)
            cache.bytes += capacity
        }
    }

    /// The bytes held for reuse.
    var cachedBytes: Int { cache.withLock { $0.bytes } }

    /// Gives every cached buffer back to the driver.
    func trim() {
        let handles = cache.withLock { cache -> [UInt] in
            defer { cache = ([:], 0) }
            return cache.free.values.flatMap { $0 }
        }
        handles.forEach(release)
    }
}

/// Memory on a device, from its runtime's ``BufferPool``, returned to the pool when the last
/// reference goes.
final class DeviceBuffer: Sendable {
    /// The driver's handle (a `cl_mem` or a `CUdeviceptr`, as bits).
    let handle: UInt
    /// The bytes asked for.
    let bytes: Int
    /// The bytes held (the size class).
    let capacity: Int
    private let pool: BufferPool

    fileprivate init(handle: UInt, bytes: Int, capacity: Int, pool: BufferPool) {
        self.handle = handle
        self.bytes = bytes
        self.capacity = capacity
        self.pool = pool
    }

    deinit { pool.recycle(handle, capacity: capacity) }
}
