import Foundation
import TextClfTensor

/// Writes a CSR matrix chunk of rows by chunk of rows, never holding it whole: the `.npz`
/// that ``CSRMatrix/writeNPZ(to:valueType:)`` writes, and optionally the svmlight file of
/// ``CSRMatrix/writeSVMLight(to:labels:zeroBased:)`` (`textclf vectorize --stream`).
///
/// Appended rows go to temporary part files beside the target (the column indices, values
/// and row ends, as raw arrays; the svmlight lines); ``finish()`` assembles the `.npz` from
/// them through a temporary file and renames both into place. Until then, and when a write
/// fails, files already at the targets are left as they were.
public final class StreamingCSRWriter {
    private let path: String
    private let columnCount: Int
    private let valueType: NPYValueType
    private var parts: [(path: String, handle: FileHandle)] = []
    private let svmlight: (path: String, temporary: String, output: FileOutput)?
    /// Rows and stored entries written so far.
    public private(set) var rowCount = 0
    public private(set) var storedCount = 0
    private var finished = false

    /// A writer of `columnCount`-column rows to the `.npz` at `path` (values as `valueType`),
    /// and to the svmlight file at `svmlightPath` when given (then every chunk needs labels).
    /// - Throws: ``TensorFileError`` when the temporary files cannot be made.
    public init(npz path: String, columnCount: Int, valueType: NPYValueType = .float32, svmlight svmlightPath: String? = nil) throws {
        self.path = path
        self.columnCount = columnCount
        self.valueType = valueType
        for name in ["indices", "data", "indptr"] {
            guard let (partPath, descriptor) = TemporaryFile.create(for: path + "." + name, mode: O_RDWR) else {
                throw TensorFileError(path: path, message: "cannot create a temporary file beside it: \(errnoText())")
            }
            parts.append((partPath, FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)))
        }
        if let svmlightPath {
            guard let (temporary, descriptor) = TemporaryFile.create(for: svmlightPath) else {
                throw TensorFileError(path: svmlightPath, message: "cannot create a temporary file beside it: \(errnoText())")
            }
            svmlight = (svmlightPath, temporary, FileOutput(descriptor: descriptor, path: svmlightPath))
        } else {
            svmlight = nil
        }
        try write([Int64(0)], to: 2)
    }

    deinit {
        guard !finished else { return }
        for part in parts { unlink(part.path) }
        if let svmlight { unlink(svmlight.temporary) }
    }

    private func write<Value: BitwiseCopyable>(_ values: [Value], to part: Int) throws {
        do { try values.withUnsafeBytes { try parts[part].handle.write(contentsOf: Data($0)) } } catch {
            throw TensorFileError(path: path, message: "cannot write a temporary part: \(error.localizedDescription)")
        }
    }

    /// Appends the rows of `matrix` (with one class per row for the svmlight file).
    /// - Throws: ``TensorFileError`` when a write fails.
    public func append(_ matrix: CSRMatrix, labels: [Int]? = nil) throws {
        precondition(matrix.columnCount == columnCount, "rows of \(matrix.columnCount) columns for a \(columnCount)-column matrix")
        try write(matrix.columnIndices, to: 0)
        try write(matrix.values, to: 1)
        try write(matrix.rowPointers.dropFirst().map { Int64(storedCount + $0) }, to: 2)
        if let svmlight {
            guard let labels, labels.count == matrix.rowCount else { preconditionFailure("svmlight rows need one label each") }
            try matrix.writeSVMLightRows(into: svmlight.output, zeroBased: true) { String(labels[$0]) }
        }
        rowCount += matrix.rowCount
        storedCount += matrix.storedCount
    }

    /// Assembles the `.npz` (and the svmlight file) and renames them into place.
    /// - Throws: ``TensorFileError`` for a file-system failure, or a member over 4 GiB.
    public func finish() throws {
        precondition(!finished, "finish() called twice")
        let wide = storedCount > Int(Int32.max) || rowCount > Int(Int32.max)
        let indexType: NPYDType = wide ? .int64 : .int32
        func copy<Stored: BitwiseCopyable, Written: BitwiseCopyable>(
            _ part: Int, as _: Stored.Type, into zip: ZipStoredWriter, _ convert: (Stored) -> Written
        ) throws {
            let handle = parts[part].handle
            try handle.seek(toOffset: 0)
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                let values = chunk.withUnsafeBytes { raw in
                    (0..<(raw.count / MemoryLayout<Stored>.stride)).map {
                        raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Stored>.stride, as: Stored.self)
                    }
                }
                try values.map(convert).withUnsafeBytes { try zip.write($0) }
            }
        }
        try AtomicFile.write(to: path) { output in
            let zip = ZipStoredWriter(output: output)
            try zip.npyMember("indices", dtype: indexType, shape: [storedCount]) {
                if wide { try copy(0, as: Int32.self, into: zip) { Int64($0) } } else { try copy(0, as: Int32.self, into: zip) { $0 } }
            }
            try zip.npyMember("indptr", dtype: indexType, shape: [rowCount + 1]) {
                if wide { try copy(2, as: Int64.self, into: zip) { $0 } } else { try copy(2, as: Int64.self, into: zip) { Int32(truncatingIfNeeded: $0) } }
            }
            try zip.npyMember("format", dtype: .bytes(3), shape: []) { try zip.write(Array("csr".utf8)) }
            try zip.npyMember("shape", dtype: .int64, shape: [2]) {
                try [Int64(rowCount), Int64(columnCount)].withUnsafeBytes { try zip.write($0) }
            }
            try zip.npyMember("data", dtype: valueType.dtype, shape: [storedCount]) {
                switch valueType {
                case .float32: try copy(1, as: Float.self, into: zip) { $0 }
                case .float64: try copy(1, as: Float.self, into: zip) { Double($0) }
                case .int64: try copy(1, as: Float.self, into: zip) { CSRMatrix.savedInteger($0) }
                }
            }
            try zip.finish()
        }
        if let svmlight {
            try svmlight.output.flush()
            guard fsync(svmlight.output.descriptorForSync) == 0, rename(svmlight.temporary, svmlight.path) == 0 else {
                throw TensorFileError(path: svmlight.path, message: "cannot write the file: \(errnoText())")
            }
            svmlight.output.close()
        }
        finished = true
        for part in parts { unlink(part.path) }
    }
}
