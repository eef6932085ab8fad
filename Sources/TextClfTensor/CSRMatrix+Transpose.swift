extension CSRMatrix {
    /// The transpose, in canonical CSR form (equivalently, this matrix in CSC form).
    ///
    /// A counting sort by column: one pass counts entries per column, a prefix sum gives the
    /// new row pointers, and a second pass scatters entries. Visiting source rows in order
    /// makes each new row's column indices increasing without any sorting.
    /// - Returns: A `columnCount × rowCount` matrix.
    /// - Complexity: O(rows + columns + stored entries).
    public func transposed() -> CSRMatrix {
        let count = storedCount
        var pointers = [Int](repeating: 0, count: columnCount + 1)
        var newIndices = [Int32](repeating: 0, count: count)
        var newValues = [Float](repeating: 0, count: count)
        columnIndices.withUnsafeBufferPointer { columns in
            pointers.withUnsafeMutableBufferPointer { pointers in
                for column in columns { pointers[Int(column) + 1] += 1 }
                for column in 0..<columnCount { pointers[column + 1] += pointers[column] }
                // `next[c]` is where column c's next entry goes; reuse a copy of the starts.
                var next = Array(pointers.dropLast())
                values.withUnsafeBufferPointer { values in
                    newIndices.withUnsafeMutableBufferPointer { newIndices in
                        newValues.withUnsafeMutableBufferPointer { newValues in
                            next.withUnsafeMutableBufferPointer { next in
                                for row in 0..<rowCount {
                                    for entry in rowPointers[row]..<rowPointers[row + 1] {
                                        let column = Int(columns[entry])
                                        let slot = next[column]
                                        next[column] = slot + 1
                                        newIndices[slot] = Int32(truncatingIfNeeded: row)
                                        newValues[slot] = values[entry]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return CSRMatrix(
            unchecked: columnCount, columnCount: rowCount, rowPointers: pointers,
            columnIndices: newIndices, values: newValues)
    }

    /// The sorted distinct column indices that hold at least one stored entry.
    ///
    /// These are the rows of `Xᵀ · G` that can be non-zero, so a trainer can keep a row-sparse
    /// gradient of a minibatch instead of a dense `columnCount × k` one.
    /// - Returns: Increasing column indices.
    /// - Complexity: O(entries · log(entries)) when entries are few relative to columns,
    ///   else O(entries + columns).
    public func touchedColumns() -> [Int32] {
        if storedCount * 16 < columnCount {
            var sorted = columnIndices.sorted()
            var kept = 0
            for index in sorted.indices where kept == 0 || sorted[kept - 1] != sorted[index] {
                sorted[kept] = sorted[index]
                kept += 1
            }
            sorted.removeLast(sorted.count - kept)
            return sorted
        }
        var seen = [Bool](repeating: false, count: columnCount)
        for column in columnIndices { seen[Int(column)] = true }
        var result = [Int32]()
        for column in 0..<columnCount where seen[column] { result.append(Int32(column)) }
        return result
    }
}
