import CTextClfOpenCL

/// Why OpenCL cannot be used: no ICD loader, no platform, no device, or a failed call.
public struct OpenCLError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with what to install where that helps.
    public let description: String

    init(_ description: String) { self.description = description }

    /// A failed OpenCL call, named with its status code.
    init(call: String, status: Int32) { self.description = "OpenCL \(call) failed with status \(status)" }

    /// The advice appended when nothing usable was found.
    static let install =
        "install pocl-opencl-icd (and ocl-icd-libopencl1) for CPUs, or your GPU vendor's OpenCL driver"
}

/// One OpenCL device, as `textclf info` lists it and `opencl:N` names it.
///
/// Sendable although it holds the platform's and device's handles: OpenCL ids are plain
/// identifiers, valid from any thread.
public struct OpenCLDeviceInfo: @unchecked Sendable, Hashable {
    /// The device's ordinal across all platforms, in the order the ICD loader reports them.
    public let ordinal: Int
    /// The platform's name (`Portable Computing Language`, `NVIDIA CUDA`, …).
    public let platform: String
    /// The device's name.
    public let name: String
    /// The device's vendor.
    public let vendor: String
    /// The OpenCL version the device supports (`OpenCL 3.0 …`).
    public let version: String
    /// `cpu`, `gpu`, `accelerator` or `other`.
    public let kind: String
    /// Global memory in bytes.
    public let memory: UInt64
    /// The largest single buffer in bytes.
    public let maxAllocation: UInt64
    /// Compute units.
    public let computeUnits: Int

    let platformID: tcl_platform_id
    let deviceID: tcl_device_id

    public static func == (lhs: OpenCLDeviceInfo, rhs: OpenCLDeviceInfo) -> Bool {
        lhs.ordinal == rhs.ordinal && lhs.deviceID == rhs.deviceID
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}

/// The OpenCL runtime, loaded at run time from the ICD loader (`libOpenCL.so.1`).
public enum OpenCL {
    /// The loaded API.
    /// - Throws: ``OpenCLError`` when the ICD loader is missing or incomplete.
    static func api() throws -> UnsafePointer<textclf_opencl_api> {
        guard let api = textclf_opencl_load() else {
            throw OpenCLError("no OpenCL: \(String(cString: textclf_opencl_load_error())); \(OpenCLError.install)")
        }
        return api
    }

    /// Every OpenCL device of every platform.
    /// - Throws: ``OpenCLError`` when the ICD loader is missing, there is no platform, or no
    ///   platform has a device; each message says what to install.
    public static func devices() throws -> [OpenCLDeviceInfo] {
        let api = try api().pointee
        var platformCount: tcl_uint = 0
        let status = api.GetPlatformIDs(0, nil, &platformCount)
        guard status == tcl_int(TCL_SUCCESS) || status == tcl_int(TCL_PLATFORM_NOT_FOUND_KHR) else {
            throw OpenCLError(call: "clGetPlatformIDs", status: status)
        }
        guard platformCount > 0 else { throw OpenCLError("no OpenCL platform; \(OpenCLError.install)") }
        var platforms = [tcl_platform_id?](repeating: nil, count: Int(platformCount))
        try check(api.GetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")
        var found: [OpenCLDeviceInfo] = []
        for case let platform? in platforms {
            let platformName = try string { api.GetPlatformInfo(platform, TCL_PLATFORM_NAME, $0, $1, $2) }
            var deviceCount: tcl_uint = 0
            let listed = api.GetDeviceIDs(platform, TCL_DEVICE_TYPE_ALL, 0, nil, &deviceCount)
            if listed == tcl_int(TCL_DEVICE_NOT_FOUND) || deviceCount == 0 { continue }
            try check(listed, "clGetDeviceIDs")
            var devices = [tcl_device_id?](repeating: nil, count: Int(deviceCount))
            try check(api.GetDeviceIDs(platform, TCL_DEVICE_TYPE_ALL, deviceCount, &devices, nil), "clGetDeviceIDs")
            for case let device? in devices {
                func text(_ parameter: tcl_uint) throws -> String {
                    try string { api.GetDeviceInfo(device, parameter, $0, $1, $2) }
                }
                func number<T: FixedWidthInteger>(_ parameter: tcl_uint, as _: T.Type) throws -> T {
                    var value: T = 0
                    try check(api.GetDeviceInfo(device, parameter, MemoryLayout<T>.size, &value, nil), "clGetDeviceInfo")
                    return value
                }
                let type = try number(TCL_DEVICE_TYPE, as: UInt64.self)
                let kind =
                    type & TCL_DEVICE_TYPE_GPU != 0 ? "gpu"
                    : type & TCL_DEVICE_TYPE_CPU != 0 ? "cpu" : type & TCL_DEVICE_TYPE_ACCELERATOR != 0 ? "accelerator" : "other"
                found.append(
                    OpenCLDeviceInfo(
                        ordinal: found.count, platform: platformName, name: try text(TCL_DEVICE_NAME),
                        vendor: try text(TCL_DEVICE_VENDOR), version: try text(TCL_DEVICE_VERSION), kind: kind,
                        memory: try number(TCL_DEVICE_GLOBAL_MEM_SIZE, as: UInt64.self),
                        maxAllocation: try number(TCL_DEVICE_MAX_MEM_ALLOC_SIZE, as: UInt64.self),
                        computeUnits: Int(try number(TCL_DEVICE_MAX_COMPUTE_UNITS, as: UInt32.self)),
                        platformID: platform, deviceID: device))
            }
        }
        guard !found.isEmpty else {
            throw OpenCLError("\(platformCount) OpenCL platform(s) but no device; \(OpenCLError.install)")
        }
        return found
    }

    /// Throws ``OpenCLError`` naming `call` unless `status` is success.
    static func check(_ status: tcl_int, _ call: String) throws {
        guard status == tcl_int(TCL_SUCCESS) else { throw OpenCLError(call: call, status: status) }
    }

    /// A string property: its size first, then its bytes (NUL-terminated).
    static func string(_ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> tcl_int) throws -> String {
        var size = 0
        try check(query(0, nil, &size), "an info query")
        var bytes = [UInt8](repeating: 0, count: max(size, 1))
        try check(query(bytes.count, &bytes, nil), "an info query")
        let text = bytes.prefix { $0 != 0 }
        return String(decoding: text.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed(), as: UTF8.self)
    }
}
