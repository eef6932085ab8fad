import CTextClfOpenCL
import Foundation
import Synchronization

/// One OpenCL device ready to compute: its context, an in-order command queue, and the
/// program of ``DeviceKernelSource``, built once per process and device.
///
/// Launches are serialised by a lock (an OpenCL kernel object's arguments are shared state);
/// the queue runs them in order, so a read after launches sees their results.
final class OpenCLContext: KernelRuntime, @unchecked Sendable {
    /// The device's description.
    let info: OpenCLDeviceInfo
    var device: Device { .opencl(info.ordinal) }
    /// Buffers, made with `clCreateBuffer` and cached for reuse.
    let pool: BufferPool
    var residentBytes: Int { Int(Swift.min(info.memory / 4, info.maxAllocation)) }
    private let api: UnsafePointer<textclf_opencl_api>
    private let context: tcl_context
    private let queue: tcl_command_queue
    private let program: tcl_program
    private var kernels: [String: tcl_kernel] = [:]
    private let lock = NSLock()

    /// The context of `opencl:ordinal`, made on first use.
    /// - Throws: ``OpenCLError`` when there is no such device or its program does not build
    ///   (the message holds the build log).
    static func shared(ordinal: Int) throws -> OpenCLContext {
        try registry.runtime(ordinal) {
            let devices = try OpenCL.devices()
            guard devices.indices.contains(ordinal) else {
                throw OpenCLError("no OpenCL device \(ordinal): \(devices.count) found (opencl:0 to opencl:\(devices.count - 1))")
            }
            return try OpenCLContext(device: devices[ordinal])
        }
    }

    private static let registry = RuntimeRegistry<OpenCLContext>()

    private init(device: OpenCLDeviceInfo) throws {
        info = device
        let api = try OpenCL.api()
        self.api = api
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
        let ordinal = device.ordinal
        pool = BufferPool(
            allocate: { bytes in
                var status: tcl_int = 0
                let memory = api.pointee.CreateBuffer(context, TCL_MEM_READ_WRITE, bytes, nil, &status)
                guard let memory, status == tcl_int(TCL_SUCCESS) else {
                    throw OpenCLError("cannot allocate \(bytes) bytes on opencl:\(ordinal) (status \(status))")
                }
                return UInt(bitPattern: memory)
            },
            release: { handle in _ = api.pointee.ReleaseMemObject(OpaquePointer(bitPattern: handle)) })
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
        pool.trim()
        for kernel in kernels.values { _ = api.pointee.ReleaseKernel(kernel) }
        _ = api.pointee.ReleaseProgram(program)
        _ = api.pointee.ReleaseCommandQueue(queue)
        _ = api.pointee.ReleaseContext(context)
    }

    /// The memory object of `buffer`.
    private func memory(_ buffer: DeviceBuffer) -> tcl_mem? { OpaquePointer(bitPattern: buffer.handle) }

    func write(_ source: UnsafeRawBufferPointer, to buffer: DeviceBuffer) throws {
        try lock.withLock {
            try OpenCL.check(
                api.pointee.EnqueueWriteBuffer(queue, memory(buffer), TCL_TRUE, 0, source.count, source.baseAddress, 0, nil, nil),
                "clEnqueueWriteBuffer")
        }
    }

    func read(_ buffer: DeviceBuffer, into destination: UnsafeMutableRawBufferPointer) throws {
        try lock.withLock {
            try OpenCL.check(
                api.pointee.EnqueueReadBuffer(queue, memory(buffer), TCL_TRUE, 0, destination.count, destination.baseAddress, 0, nil, nil),
                "clEnqueueReadBuffer")
        }
    }

    func launch(_ name: String, count: Int, _ arguments: [KernelArgument]) throws {
        guard count > 0 else { return }
        try lock.withLock {
            let kernel = try kernel(name)
            for (index, argument) in arguments.enumerated() {
                let status: tcl_int
                switch argument {
                case .buffer(let buffer):
                    var memory = memory(buffer)
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
