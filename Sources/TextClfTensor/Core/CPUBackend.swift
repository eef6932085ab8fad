import COpenBLAS

/// The CPU backend: dense products through OpenBLAS, everything else through loops over
/// contiguous buffers. The number of BLAS threads is ``threads`` (default: the cores).
public struct CPUBackend: Backend {
    /// The one instance.
    public static let shared = CPUBackend()
    public var device: Device { .cpu }

    /// The number of threads OpenBLAS uses.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    let fallback = ReferenceBackend.shared

    public func gemm(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor
    ) throws {
        guard a.rank == 2, b.rank == 2, c.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "gemm", shapes: [a.shape, b.shape, c.shape])
        }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == k2, c.shape == [m, n] else {
            throw TensorError.shapeMismatch(operation: "gemm", shapes: [a.shape, b.shape, c.shape])
        }
        if m == 0 || n == 0 { return }
        a.withUnsafeBufferPointer { av in
            b.withUnsafeBufferPointer { bv in
                c.withUnsafeMutableBufferPointer { cv in
                    cblas_sgemm(
                        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, av.baseAddress, Int32(max(a.shape[1], 1)),
                        bv.baseAddress, Int32(max(b.shape[1], 1)), beta, cv.baseAddress, Int32(max(n, 1)))
                }
            }
        }
    }

    public func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws {
        guard a.rank == 2 else { throw TensorError.shapeMismatch(operation: "gemv", shapes: [a.shape, x.shape, y.shape]) }
        let (m, n) = transpose ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        guard x.count == n, y.count == m else {
            throw TensorError.shapeMismatch(operation: "gemv", shapes: [a.shape, x.shape, y.shape])
        }
        if a.shape[0] == 0 || a.shape[1] == 0 { return try fallback.gemv(a, transpose: transpose, x, alpha: alpha, beta: beta, into: &y) }
        a.withUnsafeBufferPointer { av in
            x.withUnsafeBufferPointer { xv in
                y.withUnsafeMutableBufferPointer { yv in
                    cblas_sgemv(
                        CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(a.shape[0]), Int32(a.shape[1]), alpha,
                        av.baseAddress, Int32(a.shape[1]), xv.baseAddress, 1, beta, yv.baseAddress, 1)
                }
            }
        }
    }

    // The operations below run the reference loops on this device's tensors until they get
    // vectorised implementations of their own.
    public func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor {
        fallback.unary(operation, x).to(device)
    }
    public func unaryBackward(_ operation: UnaryOperation, input: Tensor, output: Tensor, gradient: Tensor) throws -> Tensor {
        try fallback.unaryBackward(operation, input: input, output: output, gradient: gradient).to(device)
    }
    public func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try fallback.binary(operation, a, b).to(device)
    }
    public func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws { try fallback.axpy(alpha, x, &y) }
    public func sum(_ x: Tensor, axis: Int?) throws -> Tensor { try fallback.sum(x, axis: axis).to(device) }
    public func argmaxRows(_ x: Tensor) -> [Int] { fallback.argmaxRows(x) }
    public func softmaxRows(_ x: Tensor) -> Tensor { fallback.softmaxRows(x).to(device) }
    public func logSoftmaxRows(_ x: Tensor) -> Tensor { fallback.logSoftmaxRows(x).to(device) }
    public func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor { try fallback.gatherRows(x, indices).to(device) }
    public func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws {
        try fallback.scatterAddRows(rows, indices, into: &x)
    }
    public func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor {
        guard w.rank == 2, w.rows == x.columnCount else {
            throw TensorError.shapeMismatch(operation: "sparseMultiply", shapes: [[x.rowCount, x.columnCount], w.shape])
        }
        var output = Tensor.zeros([x.rowCount, w.columns], device: device)
        w.withUnsafeBufferPointer { wv in
            output.withUnsafeMutableBufferPointer { ov in x.multiply(wv, columns: w.columns, into: ov) }
        }
        return output
    }
    public func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor {
        let result = try fallback.sparseTransposedMultiply(x, g)
        return RowSparseTensor(rowCount: result.rowCount, rowIndices: result.rowIndices, values: result.values.to(device))
    }
    public func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws {
        try ElementwiseKernel.runOnHost(kernel, &tensors)
    }
}
