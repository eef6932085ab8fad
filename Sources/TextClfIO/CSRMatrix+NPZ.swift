import Foundation
import TextClfTensor

/// The element type of the `data.npy` member of a sparse `.npz` file.
public enum NPYValueType: Sendable, Equatable {
    /// `<f4`: exact for textclf's `Float` values, half the size of float64.
    case float32
    /// `<f8`: scikit-learn's default for TF-IDF and other real-valued features.
    case float64
    /// `<i8`: what scikit-learn's `CountVectorizer` produces for counts; values are rounded
    /// toward zero (saturating, NaN to 0), so use it only for integral matrices.
    case int64

    var dtype: NPYDType {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        case .int64: return .int64
        }
    }
}

extension CSRMatrix {
    /// Writes the matrix as `scipy.sparse.save_npz(path, matrix, compressed=False)` does.
    ///
    /// Members, in scipy's order: `indices.npy`, `indptr.npy`, `format.npy` (0-d `|S3` `b'csr'`),
    /// `shape.npy` (`<i8`, shape (2,)), `data.npy`. Like scipy, the index arrays are int32 when
    /// every index and the entry count fit in int32, and int64 otherwise. The arrays are
    /// streamed into a temporary file that is renamed into place when complete.
    /// - Parameters:
    ///   - path: The target file, conventionally ending in `.npz`.
    ///   - valueType: The dtype of `data.npy`.
    /// - Throws: ``TensorFileError`` on a file-system failure, or when a member would exceed
    ///   4 GiB (ZIP64 is not written).
    /// - Complexity: O(rows + stored entries); only chunk-sized buffers are allocated.
    public func writeNPZ(to path: String, valueType: NPYValueType = .float32) throws {
        let wideIndices = storedCount > Int(Int32.max) || rowCount > Int(Int32.max)
        let indexType: NPYDType = wideIndices ? .int64 : .int32
        try AtomicFile.write(to: path) { output in
            let zip = ZipStoredWriter(output: output)
            try zip.npyMember("indices", dtype: indexType, shape: [storedCount]) {
                if wideIndices {
                    try emitConverted(columnIndices, to: Int64.self, into: zip) { Int64($0) }
                } else {
                    try columnIndices.withUnsafeBytes { try zip.write($0) }
                }
            }
            try zip.npyMember("indptr", dtype: indexType, shape: [rowCount + 1]) {
                if wideIndices {
                    try emitConverted(rowPointers, to: Int64.self, into: zip) { Int64($0) }
                } else {
                    try emitConverted(rowPointers, to: Int32.self, into: zip) { Int32(truncatingIfNeeded: $0) }
                }
            }
            try zip.npyMember("format", dtype: .bytes(3), shape: []) { try zip.write(Array("csr".utf8)) }
            try zip.npyMember("shape", dtype: .int64, shape: [2]) {
                try [Int64(rowCount), Int64(columnCount)].withUnsafeBytes { try zip.write($0) }
            }
            try zip.npyMember("data", dtype: valueType.dtype, shape: [storedCount]) {
                switch valueType {
                case .float32: try values.withUnsafeBytes { try zip.write($0) }
                case .float64: try emitConverted(values, to: Double.self, into: zip) { Double($0) }
                case .int64: try emitConverted(values, to: Int64.self, into: zip, Self.savedInteger)
                }
            }
            try zip.finish()
        }
    }

    /// A value as `int64` `data.npy` holds it: saturating, like numpy's cast on x86 for
    /// in-range values; NaN becomes 0.
    static func savedInteger(_ value: Float) -> Int64 {
        value.isNaN ? 0 : value >= 9.2e18 ? Int64.max : value <= -9.2e18 ? Int64.min : Int64(value)
    }

