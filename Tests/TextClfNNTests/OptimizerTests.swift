import Foundation
import Testing
import TextClfNN
import TextClfTensor

@Suite("Optimizers")
struct OptimizerTests {
    static let fixture = OptimizerFixture.shared
    static let runNames = fixture.optimizers.map(\.name)

    @Test("trajectories match torch.optim (50 steps, 1e-5 relative)", arguments: runNames, Device.available)
    func trajectory(name: String, device: Device) throws {
        let fixture = Self.fixture
        let run = try #require(fixture.optimizers.first { $0.name == name })
        let (W, b) = try fixture.parameters(on: device)
        let optimizer = makeOptimizer(run)
        for step in 0..<fixture.steps {
            try fixture.computeGradients(W, b)
            try optimizer.step([W, b])
            if let problem = mismatch(W.value.scalars, run.W[step]) {
                Issue.record("\(name) on \(device): W after step \(step + 1): \(problem)")
                return
            }
            if let problem = mismatch(b.value.scalars, run.b[step]) {
                Issue.record("\(name) on \(device): b after step \(step + 1): \(problem)")
                return
            }
        }
    }

    @Test("the CPU and reference backends run identical updates", arguments: runNames)
    func backendsAgree(name: String) throws {
        let fixture = Self.fixture
        let run = try #require(fixture.optimizers.first { $0.name == name })
        let (W, b) = try fixture.parameters(on: .reference)
        let (cW, cb) = try fixture.parameters(on: .cpu)
        let reference = makeOptimizer(run)
        let cpu = makeOptimizer(run)
        for _ in 0..<fixture.steps {
            try fixture.computeGradients(W, b)
            // The same gradients on both devices, so that only the kernels are compared.
            cW.gradient = W.gradient!.to(.cpu)
            cb.gradient = b.gradient!.to(.cpu)
            try reference.step([W, b])
            try cpu.step([cW, cb])
            #expect(W.value.scalars == cW.value.scalars)
            #expect(b.value.scalars == cb.value.scalars)
        }
    }

    @Test("L1 and L2 penalties add λ·sign(θ) and λ·θ to penalised parameters' gradients")
    func penalties() throws {
        let values: [Float] = [1.5, -2, 0, 0.25]
        let gradient: [Float] = [0.1, 0.2, -0.3, 0.4]
        for device in Device.available {
            let w = Parameter(name: "w", value: try Tensor(shape: [4], values: values, device: device))
            let bias = Parameter(name: "bias", value: try Tensor(shape: [4], values: values, device: device), isPenalized: false)
            for parameter in [w, bias] { parameter.gradient = try Tensor(shape: [4], values: gradient, device: device) }
            let optimizer = SGD(learningRate: 0.5, l1: 0.1, l2: 0.2)
            try optimizer.step([w, bias])
            // θ − lr · (g + l1 · sign θ + l2 · θ), by hand.
            let expected: [Float] = [
                1.5 - 0.5 * (0.1 + 0.1 + 0.3),
                -2 - 0.5 * (0.2 - 0.1 - 0.4),
                0 - 0.5 * (-0.3 + 0 + 0),
                0.25 - 0.5 * (0.4 + 0.1 + 0.05),
            ]
            #expect(mismatch(w.value.scalars, expected, relative: 1e-6, absolute: 1e-7) == nil, "\(w.value.scalars)")
            // The bias is not penalised.
            #expect(mismatch(bias.value.scalars, zip(values, gradient).map { $0 - 0.5 * $1 }, relative: 1e-6, absolute: 1e-7) == nil)
            // The stored gradient is not modified by the penalty.
            #expect(w.gradient!.scalars == gradient)
        }
    }

    @Test("an L2 penalty equals coupled weight decay (Adam)")
    func l2IsWeightDecay() throws {
        let fixture = Self.fixture
        let (W1, b1) = try fixture.parameters(on: .cpu)
        let (W2, b2) = try fixture.parameters(on: .cpu)
        let decayed = Adam(learningRate: 0.05, weightDecay: 0.1)
        let penalised = Adam(learningRate: 0.05, l2: 0.1)
        for _ in 0..<10 {
            try fixture.computeGradients(W1, b1)
            try fixture.computeGradients(W2, b2)
            try decayed.step([W1, b1])
            try penalised.step([W2, b2])
        }
        #expect(mismatch(W1.value.scalars, W2.value.scalars, relative: 1e-6, absolute: 1e-7) == nil)
        #expect(b1.value.scalars == b2.value.scalars)
    }

