import Testing

@testable import TextClfTensor

@Suite("Products in OpenBLAS's order")
struct OrderedProductTests {
    /// Random values of varied magnitude, so that any other order of additions shows.
    static func values(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in
            (generator.nextFloat() * 2 - 1) * Float(sign: .plus, exponent: generator.nextInt(below: 9) - 4, significand: 1)
        }
    }

    /// The order `textclf_sgemm_ordered` documents, one element at a time: a chain of fused
    /// multiply-adds from +0, or, in the rows taken four at a time and the first eight columns
    /// of results of at least eight, an even and an odd chain over each complete group of
    /// eight; then added to the existing value (to +0 when `betaZero`).
    static func model(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float], betaZero: Bool, _ c: [Float]
    ) -> [Float] {
        let splitFirst = m / 12 * 12
        let splitEnd = splitFirst + (m - splitFirst) / 4 * 4
        var out = c
        for r in 0..<m {
            for column in 0..<n {
                func product(_ kk: Int) -> (Float, Float) {
                    (transposeA ? a[kk * m + r] : a[r * k + kk], transposeB ? b[column * k + kk] : b[kk * n + column])
                }
                var accumulated: Float = 0
                if n >= 8 && column < 8 && r >= splitFirst && r < splitEnd {
                    var even: Float = 0, odd: Float = 0
                    for group in 0..<(k / 8) {
                        for offset in stride(from: 0, to: 8, by: 2) {
                            let (x, y) = product(group * 8 + offset)
                            even = even.addingProduct(x, y)
                            let (u, v) = product(group * 8 + offset + 1)
                            odd = odd.addingProduct(u, v)
                        }
                    }
                    for kk in (k / 8 * 8)..<k {
                        let (x, y) = product(kk)
                        even = even.addingProduct(x, y)
                    }
                    accumulated = even + odd
                } else {
                    for kk in 0..<k {
                        let (x, y) = product(kk)
                        accumulated = accumulated.addingProduct(x, y)
                    }
                }
                out[r * n + column] = accumulated + (betaZero ? 0 : c[r * n + column])
            }
        }
        return out
    }

    /// The implementations this CPU runs: AVX-512 (1) where present, and AVX2 (2).
    static var instructionSets: [Int32] {
        var probe = [Float](repeating: 0, count: 1)
        return [1, 2].filter {
            OrderedProduct.directProduct(
                transposeA: false, transposeB: false, m: 1, n: 1, k: 1, [1], [1], betaZero: true, &probe, instructionSet: $0)
        }
    }

    @Test(
        "the direct kernel computes in its documented order, bit for bit, on each instruction set",
        .enabled(if: OrderedProduct.available, "the CPU has no AVX2 and FMA, so the kernel declines every shape; skipped"),
        arguments: 1...15)
    func followsDocumentedOrder(columns n: Int) throws {
        for instructionSet in Self.instructionSets {
            try followsDocumentedOrder(columns: n, instructionSet: instructionSet)
        }
    }

    func followsDocumentedOrder(columns n: Int, instructionSet: Int32) throws {
        var generator = RandomGenerator(seed: 700 + UInt64(n))
        // Rows around the blocks of twelve and four, inner dimensions around the groups of eight.
        for m in [1, 3, 4, 8, 12, 13, 16, 17, 20, 21, 24, 25, 29, 42, 64] {
            for k in [1, 2, 7, 8, 9, 16, 17, 50] {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    for betaZero in [false, true] {
                        let a = Self.values(m * k, &generator), b = Self.values(k * n, &generator)
                        var c = Self.values(m * n, &generator)
                        let expected = Self.model(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: betaZero, c)
                        let start = c
                        let done = OrderedProduct.directProduct(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: betaZero, &c,
                            instructionSet: instructionSet)
                        #expect(done)
                        #expect(
                            c.map(\.bitPattern) == expected.map(\.bitPattern),
                            "set \(instructionSet) m \(m) n \(n) k \(k) transposed \(transposeA) \(transposeB) beta zero \(betaZero)")
                        // The bias variant: the bits of starting from the bias in every row,
                        // whatever `c` held.
                        if !betaZero {
                            let bias = Array(start.prefix(n))
                            let rows = (0..<m).flatMap { _ in bias }
                            let expected = Self.model(
                                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: false, rows)
                            var out = Self.values(m * n, &generator)
                            #expect(
                                OrderedProduct.directProduct(
                                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: false, &out,
                                    bias: bias, instructionSet: instructionSet))
                            #expect(
                                out.map(\.bitPattern) == expected.map(\.bitPattern),
                                "bias, set \(instructionSet) m \(m) n \(n) k \(k) transposed \(transposeA) \(transposeB)")
                        }
                    }
                }
            }
        }
    }

    @Test("the direct kernel declines shapes outside its range")
    func declinesOutOfRange() {
        let a = [Float](repeating: 1, count: 16 * 300), b = [Float](repeating: 1, count: 300 * 16)
        for (m, n, k) in [(4, 16, 3), (4, 3, 257), (4, 0, 3)] {
            var c = [Float](repeating: 7, count: max(m * n, 1))
            #expect(!OrderedProduct.directProduct(transposeA: false, transposeB: false, m: m, n: n, k: k, a, b, betaZero: true, &c))
            #expect(c.allSatisfy { $0 == 7 }, "\(m) × \(k) · \(k) × \(n) left the result alone")
        }
    }

    @Test("CPU products have OpenBLAS's bits, whichever way they are computed")
    func cpuProductsMatchBLAS() throws {
        var generator = RandomGenerator(seed: 777)
        // The shapes of a 50 → 15 → 2 MLP's training and evaluation steps, and others in and
        // out of the direct kernel's range.
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (64, 15, 50), (64, 2, 15), (15, 2, 64), (64, 15, 2), (50, 15, 64), (256, 15, 50), (256, 2, 15), (91, 15, 50), (42, 15, 50),
            (1, 1, 1), (7, 9, 33), (13, 8, 8), (300, 15, 40), (12, 16, 10), (5, 3, 300), (2000, 15, 20),
        ]
        for (m, n, k) in shapes {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                for beta: Float in [0, 1] {
                    let a = Self.values(m * k, &generator), b = Self.values(k * n, &generator)
                    let start = Self.values(m * n, &generator)
                    var expected = start
                    OrderedProduct.blasProduct(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, betaZero: beta == 0, &expected)
                    var c = try Tensor(shape: [m, n], values: start, device: .cpu)
                    try CPUBackend.shared.gemm(
                        Tensor(shape: transposeA ? [k, m] : [m, k], values: a, device: .cpu), transposeA: transposeA,
                        Tensor(shape: transposeB ? [n, k] : [k, n], values: b, device: .cpu), transposeB: transposeB,
                        alpha: 1, beta: beta, into: &c)
                    #expect(
                        c.scalars.map(\.bitPattern) == expected.map(\.bitPattern),
                        "m \(m) n \(n) k \(k) transposed \(transposeA) \(transposeB) beta \(beta)")
                }
            }
        }
    }

    /// Whether OpenBLAS runs its Haswell kernels on this CPU, whose summation order the direct
    /// kernel follows. Another core (SkylakeX, Zen, Prescott, ...) sums in another order.
    static let openBLASRunsHaswell = OrderedProduct.available && OrderedProduct.openBLASCoreNameString() == "Haswell"

    @Test(
        "the MLP's products use the direct kernel where OpenBLAS runs its Haswell kernel",
        .enabled(
            if: openBLASRunsHaswell,
            Comment(rawValue: "OpenBLAS runs its \(OrderedProduct.openBLASCoreNameString()) kernels on this CPU, "
                + "not Haswell's, whose order the direct kernel follows; skipped")))
    func mlpShapesUseDirectKernel() throws {
        for (transposeA, transposeB, m, n, k, betaZero) in [
            (false, false, 64, 15, 50, false), (false, false, 64, 2, 15, false), (true, false, 15, 2, 64, true),
            (false, true, 64, 15, 2, true), (true, false, 50, 15, 64, true), (false, false, 256, 15, 50, false),
        ] {
            #expect(
                OrderedProduct.agrees(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, betaZero: betaZero),
                "m \(m) n \(n) k \(k)")
        }
    }

    @Test("verdicts are remembered per shape key, every one, the first one kept")
    func verdicts() {
        // Far more keys than a table indexed by hash alone could hold without collisions.
        let keys = (0..<600).map { UInt64(0x5A5A_0000_0000) | UInt64($0) << 3 }
        for (index, key) in keys.enumerated() { #expect(OrderedProduct.recordVerdict(key, agrees: index % 3 == 0)) }
        for (index, key) in keys.enumerated() { #expect(OrderedProduct.verdict(key) == (index % 3 == 0), "key \(index)") }
        OrderedProduct.recordVerdict(keys[1], agrees: true)
        #expect(OrderedProduct.verdict(keys[1]) == false)
        #expect(OrderedProduct.verdict(0x5A5A_0000_0001) == nil)
    }
}
