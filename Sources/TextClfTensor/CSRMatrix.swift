/// A sparse matrix in compressed sparse row (CSR) form, as scipy's `csr_matrix`.
///
/// Row `r` holds the entries `rowPointers[r]..<rowPointers[r + 1]` of ``columnIndices``
/// and ``values``. Within a row, column indices are strictly increasing (scipy's
/// "canonical format"), which every constructor here guarantees and ``checkInvariants()``
/// verifies. The invariant checks run in debug and test builds and cost nothing in release.
public struct CSRMatrix: Sendable, Equatable {
    /// Which matrix this is, for the device copies of its arrays (``CSRIdentity``); new when
    /// the values change.
    private(set) var identity = CSRIdentity()
    /// The matrix whose rows these are, for a batch (``batch(_:)``).
    var origin: CSROrigin?

    /// The number of rows.
    public let rowCount: Int
    /// The number of columns.
    public let columnCount: Int
    /// `rowCount + 1` offsets into ``columnIndices`` and ``values``; the first is 0.
    public private(set) var rowPointers: [Int]
    /// The column of each stored entry.
    public private(set) var columnIndices: [Int32]
    /// The value of each stored entry.
    public private(set) var values: [Float]

    /// Creates a matrix from CSR arrays.
    /// - Parameters:
    ///   - rowCount: The number of rows.
    ///   - columnCount: The number of columns.
    ///   - rowPointers: `rowCount + 1` non-decreasing offsets, starting at 0 and ending at the entry count.
    ///   - columnIndices: Column of each entry, strictly increasing within a row, in `0..<columnCount`.
    ///   - values: Value of each entry.
    /// - Throws: ``CSRMatrixError`` naming the first violated invariant.
    public init(
        rowCount: Int, columnCount: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]
    ) throws {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
        if let violation = invariantViolation() { throw violation }
    }

    /// Creates a matrix without validating it; the invariants are still asserted in debug builds.
    /// Callers guarantee canonical CSR arrays.
    public init(
        unchecked rowCount: Int, columnCount: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]
    ) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
        checkInvariants()
    }

    /// An all-zero matrix.
    public init(zeros rowCount: Int, columnCount: Int) {
        self.init(
            unchecked: rowCount, columnCount: columnCount,
            rowPointers: [Int](repeating: 0, count: rowCount + 1), columnIndices: [], values: [])
    }

    /// Equal shapes and equal arrays (where the rows came from does not matter).
    public static func == (lhs: CSRMatrix, rhs: CSRMatrix) -> Bool {
        lhs.rowCount == rhs.rowCount && lhs.columnCount == rhs.columnCount && lhs.rowPointers == rhs.rowPointers
            && lhs.columnIndices == rhs.columnIndices && lhs.values == rhs.values
    }

    /// The number of stored entries.
    @inlinable public var storedCount: Int { values.count }

    /// Stored entries over all cells, 0 for an empty shape.
    public var density: Double {
        rowCount == 0 || columnCount == 0 ? 0 : Double(storedCount) / (Double(rowCount) * Double(columnCount))
    }

    /// The entry range of row `row`.
    @inlinable public func entries(ofRow row: Int) -> Range<Int> {
        rowPointers[row]..<rowPointers[row + 1]
    }

    /// The value at (`row`, `column`), 0 where nothing is stored.
    /// - Complexity: O(log(entries in the row)).
    public func value(row: Int, column: Int) -> Float {
        var low = rowPointers[row]
        var high = rowPointers[row + 1]
        let target = Int32(column)
        while low < high {
            let middle = (low + high) / 2
            if columnIndices[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < rowPointers[row + 1] && columnIndices[low] == target ? values[low] : 0
    }

    /// Applies `transform` to every stored value (zeros stay zero and unstored).
    public mutating func mapValues(_ transform: (Float) -> Float) {
        (identity, origin) = (CSRIdentity(), nil)
        for index in values.indices { values[index] = transform(values[index]) }
    }

    /// Calls `body` with mutable access to the stored values, in entry order.
    public mutating func withMutableValues<Result>(
        _ body: (inout [Float]) throws -> Result
    ) rethrows -> Result {
        (identity, origin) = (CSRIdentity(), nil)
        return try body(&values)
    }

    /// Asserts the CSR invariants in debug and test builds; does nothing in release builds.
    @inlinable public func checkInvariants() {
        assert(invariantViolation() == nil, "\(invariantViolation()!)")
    }

    /// The first violated invariant, or `nil` when the arrays form a canonical CSR matrix.
    /// - Complexity: O(rows + stored entries).
    public func invariantViolation() -> CSRMatrixError? {
        guard rowCount >= 0, columnCount >= 0, columnCount <= Int(Int32.max) else {
            return .badShape(rows: rowCount, columns: columnCount)
        }
        guard rowPointers.count == rowCount + 1 else {
            return .rowPointerCount(expected: rowCount + 1, found: rowPointers.count)
        }
        guard rowPointers[0] == 0, rowPointers[rowCount] == values.count, columnIndices.count == values.count else {
            return .entryCount(rowPointersEnd: rowPointers[rowCount], columnIndices: columnIndices.count, values: values.count)
        }
        for row in 0..<rowCount {
            let start = rowPointers[row]
            let end = rowPointers[row + 1]
            guard start <= end else { return .decreasingRowPointers(row: row) }
            var previous: Int32 = -1
            for entry in start..<end {
                let column = columnIndices[entry]
                guard column >= 0 && Int(column) < columnCount else {
                    return .columnOutOfRange(row: row, column: Int(column), columns: columnCount)
                }
                guard column > previous else { return .unsortedColumns(row: row) }
                previous = column
            }
        }
        return nil
    }
}

/// A violated CSR invariant.
public enum CSRMatrixError: Error, Equatable, CustomStringConvertible {
    case badShape(rows: Int, columns: Int)
    case rowPointerCount(expected: Int, found: Int)
    case entryCount(rowPointersEnd: Int, columnIndices: Int, values: Int)
    case decreasingRowPointers(row: Int)
    case columnOutOfRange(row: Int, column: Int, columns: Int)
    case unsortedColumns(row: Int)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .badShape(let rows, let columns): return "CSR matrix: invalid shape \(rows) × \(columns)"
        case .rowPointerCount(let expected, let found):
            return "CSR matrix: expected \(expected) row pointers, found \(found)"
        case .entryCount(let end, let indices, let values):
            return "CSR matrix: row pointers end at \(end) but there are \(indices) column indices and \(values) values"
        case .decreasingRowPointers(let row): return "CSR matrix: row pointers decrease at row \(row)"
        case .columnOutOfRange(let row, let column, let columns):
            return "CSR matrix: row \(row) has column \(column), outside 0..<\(columns)"
        case .unsortedColumns(let row):
            return "CSR matrix: row \(row) has unsorted or repeated column indices"
        case .shapeMismatch(let message): return "CSR matrix: \(message)"
        }
    }
}