    @Test("sparse SGD updates only the touched rows, equal to dense SGD there", arguments: Device.available)
    func sparseSGD(device: Device) throws {
        let initial = (0..<20).map { Float($0) * 0.1 - 0.7 }
        let rows = [1, 3, 4]
        let values = try Tensor(shape: [3, 4], values: [0.5, -1, 2, 0.25, 3, -0.75, 1.5, -2, 0.125, 4, -0.3, 0.9], device: device)
        let sparse = RowSparseTensor(rowCount: 5, rowIndices: rows, values: values)

        let sparseParameter = Parameter(name: "embedding", value: try Tensor(shape: [5, 4], values: initial, device: device))
        sparseParameter.sparseGradient = sparse
        let denseParameter = Parameter(name: "embedding", value: try Tensor(shape: [5, 4], values: initial, device: device))
        denseParameter.gradient = sparse.densified().to(device)

        try SGD(learningRate: 0.1).step([sparseParameter])
        try SGD(learningRate: 0.1).step([denseParameter])
        #expect(sparseParameter.value.scalars == denseParameter.value.scalars)
        let updated = sparseParameter.value.scalars
        for row in 0..<5 where !rows.contains(row) {
            #expect(Array(updated[row * 4..<row * 4 + 4]) == Array(initial[row * 4..<row * 4 + 4]))
        }
        #expect(updated != initial)

        // With momentum the gradient is densified: again equal to the dense trajectory.
        let a = Parameter(name: "a", value: try Tensor(shape: [5, 4], values: initial, device: device))
        let d = Parameter(name: "d", value: try Tensor(shape: [5, 4], values: initial, device: device))
        let sa = SGD(learningRate: 0.1, momentum: 0.9)
        let sd = SGD(learningRate: 0.1, momentum: 0.9)
        for _ in 0..<3 {
            a.sparseGradient = sparse
            d.gradient = sparse.densified().to(device)
            try sa.step([a])
            try sd.step([d])
        }
        #expect(a.value.scalars == d.value.scalars)
    }

    @Test("Adam on row-sparse gradients that touch other rows each step follows the dense trajectory", arguments: Device.available)
    func sparseAdamReusesItsDensifiedGradient(device: Device) throws {
        let initial = (0..<24).map { Float($0) * 0.05 - 0.6 }
        let sparse = Parameter(name: "w", value: try Tensor(shape: [6, 4], values: initial, device: device))
        let dense = Parameter(name: "w", value: try Tensor(shape: [6, 4], values: initial, device: device))
        let (sparseAdam, denseAdam) = (Adam(learningRate: 0.01), Adam(learningRate: 0.01))
        var memories = Set<ObjectIdentifier>()
        for (step, rows) in [[0, 5], [2], [1, 3, 4], [5], [0, 2]].enumerated() {
            let values = (0..<rows.count * 4).map { Float($0 + step) * 0.25 - 1 }
            let gradient = RowSparseTensor(rowCount: 6, rowIndices: rows, values: try Tensor(shape: [rows.count, 4], values: values, device: device))
            // One step also has a dense part (a weight used with dense and sparse input).
            let densePart = step == 3 ? Tensor.full([6, 4], 0.5, device: device) : nil
            sparse.zeroGradient()
            dense.zeroGradient()
            sparse.sparseGradient = gradient
            sparse.gradient = densePart
            var full = gradient.densified().to(device)
            if let densePart { try device.backend.axpy(1, densePart, &full) }
            dense.gradient = full
            try sparseAdam.step([sparse])
            try denseAdam.step([dense])
            #expect(sparse.value.scalars == dense.value.scalars, "step \(step)")
            memories.insert(sparse.denseGradient().storageIdentifier)
        }
        // Every densified gradient was written into the same memory.
        #expect(memories.count == 1)
    }

    @Test("a non-finite gradient throws an error naming the parameter")
    func nonFinite() throws {
        for optimizer: any Optimizer in [SGD(learningRate: 0.1), SGD(learningRate: 0.1, momentum: 0.9), Adam(), AdamW(), Adagrad(), RMSprop()] {
            let w = Parameter(name: "encoder.weight", value: Tensor.zeros([2, 2]))
            w.gradient = try Tensor(shape: [2, 2], values: [0, .nan, 1, 2])
            #expect(throws: TensorError.nonFinite(what: "gradient of encoder.weight", index: 1)) { try optimizer.step([w]) }
            #expect(w.value.scalars == [0, 0, 0, 0])
            let e = Parameter(name: "embedding", value: Tensor.zeros([3, 2]))
            e.sparseGradient = RowSparseTensor(rowCount: 3, rowIndices: [2], values: try Tensor(shape: [1, 2], values: [.infinity, 0]))
            #expect(throws: TensorError.nonFinite(what: "gradient of embedding", index: 4)) { try optimizer.step([e]) }
        }
        let description = TensorError.nonFinite(what: "gradient of encoder.weight", index: 1).description
        #expect(description.contains("encoder.weight"))
    }

    @Test("parameters without a gradient are skipped and keep no state")
    func skipsParametersWithoutGradient() throws {
        let fixture = Self.fixture
        let run = try #require(fixture.optimizers.first { $0.name == "adam" })
        let (W, b) = try fixture.parameters(on: .cpu)
        let frozen = Parameter(name: "frozen", value: try Tensor(shape: [2], values: [1, 2]))
        let optimizer = makeOptimizer(run)
        for step in 0..<5 {
            try fixture.computeGradients(W, b)
            try optimizer.step([frozen, W, b])
            #expect(mismatch(W.value.scalars, run.W[step]) == nil)
        }
        #expect(frozen.value.scalars == [1, 2])
    }

