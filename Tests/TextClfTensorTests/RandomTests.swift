import Testing

@testable import TextClfTensor

/// ``RandomGenerator`` and the random tensors: reproducible, device-independent, and
/// distributed as documented.
@Suite("Seeded randomness")
struct RandomTests {
    @Test("xoshiro256** seeded through SplitMix64 gives the published algorithm's stream")
    func knownStream() {
        // Computed with an independent Python transcription of SplitMix64 and xoshiro256**.
        var generator = RandomGenerator(seed: 42)
        #expect(generator.nextUInt64() == 0x1578_0b2e_0c2e_c716)
        #expect(generator.nextUInt64() == 0x6104_d986_6d11_3a7e)
        #expect(generator.nextUInt64() == 0xae17_5332_39e4_99a1)
    }

    @Test("a seed gives bit-identical tensors on every device and on every run")
    func reproducible() {
        for device in Device.available {
            var first = RandomGenerator(seed: 2024)
            var second = RandomGenerator(seed: 2024)
            var other = RandomGenerator(seed: 2025)
            let shapes: [[Int]] = [[7, 5], [1], [0, 3]]
            for shape in shapes {
                let a = Tensor.normal(shape, mean: 1, std: 2, generator: &first, device: device)
                let b = Tensor.normal(shape, mean: 1, std: 2, generator: &second, device: .cpu)
                #expect(a.device == device)
                #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
                let c = Tensor.normal(shape, mean: 1, std: 2, generator: &other, device: device)
                if a.count > 1 { #expect(a.scalars != c.scalars, "seeds 2024 and 2025 gave the same \(shape)") }
            }
            let u = Tensor.uniform([9, 9], low: -1, high: 1, generator: &first, device: device)
            let v = Tensor.uniform([9, 9], low: -1, high: 1, generator: &second, device: .reference)
            #expect(u.scalars.map(\.bitPattern) == v.scalars.map(\.bitPattern))
            let m = Tensor.bernoulli([64], probability: 0.5, generator: &first, device: device)
            let n = Tensor.bernoulli([64], probability: 0.5, generator: &second, device: .reference)
            #expect(m.scalars == n.scalars)
        }
    }

    @Test("normal values have the requested mean and variance")
    func normalDistribution() {
        var generator = RandomGenerator(seed: 1)
        let values = Tensor.normal([100_000], mean: 2, std: 3, generator: &generator, device: .cpu).scalars.map(Double.init)
        let (mean, variance) = moments(values)
        // Standard errors: 3/√100000 ≈ 0.0095 for the mean, 9·√(2/100000) ≈ 0.04 for the variance.
        #expect(abs(mean - 2) < 0.05, "mean \(mean)")
        #expect(abs(variance - 9) < 0.2, "variance \(variance)")
        #expect(values.allSatisfy { $0.isFinite })
        // About 68.3 % within one standard deviation.
        let within = Double(values.filter { abs($0 - 2) < 3 }.count) / Double(values.count)
        #expect(abs(within - 0.6827) < 0.01, "within one std: \(within)")

        var single = RandomGenerator(seed: 3)
        let singles = (0..<100_000).map { _ in Double(single.nextNormal()) }
        let (singleMean, singleVariance) = moments(singles)
        #expect(abs(singleMean) < 0.02 && abs(singleVariance - 1) < 0.03, "nextNormal: \(singleMean), \(singleVariance)")
    }

    @Test("uniform values lie in [low, high) with the right mean and variance")
    func uniformDistribution() {
        var generator = RandomGenerator(seed: 4)
        let values = Tensor.uniform([100_000], low: -1, high: 3, generator: &generator, device: .cpu).scalars
        #expect(values.allSatisfy { $0 >= -1 && $0 < 3 })
        let (mean, variance) = moments(values.map(Double.init))
        #expect(abs(mean - 1) < 0.02, "mean \(mean)")
        #expect(abs(variance - 16.0 / 12) < 0.03, "variance \(variance)")

        var floats = RandomGenerator(seed: 5)
        let draws = (0..<100_000).map { _ in floats.nextFloat() }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(draws.allSatisfy { ($0 * 0x1p24).rounded() == $0 * 0x1p24 }, "24-bit multiples of 2⁻²⁴")
    }

    @Test("bernoulli gives zeros and ones with the requested probability")
    func bernoulliDistribution() {
        var generator = RandomGenerator(seed: 6)
        let mask = Tensor.bernoulli([100_000], probability: 0.3, generator: &generator, device: .cpu).scalars
        #expect(mask.allSatisfy { $0 == 0 || $0 == 1 })
        let rate = Double(mask.reduce(0, +)) / Double(mask.count)
        #expect(abs(rate - 0.3) < 0.01, "rate \(rate)")
        #expect(Tensor.bernoulli([100], probability: 0, generator: &generator, device: .cpu).scalars.allSatisfy { $0 == 0 })
        #expect(Tensor.bernoulli([100], probability: 1, generator: &generator, device: .cpu).scalars.allSatisfy { $0 == 1 })
        // `value` replaces the ones with the same draws: a scaled dropout mask in one pass.
        var plain = RandomGenerator(seed: 8), scaled = RandomGenerator(seed: 8)
        let ones = Tensor.bernoulli([1000], probability: 0.6, generator: &plain, device: .cpu).scalars
        let values = Tensor.bernoulli([1000], probability: 0.6, value: 2.5, generator: &scaled, device: .cpu).scalars
        #expect(values == ones.map { $0 * 2.5 })
        #expect(plain == scaled)
    }

    @Test("bernoulli draws exactly what comparing nextFloat() with the probability gives")
    func bernoulliMatchesNextFloat() {
        // Probabilities on and off the 2⁻²⁴ grid, the ends, and values whose sign and
        // payload must survive (the mask is written by selecting bits).
        let probabilities: [Float] = [0, 1, 0.6, 0.5, 1.0 / 3, 0.1, 1e-7, 1 - 0x1p-24, 0x1p-24, 0.99999]
        let values: [Float] = [1, 2.5, -1.75, -0.0, .infinity, 1.0 / 0.6]
        // Counts around the kernel's blocks of 256 draws.
        for count in [0, 1, 255, 256, 257, 517] {
            for (index, probability) in probabilities.enumerated() {
                for value in values {
                    var drawn = RandomGenerator(seed: 900 + UInt64(index)), plain = drawn
                    let mask = Tensor.bernoulli([count], probability: probability, value: value, generator: &drawn, device: .cpu)
                    let expected = (0..<count).map { _ in plain.nextFloat() < probability ? value : 0 }
                    #expect(mask.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(count) draws, p \(probability), value \(value)")
                    #expect(drawn == plain, "the generator advances one draw per value")
                }
            }
        }
    }

    @Test("permutations swap with the draws of nextInt(below:), exactly")
    func permutationMatchesNextInt() {
        for n in [0, 1, 2, 3, 17, 1000, 4458] {
            var generator = RandomGenerator(seed: 31 + UInt64(n)), plain = generator
            var expected = Array(0..<n)
            var index = n - 1
            while index > 0 {
                expected.swapAt(index, plain.nextInt(below: index + 1))
                index -= 1
            }
            #expect(generator.permutation(n) == expected, "n \(n)")
            #expect(generator == plain, "the generator advances as the calls would")
        }
    }

    @Test("permutations are permutations, reproducible and uniform")
    func permutations() {
        var generator = RandomGenerator(seed: 7)
        #expect(generator.permutation(0) == [])
        #expect(generator.permutation(1) == [0])
        let p = generator.permutation(1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
        var again = RandomGenerator(seed: 7)
        _ = again.permutation(0)
        _ = again.permutation(1)
        #expect(again.permutation(1000) == p)

        // Each of the 6 orders of 3 about 1/6 of 60 000 draws (σ ≈ 91).
        var counts = [[Int]: Int]()
        for _ in 0..<60_000 { counts[generator.permutation(3), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
    }

    @Test("nextInt(below:) stays in range and covers it")
    func boundedIntegers() {
        var generator = RandomGenerator(seed: 8)
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let value = generator.nextInt(below: 10)
            #expect((0..<10).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 10)
        #expect(generator.nextInt(below: 1) == 0)
        let big = generator.nextInt(below: Int.max)
        #expect(big >= 0)
    }

    @Test("split and fork derive independent, reproducible streams")
    func streams() {
        var parent = RandomGenerator(seed: 9)
        let snapshot = parent
        var child = parent.split()
        #expect(parent != snapshot, "split advances the parent")
        var sameParent = snapshot
        var sameChild = sameParent.split()
        #expect((0..<8).map { _ in child.nextUInt64() } == (0..<8).map { _ in sameChild.nextUInt64() })
        #expect((0..<8).map { _ in parent.nextUInt64() } != (0..<8).map { _ in child.nextUInt64() })

        let base = RandomGenerator(seed: 10)
        var first = base.fork(stream: 0)
        var firstAgain = base.fork(stream: 0)
        var second = base.fork(stream: 1)
        var original = base
        let a = (0..<8).map { _ in first.nextUInt64() }
        #expect(a == (0..<8).map { _ in firstAgain.nextUInt64() })
        #expect(a != (0..<8).map { _ in second.nextUInt64() })
        #expect(a != (0..<8).map { _ in original.nextUInt64() })
        #expect(base == RandomGenerator(seed: 10), "fork leaves the generator where it was")
    }

    /// The mean and (population) variance.
    func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance)
    }
}
