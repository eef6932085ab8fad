/// An error in tensor arithmetic: shapes that do not fit, values that are not finite, or
/// a device that does not exist. Messages name the shapes involved.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// An operation got operands whose shapes do not fit.
    case shapeMismatch(operation: String, shapes: [[Int]])
    /// A value is NaN or infinite where finite values are required.
    case nonFinite(what: String, index: Int)
    /// Operands live on different devices.
    case deviceMismatch(operation: String, devices: [Device])
    /// A device name is not known.
    case unknownDevice(String)
    /// A shape or value is invalid on its own.
    case invalid(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let operation, let shapes):
            return "\(operation): shapes do not fit: " + shapes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " and ")
        case .nonFinite(let what, let index): return "\(what) holds a non-finite value (NaN or infinity) at index \(index)"
        case .deviceMismatch(let operation, let devices):
            return "\(operation): operands are on different devices (\(devices.map(\.description).joined(separator: ", ")))"
        case .unknownDevice(let name):
            return "unknown device '\(name)'; known devices: \(Device.names)"
        case .invalid(let message): return message
        }
    }
}
