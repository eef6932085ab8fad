import CTextClfKernels

/// The arithmetic a device provides. Layers, losses and optimizers call only these
/// operations, so a new device (a GPU) plugs in by conforming to this protocol.
///
/// Conventions: matrices are row-major `[rows, columns]` tensors; every operation checks
/// shapes and throws ``TensorError/shapeMismatch(operation:shapes:)`` naming them; operands
/// must be on this backend's device. Randomness is not a backend operation: numbers come
/// from a seeded ``RandomGenerator`` on the host, so every device sees the same numbers.
public protocol Backend: Sendable {
    /// The device this backend computes on.
    var device: Device { get }

    /// Copies host values into new memory on this backend's device. Only backends whose
    /// device is not the host's (``Device/isHost``) are asked.
    func upload(_ values: UnsafeBufferPointer<Float>) -> any DeviceMemory

    /// `c = alpha · op(a) · op(b) + beta · c`, where `op` transposes when asked (BLAS GEMM).
    func gemm(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor
    ) throws

    /// `x · w + bias` for matrices `x` (`[rows, k]`) and `w` (`[k, n]`), the bias (`[n]`)
    /// added to every row: a dense `Linear` layer's forward pass (PyTorch's `addmm`).
    /// The default is a GEMM and a broadcast ``binary(_:_:_:)``; the CPU backend starts the
    /// GEMM from the repeated bias (`beta = 1`), which gives the same values without the
    /// second pass whenever BLAS sums the inner dimension in one block.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` naming the three shapes.
    func affine(_ x: Tensor, _ w: Tensor, bias: Tensor?) throws -> Tensor

    /// `y = alpha · op(a) · x + beta · y` for a matrix `a` and vectors `x`, `y` (BLAS GEMV).
    func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws

    /// An element-wise function of `x`.
    func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor

    /// The gradient with respect to the input of ``unary(_:_:)``: `gradient · f'(input)`,
    /// given the input and the output it produced.
    func unaryBackward(_ operation: UnaryOperation, input: Tensor, output: Tensor, gradient: Tensor) throws -> Tensor

    /// An element-wise combination of `a` and `b`. `b` has `a`'s shape, or is a row vector of
    /// `a.columns` values broadcast over `a`'s rows, or holds one value.
    func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor

    /// `y += alpha · x`, element-wise (BLAS AXPY).
    func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws

    /// Sums along an axis of a matrix: `0` gives the column sums `[columns]`, `1` the row
    /// sums `[rows]`, `nil` the total `[1]`.
    func sum(_ x: Tensor, axis: Int?) throws -> Tensor

    /// The index of the largest value in each row of a matrix (the first, on ties).
    func argmaxRows(_ x: Tensor) -> [Int]

    /// The index of the first NaN or infinite value of `x`, or `nil`. The default reads the
    /// values on the host; a device backend looks on the device and sends back only where.
    func firstNonFinite(_ x: Tensor) -> Int?

    /// Softmax of each row, computed stably (the row maximum is subtracted first).
    func softmaxRows(_ x: Tensor) -> Tensor

    /// Log-softmax of each row: `x - logsumexp(row)`, computed stably.
    func logSoftmaxRows(_ x: Tensor) -> Tensor

    /// The rows `indices` of a matrix, in that order.
    func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor

    /// Adds row `i` of `rows` to row `indices[i]` of `x` (repeated indices accumulate).
    func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws

    /// Overwrites all of `x` with `dense + sparse`: `dense` (zeros when `nil`) plus the stored
    /// rows of `sparse`, all of `x`'s shape. `x`'s memory is reused, so a caller that keeps
    /// `x` between steps densifies a gradient without allocating.
    func densify(_ sparse: RowSparseTensor, adding dense: Tensor?, into x: inout Tensor) throws

    /// `x · w` for a sparse matrix `x` and a dense matrix `w` (`[x.columnCount, n]`).
    func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor

