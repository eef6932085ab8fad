import CTextClfKernels
import Testing

@testable import TextClfTensor

/// Dropout masks as bits: the same draws as the float masks, and the same products.
@Suite("Mask bits")
struct MaskBitsTests {
    /// The float mask of `count` draws from `generator` keeping with `probability`, and the
    /// generator after them.
    func floatMask(_ generator: RandomGenerator, count: Int, probability: Float, value: Float) -> ([Float], RandomGenerator) {
        var generator = generator
        var mask = [Float](repeating: .nan, count: count)
        mask.withUnsafeMutableBufferPointer { generator.fillBernoulli($0, probability: probability, value: value) }
        return (mask, generator)
    }

    @Test("bits are set exactly where the float mask keeps, and the generator ends in the same place")
    func bitsMatchTheFloatMask() {
        // Counts around the 16-bit words and the 256-draw blocks; probabilities including
        // never and always keeping.
        for count in Array(0...70) + [255, 256, 257, 511, 512, 513, 1000] {
            for probability: Float in [0, 0.01, 0.6, 0.999, 1] {
                let start = RandomGenerator(seed: UInt64(count) &* 31 &+ UInt64(probability * 1000))
                let (mask, floatEnd) = floatMask(start, count: count, probability: probability, value: 2.5)
                var generator = start
                let words = (count + 15) / 16
                var bits = [UInt16](repeating: 0xffff, count: max(words, 1))
                bits.withUnsafeMutableBufferPointer { generator.fillBernoulliBits($0.baseAddress!, count: count, probability: probability) }
                #expect(generator == floatEnd, "count \(count), p \(probability)")
                let expanded = (0..<count).map { (bits[$0 / 16] >> ($0 % 16)) & 1 == 1 ? Float(2.5) : 0 }
                #expect(expanded.map(\.bitPattern) == mask.map(\.bitPattern), "count \(count), p \(probability)")
                if count % 16 != 0 {
                    #expect(bits[words - 1] >> (count % 16) == 0, "bits past the end, count \(count)")
                }
                if count == 0 { #expect(bits == [0xffff], "nothing written for no draws") }
            }
        }
    }

    @Test("a product with mask bits is the product with the float mask, in every implementation")
    func productsMatch() {
        var generator = RandomGenerator(seed: 77)
        let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, -3, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        for count in Array(0...70) + [257] {
            for value: Float in [2.5, 1 / 0.6, 0] {
                var x = (0..<count).map { _ in generator.nextFloat() * 8 - 4 }
                for (index, special) in specials.enumerated() where index < count { x[(index * 7) % count] = special }
                var bits = [UInt16](repeating: 0, count: max((count + 15) / 16, 1))
                bits.withUnsafeMutableBufferPointer { generator.fillBernoulliBits($0.baseAddress!, count: count, probability: 0.5) }
                let mask = (0..<count).map { (bits[$0 / 16] >> ($0 % 16)) & 1 == 1 ? value : 0 }
                var expected = [Float](repeating: 0, count: count)
                if count > 0 { textclf_multiply(&expected, x, mask, count) }
                var ran = 0
                for instructionSet: Int32 in 1...3 {
                    var out = [Float](repeating: 7, count: count + 1)
                    let done = out.withUnsafeMutableBufferPointer { out in
                        textclf_multiply_mask_bits_using(instructionSet, out.baseAddress!, x, bits, count, value) == 1
                    }
                    guard done else { continue }
                    ran += 1
                    #expect(Array(out.prefix(count)).map(\.bitPattern) == expected.map(\.bitPattern), "set \(instructionSet), count \(count)")
                    #expect(out[count] == 7, "written past the end, set \(instructionSet), count \(count)")
                }
                #expect(ran >= 1)
            }
        }
    }
}
