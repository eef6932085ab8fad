extension CSRMatrix {
    /// Creates a matrix from a dense row-major array, storing its non-zero cells (for small
    /// matrices and tests; the reverse, densifying a whole matrix, is deliberately internal).
    /// - Parameters:
    ///   - dense: `rowCount × columnCount` values, row-major.
    ///   - rowCount: The number of rows.
    ///   - columnCount: The number of columns.
    /// - Complexity: O(rows × columns).
    public init(dense: [Float], rowCount: Int, columnCount: Int) {
        precondition(
            rowCount >= 0 && columnCount >= 0 && dense.count == rowCount * columnCount,
            "a dense \(rowCount) × \(columnCount) matrix needs \(rowCount * columnCount) values, got \(dense.count)")
        var pointers = [0]
        var indices = [Int32]()
        var values = [Float]()
        for row in 0..<rowCount {
            for column in 0..<columnCount where dense[row * columnCount + column] != 0 {
                indices.append(Int32(column))
                values.append(dense[row * columnCount + column])
            }
            pointers.append(indices.count)
        }
        self.init(unchecked: rowCount, columnCount: columnCount, rowPointers: pointers, columnIndices: indices, values: values)
    }

    /// The matrix as a dense row-major array, for tests, debugging and small outputs.
    /// - Returns: `rowCount × columnCount` values, row-major.
    /// - Complexity: O(rows × columns + stored entries).
    func denseArray() -> [Float] {
        var dense = [Float](repeating: 0, count: rowCount * columnCount)
        for row in 0..<rowCount {
            for entry in entries(ofRow: row) {
                dense[row * columnCount + Int(columnIndices[entry])] = values[entry]
            }
        }
        return dense
    }
}