    /// `xᵀ · g` for a sparse `x` and dense `g` (`[x.rowCount, n]`), as a row-sparse result
    /// that holds only the rows of the columns `x` touches.
    func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor

    /// Applies an in-place element-wise kernel (an optimizer step) to `tensors`, whose roles
    /// and count the kernel defines; all have one shape.
    func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws

    /// Softmax cross-entropy of `[rows, classes]` logits against one class index per row,
    /// each row weighted by `weights[row]`, and its gradient with respect to the logits.
    ///
    /// With `Q[i, k] = weights[i] · [k = targets[i]]` and `P = softmaxRows(logits)`:
    /// `value = −Σ Q ∘ logSoftmaxRows(logits) / divisor` and
    /// `gradient = (P ∘ weights[i] − Q) · (1 / divisor)` (unscaled when `divisor` is 1).
    /// The protocol's default composes the other operations; a backend may fuse them, with
    /// the same arithmetic in the same order (the CPU backend's is bit-identical).
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` when the logits are not a
    ///   matrix with one row per target and weight, or a target is not a column index.
    func softmaxCrossEntropy(_ logits: Tensor, targets: [Int], weights: [Float], divisor: Float) throws -> (value: Float, gradient: Tensor)
}

extension Backend {
    public func upload(_ values: UnsafeBufferPointer<Float>) -> any DeviceMemory {
        preconditionFailure("\(device) keeps tensors in host memory; nothing is uploaded to it")
    }

    public func firstNonFinite(_ x: Tensor) -> Int? {
        x.withUnsafeBufferPointer { values in
            let index = values.isEmpty ? -1 : textclf_first_nonfinite(values.baseAddress!, values.count)
            return index < 0 ? nil : index
        }
    }

    /// ``upload(_:)`` of an array.
    public func upload(_ values: [Float]) -> any DeviceMemory {
        values.withUnsafeBufferPointer { upload($0) }
    }

    public func affine(_ x: Tensor, _ w: Tensor, bias: Tensor?) throws -> Tensor {
        try checkAffine(x, w, bias: bias)
        return try productPlusBias(x, w, bias: bias)
    }

    /// ``affine(_:_:bias:)`` as a GEMM into zeros, then a broadcast addition of the bias
    /// (operands already checked).
    func productPlusBias(_ x: Tensor, _ w: Tensor, bias: Tensor?) throws -> Tensor {
        var output = Tensor.zeros([x.shape[0], w.shape[1]], device: device)
        try gemm(x, transposeA: false, w, transposeB: false, alpha: 1, beta: 0, into: &output)
        guard let bias else { return output }
        return try binary(.add, output, bias)
    }

    /// The `(m, k, n)` of ``gemm(_:transposeA:_:transposeB:alpha:beta:into:)``: `op(a)` is
    /// `[m, k]`, `op(b)` is `[k, n]` and `c` must be `[m, n]`.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` naming the three shapes.
    func gemmDimensions(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, _ c: Tensor) throws -> (m: Int, k: Int, n: Int) {
        guard a.rank == 2, b.rank == 2, c.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "gemm", shapes: [a.shape, b.shape, c.shape])
        }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2, c.shape == [m, n] else {
            throw TensorError.shapeMismatch(operation: "gemm", shapes: [a.shape, b.shape, c.shape])
        }
        return (m, k, n)
    }

    /// Checks the operands of ``affine(_:_:bias:)``.
    func checkAffine(_ x: Tensor, _ w: Tensor, bias: Tensor?) throws {
        guard x.rank == 2, w.rank == 2, x.shape[1] == w.shape[0], bias.map({ $0.count == w.shape[1] && $0.rank == 1 }) ?? true else {
            throw TensorError.shapeMismatch(operation: "affine", shapes: [x.shape, w.shape, bias?.shape ?? []])
        }
    }

    public func softmaxCrossEntropy(_ logits: Tensor, targets: [Int], weights: [Float], divisor: Float) throws -> (value: Float, gradient: Tensor) {
        let (rows, classes) = try softmaxCrossEntropyShape(logits, targets: targets, weights: weights)
        var oneHot = [Float](repeating: 0, count: rows * classes)
        for (row, target) in targets.enumerated() { oneHot[row * classes + target] = weights[row] }
        let q = try Tensor(shape: logits.shape, values: oneHot, device: device)
        let value = -(try sum(binary(.multiply, q, logSoftmaxRows(logits)), axis: nil).scalar) / divisor
        let probabilities = softmaxRows(logits)
        let scaled: Tensor
        if let first = weights.first, weights.allSatisfy({ $0 == first }) {
            scaled = first == 1 ? probabilities : unary(.scale(first), probabilities)
        } else {
            let repeated = weights.flatMap { [Float](repeating: $0, count: classes) }
            scaled = try binary(.multiply, probabilities, Tensor(shape: logits.shape, values: repeated, device: device))
        }
        var gradient = try binary(.subtract, scaled, q)
        if divisor != 1 { gradient = unary(.scale(1 / divisor), gradient) }
        return (value, gradient)
    }

    /// Checks the operands of ``softmaxCrossEntropy(_:targets:weights:divisor:)``; returns
    /// the logits' rows and classes.
    func softmaxCrossEntropyShape(_ logits: Tensor, targets: [Int], weights: [Float]) throws -> (rows: Int, classes: Int) {
        guard logits.rank == 2, logits.shape[0] == targets.count, weights.count == targets.count,
            targets.allSatisfy({ $0 >= 0 && $0 < logits.shape[1] })
        else {
            throw TensorError.shapeMismatch(operation: "softmaxCrossEntropy", shapes: [logits.shape, [targets.count], [weights.count]])
        }
        return (logits.shape[0], logits.shape[1])
    }
}

