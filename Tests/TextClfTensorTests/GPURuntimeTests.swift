import Foundation
import Testing

@testable import TextClfTensor

/// OpenCL found at run time through the ICD loader. `scripts/install-deps.sh` installs PoCL,
/// so every CI machine has at least its CPU device.
@Suite("OpenCL devices")
struct OpenCLTests {
    /// The devices, or why there are none.
    static let found: Result<[OpenCLDeviceInfo], OpenCLError> = Result { try OpenCL.devices() }.mapError { $0 as! OpenCLError }
    static var present: Bool { (try? found.get()) != nil }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func devicesAreNumberedWithTheirMemory() throws {
        let devices = try Self.found.get()
        #expect(devices.map(\.ordinal) == Array(0..<devices.count))
        for device in devices {
            #expect(!device.name.isEmpty && !device.platform.isEmpty && device.version.hasPrefix("OpenCL "), "\(device)")
            #expect(device.memory > 0 && device.maxAllocation > 0 && device.maxAllocation <= device.memory, "\(device)")
            #expect(device.computeUnits > 0 && ["cpu", "gpu", "accelerator", "other"].contains(device.kind), "\(device)")
        }
        // The same devices in the same order on every call.
        #expect(try OpenCL.devices() == devices)
    }
}

/// CUDA found at run time: the driver for GPUs, NVRTC for compiling the kernels.
@Suite("CUDA")
struct CUDATests {
    static let nvrtcFound = (try? CUDA.nvrtcPath()) != nil

    /// The same kernel source as OpenCL's, behind the CUDA prelude, compiles (every kernel) for the
    /// architectures of the A100 and the H100 (needs NVRTC, e.g. the nvidia-cuda-nvrtc wheel).
    @Test(.enabled(if: nvrtcFound, "no NVRTC (pip install nvidia-cuda-nvrtc-cu12, or set TEXTCLF_CUDA_PATH); skipped"))
    func kernelsCompileForAmpereAndHopper() throws {
        for architecture in ["sm_80", "sm_90"] {
            let cubin = try CUDA.compile(
                DeviceKernelSource.cudaPrelude + DeviceKernelSource.kernels, name: "textclf.cu", architecture: architecture)
            // An ELF image holding every kernel by its C name.
            #expect(cubin.starts(with: [0x7F, 0x45, 0x4C, 0x46]), "\(architecture)")
            let symbols = String(decoding: cubin.map { $0 == 0 ? 0x0A : $0 }, as: UTF8.self)
            let kernels = DeviceKernelSource.kernels.split(separator: "\n").compactMap { line -> Substring? in
                guard let range = line.range(of: "KERNEL void ") else { return nil }
                return line[range.upperBound...].prefix { $0 != "(" }
            }
            #expect(kernels.count >= 20 && kernels.contains("adam") && kernels.contains("sparse_transposed_multiply"))
            for kernel in kernels {
                #expect(symbols.split(separator: "\n").contains { $0 == kernel }, "\(architecture): \(kernel)")
            }
        }
        // A mistake in the source is reported with the compiler's log.
        #expect {
            try CUDA.compile("KERNEL void broken(", name: "broken.cu", architecture: "sm_80")
        } throws: { "\($0)".contains("the kernels do not compile for sm_80") }
    }

    /// Without an NVIDIA driver (this machine, CI) the devices are refused with what to install.
    @Test func devicesOrWhatToInstall() {
        do {
            let devices = try CUDA.devices()
            #expect(devices.map(\.ordinal) == Array(0..<devices.count))
            for device in devices { #expect(device.memory > 0 && device.multiprocessors > 0 && device.computeCapability.major >= 3) }
        } catch {
            let message = "\(error)"
            #expect(message.contains("install the NVIDIA driver") || message.contains("no GPU") || message.contains("does not start"), "\(message)")
        }
    }

    /// TEXTCLF_CUDA_PATH comes first, then the toolkit, then the pip wheels of the environments.
    @Test func nvrtcSearchOrder() {
        let folders = CUDA.libraryFolders(wheel: "cuda_nvrtc", environment: ["TEXTCLF_CUDA_PATH": "/opt/a:/opt/b", "HOME": "/nonexistent"])
        #expect(Array(folders.prefix(6)) == ["/opt/a", "/opt/a/lib64", "/opt/a/lib", "/opt/b", "/opt/b/lib64", "/opt/b/lib"])
        #expect(folders.firstIndex(of: "/usr/local/cuda/lib64") == 6)
    }
}

