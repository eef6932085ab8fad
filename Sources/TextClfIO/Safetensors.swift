import Foundation
import TextClfTensor

/// A problem with a model directory file, naming the file and, when it applies, the tensor.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file read or written.
    public var path: String
    /// The tensor or field concerned, if any.
    public var tensor: String?
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(path: String, tensor: String? = nil, message: String) {
        self.path = path
        self.tensor = tensor
        self.message = message
    }

    /// `path: tensor T: message`.
    public var description: String { path + (tensor.map { ": tensor \($0)" } ?? "") + ": " + message }
}

/// Reads and writes the [safetensors](https://huggingface.co/docs/safetensors) format for
/// `F32` tensors: an 8-byte little-endian header length, a JSON header mapping each name to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (offsets relative to the
/// data section) plus an optional `__metadata__` of string values, then the raw
/// little-endian data.
///
/// Writing is deterministic (names sorted, as the reference implementation does; header
/// padded with spaces to a multiple of 8 bytes), so equal tensors give equal bytes.
/// Python reads the result with `safetensors.numpy.load_file(path)`.
public enum Safetensors {
    /// The encoded file for `tensors` and string `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = try metadata.keys.sorted().map { "\(try jsonString($0)):\(try jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let size = tensor.count * 4
            entries.append("\(try jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var headerBytes = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes += $0 }
        bytes += headerBytes
        for name in names {
            for value in tensors[name]!.scalars { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        }
        return bytes
    }

    /// Writes `tensors` to `path` atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }

    /// Reads a file, checking its structure.
    /// - Throws: ``ModelFileError`` naming the file (and the tensor) for a truncated file, a
    ///   bad header, a dtype other than `F32`, or offsets that disagree with the shape.
    /// With `checksum` (from ``checksum(_:)`` at save time), a file whose bytes changed since
    /// is refused too.
    public static func read(path: String, checksum: String? = nil) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, message: "no such file or not readable")
        }
        let bytes = [UInt8](data)
        let decoded = try decode(bytes, path: path)
        if let checksum, Self.checksum(bytes) != checksum {
            let actual = Self.checksum(bytes)
            throw ModelFileError(
                path: path, message: "its CRC-32 is \(actual), but model.json records \(checksum): the file changed after it was saved")
        }
        return decoded
    }

    /// The CRC-32 of a file's bytes as 8 hex digits, which model folders record for each
    /// weight file so that bytes changed in place are detected.
    public static func checksum(_ bytes: [UInt8]) -> String {
        let crc = bytes.withUnsafeBytes { crc32Update(0, $0) }
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Decodes file contents; `path` is for messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func bad(_ message: String, _ tensor: String? = nil) -> ModelFileError { ModelFileError(path: path, tensor: tensor, message: message) }
        guard bytes.count >= 8 else { throw bad("truncated: \(bytes.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for index in (0..<8).reversed() { length = length << 8 | UInt64(bytes[index]) }
        guard length <= UInt64(bytes.count - 8) else {
            throw bad("truncated: header length \(length) exceeds the \(bytes.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(length)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])),
              let header = object as? [String: Any]
        else { throw bad("header is not a JSON object") }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let values = raw as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
            metadata = values
        }
        let dataCount = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        for (name, rawEntry) in header where name != "__metadata__" {
            guard let entry = rawEntry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (entry["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2
            else { throw bad("entry needs dtype, shape and data_offsets", name) }
            guard dtype == "F32" else { throw bad("dtype \(dtype) is not supported (only F32)", name) }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * 4 else {
                throw bad("data_offsets \(offsets) do not hold a F32 tensor of shape \(shape)", name)
            }
            guard offsets[1] <= dataCount else {
                throw bad("truncated: data_offsets end at \(offsets[1]) but the data section has \(dataCount) bytes", name)
            }
            let base = dataStart + offsets[0]
            let values = bytes.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * $0, as: UInt32.self))) }
            }
            tensors[name] = try Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    private static func jsonString(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }
}
