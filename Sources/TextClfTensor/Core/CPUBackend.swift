import COpenBLAS
import CTextClfKernels
import Foundation

/// The CPU backend: dense products through OpenBLAS, everything else through loops over
/// contiguous buffers that the optimiser vectorises or C kernels. The number of BLAS threads is ``threads`` (default:
/// the machine's cores).
///
/// Every operation agrees with ``ReferenceBackend`` to 1e-5 relative (the tests check this);
/// the two differ only in summation order and in multiplying by a reciprocal where the
/// reference divides. Results are always on ``Device/cpu``.
public struct CPUBackend: Backend {
    /// The one instance. Its first use sets the BLAS thread count (see ``threads``).
    public static let shared: CPUBackend = {
        _ = threadsConfigured
        return CPUBackend()
    }()

    public var device: Device { .cpu }

    /// The number of threads OpenBLAS uses for ``gemm(_:transposeA:_:transposeB:alpha:beta:into:)``
    /// and ``gemv(_:transpose:_:alpha:beta:into:)``.
    ///
    /// Defaults to the machine's active cores, set once on the backend's first use, unless
    /// `OPENBLAS_NUM_THREADS` or `OMP_NUM_THREADS` is set (an explicit environment wins, so
    /// benchmarks and shared machines can pin it). Setting it affects the whole process.
    public static var threads: Int {
        get {
            _ = threadsConfigured
            return Int(openblas_get_num_threads())
        }
        set {
            _ = threadsConfigured
            openblas_set_num_threads(Int32(clamping: max(1, newValue)))
            // Setting the count starts OpenBLAS's threads; they start again when a product needs them.
            _ = textclf_stop_blas_threads()
        }
    }

    /// The cores this process may use: the CPUs in its affinity mask (`taskset`), fewer when a
    /// cgroup v2 CPU quota (a container's `--cpus`) allows less. The default for ``threads``
    /// and for the parallel parsers.
    public static var usableCores: Int { Int(textclf_usable_cores()) }

    /// Sets the BLAS thread count and stops OpenBLAS's idle worker threads now rather than on
    /// the backend's first use. OpenBLAS starts its workers with the process, and they spin for
    /// about 0.1 s, taking a core from whatever runs first (parsing options, reading files); a
    /// program calls this first thing. It also turns on ``flushesSubnormals`` for the calling
    /// thread, and so for the BLAS workers started after it. Calling it again does nothing more.
    public static func prepare() {
        // Before the threads are stopped: OpenBLAS's next workers inherit the setting.
        flushesSubnormals = true
        _ = threadsConfigured
    }

    /// Runs once: OpenBLAS builds differ in their default (some use 1, some the build
    /// machine's count), so the backend makes it the cores this process may use.
    ///
    /// It also stops OpenBLAS's worker threads, which spin on the other cores for a while after
    /// they start (with the process) and after each threaded product: most products here are
    /// small and run on one thread, and the spinning takes cores that other work needs (the
    /// parallel parsers and checksums, other processes). OpenBLAS starts
    /// them again for the first product large enough to need them.
    private static let threadsConfigured: Void = {
        defer { _ = textclf_stop_blas_threads() }
        // getenv, not ProcessInfo's environment, which builds a dictionary of all of it.
        guard getenv("OPENBLAS_NUM_THREADS") == nil, getenv("OMP_NUM_THREADS") == nil else { return }
        let cores = usableCores
        if Int(openblas_get_num_threads()) != cores { openblas_set_num_threads(Int32(clamping: cores)) }
    }()

    /// Throws ``TensorError/shapeMismatch(operation:shapes:)`` naming `shapes` unless `condition`.
    /// The names and shapes are only built when the check fails.
    @inline(__always)
    func check(_ condition: Bool, _ operation: @autoclosure () -> String, _ shapes: @autoclosure () -> [[Int]]) throws {
        if !condition { throw TensorError.shapeMismatch(operation: operation(), shapes: shapes()) }
    }

    /// A new CPU tensor of `shape` whose `count` values `fill` writes, all of them, without
    /// zeroing the memory first (every caller overwrites each element).
    @inline(__always)
    func make(_ shape: [Int], count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        Tensor(shape: shape, device: .cpu, uninitializedCount: count) { base in
            if count > 0 { fill(base) }
        }
    }

