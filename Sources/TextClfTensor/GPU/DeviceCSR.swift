import Synchronization

/// The identity of a ``CSRMatrix`` for the device copies of its arrays: each device that
/// multiplies by batches of the matrix keeps one copy here, made at the first batch and given
/// back to the device's pool with the last matrix or batch holding this identity.
final class CSRIdentity: Sendable {
    /// The copies, by runtime (runtimes live as long as the process).
    private let copies = Mutex<[ObjectIdentifier: DeviceCSR]>([:])

    /// The copy on `runtime`, made by `upload` the first time.
    func copy(on runtime: any KernelRuntime, _ upload: () throws -> DeviceCSR) throws -> DeviceCSR {
        try copies.withLock { copies in
            if let copy = copies[ObjectIdentifier(runtime)] { return copy }
            let copy = try upload()
            copies[ObjectIdentifier(runtime)] = copy
            return copy
        }
    }
}

/// Where a batch's rows came from (``CSRMatrix/batch(_:)``): the matrix's arrays, shared with
/// it, its identity, and the matrix row of each batch row.
struct CSROrigin: Sendable {
    let identity: CSRIdentity
    let rowPointers: [Int]
    let columnIndices: [Int32]
    let values: [Float]
    /// The matrix row of each batch row.
    let rows: [Int]

    init(of matrix: CSRMatrix, rows: [Int]) {
        identity = matrix.identity
        rowPointers = matrix.rowPointers
        columnIndices = matrix.columnIndices
        values = matrix.values
        self.rows = rows
    }

    /// The bytes a device copy takes.
    var deviceBytes: Int { rowPointers.count * 8 + columnIndices.count * 4 + values.count * 4 }
}

/// CSR arrays in a device's memory: a whole data set's, or one batch's.
final class DeviceCSR: Sendable {
    let rowPointers: DeviceBuffer
    let columnIndices: DeviceBuffer
    let values: DeviceBuffer

    init(rowPointers: [Int], columnIndices: [Int32], values: [Float], on runtime: any KernelRuntime) throws {
        self.rowPointers = try runtime.buffer(rowPointers.map(Int64.init))
        self.columnIndices = try runtime.buffer(columnIndices)
        self.values = try runtime.buffer(values)
    }
}
