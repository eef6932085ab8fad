import CTextClfOpenCL
import Foundation
import Synchronization

/// A buffer in an OpenCL device's memory, released when the last reference goes.
final class OpenCLBuffer: @unchecked Sendable {
    let memory: tcl_mem
    /// Its size in bytes.
    let bytes: Int
    private let api: UnsafePointer<textclf_opencl_api>

    fileprivate init(memory: tcl_mem, bytes: Int, api: UnsafePointer<textclf_opencl_api>) {
        self.memory = memory
        self.bytes = bytes
        self.api = api
    }

    deinit { _ = api.pointee.ReleaseMemObject(memory) }
}

/// One OpenCL device ready to compute: its context, an in-order command queue, and the
/// program of ``DeviceKernelSource``, built once per process and device.
///
/// Launches are serialised by a lock (an OpenCL kernel object's arguments are shared state);
/// the queue runs them in order, so a read after launches sees their results.
final class OpenCLContext: @unchecked Sendable {
    /// The device.
    let device: OpenCLDeviceInfo
    private let api: UnsafePointer<textclf_opencl_api>
    private let context: tcl_context
    private let queue: tcl_command_queue
    private let program: tcl_program
    private var kernels: [String: tcl_kernel] = [:]
    private let lock = NSLock()

    /// A value passed to a kernel.
    enum Argument {
        case buffer(OpenCLBuffer)
        case int32(Int32)
        case int64(Int)
        case float(Float)
    }

    /// The context of `opencl:ordinal`, made on first use.
    /// - Throws: ``OpenCLError`` when there is no such device or its program does not build
    ///   (the message holds the build log).
    static func shared(ordinal: Int) throws -> OpenCLContext {
        try registry.withLock { contexts in
            if let context = contexts[ordinal] { return context }
            let devices = try OpenCL.devices()
            guard devices.indices.contains(ordinal) else {
                throw OpenCLError("no OpenCL device \(ordinal): \(devices.count) found (opencl:0 to opencl:\(devices.count - 1))")
            }
            let context = try OpenCLContext(device: devices[ordinal])
            contexts[ordinal] = context
            return context
        }
    }

    private static let registry = Mutex<[Int: OpenCLContext]>([:])

