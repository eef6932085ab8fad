import Testing
import TextClfNN
import TextClfTensor

/// Layers built the same way on any device: identical parameters for identical calls.
struct LayerCase: CustomStringConvertible, Sendable {
    let description: String
    let inputShape: [Int]
    /// Keeps inputs this far from 0, so a ±h step never crosses a ReLU kink.
    var margin: Float = 0
    var sparse = false
    let make: @Sendable (Device) -> any Layer

    static let all: [LayerCase] = [
        LayerCase(description: "Linear", inputShape: [3, 4]) { Linear(4, 3, device: $0, seed: 1) },
        LayerCase(description: "Linear without bias, Xavier", inputShape: [2, 5]) {
            Linear(5, 2, bias: false, initializer: .xavierNormal(), device: $0, seed: 2)
        },
        LayerCase(description: "Linear on sparse input", inputShape: [4, 6], sparse: true) { Linear(6, 3, device: $0, seed: 3) },
        LayerCase(description: "ReLU", inputShape: [3, 4], margin: 0.1) { _ in Activation(.relu) },
        LayerCase(description: "leaky ReLU", inputShape: [3, 4], margin: 0.1) { _ in Activation(.leakyRelu(0.2)) },
        LayerCase(description: "tanh", inputShape: [3, 4]) { _ in Activation(.tanh) },
        LayerCase(description: "sigmoid", inputShape: [3, 4]) { _ in Activation(.sigmoid) },
        LayerCase(description: "GELU", inputShape: [3, 4]) { _ in Activation(.gelu) },
        LayerCase(description: "Dropout (fixed mask)", inputShape: [4, 5]) { _ in Dropout(probability: 0.4, seed: 5) },
        LayerCase(description: "BatchNorm1d training", inputShape: [5, 3]) { device in
            let layer = BatchNorm1d(3, device: device)
            layer.weight!.value = try! Tensor(shape: [3], values: [1.5, -0.7, 0.9], device: device)
            layer.bias!.value = try! Tensor(shape: [3], values: [0.1, 0.2, -0.3], device: device)
            return layer
        },
        LayerCase(description: "BatchNorm1d evaluation", inputShape: [4, 3]) { device in
            let layer = BatchNorm1d(3, device: device)
            layer.weight!.value = try! Tensor(shape: [3], values: [1.5, -0.7, 0.9], device: device)
            try! layer.setBuffer("running_mean", to: Tensor(shape: [3], values: [0.3, -0.2, 0.1], device: device))
            try! layer.setBuffer("running_var", to: Tensor(shape: [3], values: [0.5, 2, 1.2], device: device))
            layer.isTraining = false
            return layer
        },
        LayerCase(description: "LayerNorm", inputShape: [3, 5]) { device in
            let layer = LayerNorm(5, device: device)
            layer.weight.value = try! Tensor(shape: [5], values: [1.2, 0.8, -0.5, 1, 2], device: device)
            layer.bias.value = try! Tensor(shape: [5], values: [0, 0.1, -0.1, 0.3, 0.2], device: device)
            return layer
        },
        LayerCase(description: "Sequential Linear→tanh→LayerNorm→Linear", inputShape: [3, 4]) { device in
            Sequential([Linear(4, 5, device: device, seed: 8), Activation(.tanh), LayerNorm(5, device: device), Linear(5, 2, device: device, seed: 9)])
        },
    ]

    func input(_ device: Device) -> LayerInput {
        let x = Check.random(inputShape, seed: 31, margin: margin, device: device)
        guard sparse else { return .dense(x) }
        // Every other value kept: a sparse matrix with some empty columns.
        let values = x.scalars.enumerated().map { $0.offset % 3 == 0 ? $0.element : 0 }
        return .sparse(CSRMatrix(dense: values, rowCount: inputShape[0], columnCount: inputShape[1]))
    }
}