    @Test("invalid hyperparameters throw")
    func invalidHyperparameters() throws {
        let w = Parameter(name: "w", value: Tensor.zeros([2]))
        w.gradient = Tensor.full([2], 1)
        #expect(throws: TensorError.self) { try SGD(learningRate: 0.1, nesterov: true).step([w]) }
        #expect(throws: TensorError.self) { try SGD(learningRate: -1).step([w]) }
        #expect(throws: TensorError.self) { try Adam(beta1: 1).step([w]) }
        #expect(w.value.scalars == [0, 0])
    }

    @Test("kernel arities and shape checks")
    func kernels() throws {
        #expect(ElementwiseKernel.sgd(learningRate: 1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true).arity == 2)
        #expect(ElementwiseKernel.sgd(learningRate: 1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true).arity == 3)
        #expect(ElementwiseKernel.adam(learningRate: 1, beta1: 0.9, beta2: 0.9, epsilon: 0, weightDecay: 0, decoupled: false, step: 1, amsgrad: true).arity == 5)
        #expect(ElementwiseKernel.rmsprop(learningRate: 1, alpha: 0.9, epsilon: 0, weightDecay: 0, momentum: 0.5, centered: true).arity == 5)
        #expect(ElementwiseKernel.rmsprop(learningRate: 1, alpha: 0.9, epsilon: 0, weightDecay: 0, momentum: 0, centered: true).arity == 4)
        var tensors = [Tensor.zeros([2]), Tensor.zeros([3])]
        #expect(throws: TensorError.self) { try CPUBackend.shared.apply(.l2(strength: 1), to: &tensors) }
    }

    @Test("each parameter keeps its own state whatever order and subset a step passes")
    func stateFollowsParametersAcrossOrders() throws {
        var generator = RandomGenerator(seed: 41)
        func parameter(_ name: String, _ count: Int) -> Parameter {
            Parameter(name: name, value: Tensor.uniform([count], low: -1, high: 1, generator: &generator, device: .cpu))
        }
        let shared = [parameter("a", 5), parameter("b", 9), parameter("c", 3)]
        let alone = shared.map { Parameter(name: $0.name, value: $0.value) }
        let optimizer = Adam(learningRate: 0.05)
        let separate = alone.map { _ in Adam(learningRate: 0.05) }
        // Steps over changing orders and subsets; each parameter's own optimizer sees only its steps.
        let schedule: [[Int]] = [[0, 1, 2], [0, 1, 2], [2, 0, 1], [1], [0, 2], [0, 1, 2], [2, 1, 0], [1, 2]]
        for (step, order) in schedule.enumerated() {
            for index in order {
                let gradient = Tensor.uniform(shared[index].value.shape, low: -1, high: 1, generator: &generator, device: .cpu)
                shared[index].gradient = gradient
                alone[index].gradient = gradient
                try separate[index].step([alone[index]])
            }
            try optimizer.step(order.map { shared[$0] })
            for index in shared.indices {
                #expect(shared[index].value.scalars == alone[index].value.scalars, "parameter \(index) after step \(step)")
            }
            for parameter in shared + alone { parameter.zeroGradient() }
        }
    }

    @Test("the vectorised Adam step equals the scalar definition bit for bit")
    func adamKernelMatchesScalarDefinition() {
        var generator = RandomGenerator(seed: 43)
        // Lengths around the vector widths, so that every remainder loop runs.
        for count in [1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 750] {
            let values = (0..<4).map { _ in (0..<count).map { _ in generator.nextFloat() * 2 - 1 } }
            var param = values[0], grad = values[1], m = values[2], v = values[3].map { $0 * $0 }
            let (lr, beta1, beta2, epsilon, step): (Float, Float, Float, Float, Int) = (0.01, 0.9, 0.999, 1e-8, 7)
            // The definition, as ElementwiseKernel documents it (scalars in Double, rounded once).
            let biasCorrection1 = 1 - pow(Double(beta1), Double(step))
            let root = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
            let negativeStep = Float(-(Double(lr) / biasCorrection1))
            let weight1 = Float(1 - Double(beta1)), weight2 = Float(1 - Double(beta2))
            var expected = param, expectedM = m, expectedV = v
            for i in 0..<count {
                let mean = m[i] + weight1 * (grad[i] - m[i])
                let second = v[i] * beta2 + weight2 * grad[i] * grad[i]
                expectedM[i] = mean
                expectedV[i] = second
                expected[i] = param[i] + negativeStep * mean / (second.squareRoot() / root + epsilon)
            }
            let kernel = ElementwiseKernel.adam(
                learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: 0, decoupled: false, step: step,
                amsgrad: false)
            param.withUnsafeMutableBufferPointer { p in
                grad.withUnsafeMutableBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { mp in
                        v.withUnsafeMutableBufferPointer { vp in kernel.run(on: [p, g, mp, vp]) }
                    }
                }
            }
            #expect(param.map(\.bitPattern) == expected.map(\.bitPattern), "parameters, \(count) values")
            #expect(m.map(\.bitPattern) == expectedM.map(\.bitPattern), "first moments, \(count) values")
            #expect(v.map(\.bitPattern) == expectedV.map(\.bitPattern), "second moments, \(count) values")
        }
    }
}
