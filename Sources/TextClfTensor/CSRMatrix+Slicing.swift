extension CSRMatrix {
    /// The contiguous rows `range`, e.g. one minibatch of a training set.
    ///
    /// Copies only the entries of those rows and rebases their row pointers, so slicing a
    /// large matrix into batches costs time proportional to the batch, not the matrix.
    /// - Parameter range: Rows to keep, within `0...rowCount`.
    /// - Returns: A `range.count × columnCount` matrix.
    /// - Complexity: O(`range.count` + entries in those rows).
    public func rows(in range: Range<Int>) -> CSRMatrix {
        precondition(
            range.lowerBound >= 0 && range.upperBound <= rowCount,
            "row range \(range) is outside 0..<\(rowCount) of a \(rowCount) × \(columnCount) matrix")
        let start = rowPointers[range.lowerBound]
        let end = rowPointers[range.upperBound]
        let pointers = rowPointers[range.lowerBound...range.upperBound].map { $0 - start }
        return CSRMatrix(
            unchecked: range.count, columnCount: columnCount, rowPointers: pointers,
            columnIndices: Array(columnIndices[start..<end]), values: Array(values[start..<end]))
    }

    /// The rows at `indices`, in that order; repeats are allowed (bootstrap samples,
    /// shuffled minibatches).
    /// - Parameter indices: Row numbers in `0..<rowCount`.
    /// - Returns: An `indices.count × columnCount` matrix whose row `i` is row `indices[i]`.
    /// - Complexity: O(`indices.count` + entries in the selected rows).
    public func rows(_ indices: [Int]) -> CSRMatrix {
        var pointers = [Int](repeating: 0, count: indices.count + 1)
        for (position, row) in indices.enumerated() {
            precondition(
                row >= 0 && row < rowCount,
                "row index \(row) at position \(position) is outside 0..<\(rowCount) of a \(rowCount) × \(columnCount) matrix")
            pointers[position + 1] = pointers[position] + (rowPointers[row + 1] - rowPointers[row])
        }
        let total = pointers[indices.count]
        var newIndices = [Int32]()
        var newValues = [Float]()
        newIndices.reserveCapacity(total)
        newValues.reserveCapacity(total)
        for row in indices {
            let entries = rowPointers[row]..<rowPointers[row + 1]
            newIndices.append(contentsOf: columnIndices[entries])
            newValues.append(contentsOf: values[entries])
        }
        return CSRMatrix(
            unchecked: indices.count, columnCount: columnCount, rowPointers: pointers,
            columnIndices: newIndices, values: newValues)
    }

    /// ``rows(_:)`` for a minibatch: the rows, remembering this matrix as their origin, so
    /// that a device (``KernelBackend``) multiplies by them through its own copy of this
    /// matrix, uploaded at the first batch and kept while this matrix or a batch of it
    /// lives, sending only the row numbers per batch. A batch keeps this matrix's arrays
    /// alive (shared, not copied) while it lives.
    public func batch(_ indices: [Int]) -> CSRMatrix {
        var batch = rows(indices)
        batch.origin = CSROrigin(of: self, rows: indices)
        return batch
    }

    /// ``rows(in:)`` for a minibatch, as ``batch(_:)``.
    public func batch(in range: Range<Int>) -> CSRMatrix {
        var batch = rows(in: range)
        batch.origin = CSROrigin(of: self, rows: Array(range))
        return batch
    }
}
