import COpenBLAS
import CTextClfKernels

/// Products of narrow matrices computed by `textclf_sgemm_ordered` instead of OpenBLAS, with
/// the same bits.
///
/// OpenBLAS spends most of a small product (a 64 × 50 batch times a 50 × 15 weight) packing
/// its operands and in edge cases of its kernel. `textclf_sgemm_ordered` computes results of
/// at most 15 columns directly, in the operation order of OpenBLAS's Haswell SGEMM kernel for
/// a product done in one block on one thread. Which kernel, blocking and threading OpenBLAS
/// uses depends on its version and the CPU, so the order is never assumed: the first product
/// of each shape (and BLAS thread count) is computed both ways on random operands of that
/// shape, twice, and the direct kernel is used for that shape only if every bit agrees; the
/// verdict is remembered. A shape that disagrees keeps using OpenBLAS.
enum OrderedProduct {
    /// The largest `m · n · k` handed to the direct kernel: OpenBLAS computes products up to
    /// this size on one thread whatever its thread count.
    static let maximumWork = 262_144
    /// The longest result (rows) handed to the direct kernel.
    static let maximumRows = 65_535

    /// The name of the kernels OpenBLAS chose for this CPU (`Haswell`, `SkylakeX`, …).
    static func openBLASCoreNameString() -> String { String(cString: openblas_get_corename()) }

    /// Whether the CPU runs the direct kernel at all (it needs AVX2 and FMA).
    static let available = textclf_sgemm_ordered_available() != 0

    /// Whether `op(a) · op(b)` (`m × k` times `k × n`, added to `c` unless `betaZero`) may be
    /// computed by the direct kernel: the shape is in its range and it agrees with OpenBLAS
    /// on this shape (checked on first use).
    static func agrees(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, betaZero: Bool) -> Bool {
        guard available, n >= 1, n <= Int(TEXTCLF_ORDERED_MAX_COLUMNS), k >= 1, k <= Int(TEXTCLF_ORDERED_MAX_INNER),
            m >= 1, m <= maximumRows, m * n * k <= maximumWork
        else { return false }
        let threads = UInt64(min(max(Int(openblas_get_num_threads()), 0), 255))
        // 16 bits of rows, 4 of columns, 9 of inner dimension, 3 flags, 8 of threads, and a
        // marker bit so that no key is zero.
        var key = UInt64(m) | UInt64(n) << 16 | UInt64(k) << 20 | threads << 32
        key |= (transposeA ? 1 << 29 : 0) | (transposeB ? 1 << 30 : 0) | (betaZero ? 1 << 31 : 0) | 1 << 40
        if let known = verdict(key) { return known }
        let agrees = probe(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, betaZero: betaZero)
        // With no room left to remember it, a shape is not checked again and again: OpenBLAS.
        return recordVerdict(key, agrees: agrees) && agrees
    }

    /// The remembered verdict for a shape key, or `nil`.
    static func verdict(_ key: UInt64) -> Bool? {
        switch textclf_gemm_verdict(key) {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }

    /// Remembers whether the direct kernel agrees with OpenBLAS for a shape key; `false` when
    /// the table is full (4096 shapes) and nothing was remembered.
    @discardableResult
    static func recordVerdict(_ key: UInt64, agrees: Bool) -> Bool {
        textclf_gemm_record_verdict(key, agrees ? 1 : 0) == 1
    }

    /// Computes the product both ways on two sets of random operands; whether all bits agree.
    static func probe(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, betaZero: Bool) -> Bool {
        var generator = RandomGenerator(seed: UInt64(m) &* 31 &+ UInt64(n) &* 17 &+ UInt64(k))
        // Values of varied magnitude, so that a different order of additions changes roundings.
        // One draw per value: a random sign, significand and exponent in [-4, 3], so magnitudes
        // range over 2⁻⁴ to 2⁴.
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                let bits = generator.nextUInt64()
                let exponent = UInt32(123 + (bits >> 32) % 8)
                return Float(bitPattern: UInt32(truncatingIfNeeded: bits) & 0x807F_FFFF | exponent << 23)
            }
        }
        for _ in 0..<2 {
            let a = values(m * k), b = values(k * n)
            var blas = values(m * n)
            var direct = blas
            blasProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: betaZero, &blas)
            let done = directProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: betaZero, &direct)
            guard done, blas.map(\.bitPattern) == direct.map(\.bitPattern) else { return false }
        }
        return true
    }

    /// `c = op(a) · op(b) + c` (`op(a) · op(b)` when `betaZero`) by `cblas_sgemm`, for densely
    /// stored row-major operands (`a` is `k × m` when transposed, else `m × k`; likewise `b`).
    static func blasProduct(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float], betaZero: Bool, _ c: inout [Float]
    ) {
        c.withUnsafeMutableBufferPointer { c in
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), betaZero ? 0 : 1,
                c.baseAddress, Int32(n))
        }
    }

    /// The same product by `textclf_sgemm_ordered`; `false` when it declines the shape. With
    /// `bias`, `c`'s values are replaced by the bias in every row (the affine variant); with an
    /// `instructionSet` (1 AVX-512, 2 AVX2), that implementation runs, or none if the CPU lacks it.
    static func directProduct(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float], betaZero: Bool, _ c: inout [Float],
        bias: [Float]? = nil, instructionSet: Int32 = 0
    ) -> Bool {
        c.withUnsafeMutableBufferPointer { c in
            func run(_ bias: UnsafePointer<Float>?) -> Bool {
                textclf_sgemm_ordered_using(
                    instructionSet, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n,
                    betaZero ? 1 : 0, bias, c.baseAddress, n) == 1
            }
            guard let bias else { return run(nil) }
            return bias.withUnsafeBufferPointer { run($0.baseAddress) }
        }
    }
}
