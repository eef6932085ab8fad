import CTextClfCUDA
import Foundation

/// Why CUDA cannot be used: no driver, no GPU, no NVRTC, or a failed call.
public struct CUDAError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with what to install where that helps.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One NVIDIA GPU, as `textclf info` lists it and `cuda:N` names it.
public struct CUDADeviceInfo: Sendable, Hashable {
    /// The driver's ordinal.
    public let ordinal: Int
    /// The GPU's name.
    public let name: String
    /// Memory in bytes.
    public let memory: UInt64
    /// Streaming multiprocessors.
    public let multiprocessors: Int
    /// Compute capability, e.g. (9, 0).
    public let computeCapability: (major: Int, minor: Int)

    /// The NVRTC architecture for this GPU's own code, e.g. `sm_90`.
    public var architecture: String { "sm_\(computeCapability.major)\(computeCapability.minor)" }

    public static func == (lhs: CUDADeviceInfo, rhs: CUDADeviceInfo) -> Bool {
        lhs.ordinal == rhs.ordinal && lhs.name == rhs.name && lhs.memory == rhs.memory
            && lhs.computeCapability == rhs.computeCapability
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}

/// The CUDA driver, NVRTC and cuBLAS, loaded at run time.
///
/// The driver is `libcuda.so.1`, which the NVIDIA driver installs on the loader's path.
/// NVRTC (`libnvrtc.so.*`) and cuBLAS (`libcublas.so.*`) are looked for, in order: in the
/// folders of `TEXTCLF_CUDA_PATH` (colon-separated), in the CUDA toolkit's usual places, and
/// in the `nvidia-cuda-nvrtc-*` and `nvidia-cublas-*` pip wheels of the active virtual
/// environment, conda environment, user and system Python
/// (`…/site-packages/nvidia/cuda_nvrtc/lib`, `…/nvidia/cublas/lib`, where PyTorch users have
/// them).
public enum CUDA {
    static let installDriver = "install the NVIDIA driver (it provides libcuda.so.1)"
    static let installNVRTC =
        "install the CUDA toolkit or 'pip install nvidia-cuda-nvrtc-cu12', or set TEXTCLF_CUDA_PATH to the folder of libnvrtc.so"
    static let installCUBLAS =
        "install the CUDA toolkit or 'pip install nvidia-cublas-cu12', or set TEXTCLF_CUDA_PATH to the folder of libcublas.so"

    /// The loaded driver, or why it could not be loaded.
    static let driver: Result<textclf_cuda_driver_api, CUDAError> = {
        var api = textclf_cuda_driver_api()
        var error = [CChar](repeating: 0, count: 512)
        guard textclf_cuda_load_driver("libcuda.so.1", &api, &error, error.count) == 0 else {
            return .failure(CUDAError("no NVIDIA driver: \(text(error)); \(installDriver)"))
        }
        let status = api.Init(0)
        guard status == 0 else {
            return .failure(CUDAError("the NVIDIA driver does not start: \(describe(status, api)); check nvidia-smi"))
        }
        return .success(api)
    }()

    /// Every GPU the driver reports.
    /// - Throws: ``CUDAError`` when there is no driver or no GPU, saying what to install.
    public static func devices() throws -> [CUDADeviceInfo] {
        let api = try driver.get()
        var count: Int32 = 0
        try check(api.DeviceGetCount(&count), api, "cuDeviceGetCount")
        guard count > 0 else { throw CUDAError("the NVIDIA driver reports no GPU") }
        return try (0..<Int(count)).map { ordinal in
            var device: tcu_device = 0
            try check(api.DeviceGet(&device, Int32(ordinal)), api, "cuDeviceGet")
            var name = [CChar](repeating: 0, count: 256)
            try check(api.DeviceGetName(&name, Int32(name.count), device), api, "cuDeviceGetName")
            var memory = 0
            try check(api.DeviceTotalMem(&memory, device), api, "cuDeviceTotalMem")
            func attribute(_ code: Int32) throws -> Int {
                var value: Int32 = 0
                try check(api.DeviceGetAttribute(&value, code, device), api, "cuDeviceGetAttribute")
                return Int(value)
            }
            return CUDADeviceInfo(
                ordinal: ordinal, name: text(name), memory: UInt64(memory),
                multiprocessors: try attribute(TCU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                computeCapability: (
                    try attribute(TCU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), try attribute(TCU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
                ))
        }
    }

    static func describe(_ status: tcu_result, _ api: textclf_cuda_driver_api) -> String {
        var text: UnsafePointer<CChar>?
        _ = api.GetErrorString(status, &text)
        return text.map { String(cString: $0) } ?? "CUDA error \(status)"
    }

    static func check(_ status: tcu_result, _ api: textclf_cuda_driver_api, _ call: String) throws {
        guard status == 0 else { throw CUDAError("\(call) failed: \(describe(status, api))") }
    }

    // MARK: Libraries

    /// The folders searched for a CUDA library whose pip wheel installs it in
    /// `site-packages/nvidia/<wheel>/lib` (`cuda_nvrtc`, `cublas`), in order.
    static func libraryFolders(wheel: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var folders = (environment["TEXTCLF_CUDA_PATH"] ?? "").split(separator: ":").flatMap { folder in
            [String(folder), folder + "/lib64", folder + "/lib"]
        }
        folders += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"]
        let home = environment["HOME"].map { [$0 + "/.local"] } ?? []
        let prefixes = [environment["VIRTUAL_ENV"], environment["CONDA_PREFIX"]].compactMap { $0 } + home + ["/usr/local", "/usr"]
        for prefix in prefixes {
            let lib = prefix + "/lib"
            let pythons = ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []).filter { $0.hasPrefix("python3") }.sorted()
            for python in pythons {
                for packages in ["site-packages", "dist-packages"] {
                    folders.append("\(lib)/\(python)/\(packages)/nvidia/\(wheel)/lib")
                }
            }
        }
        return folders
    }

    /// The first library named `name.so*` in the folders of `wheel` that `load` accepts (the
    /// newest version first in each folder), with its path, or every reason it was refused.
    private static func load<API>(
        _ name: String, called title: String, wheel: String, install: String, _ load: (String, inout API, inout [CChar]) -> Int32, empty: API
    ) -> Result<(api: API, path: String), CUDAError> {
        var tried: [String] = []
        for folder in libraryFolders(wheel: wheel) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasPrefix(name + ".so") }.sorted().reversed()
            for file in names {
                let path = folder + "/" + file
                var api = empty
                var error = [CChar](repeating: 0, count: 512)
                if load(path, &api, &error) == 0 { return .success((api, path)) }
                tried.append(text(error))
            }
        }
        let detail = tried.isEmpty ? "no \(name).so found" : tried.joined(separator: "; ")
        return .failure(CUDAError("no \(title) (\(detail)); \(install)"))
    }

