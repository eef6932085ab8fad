import CTextClfKernels
import Foundation

/// A seeded pseudo-random generator: xoshiro256** (Blackman and Vigna, 2018) with its state
/// seeded through SplitMix64, as its authors recommend.
///
/// Why this one: it is small (32 bytes, a value type, so it is `Sendable` and copying it
/// snapshots the stream), fast (a few shifts and multiplies per 64 bits), passes BigCrush,
/// and is well known, so its streams can be reproduced elsewhere. Numbers are drawn on the
/// host and then placed on a device, so every ``Device`` sees identical values for a seed.
///
/// Not cryptographically secure.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose whole stream is determined by `seed`.
    ///
    /// SplitMix64 expands the seed into the 256-bit state, so nearby seeds (0, 1, 2…) give
    /// unrelated streams and the all-zero state (a fixed point of xoshiro) cannot occur.
    public init(seed: UInt64) {
        var mixer = seed
        s0 = RandomGenerator.splitMix(&mixer)
        s1 = RandomGenerator.splitMix(&mixer)
        s2 = RandomGenerator.splitMix(&mixer)
        s3 = RandomGenerator.splitMix(&mixer)
    }

    /// One step of SplitMix64 (Steele, Lea and Flood): advances `state` and returns a mixed value.
    @inline(__always)
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 { nextUInt64() }

    /// The next 64 random bits (xoshiro256**).
    public mutating func nextUInt64() -> UInt64 {
        RandomGenerator.step(&s0, &s1, &s2, &s3)
    }

    /// One xoshiro256** step on a state held anywhere (fields or local variables).
    @inline(__always)
    static func step(_ s0: inout UInt64, _ s1: inout UInt64, _ s2: inout UInt64, _ s3: inout UInt64) -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    /// Writes `value` where a draw of ``nextFloat()`` is below `probability` and 0 elsewhere,
    /// one draw per element of `values`, in order: the loop of ``Tensor/bernoulli(_:probability:value:generator:device:)``.
    ///
    /// A C kernel (`textclf_bernoulli_fill`) runs the generator's steps and compares each
    /// draw's 24 bits with an integer threshold: `Float(bits) · 2⁻²⁴ < probability` exactly
    /// when `bits < ⌈probability · 2²⁴⌉` (both sides are exact in `Float`), and selecting the
    /// value's bits gives `value` or +0 as the comparison does, so the values and the
    /// generator's state afterwards are those of the plain loop.
    package mutating func fillBernoulli(_ values: UnsafeMutableBufferPointer<Float>, probability: Float, value: Float) {
        guard let start = values.baseAddress, !values.isEmpty else { return }
        // probability is in [0, 1], so probability · 2²⁴ is an exact Float of at most 2²⁴.
        let threshold = UInt64((probability * 0x1p24).rounded(.up))
        var state = (s0, s1, s2, s3)
        withUnsafeMutableBytes(of: &state) { raw in
            textclf_bernoulli_fill(
                raw.baseAddress!.assumingMemoryBound(to: UInt64.self), start, values.count, threshold, value.bitPattern)
        }
        (s0, s1, s2, s3) = state
    }

    /// A uniform value in `[0, 1)` with 24 random bits: every representable multiple of 2⁻²⁴,
    /// equally likely (the top bits are used, xoshiro's strongest).
    public mutating func nextFloat() -> Float {
        Float(nextUInt64() >> 40) * 0x1p-24
    }

    /// A standard normal value (mean 0, variance 1) by the Box–Muller transform.
    ///
    /// Each call consumes two uniform draws and returns the cosine branch; the sine branch
    /// is discarded rather than cached, so the generator stays a plain 256-bit state whose
    /// position depends only on how many calls were made. ``normalPair()`` returns both
    /// values when throughput matters (``Tensor/normal(_:mean:std:generator:device:)`` uses it).
    public mutating func nextNormal() -> Float {
        normalPair().0
    }

    /// Two independent standard normal values from two uniform draws (Box–Muller).
    public mutating func normalPair() -> (Float, Float) {
        // u1 in (0, 1] so the logarithm is finite; computed in Double so the tails are
        // not cut short by Float rounding before the conversion.
        let u1 = Double((nextUInt64() >> 11) + 1) * 0x1p-53
        let u2 = Double(nextUInt64() >> 11) * 0x1p-53
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (Float(radius * Foundation.cos(angle)), Float(radius * Foundation.sin(angle)))
    }

    /// A uniform integer in `0..<bound`, without modulo bias (Lemire's multiply-and-reject).
    /// - Precondition: `bound > 0`.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = nextUInt64().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = nextUInt64().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// The generator's whole state, as 64 hexadecimal digits: what a checkpoint stores to
    /// continue a stream exactly where it was (``init(checkpoint:)`` reads it back).
    public var checkpoint: String {
        [s0, s1, s2, s3].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// The generator whose state ``checkpoint`` wrote; `nil` for text of another form or
    /// the all-zero state (a fixed point that no seeded generator reaches).
    public init?(checkpoint: String) {
        let utf8 = Array(checkpoint.utf8)
        guard utf8.count == 64 else { return nil }
        var words: [UInt64] = []
        for start in stride(from: 0, to: 64, by: 16) {
            guard let word = UInt64(String(decoding: utf8[start..<start + 16], as: UTF8.self), radix: 16) else { return nil }
            words.append(word)
        }
        guard words.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// A new generator for an independent stream, advancing this one by one draw.
    ///
    /// Use it to hand each consumer (a layer's initialiser, the data shuffler, dropout) its
    /// own stream, so adding draws in one does not shift the numbers of the others. The child
    /// is seeded through SplitMix64 from a fresh 64-bit draw, so parent and child are unrelated.
    public mutating func split() -> RandomGenerator {
        RandomGenerator(seed: nextUInt64())
    }

    /// The generator of stream number `stream`, derived from this generator's current state
    /// without advancing it: the same state and stream always give the same child, and
    /// different streams give unrelated children (for example one per worker or epoch).
    public func fork(stream: UInt64) -> RandomGenerator {
        var mixer = s0 ^ s1.rotatedLeft(by: 16) ^ s2.rotatedLeft(by: 32) ^ s3.rotatedLeft(by: 48)
        let mixed = RandomGenerator.splitMix(&mixer)
        mixer = mixed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        return RandomGenerator(seed: RandomGenerator.splitMix(&mixer))
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates), for shuffling examples.
    ///
    /// Position `i` (from the last down to 1) swaps with `nextInt(below: i + 1)`; the loop keeps
    /// the generator's state in local variables and draws exactly what those calls would.
    public mutating func permutation(_ n: Int) -> [Int] {
        precondition(n >= 0, "permutation of a negative count \(n)")
        var result = Array(0..<n)
        var a = s0, b = s1, c = s2, d = s3
        result.withUnsafeMutableBufferPointer { buffer in
            var index = n - 1
            while index > 0 {
                // nextInt(below: index + 1): Lemire's multiply-and-reject.
                let range = UInt64(index + 1)
                var product = RandomGenerator.step(&a, &b, &c, &d).multipliedFullWidth(by: range)
                if product.low < range {
                    let threshold = (0 &- range) % range
                    while product.low < threshold {
                        product = RandomGenerator.step(&a, &b, &c, &d).multipliedFullWidth(by: range)
                    }
                }
                buffer.swapAt(index, Int(product.high))
                index -= 1
            }
        }
        s0 = a
        s1 = b
        s2 = c
        s3 = d
        return result
    }
}

extension UInt64 {
    /// The bits rotated left by `count` (0 < count < 64).
    @inline(__always)
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