/// Element-wise functions of one tensor.
public enum UnaryOperation: Sendable, Hashable {
    case relu
    case leakyRelu(slope: Float)
    case tanh
    case sigmoid
    /// The exact GELU, `x · Φ(x)` (PyTorch's default `approximate='none'`).
    case gelu
    case exp
    case log
    case negate
    case square
    case sqrt
    case abs
    /// -1, 0 or 1.
    case sign
    /// `x · factor`.
    case scale(Float)
    /// `x + value`.
    case shift(Float)
}

/// Element-wise functions of two tensors.
public enum BinaryOperation: Sendable, Hashable {
    case add, subtract, multiply, divide, maximum, minimum
}

/// A matrix that stores only some of its rows: the gradient of a weight used with sparse
/// input, where untouched rows are zero.
public struct RowSparseTensor: Sendable, Equatable {
    /// The number of rows of the full matrix.
    public let rowCount: Int
    /// The stored rows' indices, strictly increasing.
    public let rowIndices: [Int]
    /// The stored rows, `[rowIndices.count, columns]`.
    public let values: Tensor

    /// Creates a row-sparse matrix.
    public init(rowCount: Int, rowIndices: [Int], values: Tensor) {
        precondition(values.rows == rowIndices.count || (rowIndices.isEmpty && values.count == 0))
        self.rowCount = rowCount
        self.rowIndices = rowIndices
        self.values = values
    }

    /// The full matrix, zeros in the rows not stored (for tests and dense optimizers).
    public func densified() -> Tensor {
        let columns = values.count == 0 ? 0 : values.columns
        var dense = [Float](repeating: 0, count: rowCount * columns)
        values.withUnsafeBufferPointer { stored in
            for (position, row) in rowIndices.enumerated() {
                for column in 0..<columns { dense[row * columns + column] = stored[position * columns + column] }
            }
        }
        return Tensor(shape: [rowCount, columns], device: values.device, storage: TensorStorage.copying(dense))
    }
}
