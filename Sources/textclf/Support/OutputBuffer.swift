#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered byte output to a file descriptor: one `write` per 256 KiB instead of one per line.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let descriptor: Int32
    private let capacity: Int

    /// Creates a buffer writing to `descriptor` (standard output by default).
    /// - Parameters:
    ///   - descriptor: The file descriptor.
    ///   - holdUntilFlush: Keep everything until ``flush()``, so that a command that
    ///     fails part-way writes nothing.
    init(descriptor: Int32 = 1, holdUntilFlush: Bool = false) {
        self.descriptor = descriptor
        self.capacity = holdUntilFlush ? Int.max : 1 << 18
        bytes.reserveCapacity(1 << 18)
    }

    func write(_ part: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: part)
        if bytes.count >= capacity { flush() }
    }

    func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= capacity { flush() }
    }

    /// Writes `part` as the inside of a JSON string (see ``appendJSONStringContent(_:to:)``).
    func writeJSONStringContent(_ part: UnsafeBufferPointer<UInt8>) {
        Self.appendJSONStringContent(part, to: &bytes)
        if bytes.count >= capacity { flush() }
    }

    /// Writes `text` as a quoted JSON string.
    func writeJSONString(_ text: String) { write(Self.jsonString(text)) }

    /// Appends `part` as the inside of a JSON string: quotes, backslashes and control
    /// characters escaped, other characters as raw UTF-8 (like `json.dumps(..., ensure_ascii=False)`).
    static func appendJSONStringContent(_ part: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        for byte in part {
            switch byte {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
    }

    /// `text` as a quoted JSON string.
    static func jsonString(_ text: String) -> String {
        var bytes: [UInt8] = [0x22]
        var copy = text
        copy.withUTF8 { appendJSONStringContent($0, to: &bytes) }
        bytes.append(0x22)
        return String(decoding: bytes, as: UTF8.self)
    }

    func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe (e.g. `| head`): nothing more can be written
                }
                offset += written
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Writes a message to standard error.
func printError(_ message: String, newline: Bool = true) {
    let error = OutputBuffer(descriptor: 2)
    error.write(newline ? message + "\n" : message)
    error.flush()
}

/// Writes `warning: message` to standard error.
func printWarning(_ message: String) {
    printError("warning: " + message)
}