    public func gemm(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor
    ) throws {
        let (m, k, n) = try gemmDimensions(a, transposeA: transposeA, b, transposeB: transposeB, c)
        if m == 0 || n == 0 { return }
        if k == 0 {
            // An empty inner dimension: BLAS implementations disagree on it, so scale here.
            scaleInPlace(&c, by: beta)
            return
        }
        if alpha == 1, beta == 0 || beta == 1 {
            a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    c.withUnsafeMutableBufferPointer { cv in
                        Self.product(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, av.baseAddress!,
                            leading: max(a.shape[1], 1), bv.baseAddress!, leading: max(b.shape[1], 1), betaZero: beta == 0,
                            into: cv.baseAddress!)
                    }
                }
            }
            return
        }
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

    /// `c = op(a) · op(b)` (`betaZero`) or `c += op(a) · op(b)` on host memory, by OpenBLAS:
    /// what ``gemm(_:transposeA:_:transposeB:alpha:beta:into:)`` computes for `alpha` 1 and
    /// `beta` 0 or 1. `c` is `m × n` with rows `n` apart; `a` and `b` are stored row-major
    /// with rows `leading` values apart.
    /// - Precondition: `m`, `n` and `k` are positive and the buffers hold the operands.
    package static func product(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, leading lda: Int,
        _ b: UnsafePointer<Float>, leading ldb: Int, betaZero: Bool, into c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), betaZero ? 0 : 1, c, Int32(n))
    }

    /// `out = x · w + bias` (every row of the product starting from `bias`) on host memory:
    /// what ``affine(_:_:bias:)`` computes for a bias and a non-empty product. `x` is
    /// `rows × inner`, `w` is `inner × columns`, `out` is `rows × columns`, all row-major
    /// and dense.
    /// - Precondition: `rows`, `inner` and `columns` are positive.
    package static func affine(
        _ x: UnsafePointer<Float>, rows: Int, inner: Int, _ w: UnsafePointer<Float>, columns: Int,
        bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        // Each output row starts as the bias; the GEMM then adds x · w to it (`beta = 1`).
        textclf_repeat_row(out, bias, rows, columns)
        product(
            transposeA: false, transposeB: false, m: rows, n: columns, k: inner, x, leading: inner, w, leading: columns,
            betaZero: false, into: out)
    }

    public func affine(_ x: Tensor, _ w: Tensor, bias: Tensor?) throws -> Tensor {
        try checkAffine(x, w, bias: bias)
        let (rows, columns) = (x.shape[0], w.shape[1])
        guard let bias, rows > 0, columns > 0, x.shape[1] > 0 else { return try productPlusBias(x, w, bias: bias) }
        return x.withUnsafeBufferPointer { xv in
            w.withUnsafeBufferPointer { wv in
                bias.withUnsafeBufferPointer { row in
                    make([rows, columns], count: rows * columns) { out in
                        Self.affine(
                            xv.baseAddress!, rows: rows, inner: x.shape[1], wv.baseAddress!, columns: columns,
                            bias: row.baseAddress!, into: out)
                    }
                }
            }
        }
    }

    public func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws {
        try check(a.rank == 2, "gemv", [a.shape, x.shape, y.shape])
        let (m, n) = transpose ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        try check(x.count == n && y.count == m, "gemv", [a.shape, x.shape, y.shape])
        if m == 0 { return }
        if n == 0 {
            scaleInPlace(&y, by: beta)
            return
        }
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

    /// `t = beta · t`, with BLAS's convention that `beta == 0` overwrites (ignoring NaN in `t`).
    func scaleInPlace(_ t: inout Tensor, by beta: Float) {
        if beta == 1 { return }
        t.withUnsafeMutableBufferPointer { values in
            if beta == 0 {
                values.update(repeating: 0)
            } else {
                for index in values.indices { values[index] *= beta }
            }
        }
    }

    public func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws {
        // The kernel's arithmetic is defined once on host buffers; the CPU runs it directly.
        try ElementwiseKernel.runOnHost(kernel, &tensors)
    }
}
