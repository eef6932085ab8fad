/// Where a tensor's storage lives and which ``Backend`` computes with it.
///
/// `cpu` runs dense products through OpenBLAS and the rest through vectorised Swift
/// loops; `reference` runs everything through plain, obviously-correct loops and is the
/// oracle the tests compare `cpu` against. `opencl(N)` is the N-th OpenCL device
/// (``OpenCL/devices()``) and `cuda(N)` the N-th NVIDIA GPU (``CUDA/devices()``): their
/// tensors live in the device's memory and their operations run the kernels of
/// `DeviceKernelSource` through ``KernelBackend`` (see `Docs/Backends.md`).
public enum Device: Sendable, Hashable, Codable, CustomStringConvertible {
    /// OpenBLAS and vectorised loops (the default).
    case cpu
    /// Plain loops, no BLAS: the oracle for tests.
    case reference
    /// The OpenCL device with this ordinal (`opencl:N`).
    case opencl(Int)
    /// The NVIDIA GPU with this ordinal, through the CUDA driver (`cuda:N`).
    case cuda(Int)

    /// The devices whose tensors live in host memory.
    public static let hostDevices: [Device] = [.cpu, .reference]

    /// The devices of this machine: the host's, then every OpenCL device and every NVIDIA GPU
    /// whose kernels build.
    public static let available: [Device] =
        hostDevices + ((try? OpenCL.devices()) ?? []).compactMap { try? KernelBackend.open(.opencl($0.ordinal)).device }
        + ((try? CUDA.devices()) ?? []).compactMap { try? KernelBackend.open(.cuda($0.ordinal)).device }

    /// The names ``init(parsing:)`` accepts, for messages.
    public static let names = "cpu, reference, opencl[:N], cuda[:N]"

    /// Parses a device name: `cpu`, `reference`, `opencl` or `cuda` (the first such device),
    /// `opencl:N` or `cuda:N`. A GPU is opened (its kernels built) here, so that a device
    /// that cannot be used is an error now, not at its first operation.
    /// - Throws: ``TensorError/unknownDevice(_:)`` naming the known devices, or
    ///   ``OpenCLError`` or ``CUDAError`` when the device cannot be used (saying what was
    ///   looked for and what to install).
    public init(parsing name: String) throws {
        guard let device = Self.named(name.lowercased()) else { throw TensorError.unknownDevice(name) }
        self = device
        if !isHost { _ = try KernelBackend.open(self) }
    }

    /// The device `name` stands for (lower case), not opened; `nil` for an unknown name.
    private static func named(_ name: String) -> Device? {
        switch name {
        case "cpu": return .cpu
        case "reference": return .reference
        case "opencl": return .opencl(0)
        case "cuda": return .cuda(0)
        default:
            for (prefix, make) in [("opencl:", Device.opencl), ("cuda:", Device.cuda)] where name.hasPrefix(prefix) {
                guard let ordinal = Int(name.dropFirst(prefix.count)), ordinal >= 0 else { return nil }
                return make(ordinal)
            }
            return nil
        }
    }

    /// Whether tensors on this device live in host memory.
    public var isHost: Bool {
        switch self {
        case .cpu, .reference: true
        case .opencl, .cuda: false
        }
    }

    /// The backend that computes on this device.
    ///
    /// A GPU must be usable: one made by ``init(parsing:)`` is, and one made directly that
    /// cannot be opened stops the program with the reason.
    public var backend: any Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .reference: return ReferenceBackend.shared
        case .opencl, .cuda:
            do { return try KernelBackend.open(self) } catch { fatalError("\(self): \(error)") }
        }
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .reference: "reference"
        case .opencl(let ordinal): "opencl:\(ordinal)"
        case .cuda(let ordinal): "cuda:\(ordinal)"
        }
    }

    /// Encoded as its name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decoded from its name, without opening the device.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let device = Self.named(name), name == device.description else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown device '\(name)'")
        }
        self = device
    }

    /// The device new tensors use when none is given; set per scope with ``withDefault(_:_:)``.
    @TaskLocal public static var current: Device = .cpu

    /// Runs `body` with `device` as the default for tensors created inside it.
    public static func withDefault<Result>(_ device: Device, _ body: () throws -> Result) rethrows -> Result {
        try $current.withValue(device, operation: body)
    }
}