/// Central differences against the analytic gradients.
///
/// The objective is `Σ y ∘ r` for a fixed random `r`, summed in Double from the Float
/// outputs, so the only Float error is in the outputs themselves (≈ 1e-7 relative). With a
/// step h = 1e-2 that rounding contributes ≈ 1e-5 to a difference quotient and the
/// truncation error is ≈ h² · f‴ / 6 ≈ 1e-5 for these smooth, O(1) functions; the check
/// `|numeric − analytic| ≤ 1e-2 · |analytic| + 1e-3` leaves a wide margin above both while
/// still catching any wrong term (a missing factor or sign is off by O(1)). The step is
/// divided by the difference of the Float-rounded arguments, not by 2h.
@Suite("Gradient checks: finite differences")
struct GradientCheckTests {
    static func objective(_ y: Tensor, _ r: [Float]) -> Double {
        zip(y.scalars, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func difference(at value: Float, step: Float = 1e-2, _ f: (Float) throws -> Double) rethrows -> Double {
        let plus = value + step, minus = value - step
        return try (f(plus) - f(minus)) / (Double(plus) - Double(minus))
    }

    static func expectClose(_ numeric: Double, _ analytic: Float, _ what: String) {
        #expect(abs(numeric - Double(analytic)) <= 1e-2 * abs(Double(analytic)) + 1e-3, "\(what): numeric \(numeric), analytic \(analytic)")
    }

    @Test("layers: gradients with respect to the input and every parameter", arguments: LayerCase.all)
    func layer(_ c: LayerCase) throws {
        let input = c.input(.cpu)
        let layer = c.make(.cpu)
        let y = try layer.forward(input)
        let r = Check.random(y.shape, seed: 77).scalars
        let gradientInput = try layer.backward(Tensor(shape: y.shape, values: r))
        if case .dense(let x) = input {
            let analytic = try #require(gradientInput).scalars
            let values = x.scalars
            for index in values.indices {
                let numeric = try Self.difference(at: values[index]) { value in
                    var perturbed = values
                    perturbed[index] = value
                    return Self.objective(try c.make(.cpu).forward(Tensor(shape: x.shape, values: perturbed)), r)
                }
                Self.expectClose(numeric, analytic[index], "\(c) input[\(index)]")
            }
        } else {
            #expect(gradientInput == nil)
        }
        for (position, parameter) in layer.parameters.enumerated() {
            let analytic = parameter.denseGradient().scalars
            let values = parameter.value.scalars
            for index in values.indices {
                let numeric = try Self.difference(at: values[index]) { value in
                    let fresh = c.make(.cpu)
                    var perturbed = values
                    perturbed[index] = value
                    fresh.parameters[position].value = try Tensor(shape: parameter.value.shape, values: perturbed)
                    return Self.objective(try fresh.forward(input), r)
                }
                Self.expectClose(numeric, analytic[index], "\(c) \(parameter.name)[\(index)]")
            }
        }
    }

    @Test("losses: gradients with respect to the predictions", arguments: LossCase.all)
    func loss(_ c: LossCase) throws {
        let x = c.input(.cpu)
        let analytic = try c.evaluate(x).gradient.scalars
        let values = x.scalars
        for index in values.indices {
            let numeric = try Self.difference(at: values[index]) { value in
                var perturbed = values
                perturbed[index] = value
                return Double(try c.evaluate(Tensor(shape: x.shape, values: perturbed)).value)
            }
            Self.expectClose(numeric, analytic[index], "\(c) input[\(index)]")
        }
    }
}

/// Losses with fixed targets, for the finite-difference and backend checks.
struct LossCase: CustomStringConvertible, Sendable {
    let description: String
    let shape: [Int]
    let evaluate: @Sendable (Tensor) throws -> LossResult

    func input(_ device: Device) -> Tensor { Check.random(shape, seed: 55, scale: 2, device: device) }

    static func values(_ shape: [Int], on device: Device) -> Tensor {
        var generator = RandomGenerator(seed: 66)
        return Tensor.uniform(shape, generator: &generator, device: device)
    }

    static let classes = [2, 0, 3, 1, 3]

    static let all: [LossCase] = [
        LossCase(description: "BCE mean", shape: [3, 4]) { try BinaryCrossEntropyWithLogits()($0, values([3, 4], on: $0.device)) },
        LossCase(description: "BCE sum, pos_weight 3", shape: [3, 4]) {
            try BinaryCrossEntropyWithLogits(positiveWeight: 3, reduction: .sum)($0, values([3, 4], on: $0.device))
        },
        LossCase(description: "CrossEntropy mean", shape: [5, 4]) { try CrossEntropy()($0, classes) },
        LossCase(description: "CrossEntropy weighted, smoothed, mean", shape: [5, 4]) {
            try CrossEntropy(classWeights: [0.5, 2, 1, 1.5], labelSmoothing: 0.15)($0, classes)
        },
        LossCase(description: "CrossEntropy weighted, smoothed, sum", shape: [5, 4]) {
            try CrossEntropy(classWeights: [0.5, 2, 1, 1.5], labelSmoothing: 0.3, reduction: .sum)($0, classes)
        },
        LossCase(description: "NLLLoss weighted mean", shape: [5, 4]) { try NLLLoss(classWeights: [0.5, 2, 1, 1.5])($0, classes) },
        LossCase(description: "MSE mean", shape: [3, 4]) { try MSE()($0, values([3, 4], on: $0.device)) },
        LossCase(description: "MSE sum", shape: [3, 4]) { try MSE(reduction: .sum)($0, values([3, 4], on: $0.device)) },
    ]
}

@Suite("Gradient checks: .cpu and .reference agree")
struct BackendAgreementTests {
    @Test("layers: outputs and gradients within 1e-5", arguments: LayerCase.all)
    func layer(_ c: LayerCase) throws {
        var results: [(output: Tensor, input: Tensor?, parameters: [Tensor])] = []
        for device in [Device.cpu, .reference] {
            let layer = c.make(device)
            let y = try layer.forward(c.input(device))
            #expect(y.device == device)
            let gx = try layer.backward(Check.random(y.shape, seed: 77, device: device))
            // Accumulation: a second pass adds to the first.
            _ = try layer.forward(c.input(device))
            _ = try layer.backward(Check.random(y.shape, seed: 78, device: device))
            results.append((y, gx, layer.parameters.map { $0.denseGradient() }))
        }
        Check.close(results[0].output, results[1].output, tolerance: 1e-5, "\(c) output")
        Check.close(results[0].input, results[1].input, tolerance: 1e-5, "\(c) input gradient")
        for (cpu, reference) in zip(results[0].parameters, results[1].parameters) {
            Check.close(cpu, reference, tolerance: 1e-5, "\(c) parameter gradient")
        }
    }

    @Test("losses: values and gradients within 1e-5", arguments: LossCase.all)
    func loss(_ c: LossCase) throws {
        let cpu = try c.evaluate(c.input(.cpu))
        let reference = try c.evaluate(c.input(.reference))
        #expect(abs(cpu.value - reference.value) <= 1e-5 * max(1, abs(reference.value)))
        #expect(cpu.gradient.device == .cpu && reference.gradient.device == .reference)
        Check.close(cpu.gradient, reference.gradient, tolerance: 1e-5, "\(c) gradient")
    }
}
