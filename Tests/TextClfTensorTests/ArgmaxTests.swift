import CTextClfKernels
import Testing

@testable import TextClfTensor

/// The predictions the fused softmax cross-entropy reports, against the plain argmax.
@Suite("Fused argmax")
struct ArgmaxTests {
    @Test("softmax cross-entropy's argmax is argmaxRows', ties and NaN included, and changes nothing else")
    func argmaxMatches() {
        var generator = RandomGenerator(seed: 404)
        for classes in [2, 3, 5, 16] {
            let rows = 67
            // Few distinct values, so that ties are common; a NaN in some rows.
            var logits = (0..<(rows * classes)).map { _ in Float(generator.nextInt(below: 4)) - 1.5 }
            for row in stride(from: 0, to: rows, by: 9) { logits[row * classes + (row % classes)] = .nan }
            let targets = (0..<rows).map { _ in generator.nextInt(below: classes) }
            let weights = [Float](repeating: 1, count: rows)
            var expected = [Int](repeating: -1, count: rows)
            CPUBackend.argmaxRows(logits, rows: rows, columns: classes, into: &expected)
            var plainGradient = [Float](repeating: 0, count: rows * classes), fusedGradient = plainGradient
            var scratch = [Float](repeating: 0, count: rows * classes + 3 * rows)
            var predicted = [Int](repeating: -1, count: rows)
            let plain = CPUBackend.softmaxCrossEntropy(
                logits, rows: rows, classes: classes, targets: targets, weights: weights, divisor: Float(rows), gradient: &plainGradient,
                scratch: &scratch)
            let fused = CPUBackend.softmaxCrossEntropy(
                logits, rows: rows, classes: classes, targets: targets, weights: weights, divisor: Float(rows), gradient: &fusedGradient,
                scratch: &scratch, argmax: &predicted)
            #expect(predicted == expected, "\(classes) classes")
            #expect(plain.bitPattern == fused.bitPattern && plainGradient.map(\.bitPattern) == fusedGradient.map(\.bitPattern))
            #expect(Set(expected).count > 1, "the rows disagree, so the comparison can fail")
        }
    }
}
