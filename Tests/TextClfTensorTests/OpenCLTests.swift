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
        let folders = CUDA.nvrtcFolders(environment: ["TEXTCLF_CUDA_PATH": "/opt/a:/opt/b", "HOME": "/nonexistent"])
        #expect(Array(folders.prefix(6)) == ["/opt/a", "/opt/a/lib64", "/opt/a/lib", "/opt/b", "/opt/b/lib64", "/opt/b/lib"])
        #expect(folders.firstIndex(of: "/usr/local/cuda/lib64") == 6)
    }
}
