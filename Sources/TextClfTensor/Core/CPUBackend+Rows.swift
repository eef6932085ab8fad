import CTextClfKernels
import Foundation

// Reductions, row-wise operations and sparse products of the CPU backend.

extension CPUBackend {
    /// The matrix view of `x` for row-wise operations: a matrix (or higher rank) is
    /// `[shape[0], rest]`, and a vector or scalar is one row, matching ``Tensor/columns``.
    @inline(__always)
    func rowsAndColumns(_ x: Tensor) -> (rows: Int, columns: Int) {
        x.rank >= 2 ? (x.shape[0], x.columns) : (1, x.count)
    }

    public func sum(_ x: Tensor, axis: Int?) throws -> Tensor {
        switch axis {
        case nil:
            let total = x.withUnsafeBufferPointer { values in
                values.isEmpty ? 0 : sumOf(values.baseAddress!, values.count)
            }
            return make([1], count: 1) { $0[0] = total }
        case 0?:
            try check(x.rank == 2, "sum(axis: 0)", [x.shape])
            let (rows, columns) = (x.shape[0], x.shape[1])
            return x.withUnsafeBufferPointer { values in
                make([columns], count: columns) { out in
                    guard let base = values.baseAddress else {
                        out.update(repeating: 0, count: columns)
                        return
                    }
                    // Each column added up in row order from 0, with the columns in registers.
                    textclf_sum_columns(out, base, rows, columns)
                }
            }
        case 1?:
            try check(x.rank == 2, "sum(axis: 1)", [x.shape])
            let (rows, columns) = (x.shape[0], x.shape[1])
            return x.withUnsafeBufferPointer { values in
                make([rows], count: rows) { out in
                    for row in 0..<rows { out[row] = columns == 0 ? 0 : sumOf(values.baseAddress! + row * columns, columns) }
                }
            }
        default:
            throw TensorError.invalid("sum: axis must be 0, 1 or nil (got \(axis!))")
        }
    }

    public func argmaxRows(_ x: Tensor) -> [Int] {
        let (rows, columns) = rowsAndColumns(x)
        // A row without columns reports 0, as the reference does.
        guard columns > 0, rows > 0 else { return [Int](repeating: 0, count: rows) }
        return x.withUnsafeBufferPointer { values in
            (0..<rows).map { row in
                let start = values.baseAddress! + row * columns
                var best = 0
                var top = start[0]
                // Strictly greater: the first maximum wins ties.
                for column in 1..<columns where start[column] > top {
                    best = column
                    top = start[column]
                }
                return best
            }
        }
    }

    public func softmaxRows(_ x: Tensor) -> Tensor {
        let (rows, columns) = rowsAndColumns(x)
        return x.withUnsafeBufferPointer { values in
            make(x.shape, count: x.count) { out in
                for row in 0..<rows {
                    let source = values.baseAddress! + row * columns
                    let target = out + row * columns
                    // One pass for the maximum, one for exp and its sum, one to normalise.
                    let (_, total) = shiftedExponentials(source, into: target, columns)
                    let inverse = 1 / total
                    for column in 0..<columns { target[column] *= inverse }
                }
            }
        }
    }

