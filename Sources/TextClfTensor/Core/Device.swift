/// Where a tensor's storage lives and which ``Backend`` computes with it.
///
/// `cpu` runs dense products through OpenBLAS and the rest through vectorised Swift
/// loops; `reference` runs everything through plain, obviously-correct loops and is the
/// oracle the tests compare `cpu` against. A GPU backend adds a case here and a
/// ``Backend`` conformance, and nothing above the protocol changes (see
/// `Docs/Backends.md`).
public enum Device: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// OpenBLAS and vectorised loops (the default).
    case cpu
    /// Plain loops, no BLAS: the oracle for tests.
    case reference

    /// Parses a device name (`cpu`, `reference`).
    /// - Throws: ``TensorError/unknownDevice(_:)`` naming the known devices.
    public init(parsing name: String) throws {
        guard let device = Device(rawValue: name.lowercased()) else { throw TensorError.unknownDevice(name) }
        self = device
    }

    /// The backend that computes on this device.
    public var backend: any Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .reference: return ReferenceBackend.shared
        }
    }

    public var description: String { rawValue }

    /// The device new tensors use when none is given; set per scope with ``withDefault(_:_:)``.
    @TaskLocal public static var current: Device = .cpu

    /// Runs `body` with `device` as the default for tensors created inside it.
    public static func withDefault<Result>(_ device: Device, _ body: () throws -> Result) rethrows -> Result {
        try $current.withValue(device, operation: body)
    }
}