    /// Reads a CSR matrix saved by `scipy.sparse.save_npz` (compressed or not) or ``writeNPZ(to:valueType:)``.
    ///
    /// Accepts int32 or int64 `indices`/`indptr` and float32, float64, int32 or int64 `data`
    /// (converted to `Float`). Rows whose columns are unsorted or repeated, which scipy allows
    /// in non-canonical matrices, are sorted and their duplicates summed, as scipy's
    /// `sum_duplicates` would.
    /// - Throws: ``TensorFileError`` naming the file and member when a member is missing, of
    ///   the wrong dtype or shape, the format is not `csr`, or the arrays are inconsistent.
    /// - Complexity: O(rows + stored entries), plus sorting for non-canonical rows.
    public init(npzAt path: String) throws {
        let archive = try NPZArchive(contentsOf: path)
        func array(_ name: String) throws -> NPYArray {
            guard let array = archive[name] else {
                throw TensorFileError(path: path, member: name + ".npy", message: "missing; not a scipy sparse .npz file (members: \(archive.names.joined(separator: ", ")))")
            }
            return array
        }
        func fail(_ name: String, _ message: String) -> TensorFileError {
            TensorFileError(path: path, member: name + ".npy", message: message)
        }
        let format = try array("format")
        guard case .bytes(let formatBytes) = format.elements, format.shape.isEmpty else {
            throw fail("format", "expected a 0-d byte string, found dtype '\(format.dtype)' shape \(format.shape)")
        }
        let formatName = String(decoding: formatBytes.prefix { $0 != 0 }, as: UTF8.self)
        guard formatName == "csr" else {
            throw fail("format", "sparse format '\(formatName)' is not supported; convert with matrix.tocsr() before saving")
        }
        let shapeArray = try array("shape")
        let shape: [Int]
        switch shapeArray.elements {
        case .int64(let values): shape = values.map { Int($0) }
        case .int32(let values): shape = values.map { Int($0) }
        default: throw fail("shape", "unsupported dtype '\(shapeArray.dtype)' (expected <i8 or <i4)")
        }
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0, shape[1] <= Int(Int32.max) else {
            throw fail("shape", "expected 2 non-negative dimensions with at most 2^31-1 columns, found \(shape)")
        }
        func integers(_ name: String) throws -> [Int] {
            let member = try array(name)
            guard member.shape.count == 1 else { throw fail(name, "expected a 1-D array, found shape \(member.shape)") }
            switch member.elements {
            case .int32(let values): return values.map { Int($0) }
            case .int64(let values): return values.map { Int($0) }
            default: throw fail(name, "unsupported dtype '\(member.dtype)' (expected <i4 or <i8)")
            }
        }
        let pointers = try integers("indptr")
        let rawIndices = try integers("indices")
        guard pointers.count == shape[0] + 1 else {
            throw fail("indptr", "has \(pointers.count) entries for \(shape[0]) rows (expected \(shape[0] + 1))")
        }
        guard pointers.first == 0, pointers.last == rawIndices.count else {
            throw fail("indptr", "must start at 0 and end at the entry count \(rawIndices.count), found \(pointers.first ?? 0)...\(pointers.last ?? 0)")
        }
        for row in 0..<shape[0] where pointers[row] > pointers[row + 1] {
            throw fail("indptr", "decreases at row \(row)")
        }
        var indices = [Int32]()
        indices.reserveCapacity(rawIndices.count)
        for index in rawIndices {
            guard index >= 0, index < shape[1] else {
                throw fail("indices", "column index \(index) outside 0..<\(shape[1])")
            }
            indices.append(Int32(index))
        }
        let dataArray = try array("data")
        guard dataArray.shape.count == 1 else { throw fail("data", "expected a 1-D array, found shape \(dataArray.shape)") }
        let values: [Float]
        switch dataArray.elements {
        case .float32(let raw): values = raw
        case .float64(let raw): values = raw.map { Float($0) }
        case .int32(let raw): values = raw.map { Float($0) }
        case .int64(let raw): values = raw.map { Float($0) }
        case .bytes: throw fail("data", "unsupported dtype '\(dataArray.dtype)' (expected <f4, <f8, <i4 or <i8)")
        }
        guard values.count == indices.count else {
            throw fail("data", "has \(values.count) values but indices.npy has \(indices.count)")
        }
        do {
            self = try CSRMatrix(rowCount: shape[0], columnCount: shape[1], rowPointers: pointers, columnIndices: indices, values: values)
        } catch CSRMatrixError.unsortedColumns {
            self = CSRMatrix(canonicalizing: shape[0], columnCount: shape[1], rowPointers: pointers, columnIndices: indices, values: values)
        } catch let error as CSRMatrixError {
            throw fail("indptr", "\(error)")
        }
    }

    /// Sorts each row's entries by column and sums repeated columns. The pointers must already
    /// be valid (checked by the throwing initializer before it reports unsorted columns).
    init(canonicalizing rowCount: Int, columnCount: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]) {
        var newPointers = [Int](repeating: 0, count: rowCount + 1)
        var newIndices = [Int32]()
        var newValues = [Float]()
        newIndices.reserveCapacity(columnIndices.count)
        newValues.reserveCapacity(values.count)
        var order = [Int]()
        for row in 0..<rowCount {
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: rowPointers[row]..<rowPointers[row + 1])
            order.sort { columnIndices[$0] < columnIndices[$1] || (columnIndices[$0] == columnIndices[$1] && $0 < $1) }
            for entry in order {
                if newIndices.count > newPointers[row], newIndices.last == columnIndices[entry] {
                    newValues[newValues.count - 1] += values[entry]
                } else {
                    newIndices.append(columnIndices[entry])
                    newValues.append(values[entry])
                }
            }
            newPointers[row + 1] = newIndices.count
        }
        self.init(unchecked: rowCount, columnCount: columnCount, rowPointers: newPointers, columnIndices: newIndices, values: newValues)
    }
}
