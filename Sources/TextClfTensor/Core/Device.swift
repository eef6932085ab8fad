/// Where a tensor's storage lives and which ``Backend`` computes with it.
///
/// `cpu` runs dense products through OpenBLAS and the rest through vectorised Swift
/// loops; `reference` runs everything through plain, obviously-correct loops and is the
/// oracle the tests compare `cpu` against. `opencl(N)` is the N-th OpenCL device
/// (``OpenCL/devices()``): its tensors live in the device's memory and its operations run the
/// kernels of `DeviceKernelSource` (see `Docs/Backends.md`).
public enum Device: Sendable, Hashable, Codable, CustomStringConvertible {
    /// OpenBLAS and vectorised loops (the default).
    case cpu
    /// Plain loops, no BLAS: the oracle for tests.
    case reference
    /// The OpenCL device with this ordinal (`opencl:N`).
    case opencl(Int)

    /// The devices whose tensors live in host memory.
    public static let hostDevices: [Device] = [.cpu, .reference]

    /// The devices of this machine: the host's, then every OpenCL device whose kernels build.
    public static let available: [Device] =
        hostDevices + ((try? OpenCL.devices()) ?? []).compactMap { try? OpenCLBackend.open(ordinal: $0.ordinal).device }

    /// The names ``init(parsing:)`` accepts, for messages.
    public static let names = "cpu, reference, opencl[:N]"

    /// Parses a device name: `cpu`, `reference`, `opencl` (the first OpenCL device) or
    /// `opencl:N`. An OpenCL device is opened (its kernels built) here, so that a device that
    /// cannot be used is an error now, not at its first operation.
    /// - Throws: ``TensorError/unknownDevice(_:)`` naming the known devices, or
    ///   ``OpenCLError`` when the OpenCL device cannot be used (saying what to install).
    public init(parsing name: String) throws {
        let lowered = name.lowercased()
        switch lowered {
        case "cpu": self = .cpu
        case "reference": self = .reference
        case "opencl": self = .opencl(0)
        default:
            guard lowered.hasPrefix("opencl:"), let ordinal = Int(lowered.dropFirst("opencl:".count)), ordinal >= 0 else {
                throw TensorError.unknownDevice(name)
            }
            self = .opencl(ordinal)
        }
        if case .opencl(let ordinal) = self { _ = try OpenCLBackend.open(ordinal: ordinal) }
    }

    /// Whether tensors on this device live in host memory.
    public var isHost: Bool {
        switch self {
        case .cpu, .reference: true
        case .opencl: false
        }
    }

    /// The backend that computes on this device.
    ///
    /// An OpenCL device must be usable: one made by ``init(parsing:)`` is, and one made
    /// directly that cannot be opened stops the program with the reason.
    public var backend: any Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .reference: return ReferenceBackend.shared
        case .opencl(let ordinal):
            do { return try OpenCLBackend.open(ordinal: ordinal) } catch { fatalError("\(self): \(error)") }
        }
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .reference: "reference"
        case .opencl(let ordinal): "opencl:\(ordinal)"
        }
    }

    /// Encoded as its name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decoded from its name, without opening an OpenCL device.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        switch name {
        case "cpu": self = .cpu
        case "reference": self = .reference
        default:
            guard name.hasPrefix("opencl:"), let ordinal = Int(name.dropFirst("opencl:".count)), ordinal >= 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown device '\(name)'")
            }
            self = .opencl(ordinal)
        }
    }

    /// The device new tensors use when none is given; set per scope with ``withDefault(_:_:)``.
    @TaskLocal public static var current: Device = .cpu

    /// Runs `body` with `device` as the default for tensors created inside it.
    public static func withDefault<Result>(_ device: Device, _ body: () throws -> Result) rethrows -> Result {
        try $current.withValue(device, operation: body)
    }
}
