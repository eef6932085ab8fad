import TextClfTensor

/// The feature rows of a dataset: a sparse CSR matrix (bag-of-words, TF-IDF, hashing) or a
/// dense `[rows, columns]` ``Tensor`` (embeddings, standardised numeric features).
///
/// Row selection keeps the representation: a sparse matrix is gathered row by row and never
/// densified, because a 67k × 10k TF-IDF matrix holds ~0.5 M entries but 670 M dense cells.
public enum Features: Sendable {
    /// Rows of a CSR matrix.
    case sparse(CSRMatrix)
    /// Rows of a rank-2 tensor, `[rows, columns]`.
    case dense(Tensor)

    /// The number of rows (examples).
    public var rowCount: Int {
        switch self {
        case .sparse(let matrix): return matrix.rowCount
        case .dense(let tensor): return tensor.rank == 0 ? 1 : tensor.shape[0]
        }
    }

    /// The number of columns (features per example).
    public var columnCount: Int {
        switch self {
        case .sparse(let matrix): return matrix.columnCount
        case .dense(let tensor): return tensor.rank >= 2 ? tensor.columns : 1
        }
    }

    /// The rows at `indices`, in that order (repeats allowed, as in bootstrap or balanced sampling).
    /// - Precondition: every index is in `0..<rowCount`.
    /// - Complexity: O(`indices.count` + entries of those rows) for sparse features,
    ///   O(`indices.count` × `columnCount`) for dense ones.
    public func rows(_ indices: [Int]) -> Features {
        switch self {
        case .sparse(let matrix):
            return .sparse(matrix.rows(indices))
        case .dense(let tensor):
            for (position, row) in indices.enumerated() {
                precondition(
                    row >= 0 && row < rowCount,
                    "row index \(row) at position \(position) is outside 0..<\(rowCount)")
            }
            // Through the tensor's backend so the rows stay on its device; the indices were
            // checked above, so the backend's range error cannot occur.
            do {
                return .dense(try tensor.device.backend.gatherRows(tensor, indices))
            } catch {
                preconditionFailure("gathering \(indices.count) rows of a \(tensor.shape) tensor: \(error)")
            }
        }
    }

    /// ``rows(_:)`` for a minibatch: sparse rows also remember the matrix they came from,
    /// so that a GPU holding that matrix takes the batch by row numbers
    /// (``CSRMatrix/batch(_:)``).
    public func batch(_ indices: [Int]) -> Features {
        if case .sparse(let matrix) = self { return .sparse(matrix.batch(indices)) }
        return rows(indices)
    }

    /// ``rows(in:)`` for a minibatch, as ``batch(_:)``.
    public func batch(in range: Range<Int>) -> Features {
        if case .sparse(let matrix) = self { return .sparse(matrix.batch(in: range)) }
        return rows(in: range)
    }

    /// Hints that the rows `indices` will be gathered soon (the next batch of a shuffled
    /// epoch), so that their memory is cached by then: dense rows are prefetched, sparse ones
    /// are left alone. Changes nothing.
    public func prefetchRows(_ indices: ArraySlice<Int>) {
        if case .dense(let tensor) = self { tensor.prefetchRows(indices) }
    }

    /// The contiguous rows `range`.
    /// - Precondition: `range` is within `0...rowCount`.
    /// - Complexity: O(`range.count` + entries of those rows) for sparse features,
    ///   O(`range.count` × `columnCount`) for dense ones.
    public func rows(in range: Range<Int>) -> Features {
        switch self {
        case .sparse(let matrix):
            return .sparse(matrix.rows(in: range))
        case .dense(let tensor):
            precondition(
                range.lowerBound >= 0 && range.upperBound <= rowCount,
                "row range \(range) is outside 0..<\(rowCount)")
            let columns = columnCount
            let count = range.count * columns
            let shape = [range.count] + tensor.shape.dropFirst()
            return .dense(
                tensor.withUnsafeBufferPointer { values in
                    Tensor(shape: shape, device: tensor.device, uninitializedCount: count) { out in
                        if count > 0 { out.initialize(from: values.baseAddress! + range.lowerBound * columns, count: count) }
                    }
                })
        }
    }
}
