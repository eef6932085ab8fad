import Foundation
import TextClfTensor

#if !_endian(little)
    #error("The NPY/NPZ code writes host-order arrays as little-endian ('<' dtypes); big-endian hosts are not supported.")
#endif

/// The element types that textclf reads and writes in `.npy` files.
///
/// A deliberately small subset of numpy's dtypes: what scipy's sparse matrices, scikit-learn's
/// outputs and textclf's models need. Anything else is refused with an error naming the dtype.
public enum NPYDType: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// `<i4`, numpy `int32`.
    case int32
    /// `<i8`, numpy `int64`.
    case int64
    /// `<f4`, numpy `float32`.
    case float32
    /// `<f8`, numpy `float64`.
    case float64
    /// `|S<n>`, fixed-length byte strings of `n` bytes (numpy `bytes_`), e.g. scipy's `b'csr'`.
    case bytes(Int)

    /// The numpy type descriptor, e.g. `<f4`.
    public var descr: String {
        switch self {
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .bytes(let length): return "|S\(length)"
        }
    }

    /// The size of one element in bytes.
    public var itemSize: Int {
        switch self {
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        case .bytes(let length): return length
        }
    }

    /// Parses a numpy type descriptor of the supported subset.
    /// - Parameter descr: A descriptor such as `<i8` or `|S3`; `=` and `|` byte orders are
    ///   accepted where they mean the same on a little-endian host.
    /// - Returns: The dtype, or `nil` when it is outside the subset.
    public init?(descr: String) {
        switch descr {
        case "<i4", "=i4": self = .int32
        case "<i8", "=i8": self = .int64
        case "<f4", "=f4": self = .float32
        case "<f8", "=f8": self = .float64
        default:
            guard descr.hasPrefix("|S") || descr.hasPrefix("S"), let length = Int(descr.drop { $0 == "|" || $0 == "S" }),
                length >= 0
            else { return nil }
            self = .bytes(length)
        }
    }

    /// The numpy type descriptor, as in error messages.
    public var description: String { descr }
}

/// The elements of an ``NPYArray``, in C (row-major) order.
public enum NPYElements: Equatable, Sendable {
    /// `<i4` elements.
    case int32([Int32])
    /// `<i8` elements.
    case int64([Int64])
    /// `<f4` elements.
    case float32([Float])
    /// `<f8` elements.
    case float64([Double])
    /// Fixed-length byte strings, concatenated: `count × length` bytes.
    case bytes([UInt8])

    /// Calls `body` with the raw little-endian bytes of the elements.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .int32(let a): return try a.withUnsafeBytes(body)
        case .int64(let a): return try a.withUnsafeBytes(body)
        case .float32(let a): return try a.withUnsafeBytes(body)
        case .float64(let a): return try a.withUnsafeBytes(body)
        case .bytes(let a): return try a.withUnsafeBytes(body)
        }
    }
}

/// An n-dimensional numpy array as stored in a `.npy` file (format version 1.0).
///
/// Only 0-d, 1-D and 2-D C-ordered arrays of the ``NPYDType`` subset are supported; that covers
/// every member of a scipy sparse `.npz` file and textclf's dense weight matrices.
public struct NPYArray: Equatable, Sendable {
    /// The element type.
    public let dtype: NPYDType
    /// The dimensions; empty for a 0-d (scalar) array.
    public let shape: [Int]
    /// The elements in C order; their count is the product of ``shape``.
    public let elements: NPYElements

    /// Creates an array, checking that the element count matches the shape.
    /// - Parameters:
    ///   - shape: At most 2 non-negative dimensions; `[]` for a scalar.
    ///   - elements: The elements in C order.
    ///   - bytesLength: The item length for ``NPYElements/bytes(_:)``; ignored otherwise.
    /// - Throws: ``CSRMatrixError/shapeMismatch(_:)`` when the count or rank is wrong.
    public init(shape: [Int], elements: NPYElements, bytesLength: Int = 0) throws {
        switch elements {
        case .int32: dtype = .int32
        case .int64: dtype = .int64
        case .float32: dtype = .float32
        case .float64: dtype = .float64
        case .bytes: dtype = .bytes(bytesLength)
        }
        guard shape.count <= 2, shape.allSatisfy({ $0 >= 0 }) else {
            throw CSRMatrixError.shapeMismatch("NPY arrays must have at most 2 non-negative dimensions, got \(shape)")
        }
        let expected = shape.reduce(1, *)
        let byteCount = elements.withUnsafeBytes { $0.count }
        guard byteCount == expected * dtype.itemSize else {
            throw CSRMatrixError.shapeMismatch(
                "shape \(shape) needs \(expected) elements of \(dtype.itemSize) bytes, got \(byteCount) bytes")
        }
        self.shape = shape
        self.elements = elements
    }