/// The kernels compiled for a GPU are kept in the cache folder and reused.
@Suite("CUDA kernel cache")
struct CUDAKernelCacheTests {
    @Test func compiledKernelsAreCachedOnDiskAndReplacedWhenRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-kernels-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = CUDAContext.cachedImagePath(architecture: "sm_80", folder: folder)
        #expect(path.hasPrefix(folder + "/kernels/cuda-sm_80-") && path.hasSuffix(".cubin"), "\(path)")
        #expect(CUDAContext.cachedImagePath(architecture: "sm_90", folder: folder) != path)
        #expect(CUDAContext.cachedImagePath(architecture: "sm_80", folder: folder) == path)

        // A cached image the driver takes is used as it is, without compiling (or NVRTC).
        try FileManager.default.createDirectory(atPath: folder + "/kernels", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let cached = try CUDAContext.loadKernels(architecture: "sm_80", folder: folder) { Result<[UInt8], CUDAError>.success($0) }
        #expect(cached == [1, 2, 3])

        // One the driver refuses is compiled again and replaces the file; without NVRTC that
        // is an error saying what to install.
        do {
            let fresh = try CUDAContext.loadKernels(architecture: "sm_80", folder: folder) { image in
                image == [1, 2, 3] ? .failure(CUDAError("refused")) : .success(image)
            }
            #expect(fresh.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
            #expect(FileManager.default.contents(atPath: path).map([UInt8].init) == fresh)
        } catch {
            #expect(!CUDATests.nvrtcFound && "\(error)".contains("pip install nvidia-cuda-nvrtc-cu12"), "\(error)")
        }
    }
}

/// The caching allocator every GPU backend takes its buffers from, on a counting driver.
@Suite("Device buffer pool")
struct BufferPoolTests {
    /// A driver that hands out numbered handles and records what it is asked.
    final class Driver: @unchecked Sendable {
        var allocated: [Int] = []
        var released: [UInt] = []
        var refusals = 0

        func allocate(_ bytes: Int) throws -> UInt {
            if refusals > 0 {
                refusals -= 1
                throw CUDAError("out of memory")
            }
            allocated.append(bytes)
            return UInt(allocated.count)
        }
    }

    @Test func sizeClassesWasteAtMostAnEighth() {
        #expect(BufferPool.capacity(for: 0) == 512 && BufferPool.capacity(for: 1) == 512 && BufferPool.capacity(for: 512) == 512)
        #expect(BufferPool.capacity(for: 513) == 1024 && BufferPool.capacity(for: 1 << 20) == 1 << 20)
        #expect(BufferPool.capacity(for: (1 << 20) + 1) == (1 << 20) + (1 << 17))
        #expect(BufferPool.capacity(for: 3 << 30) == 3 << 30)
        for bytes in stride(from: 1, to: 1 << 32, by: 7_777_777) {
            let capacity = BufferPool.capacity(for: bytes)
            #expect(capacity >= bytes && (capacity - bytes) * 8 <= Swift.max(bytes, 4096), "\(bytes) → \(capacity)")
        }
    }

    @Test func buffersReturnToThePoolAndAreReleasedWhenTheDriverRefuses() throws {
        let driver = Driver()
        let pool = BufferPool(allocate: driver.allocate, release: { driver.released.append($0) })
        var first: DeviceBuffer? = try pool.buffer(bytes: 100)
        let handle = try #require(first).handle
        #expect(first?.bytes == 100 && first?.capacity == 512 && pool.cachedBytes == 0)
        first = nil
        #expect(pool.cachedBytes == 512)
        // The same size class takes the cached memory; another class asks the driver.
        let second = try pool.buffer(bytes: 300)
        #expect(second.handle == handle && second.bytes == 300 && driver.allocated == [512])
        let third = try pool.buffer(bytes: 600)
        #expect(third.handle != handle && driver.allocated == [512, 1024] && pool.cachedBytes == 0)
        // A refusal releases every cached buffer, then the request is tried once more.
        var cached: DeviceBuffer? = try pool.buffer(bytes: 5000)
        let cachedHandle = try #require(cached).handle
        cached = nil
        driver.refusals = 1
        let big = try pool.buffer(bytes: 100_000)
        #expect(driver.released == [cachedHandle] && pool.cachedBytes == 0 && big.capacity == 100_352)
        driver.refusals = 2
        #expect(throws: CUDAError.self) { try pool.buffer(bytes: 10) }
        _ = (second, third)
    }
}
