import Testing
import TextClfNN
import TextClfTensor

@Suite("Initializers")
struct InitializerTests {
    func draw(_ initializer: Initializer, _ shape: [Int] = [400, 100], fanIn: Int = 400, fanOut: Int = 100) -> [Float] {
        var generator = RandomGenerator(seed: 11)
        return initializer.makeTensor(shape: shape, fanIn: fanIn, fanOut: fanOut, generator: &generator).scalars
    }

    func std(_ values: [Float]) -> Double {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
    }

    @Test("uniform initialisers respect their bounds and spread to them")
    func uniformBounds() {
        let cases: [(Initializer, Float)] = [
            (.pytorchDefault, 1 / Float(400).squareRoot()),
            (.xavierUniform(gain: 2), 2 * (Float(6) / 500).squareRoot()),
            (.kaimingUniform(), Float(2).squareRoot() * (Float(3) / 400).squareRoot()),
            (.uniform(low: -0.3, high: 0.3), 0.3),
        ]
        for (initializer, bound) in cases {
            let values = draw(initializer)
            #expect(values.allSatisfy { abs($0) <= bound }, "\(initializer)")
            #expect(values.max()! > 0.98 * bound && values.min()! < -0.98 * bound, "\(initializer)")
            #expect(abs(std(values) - Double(bound) / 3.0.squareRoot()) < 0.03 * Double(bound), "\(initializer)")
        }
    }

    @Test("normal initialisers have the documented standard deviation")
    func normalStd() {
        let cases: [(Initializer, Double)] = [
            (.xavierNormal(), (2.0 / 500).squareRoot()),
            (.kaimingNormal(), (2.0 / 400).squareRoot()),
            (.normal(std: 0.02), 0.02),
        ]
        for (initializer, expected) in cases {
            #expect(abs(std(draw(initializer)) - expected) < 0.03 * expected, "\(initializer)")
        }
        #expect(draw(.zeros).allSatisfy { $0 == 0 })
        #expect(draw(.constant(0.5)).allSatisfy { $0 == 0.5 })
    }

    @Test("Linear uses PyTorch's defaults: weight and bias in ±1/√in, bias unpenalised, same numbers on every device")
    func linearDefaults() {
        let layer = Linear(25, 8, seed: 5)
        #expect(layer.weight.value.scalars.allSatisfy { abs($0) <= 0.2 })
        #expect(layer.bias!.value.scalars.allSatisfy { abs($0) <= 0.2 })
        #expect(!layer.bias!.isPenalized)
        let reference = Linear(25, 8, device: .reference, seed: 5)
        #expect(reference.weight.value.device == .reference)
        #expect(reference.weight.value.scalars == layer.weight.value.scalars)
        let xavier = Linear(25, 8, initializer: .xavierUniform(), biasInitializer: .zeros, seed: 5)
        #expect(xavier.bias!.value.scalars.allSatisfy { $0 == 0 })
    }
}