    /// A 0-d byte-string array, as numpy makes of `np.array(b'csr')`; the length of `bytes`
    /// becomes the dtype's item size.
    public static func scalar(bytes: [UInt8]) -> NPYArray {
        try! NPYArray(shape: [], elements: .bytes(bytes), bytesLength: bytes.count)
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The whole `.npy` encoding: header then elements.
    /// - Complexity: O(elements).
    public func encoded() -> [UInt8] {
        var bytes = NPYArray.header(dtype: dtype, shape: shape)
        elements.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Writes the array to a `.npy` file atomically.
    /// - Throws: ``TensorFileError`` on a file-system failure.
    public func write(to path: String) throws {
        try AtomicFile.write(to: path) { output in
            try output.write(NPYArray.header(dtype: dtype, shape: shape))
            try elements.withUnsafeBytes { try output.write($0) }
        }
    }

    /// Reads a `.npy` file.
    /// - Throws: ``TensorFileError`` naming the file and the header key when the file is not a
    ///   version 1–3 NPY file of a supported dtype and rank, or cannot be read.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TensorFileError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        self = try data.withUnsafeBytes { try NPYArray(decoding: $0, path: path) }
    }

    /// Decodes the bytes of a whole `.npy` file (or archive member), copying the elements out of
    /// them; `path` names the file in errors.
    /// - Throws: ``TensorFileError`` with ``TensorFileError/member`` set to the offending header
    ///   key (`descr`, `fortran_order`, `shape`) where there is one.
    public init(decoding bytes: UnsafeRawBufferPointer, path: String) throws {
        func fail(_ message: String, key: String? = nil) -> TensorFileError {
            TensorFileError(path: path, member: key.map { "key '\($0)'" }, message: message)
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not an NPY file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated NPY header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported NPY format version \(major).\(bytes[7])")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("truncated NPY header") }
        let headerText = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let header: NPYHeader
        do { header = try NPYHeader(parsing: headerText) } catch let error as NPYHeader.ParseError {
            throw fail(error.message, key: error.key)
        }
        guard let dtype = NPYDType(descr: header.descr) else {
            throw fail("unsupported dtype '\(header.descr)' (supported: <i4, <i8, <f4, <f8, |S<n>)", key: "descr")
        }
        guard header.shape.count <= 2 else {
            throw fail("unsupported rank \(header.shape.count) (only 0-d, 1-D and 2-D arrays)", key: "shape")
        }
        if header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1 {
            throw fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray", key: "fortran_order")
        }
        let (count, overflow) = header.shape.reduce((1, false)) { partial, dimension in
            let product = partial.0.multipliedReportingOverflow(by: dimension)
            return (product.partialValue, partial.1 || product.overflow)
        }
        let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        let dataStart = headerStart + headerLength
        guard !overflow, !byteOverflow, dataStart + byteCount <= bytes.count else {
            throw fail("truncated data: shape \(header.shape) of \(dtype) needs \(byteCount) bytes after the header, found \(bytes.count - dataStart)")
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + byteCount)])
        func load<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw) }
                initialized = count
            }
        }
        let elements: NPYElements
        switch dtype {
        case .int32: elements = .int32(load(Int32.self))
        case .int64: elements = .int64(load(Int64.self))
        case .float32: elements = .float32(load(Float.self))
        case .float64: elements = .float64(load(Double.self))
        case .bytes: elements = .bytes(Array(raw))
        }
        self.dtype = dtype
        self.shape = header.shape
        self.elements = elements
    }

    /// The NPY version 1.0 header for an array, byte for byte as numpy 2 writes it.
    ///
    /// Matching numpy exactly (key order, spare room for growing the first axis, padding to
    /// 64 bytes) makes our files diffable against numpy's and keeps the data 64-byte aligned
    /// for memory mapping.
    /// - Returns: Magic, version, header length and the padded header dictionary.
    public static func header(dtype: NPYDType, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dictionary = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy's GROWTH_AXIS_MAX_DIGITS: room to rewrite the first dimension in place.
        if let first = shape.first { dictionary += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let headerLength = dictionary.utf8.count + 1
        let padding = 64 - (10 + headerLength) % 64
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let total = headerLength + padding
        precondition(total <= 0xFFFF, "NPY 1.0 header too long")
        bytes.append(UInt8(total & 0xFF))
        bytes.append(UInt8(total >> 8))
        bytes.append(contentsOf: dictionary.utf8)
        bytes.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        bytes.append(0x0A)
        return bytes
    }
}

