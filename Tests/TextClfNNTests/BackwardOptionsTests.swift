import Testing
import TextClfTensor

@testable import TextClfNN

@Suite("Backward without the input gradient")
struct BackwardOptionsTests {
    /// A training step does not need the model input's gradient: skipping it must leave
    /// every parameter gradient exactly as the full backward pass computes it.
    @Test(arguments: [Device.cpu, Device.reference])
    func parameterGradientsAreUnchanged(device: Device) throws {
        func model() -> Sequential {
            var generator = RandomGenerator(seed: 7)
            return Sequential([
                Linear(5, 4, device: device, generator: &generator), Activation(.tanh),
                Linear(4, 3, device: device, generator: &generator),
            ])
        }
        var generator = RandomGenerator(seed: 11)
        let input = Tensor.normal([6, 5], mean: 0, std: 1, generator: &generator, device: device)
        let upstream = Tensor.normal([6, 3], mean: 0, std: 1, generator: &generator, device: device)
        let full = model()
        _ = try full.forward(.dense(input))
        let inputGradient = try full.backward(upstream)
        #expect(inputGradient?.shape == [6, 5])
        let partial = model()
        _ = try partial.forward(.dense(input))
        #expect(try partial.backward(upstream, needsInputGradient: false) == nil)
        for (a, b) in zip(full.parameters, partial.parameters) {
            #expect(a.name == b.name)
            #expect(a.gradient == b.gradient, "\(a.name)")
        }
    }
}
