import CTextClfCUDA
import Foundation
import Synchronization

/// One NVIDIA GPU ready to compute (`cuda:N`): the device's primary context, the kernels of
/// ``DeviceKernelSource`` compiled for its architecture, and cuBLAS for dense products when
/// it is found (the `gemm` kernel otherwise).
///
/// The kernels are compiled by NVRTC at first use and the image is kept in the cache folder
/// (`kernels/cuda-<architecture>-<hash>.cubin`, ``CacheFolder``), so later runs load it
/// without compiling, and without NVRTC. An image the driver refuses (a damaged file, a newer
/// compiler than the driver) is compiled again and replaced.
///
/// Everything runs on the legacy default stream, in order: copies to and from the host wait
/// for the work queued before them. Calls are serialised by a lock and make the context
/// current on the calling thread first, since Swift tasks move between threads.
final class CUDAContext: KernelRuntime, @unchecked Sendable {
    /// The GPU's description.
    let info: CUDADeviceInfo
    var device: Device { .cuda(info.ordinal) }
    /// Buffers, made with `cuMemAlloc` and cached for reuse.
    let pool: BufferPool
    var residentBytes: Int { Int(info.memory / 4) }
    private let api: textclf_cuda_driver_api
    private let context: tcu_context
    private let module: tcu_module
    private var functions: [String: tcu_function] = [:]
    private let blas: (api: textclf_cublas_api, handle: tcublas_handle)?
    private let lock = NSLock()

    /// Work items per block of a launch.
    static let blockSize = 256

    /// The context of `cuda:ordinal`, made on first use.
    /// - Throws: ``CUDAError`` when there is no driver, no such GPU, no NVRTC to compile the
    ///   kernels (and no compiled image cached), or the kernels do not compile or load; each
    ///   message says what was looked for and what to install.
    static func shared(ordinal: Int) throws -> CUDAContext {
        try registry.runtime(ordinal) {
            let devices = try CUDA.devices()
            guard devices.indices.contains(ordinal) else {
                throw CUDAError("no CUDA device \(ordinal): \(devices.count) found (cuda:0 to cuda:\(devices.count - 1))")
            }
            return try CUDAContext(device: devices[ordinal])
        }
    }

    private static let registry = RuntimeRegistry<CUDAContext>()

    private init(device: CUDADeviceInfo) throws {
        info = device
        let api = try CUDA.driver.get()
        self.api = api
        var handle: tcu_device = 0
        try CUDA.check(api.DeviceGet(&handle, Int32(device.ordinal)), api, "cuDeviceGet")
        var retained: tcu_context?
        try CUDA.check(api.DevicePrimaryCtxRetain(&retained, handle), api, "cuDevicePrimaryCtxRetain")
        guard let context = retained else { throw CUDAError("cuDevicePrimaryCtxRetain gave no context for cuda:\(device.ordinal)") }
        self.context = context
        try CUDA.check(api.CtxSetCurrent(context), api, "cuCtxSetCurrent")
        module = try Self.loadKernels(architecture: device.architecture) { image in
            var module: tcu_module?
            let status = image.withUnsafeBytes { api.ModuleLoadData(&module, $0.baseAddress) }
            return status == 0 ? module.map(Result.success) ?? .failure(CUDAError("cuModuleLoadData gave no module"))
                : .failure(CUDAError("the driver refuses the kernels for \(device.architecture): \(CUDA.describe(status, api))"))
        }
        if case .success(let (blasAPI, _)) = CUDA.cublas {
            var blasHandle: tcublas_handle?
            let status = blasAPI.Create(&blasHandle)
            blas = status == 0 ? blasHandle.map { (blasAPI, $0) } : nil
        } else {
            blas = nil
        }
        let ordinal = device.ordinal
        pool = BufferPool(
            allocate: { bytes in
                _ = api.CtxSetCurrent(context)
                var pointer: tcu_deviceptr = 0
                let status = api.MemAlloc(&pointer, bytes)
                guard status == 0 else {
                    throw CUDAError("cannot allocate \(bytes) bytes on cuda:\(ordinal): \(CUDA.describe(status, api))")
                }
                return UInt(pointer)
            },
            release: { handle in
                _ = api.CtxSetCurrent(context)
                _ = api.MemFree(tcu_deviceptr(handle))
            })
    }

    /// Whether dense products go to cuBLAS.
    var usesCUBLAS: Bool { blas != nil }

    // MARK: Kernel image

    /// Where the kernels compiled for `architecture` are cached.
    static func cachedImagePath(architecture: String, folder: String = CacheFolder.defaultPath()) -> String {
        // 64-bit FNV-1a of the source and the compiler options: a change to either is a new file.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (CUDA.compileOptions(architecture: architecture).joined(separator: " ") + "\n" + kernelSource).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return folder + "/kernels/cuda-\(architecture)-\(String(hash, radix: 16)).cubin"
    }