/// The parsed header dictionary of an NPY file.
///
/// numpy writes it as a Python literal; this parser accepts the literal subset numpy produces
/// (strings, `True`/`False`, tuples of integers, in any key order) rather than evaluating Python.
struct NPYHeader {
    struct ParseError: Error {
        var key: String?
        var message: String
    }

    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    init(parsing text: String) throws {
        var scalars = Array(text.utf8)
        scalars.append(0)
        var position = 0
        func skipSpaces() { while scalars[position] == 0x20 || scalars[position] == 0x0A || scalars[position] == 0x09 { position += 1 } }
        func expect(_ byte: UInt8, _ what: String, key: String? = nil) throws {
            skipSpaces()
            guard scalars[position] == byte else {
                throw ParseError(key: key, message: "malformed header: expected \(what) at offset \(position) of \(text.debugDescription)")
            }
            position += 1
        }
        func string(key: String?) throws -> String {
            skipSpaces()
            let quote = scalars[position]
            guard quote == 0x27 || quote == 0x22 else {
                throw ParseError(key: key, message: "malformed header: expected a string at offset \(position)")
            }
            position += 1
            let start = position
            while scalars[position] != quote && scalars[position] != 0 { position += 1 }
            guard scalars[position] == quote else { throw ParseError(key: key, message: "malformed header: unterminated string") }
            position += 1
            return String(decoding: scalars[start..<(position - 1)], as: UTF8.self)
        }
        func word() -> String {
            skipSpaces()
            let start = position
            while let character = Optional(scalars[position]), (character >= 0x30 && character <= 0x39) || (character | 0x20 >= 0x61 && character | 0x20 <= 0x7A) || character == 0x5F {
                position += 1
            }
            return String(decoding: scalars[start..<position], as: UTF8.self)
        }
        var seen = Set<String>()
        try expect(0x7B, "'{'")
        while true {
            skipSpaces()
            if scalars[position] == 0x7D { position += 1; break }
            let key = try string(key: nil)
            try expect(0x3A, "':'", key: key)
            switch key {
            case "descr":
                skipSpaces()
                guard scalars[position] == 0x27 || scalars[position] == 0x22 else {
                    throw ParseError(key: key, message: "structured dtypes are not supported")
                }
                descr = try string(key: key)
            case "fortran_order":
                switch word() {
                case "True": fortranOrder = true
                case "False": fortranOrder = false
                case let other: throw ParseError(key: key, message: "expected True or False, found '\(other)'")
                }
            case "shape":
                try expect(0x28, "'('", key: key)
                shape = []
                while true {
                    skipSpaces()
                    if scalars[position] == 0x29 { position += 1; break }
                    let digits = word()
                    guard let dimension = Int(digits.hasSuffix("L") ? String(digits.dropLast()) : digits), dimension >= 0 else {
                        throw ParseError(key: key, message: "bad dimension '\(digits)'")
                    }
                    shape.append(dimension)
                    skipSpaces()
                    if scalars[position] == 0x2C { position += 1 }
                }
            default:
                throw ParseError(key: key, message: "unexpected header key")
            }
            seen.insert(key)
            skipSpaces()
            if scalars[position] == 0x2C { position += 1 }
        }
        for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) {
            throw ParseError(key: key, message: "missing from the header")
        }
    }
}
