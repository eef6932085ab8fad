extension CSRMatrix {
    /// Computes `X · W` into `output`, where `X` is this matrix.
    ///
    /// For each stored `x[r, c]`, adds `x[r, c] · W[c, :]` to `output[r, :]`: a contiguous
    /// multiply-add over `columns` floats that the compiler vectorizes. Nothing is allocated,
    /// so the trainer can call this once per minibatch on preallocated buffers.
    /// - Parameters:
    ///   - dense: `W`, `columnCount × columns` row-major.
    ///   - columns: The number of columns of `W` and of the output.
    ///   - output: `rowCount × columns` row-major; overwritten, or added to when `accumulate`.
    ///   - accumulate: Whether to add to `output` instead of overwriting it.
    /// - Complexity: O(rows × columns + stored entries × columns).
    public func multiply(
        _ dense: UnsafeBufferPointer<Float>, columns: Int, into output: UnsafeMutableBufferPointer<Float>,
        accumulate: Bool = false
    ) {
        precondition(
            columns >= 0 && dense.count == columnCount * columns && output.count == rowCount * columns,
            "multiply: X is \(rowCount) × \(columnCount), W has \(dense.count) values for \(columns) columns (expected \(columnCount) × \(columns)), output has \(output.count) values (expected \(rowCount) × \(columns))")
        guard columns > 0, rowCount > 0 else { return }
        let out = output.baseAddress!
        if !accumulate { output.update(repeating: 0) }
        guard storedCount > 0 else { return }
        let w = dense.baseAddress!
        rowPointers.withUnsafeBufferPointer { pointers in
            columnIndices.withUnsafeBufferPointer { indices in
                values.withUnsafeBufferPointer { values in
                    for row in 0..<rowCount {
                        let target = out + row * columns
                        for entry in pointers[row]..<pointers[row + 1] {
                            multiplyAdd(target, w + Int(indices[entry]) * columns, values[entry], columns)
                        }
                    }
                }
            }
        }
    }

    /// Computes `Xᵀ · G` into `output`, where `X` is this matrix: the weight gradient of a
    /// linear layer whose input is `X` and whose output gradient is `G`.
    ///
    /// For each stored `x[r, c]`, adds `x[r, c] · G[r, :]` to `output[c, :]`, without
    /// materializing the transpose. Use ``touchedColumns()`` to learn which output rows can be
    /// non-zero.
    /// - Parameters:
    ///   - dense: `G`, `rowCount × columns` row-major.
    ///   - columns: The number of columns of `G` and of the output.
    ///   - output: `columnCount × columns` row-major; overwritten, or added to when `accumulate`.
    ///   - accumulate: Whether to add to `output` instead of overwriting it.
    /// - Complexity: O(columnCount × columns + stored entries × columns).
    public func multiplyTransposed(
        _ dense: UnsafeBufferPointer<Float>, columns: Int, into output: UnsafeMutableBufferPointer<Float>,
        accumulate: Bool = false
    ) {
        precondition(
            columns >= 0 && dense.count == rowCount * columns && output.count == columnCount * columns,
            "multiplyTransposed: X is \(rowCount) × \(columnCount), G has \(dense.count) values for \(columns) columns (expected \(rowCount) × \(columns)), output has \(output.count) values (expected \(columnCount) × \(columns))")
        guard columns > 0, columnCount > 0 else { return }
        let out = output.baseAddress!
        if !accumulate { output.update(repeating: 0) }
        guard storedCount > 0 else { return }
        let g = dense.baseAddress!
        rowPointers.withUnsafeBufferPointer { pointers in
            columnIndices.withUnsafeBufferPointer { indices in
                values.withUnsafeBufferPointer { values in
                    for row in 0..<rowCount {
                        let source = g + row * columns
                        for entry in pointers[row]..<pointers[row + 1] {
                            multiplyAdd(out + Int(indices[entry]) * columns, source, values[entry], columns)
                        }
                    }
                }
            }
        }
    }

    /// `X · W` as a new array.
    /// - Parameters:
    ///   - dense: `W`, `columnCount × columns` row-major.
    ///   - columns: The number of columns of `W`.
    /// - Returns: `rowCount × columns` row-major.
    /// - Complexity: O(rows × columns + stored entries × columns).
    public func multiply(_ dense: [Float], columns: Int) -> [Float] {
        var output = [Float](repeating: 0, count: rowCount * max(columns, 0))
        dense.withUnsafeBufferPointer { dense in
            output.withUnsafeMutableBufferPointer { multiply(dense, columns: columns, into: $0, accumulate: true) }
        }
        return output
    }

    /// `Xᵀ · G` as a new array.
    /// - Parameters:
    ///   - dense: `G`, `rowCount × columns` row-major.
    ///   - columns: The number of columns of `G`.
    /// - Returns: `columnCount × columns` row-major.
    /// - Complexity: O(columnCount × columns + stored entries × columns).
    public func multiplyTransposed(_ dense: [Float], columns: Int) -> [Float] {
        var output = [Float](repeating: 0, count: columnCount * max(columns, 0))
        dense.withUnsafeBufferPointer { dense in
            output.withUnsafeMutableBufferPointer { multiplyTransposed(dense, columns: columns, into: $0, accumulate: true) }
        }
        return output
    }

    /// `X · W` for user-supplied shapes, e.g. a model file applied to a feature matrix.
    /// - Parameters:
    ///   - dense: `W`, `columnCount × columns` row-major.
    ///   - columns: The number of columns of `W`.
    /// - Returns: `rowCount × columns` row-major.
    /// - Throws: ``CSRMatrixError/shapeMismatch(_:)`` giving both shapes when `W` does not have
    ///   `columnCount × columns` values.
    /// - Complexity: O(rows × columns + stored entries × columns).
    public func checkedMultiply(_ dense: [Float], columns: Int) throws -> [Float] {
        guard columns >= 0, dense.count == columnCount * columns else {
            throw CSRMatrixError.shapeMismatch(
                "cannot multiply a \(rowCount) × \(columnCount) matrix by \(dense.count) values as \(shapeText(dense.count, columns)): expected \(columnCount) × \(columns)")
        }
        return multiply(dense, columns: columns)
    }

    /// `Xᵀ · G` for user-supplied shapes.
    /// - Parameters:
    ///   - dense: `G`, `rowCount × columns` row-major.
    ///   - columns: The number of columns of `G`.
    /// - Returns: `columnCount × columns` row-major.
    /// - Throws: ``CSRMatrixError/shapeMismatch(_:)`` giving both shapes when `G` does not have
    ///   `rowCount × columns` values.
    /// - Complexity: O(columnCount × columns + stored entries × columns).
    public func checkedMultiplyTransposed(_ dense: [Float], columns: Int) throws -> [Float] {
        guard columns >= 0, dense.count == rowCount * columns else {
            throw CSRMatrixError.shapeMismatch(
                "cannot multiply the transpose of a \(rowCount) × \(columnCount) matrix by \(dense.count) values as \(shapeText(dense.count, columns)): expected \(rowCount) × \(columns)")
        }
        return multiplyTransposed(dense, columns: columns)
    }

    private func shapeText(_ count: Int, _ columns: Int) -> String {
        columns > 0 && count % columns == 0 ? "\(count / columns) × \(columns)" : "? × \(columns)"
    }
}

/// `target[0..<count] += scale · source[0..<count]`, the inner loop of the CSR products here
/// and of the CPU backend's row-sparse products.
///
/// Kept as a separate always-inlined function over raw pointers so the loop body has no bounds
/// checks or retain/release traffic and vectorizes; the width-1 case (binary classifiers)
/// skips the loop overhead.
@inline(__always)
func multiplyAdd(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ scale: Float, _ count: Int) {
    if count == 1 {
        target.pointee += scale * source.pointee
        return
    }
    var index = 0
    while index + 8 <= count {
        let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
            + scale * UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + index).storeBytes(of: sum, as: SIMD8<Float>.self)
        index += 8
    }
    while index < count {
        target[index] += scale * source[index]
        index += 1
    }
}