    private init(device: OpenCLDeviceInfo) throws {
        self.device = device
        api = try OpenCL.api()
        let calls = api.pointee
        var status: tcl_int = 0
        var deviceID: tcl_device_id? = device.deviceID
        guard let context = calls.CreateContext(nil, 1, &deviceID, nil, nil, &status), status == tcl_int(TCL_SUCCESS) else {
            throw OpenCLError(call: "clCreateContext", status: status)
        }
        self.context = context
        guard let queue = calls.CreateCommandQueue(context, device.deviceID, 0, &status), status == tcl_int(TCL_SUCCESS) else {
            _ = calls.ReleaseContext(context)
            throw OpenCLError(call: "clCreateCommandQueue", status: status)
        }
        self.queue = queue
        let source = DeviceKernelSource.openCLPrelude + DeviceKernelSource.kernels
        let built: tcl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return calls.CreateProgramWithSource(context, 1, &pointer, nil, &status)
        }
        guard let program = built, status == tcl_int(TCL_SUCCESS) else {
            _ = calls.ReleaseCommandQueue(queue)
            _ = calls.ReleaseContext(context)
            throw OpenCLError(call: "clCreateProgramWithSource", status: status)
        }
        self.program = program
        var target: tcl_device_id? = device.deviceID
        // Correctly rounded division and square roots, as on the CPU (OpenCL allows a few ulp).
        let result = calls.BuildProgram(program, 1, &target, "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt", nil, nil)
        guard result == tcl_int(TCL_SUCCESS) else {
            let log = (try? OpenCL.string { calls.GetProgramBuildInfo(program, device.deviceID, TCL_PROGRAM_BUILD_LOG, $0, $1, $2) }) ?? ""
            _ = calls.ReleaseProgram(program)
            _ = calls.ReleaseCommandQueue(queue)
            _ = calls.ReleaseContext(context)
            throw OpenCLError("the kernels do not build on opencl:\(device.ordinal) (\(device.name)), status \(result):\n\(log)")
        }
    }

    deinit {
        for kernel in kernels.values { _ = api.pointee.ReleaseKernel(kernel) }
        _ = api.pointee.ReleaseProgram(program)
        _ = api.pointee.ReleaseCommandQueue(queue)
        _ = api.pointee.ReleaseContext(context)
    }

    /// A new buffer of `bytes` bytes holding `values` (uninitialised when `nil`).
    func buffer(bytes: Int, values: UnsafeRawPointer? = nil) throws -> OpenCLBuffer {
        var status: tcl_int = 0
        // OpenCL refuses empty buffers: an empty one takes a few bytes that nothing reads.
        let size = max(bytes, 8)
        let flags = TCL_MEM_READ_WRITE | (values != nil && bytes > 0 ? TCL_MEM_COPY_HOST_PTR : 0)
        let host = bytes > 0 ? values.map { UnsafeMutableRawPointer(mutating: $0) } : nil
        guard let memory = api.pointee.CreateBuffer(context, flags, size, host, &status), status == tcl_int(TCL_SUCCESS) else {
            throw OpenCLError("cannot allocate \(size) bytes on opencl:\(device.ordinal) (status \(status))")
        }
        return OpenCLBuffer(memory: memory, bytes: bytes, api: api)
    }

    /// A new buffer holding `values` (floats, or indices as `Int64` or `Int32`).
    func buffer<Element: BitwiseCopyable>(_ values: [Element]) throws -> OpenCLBuffer {
        try values.withUnsafeBytes { try buffer(bytes: $0.count, values: $0.baseAddress) }
    }

    /// A new, uninitialised buffer of `count` floats.
    func buffer(floats count: Int) throws -> OpenCLBuffer {
        try buffer(bytes: count * MemoryLayout<Float>.stride)
    }

    /// The buffer's values, copied to the host once every launch before has run.
    func read<Element: BitwiseCopyable>(_ buffer: OpenCLBuffer, as _: Element.Type = Float.self) throws -> [Element] {
        let count = buffer.bytes / MemoryLayout<Element>.stride
        return try [Element](unsafeUninitializedCapacity: count) { values, initialized in
            if count > 0 {
                try lock.withLock {
                    try OpenCL.check(
                        api.pointee.EnqueueReadBuffer(queue, buffer.memory, TCL_TRUE, 0, buffer.bytes, values.baseAddress, 0, nil, nil),
                        "clEnqueueReadBuffer")
                }
            }
            initialized = count
        }
    }

    /// Runs kernel `name` over `count` work items with `arguments`, in the queue's order.
    func launch(_ name: String, count: Int, _ arguments: [Argument]) throws {
        guard count > 0 else { return }
        try lock.withLock {
            let kernel = try kernel(name)
            for (index, argument) in arguments.enumerated() {
                let status: tcl_int
                switch argument {
                case .buffer(let buffer):
                    var memory: tcl_mem? = buffer.memory
                    status = api.pointee.SetKernelArg(kernel, tcl_uint(index), MemoryLayout<tcl_mem>.size, &memory)
                case .int32(let value):
                    var value = value
                    status = api.pointee.SetKernelArg(kernel, tcl_uint(index), 4, &value)
                case .int64(let value):
                    var value = Int64(value)
                    status = api.pointee.SetKernelArg(kernel, tcl_uint(index), 8, &value)
                case .float(let value):
                    var value = value
                    status = api.pointee.SetKernelArg(kernel, tcl_uint(index), 4, &value)
                }
                try OpenCL.check(status, "clSetKernelArg(\(name), \(index))")
            }
            var global = count
            try OpenCL.check(api.pointee.EnqueueNDRangeKernel(queue, kernel, 1, nil, &global, nil, 0, nil, nil), "clEnqueueNDRangeKernel(\(name))")
        }
    }

    /// Runs an optimizer's element-wise kernel over `buffers` (the case's tensors, in its
    /// order), each holding `count` floats.
    func run(_ kernel: ElementwiseKernel, on buffers: [OpenCLBuffer], count: Int) throws {
        let (name, scalars, tensors) = kernel.deviceLaunch(count: count)
        let arguments = scalars.map { scalar -> Argument in
            switch scalar {
            case .int32(let value): .int32(value)
            case .int64(let value): .int64(value)
            case .float(let value): .float(value)
            }
        }
        try launch(name, count: count, arguments + tensors.map { .buffer(buffers[$0]) })
    }

    /// The kernel object for `name`, made once (the caller holds the lock).
    private func kernel(_ name: String) throws -> tcl_kernel {
        if let kernel = kernels[name] { return kernel }
        var status: tcl_int = 0
        guard let kernel = api.pointee.CreateKernel(program, name, &status), status == tcl_int(TCL_SUCCESS) else {
            throw OpenCLError(call: "clCreateKernel(\(name))", status: status)
        }
        kernels[name] = kernel
        return kernel
    }
}