    /// The loaded NVRTC and the file it came from, or why none was found.
    static let nvrtc = load(
        "libnvrtc", called: "NVRTC", wheel: "cuda_nvrtc", install: installNVRTC, { textclf_cuda_load_nvrtc($0, &$1, &$2, $2.count) },
        empty: textclf_nvrtc_api())

    /// The loaded cuBLAS and the file it came from, or why none was found.
    static let cublas = load(
        "libcublas", called: "cuBLAS", wheel: "cublas", install: installCUBLAS, { textclf_cuda_load_cublas($0, &$1, &$2, $2.count) },
        empty: textclf_cublas_api())

    /// The path of the NVRTC library in use.
    /// - Throws: ``CUDAError`` when none was found, saying what to install.
    public static func nvrtcPath() throws -> String { try nvrtc.get().path }

    /// NVRTC's options for `architecture`: no fused multiply-adds, IEEE division and square
    /// roots, which is the arithmetic of the CPU.
    static func compileOptions(architecture: String) -> [String] {
        ["--gpu-architecture=\(architecture)", "--std=c++17", "--fmad=false", "--prec-div=true", "--prec-sqrt=true"]
    }

    /// The path of the cuBLAS library in use.
    /// - Throws: ``CUDAError`` when none was found, saying what to install.
    public static func cublasPath() throws -> String { try cublas.get().path }

    /// Compiles CUDA C `source` with NVRTC into a cubin for `architecture` (`sm_80`, …).
    /// - Throws: ``CUDAError`` without NVRTC, or with the compiler's log when the source does
    ///   not compile.
    static func compile(_ source: String, name: String, architecture: String) throws -> [UInt8] {
        let api = try nvrtc.get().api
        func message(_ status: Int32) -> String { api.GetErrorString(status).map { String(cString: $0) } ?? "NVRTC error \(status)" }
        var program: tnvrtc_program?
        var status = api.CreateProgram(&program, source, name, 0, nil, nil)
        guard status == 0, let program else { throw CUDAError("nvrtcCreateProgram failed: \(message(status))") }
        var owned: tnvrtc_program? = program
        defer { _ = api.DestroyProgram(&owned) }
        let options = compileOptions(architecture: architecture)
        status = withArrayOfCStrings(options) { pointers in api.CompileProgram(program, Int32(pointers.count), pointers) }
        guard status == 0 else {
            var size = 0
            _ = api.GetProgramLogSize(program, &size)
            var log = [CChar](repeating: 0, count: max(size, 1))
            _ = api.GetProgramLog(program, &log)
            throw CUDAError("the kernels do not compile for \(architecture): \(message(status))\n\(text(log))")
        }
        var size = 0
        status = api.GetCUBINSize(program, &size)
        guard status == 0 else { throw CUDAError("nvrtcGetCUBINSize failed: \(message(status))") }
        var cubin = [CChar](repeating: 0, count: size)
        status = api.GetCUBIN(program, &cubin)
        guard status == 0 else { throw CUDAError("nvrtcGetCUBIN failed: \(message(status))") }
        return cubin.map { UInt8(bitPattern: $0) }
    }

    /// The kernel images compiled for GPUs (`CUDAContext`) in the cache folder, with their sizes in bytes.
    public static func cachedKernelImages(folder: String = CacheFolder.defaultPath()) -> [(path: String, bytes: Int)] {
        let kernels = folder + "/kernels"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: kernels)) ?? []).filter { $0.hasSuffix(".cubin") }.sorted()
        return names.map { name in
            let path = kernels + "/" + name
            return (path, ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0)
        }
    }

    /// Removes the compiled kernel images from the cache folder (they are compiled again at
    /// their next use); returns how many there were.
    @discardableResult
    public static func removeCachedKernelImages(folder: String = CacheFolder.defaultPath()) throws -> Int {
        let images = cachedKernelImages(folder: folder)
        for image in images { try FileManager.default.removeItem(atPath: image.path) }
        return images.count
    }

    /// The text of a NUL-terminated buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Calls `body` with C strings of `strings`, valid for the call.
    private static func withArrayOfCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) })
    }
}