    /// ``Backend/softmaxCrossEntropy(_:targets:weights:divisor:)`` with the exponentials
    /// computed once and shared by the softmax and the log-softmax, with the arithmetic of
    /// ``softmaxRows(_:)``, ``logSoftmaxRows(_:)`` and the protocol's composition in the same
    /// order, so the value and gradient are bit-identical to it. The rows are done by a C
    /// kernel; the products are summed as `sum(_:axis: nil)` sums.
    public func softmaxCrossEntropy(_ logits: Tensor, targets: [Int], weights: [Float], divisor: Float) throws -> (value: Float, gradient: Tensor) {
        let (rows, classes) = try softmaxCrossEntropyShape(logits, targets: targets, weights: weights)
        let count = rows * classes
        if count == 0 {
            let total: Float = 0
            return (-total / divisor, make(logits.shape, count: 0) { _ in })
        }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: count + 3 * rows) { scratch in
            let gradient = logits.withUnsafeBufferPointer { values in
                make(logits.shape, count: count) { out in
                    textclf_softmax_cross_entropy(
                        out, scratch.baseAddress!, scratch.baseAddress! + count, values.baseAddress!, rows, classes, targets, weights,
                        divisor)
                }
            }
            return (-sumOf(scratch.baseAddress!, count) / divisor, gradient)
        }
    }

    public func logSoftmaxRows(_ x: Tensor) -> Tensor {
        let (rows, columns) = rowsAndColumns(x)
        return x.withUnsafeBufferPointer { values in
            make(x.shape, count: x.count) { out in
                for row in 0..<rows {
                    let source = values.baseAddress! + row * columns
                    let target = out + row * columns
                    // Subtracting the maximum keeps exp from overflowing ([1000, 0] gives [0, -1000]).
                    // The exponentials go through the row's output first.
                    let (top, total) = shiftedExponentials(source, into: target, columns)
                    var logarithm: Float = 0
                    withUnsafePointer(to: total) { textclf_log(&logarithm, $0, 1) }
                    let logTotal = logarithm + top
                    for column in 0..<columns { target[column] = source[column] - logTotal }
                }
            }
        }
    }

    public func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        try check(x.rank >= 2, "gatherRows", [x.shape, [indices.count]])
        let (rows, columns) = (x.shape[0], x.columns)
        for index in indices where index < 0 || index >= rows {
            throw TensorError.shapeMismatch(operation: "gatherRows (row \(index))", shapes: [x.shape, [indices.count]])
        }
        var shape = x.shape
        shape[0] = indices.count
        return x.withUnsafeBufferPointer { values in
            make(shape, count: indices.count * columns) { out in
                indices.withUnsafeBufferPointer { rows in
                    textclf_gather_rows(out, values.baseAddress!, rows.baseAddress!, indices.count, columns)
                }
            }
        }
    }

    public func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws {
        let valid = x.rank >= 2 && rows.count == indices.count * x.columns
            && (rows.rank <= 1 ? indices.count == 1 : rows.shape[0] == indices.count)
            && indices.allSatisfy { $0 >= 0 && $0 < x.shape[0] }
        try check(valid, "scatterAddRows", [rows.shape, [indices.count], x.shape])
        let columns = x.columns
        if columns == 0 || indices.isEmpty { return }
        rows.withUnsafeBufferPointer { source in
            x.withUnsafeMutableBufferPointer { target in
                for (position, row) in indices.enumerated() {
                    addInPlace(target.baseAddress! + row * columns, source.baseAddress! + position * columns, columns)
                }
            }
        }
    }

    public func densify(_ sparse: RowSparseTensor, adding dense: Tensor?, into x: inout Tensor) throws {
        let valid = x.rank == 2 && x.rows == sparse.rowCount && (sparse.rowIndices.isEmpty || sparse.values.columns == x.columns)
            && dense.map { $0.shape == x.shape } ?? true
        try check(valid, "densify", [[sparse.rowCount, sparse.values.count == 0 ? 0 : sparse.values.columns], dense?.shape ?? [], x.shape])
        let columns = x.columns
        x.withUnsafeMutableBufferPointer { target in
            if let dense {
                dense.withUnsafeBufferPointer { source in _ = target.update(fromContentsOf: source) }
            } else {
                target.update(repeating: 0)
            }
            sparse.values.withUnsafeBufferPointer { source in
                for (position, row) in sparse.rowIndices.enumerated() {
                    addInPlace(target.baseAddress! + row * columns, source.baseAddress! + position * columns, columns)
                }
            }
        }
    }

    public func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor {
        try check(w.rank == 2 && w.rows == x.columnCount, "sparseMultiply", [[x.rowCount, x.columnCount], w.shape])
        let columns = w.columns
        return w.withUnsafeBufferPointer { wv in
            make([x.rowCount, columns], count: x.rowCount * columns) { out in
                // `multiply` overwrites (zeroes, then accumulates) all of `out`.
                x.multiply(wv, columns: columns, into: UnsafeMutableBufferPointer(start: out, count: x.rowCount * columns))
            }
        }
    }

    public func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor {
        try check(g.rank == 2 && g.rows == x.rowCount, "sparseTransposedMultiply", [[x.rowCount, x.columnCount], g.shape])
        let columns = g.columns
        let scratch = SparseScratch.take()
        defer { SparseScratch.give(scratch) }
        // The touched columns and each one's position in the result: work and allocation in
        // proportion to the stored entries and touched rows, never to the weight's row count
        // (the scratch arrays are reused across calls and only grow).
        let touched = scratch.touchedColumns(of: x)
        let count = touched.count * columns
        let values = g.withUnsafeBufferPointer { gv in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                initialized = count
                guard count > 0 else { return }
                let target = out.baseAddress!
                target.update(repeating: 0, count: count)
                let gradient = gv.baseAddress!
                scratch.positions.withUnsafeBufferPointer { positions in
                    x.rowPointers.withUnsafeBufferPointer { pointers in
                        x.columnIndices.withUnsafeBufferPointer { indices in
                            x.values.withUnsafeBufferPointer { entries in
                                for row in 0..<x.rowCount {
                                    let source = gradient + row * columns
                                    for entry in pointers[row]..<pointers[row + 1] {
                                        let position = Int(positions[Int(indices[entry])])
                                        multiplyAdd(target + position * columns, source, entries[entry], columns)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return RowSparseTensor(
            rowCount: x.columnCount, rowIndices: touched,
            values: Tensor(shape: [touched.count, columns], device: .cpu, storage: TensorStorage.copying(values)))
    }
}

/// Reused work arrays for ``CPUBackend/sparseTransposedMultiply(_:_:)``: a stamp per column
/// (which call last saw it) and its position in the result. Stamps make "clear the map"
/// free: bumping ``epoch`` forgets every column at once, so a call touches only the entries
/// of its batch. One instance is pooled; a concurrent caller gets a fresh one.
final class SparseScratch: @unchecked Sendable {
    var stamps: [UInt32] = []
    var positions: [Int32] = []
    var epoch: UInt32 = 0

    private static let lock = NSLock()
    nonisolated(unsafe) private static var pooled: SparseScratch?

    /// The pooled instance, or a new one when another thread holds it.
    static func take() -> SparseScratch {
        lock.lock()
        defer { lock.unlock() }
        if let scratch = pooled {
            pooled = nil
            return scratch
        }
        return SparseScratch()
    }

    /// Returns an instance to the pool.
    static func give(_ scratch: SparseScratch) {
        lock.lock()
        pooled = scratch
        lock.unlock()
    }

    /// The sorted distinct columns `x` stores entries in; fills ``positions`` for them.
    func touchedColumns(of x: CSRMatrix) -> [Int] {
        if stamps.count < x.columnCount {
            stamps += [UInt32](repeating: 0, count: x.columnCount - stamps.count)
            positions += [Int32](repeating: 0, count: x.columnCount - positions.count)
        }
        if epoch == UInt32.max {
            for index in stamps.indices { stamps[index] = 0 }
            epoch = 0
        }
        epoch += 1
        let current = epoch
        let columnCount = x.columnCount
        var touched = [Int]()
        touched.reserveCapacity(Swift.min(x.storedCount, columnCount))
        stamps.withUnsafeMutableBufferPointer { stamps in
            x.columnIndices.withUnsafeBufferPointer { indices in
                for column in indices where stamps[Int(column)] != current {
                    stamps[Int(column)] = current
                    touched.append(Int(column))
                }
            }
            if touched.count * 8 >= columnCount {
                // Many columns touched: one scan of the stamps lists them in order, cheaper
                // than sorting (and still no allocation beyond the touched list).
                touched.withUnsafeMutableBufferPointer { touched in
                    var kept = 0
                    for column in 0..<columnCount where stamps[column] == current {
                        touched[kept] = column
                        kept += 1
                    }
                }
            } else {
                touched.sort()
            }
        }
        positions.withUnsafeMutableBufferPointer { positions in
            for (position, column) in touched.enumerated() { positions[column] = Int32(truncatingIfNeeded: position) }
        }
        return touched
    }
}

/// The sum of `count` floats, in eight lanes (more accurate and faster than one running sum).
@inline(__always)
private func sumOf(_ values: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var index = 0
    while index + 8 <= count {
        lanes += UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
        index += 8
    }
    var total = lanes.sum()
    while index < count {
        total += values[index]
        index += 1
    }
    return total
}

/// The largest of `count` floats (0 for none, as the reference's `max() ?? 0`).
@inline(__always)
private func maximumOf(_ values: UnsafePointer<Float>, _ count: Int) -> Float {
    guard count > 0 else { return 0 }
    var top = values[0]
    for index in 1..<count where values[index] > top { top = values[index] }
    return top
}

/// `target[i] = exp(source[i] − max)` for a row of `count` values; returns the maximum and
/// the exponentials' sum, added in order (the shared first half of the softmax kernels).
/// The exponential is `textclf_exp`, as in the fused softmax cross-entropy kernel.
@inline(__always)
private func shiftedExponentials(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _ count: Int
) -> (top: Float, total: Float) {
    let top = maximumOf(source, count)
    for column in 0..<count { target[column] = source[column] - top }
    textclf_exp(target, target, count)
    var total: Float = 0
    for column in 0..<count { total += target[column] }
    return (top, total)
}

/// `target[0..<count] += source[0..<count]`.
@inline(__always)
private func addInPlace(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    var index = 0
    while index + 8 <= count {
        let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + index).storeBytes(of: sum, as: SIMD8<Float>.self)
        index += 8
    }
    while index < count {
        target[index] += source[index]
        index += 1
    }
}

