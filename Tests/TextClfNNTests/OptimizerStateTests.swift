import Testing
import TextClfTensor

@testable import TextClfNN

@Suite("Optimizer state for checkpoints")
struct OptimizerStateTests {
    /// Saving the state after 3 steps and loading it into a fresh optimizer must continue
    /// exactly like the optimizer that never stopped.
    @Test(arguments: ["sgd-momentum", "adam", "adamw", "adagrad", "rmsprop-centered"])
    func resumedOptimizerMatchesUninterrupted(kind: String) throws {
        func make() -> any Optimizer {
            switch kind {
            case "sgd-momentum": return SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
            case "adam": return Adam(learningRate: 0.01, amsgrad: true)
            case "adamw": return AdamW(learningRate: 0.01)
            case "adagrad": return Adagrad(learningRate: 0.1)
            default: return RMSprop(learningRate: 0.01, momentum: 0.5, centered: true)
            }
        }
        func parameters() -> [Parameter] {
            var generator = RandomGenerator(seed: 5)
            return [
                Parameter(name: "w", value: Tensor.normal([3, 2], mean: 0, std: 1, generator: &generator)),
                Parameter(name: "b", value: Tensor.normal([2], mean: 0, std: 1, generator: &generator), isPenalized: false),
            ]
        }
        func step(_ optimizer: any Optimizer, _ parameters: [Parameter], _ index: Int) throws {
            for parameter in parameters {
                // A gradient that changes with the step and the value, like a real loss's.
                let values = parameter.value.scalars.enumerated().map { Float(index + 1) * 0.1 + $0.element * 0.5 - Float($0.offset) * 0.01 }
                parameter.gradient = try Tensor(shape: parameter.value.shape, values: values)
            }
            try optimizer.step(parameters)
        }
        let straight = make()
        let straightParameters = parameters()
        for index in 0..<5 { try step(straight, straightParameters, index) }

        let first = make()
        let resumedParameters = parameters()
        for index in 0..<3 { try step(first, resumedParameters, index) }
        let saved = first.stateDictionary(for: resumedParameters)
        #expect(Set(saved.keys) == ["w", "b"])
        #expect(saved["w"]?.step == 3)
        let second = make()
        try second.loadStateDictionary(saved, for: resumedParameters)
        for index in 3..<5 { try step(second, resumedParameters, index) }
        for (a, b) in zip(straightParameters, resumedParameters) {
            #expect(a.value == b.value, "\(kind): \(a.name)")
        }
    }

    @Test func mismatchedStateIsRefused() throws {
        let parameter = Parameter(name: "w", value: Tensor.zeros([2, 2]))
        let optimizer = Adam()
        #expect(throws: TensorError.self) {
            try optimizer.loadStateDictionary(["w": OptimizerParameterState(step: 1, tensors: [Tensor.zeros([3])])], for: [parameter])
        }
    }
}
