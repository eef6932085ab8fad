import Testing
import TextClfNN
import TextClfTensor

@Suite("Losses: PyTorch parity and errors")
struct LossTests {
    @Test("every loss case matches torch (value and gradient)", arguments: Device.available)
    func parity(device: Device) throws {
        for c in TorchFixture.shared.losses {
            let reduction = Reduction(rawValue: c.reduction)!
            let input = c.input.tensor(device)
            let result: LossResult
            switch (c.kind, c.target) {
            case ("bce", .values(let target)):
                result = try BinaryCrossEntropyWithLogits(positiveWeight: c.posWeight, reduction: reduction)(input, target.tensor(device))
            case ("mse", .values(let target)):
                result = try MSE(reduction: reduction)(input, target.tensor(device))
            case ("cross_entropy", .classes(let target)):
                result = try CrossEntropy(classWeights: c.classWeights, labelSmoothing: c.labelSmoothing ?? 0, reduction: reduction)(input, target)
            case ("nll", .classes(let target)):
                result = try NLLLoss(classWeights: c.classWeights, reduction: reduction)(input, target)
            default:
                Issue.record("unknown case \(c.kind)")
                continue
            }
            let positiveWeight: String = c.posWeight.map { "\($0)" } ?? "-"
            let smoothing: Float = c.labelSmoothing ?? 0
            let label = "\(c.kind) \(c.reduction) pos_weight=\(positiveWeight) weights=\(c.classWeights != nil) smoothing=\(smoothing)"
            // Sums over a dozen or more terms: 1e-5 relative on the value, 1e-5 on the gradient.
            #expect(abs(Double(result.value) - c.value) <= 1e-5 * max(1, abs(c.value)), "\(label): \(result.value) vs \(c.value)")
            Check.close(result.gradient, c.grad.tensor(), tolerance: 1e-5, "\(label) gradient")
            #expect(result.gradient.device == device)
        }
    }

    @Test("cross-entropy without class weights equals it with weights of one, bit for bit", arguments: Device.available)
    func unweightedEqualsUnitWeights(device: Device) throws {
        var generator = RandomGenerator(seed: 17)
        for rows in [1, 3, 64, 91, 256] {
            let logits = Tensor.uniform([rows, 3], low: -4, high: 4, generator: &generator, device: device)
            let targets = (0..<rows).map { _ in generator.nextInt(below: 3) }
            for reduction in [Reduction.mean, .sum] {
                let plain = try CrossEntropy(reduction: reduction)(logits, targets)
                let weighted = try CrossEntropy(classWeights: [1, 1, 1], reduction: reduction)(logits, targets)
                #expect(plain.value.bitPattern == weighted.value.bitPattern, "\(rows) rows, \(reduction)")
                #expect(plain.gradient.scalars.map(\.bitPattern) == weighted.gradient.scalars.map(\.bitPattern), "\(rows) rows, \(reduction)")
            }
        }
    }

    @Test("BCE with logits stays finite for huge logits")
    func bceStable() throws {
        let logits = try Tensor(shape: [1, 4], values: [100, -100, 80, -80])
        let targets = try Tensor(shape: [1, 4], values: [1, 0, 0, 1])
        let result = try BinaryCrossEntropyWithLogits(reduction: .sum)(logits, targets)
        #expect(abs(result.value - 160) < 1e-3)
        #expect(result.gradient.scalars == [0, 0, 1, -1])
    }

    @Test("a class index out of range names the row and the value")
    func badClass() {
        let logits = Tensor.zeros([3, 4])
        do {
            _ = try CrossEntropy()(logits, [0, 4, 1])
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("target 4 at row 1") && "\(error)".contains("0..<4"), "\(error)")
        }
        #expect(throws: TensorError.self) { _ = try NLLLoss()(logits, [0, -1, 1]) }
        #expect(throws: TensorError.self) { _ = try CrossEntropy()(logits, [0, 1]) }
        #expect(throws: TensorError.self) { _ = try CrossEntropy(classWeights: [1, 2])(logits, [0, 1, 2]) }
    }

    @Test("shape mismatches name both shapes")
    func shapes() {
        do {
            _ = try MSE()(Tensor.zeros([2, 3]), Tensor.zeros([3, 2]))
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("[2, 3]") && "\(error)".contains("[3, 2]"), "\(error)")
        }
        #expect(throws: TensorError.self) { _ = try BinaryCrossEntropyWithLogits()(Tensor.zeros([2]), Tensor.zeros([3])) }
    }

    @Test("NaN or infinite inputs are reported")
    func nonFinite() throws {
        let bad = try Tensor(shape: [2, 2], values: [0, .nan, 1, 2])
        #expect(throws: TensorError.nonFinite(what: "CrossEntropy logits", index: 1)) { _ = try CrossEntropy()(bad, [0, 1]) }
        #expect(throws: TensorError.nonFinite(what: "BinaryCrossEntropyWithLogits logits", index: 1)) {
            _ = try BinaryCrossEntropyWithLogits()(bad, Tensor.zeros([2, 2]))
        }
        let infinite = try Tensor(shape: [2, 2], values: [0, 1, .infinity, 2])
        #expect(throws: TensorError.nonFinite(what: "MSE predictions", index: 2)) { _ = try MSE()(infinite, Tensor.zeros([2, 2])) }
        #expect(throws: TensorError.self) { _ = try NLLLoss()(infinite, [0, 1]) }
    }
}