    /// The CUDA source of the kernels.
    static let kernelSource = DeviceKernelSource.cudaPrelude + DeviceKernelSource.kernels

    /// The kernels for `architecture`, loaded by `load`: the cached image when the driver
    /// takes it, else a fresh compilation, which then replaces the cached file (written
    /// whole through a temporary file; a cache that cannot be written is only slower).
    static func loadKernels<Module>(
        architecture: String, folder: String = CacheFolder.defaultPath(), _ load: ([UInt8]) -> Result<Module, CUDAError>
    ) throws -> Module {
        let path = cachedImagePath(architecture: architecture, folder: folder)
        if let cached = FileManager.default.contents(atPath: path), case .success(let module) = load([UInt8](cached)) {
            return module
        }
        let image = try CUDA.compile(kernelSource, name: "textclf.cu", architecture: architecture)
        let module = try load(image).get()
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(image).write(to: url, options: .atomic)
        return module
    }

    // MARK: KernelRuntime

    /// Makes the context current on this thread (the caller holds the lock).
    private func makeCurrent() throws {
        try CUDA.check(api.CtxSetCurrent(context), api, "cuCtxSetCurrent")
    }

    func write(_ source: UnsafeRawBufferPointer, to buffer: DeviceBuffer) throws {
        guard source.count > 0 else { return }
        try lock.withLock {
            try makeCurrent()
            try CUDA.check(api.MemcpyHtoD(tcu_deviceptr(buffer.handle), source.baseAddress, source.count), api, "cuMemcpyHtoD")
        }
    }

    func read(_ buffer: DeviceBuffer, into destination: UnsafeMutableRawBufferPointer) throws {
        guard destination.count > 0 else { return }
        try lock.withLock {
            try makeCurrent()
            try CUDA.check(api.MemcpyDtoH(destination.baseAddress, tcu_deviceptr(buffer.handle), destination.count), api, "cuMemcpyDtoH")
        }
    }

    func launch(_ name: String, count: Int, _ arguments: [KernelArgument]) throws {
        guard count > 0 else { return }
        // Each argument's value in an 8-byte slot (little-endian: a 4-byte value at its start).
        var slots = arguments.map { argument -> UInt64 in
            switch argument {
            case .buffer(let buffer): UInt64(buffer.handle)
            case .int32(let value): UInt64(UInt32(bitPattern: value))
            case .int64(let value): UInt64(bitPattern: Int64(value))
            case .float(let value): UInt64(value.bitPattern)
            }
        }
        let blocks = (count + Self.blockSize - 1) / Self.blockSize
        guard blocks <= Int(Int32.max) else { throw CUDAError("\(name): \(count) work items are more than one launch holds") }
        try lock.withLock {
            try makeCurrent()
            let function = try function(name)
            try slots.withUnsafeMutableBufferPointer { slots in
                var parameters = slots.indices.map { UnsafeMutableRawPointer(slots.baseAddress! + $0) as UnsafeMutableRawPointer? }
                try CUDA.check(
                    api.LaunchKernel(function, UInt32(blocks), 1, 1, UInt32(Self.blockSize), 1, 1, 0, nil, &parameters, nil), api,
                    "cuLaunchKernel(\(name))")
            }
        }
    }

    func vendorGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: DeviceBuffer, lda: Int, b: DeviceBuffer, ldb: Int,
        beta: Float, c: DeviceBuffer
    ) throws -> Bool {
        guard let blas, [m, n, k, lda, ldb].allSatisfy({ $0 <= Int(Int32.max) }) else { return false }
        // cuBLAS is column-major: the row-major c = op(a)·op(b) is the column-major
        // cᵀ = op(b)ᵀ·op(a)ᵀ, where each row-major operand already reads as its transpose.
        var (alpha, beta) = (alpha, beta)
        let status = try lock.withLock {
            try makeCurrent()
            return blas.api.Sgemm(
                blas.handle, transposeB ? TCUBLAS_OP_T : TCUBLAS_OP_N, transposeA ? TCUBLAS_OP_T : TCUBLAS_OP_N, Int32(n), Int32(m), Int32(k),
                &alpha, UnsafePointer(bitPattern: b.handle), Int32(Swift.max(ldb, 1)), UnsafePointer(bitPattern: a.handle),
                Int32(Swift.max(lda, 1)), &beta, UnsafeMutablePointer(bitPattern: c.handle), Int32(n))
        }
        guard status == 0 else { throw CUDAError("cublasSgemm on cuda:\(info.ordinal) failed with status \(status)") }
        return true
    }

    /// The function for kernel `name`, looked up once (the caller holds the lock).
    private func function(_ name: String) throws -> tcu_function {
        if let function = functions[name] { return function }
        var function: tcu_function?
        try CUDA.check(api.ModuleGetFunction(&function, module, name), api, "cuModuleGetFunction(\(name))")
        guard let function else { throw CUDAError("cuModuleGetFunction(\(name)) gave no function") }
        functions[name] = function
        return function
    }
}
