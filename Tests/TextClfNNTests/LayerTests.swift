import Testing
import TextClfNN
import TextClfTensor

@Suite("Layers: PyTorch parity")
struct LayerParityTests {
    let fixture = TorchFixture.shared

    @Test("Linear matches torch.nn.functional.linear forward and backward", arguments: Device.available)
    func linear(device: Device) throws {
        let c = fixture.linear
        let layer = Linear(c.weight.shape[0], c.weight.shape[1], device: device, seed: 1)
        layer.weight.value = c.weight.tensor(device)
        layer.bias!.value = c.bias.tensor(device)
        Check.close(try layer.forward(c.x.tensor(device)), c.y.tensor(), tolerance: 1e-5, "y")
        Check.close(try layer.backward(c.gradOutput.tensor(device)), c.gradX.tensor(), tolerance: 1e-5, "grad x")
        Check.close(layer.weight.gradient, c.gradWeight.tensor(), tolerance: 1e-5, "grad weight")
        Check.close(layer.bias!.gradient, c.gradBias.tensor(), tolerance: 1e-5, "grad bias")
    }

    @Test("activations match torch", arguments: Device.available)
    func activations(device: Device) throws {
        for c in fixture.activations {
            let function: Activation.Function = switch c.name {
            case "relu": .relu
            case "leaky_relu": .leakyRelu(c.slope!)
            case "tanh": .tanh
            case "sigmoid": .sigmoid
            default: .gelu
            }
            let layer = Activation(function)
            Check.close(try layer.forward(c.x.tensor(device)), c.y.tensor(), tolerance: 1e-5, "\(c.name) y")
            Check.close(try layer.backward(c.gradOutput.tensor(device)), c.gradX.tensor(), tolerance: 1e-5, "\(c.name) grad x")
        }
    }

    @Test("BatchNorm1d matches torch over two training steps and an evaluation step", arguments: Device.available)
    func batchNorm(device: Device) throws {
        let c = fixture.batchnorm
        let layer = BatchNorm1d(c.features, momentum: c.momentum, epsilon: c.epsilon, device: device)
        layer.weight!.value = c.weight.tensor(device)
        layer.bias!.value = c.bias.tensor(device)
        for (index, step) in (c.train + [c.eval]).enumerated() {
            layer.isTraining = index < c.train.count
            layer.zeroGradients()
            Check.close(try layer.forward(step.x.tensor(device)), step.y.tensor(), tolerance: 1e-5, "step \(index) y")
            Check.close(try layer.backward(step.gradOutput.tensor(device)), step.gradX.tensor(), tolerance: 1e-4, "step \(index) grad x")
            Check.close(layer.weight!.gradient, step.gradWeight.tensor(), tolerance: 1e-5, "step \(index) grad weight")
            Check.close(layer.bias!.gradient, step.gradBias.tensor(), tolerance: 1e-5, "step \(index) grad bias")
            if let mean = step.runningMean, let variance = step.runningVar {
                Check.close(layer.runningMean, mean.tensor(), tolerance: 1e-5, "step \(index) running mean")
                Check.close(layer.runningVariance, variance.tensor(), tolerance: 1e-5, "step \(index) running var")
            }
        }
        #expect(layer.buffers.map(\.name) == ["running_mean", "running_var"])
        #expect(layer.parameters.allSatisfy { !$0.isPenalized })
    }

    @Test("LayerNorm matches torch", arguments: Device.available)
    func layerNorm(device: Device) throws {
        let c = fixture.layernorm
        let layer = LayerNorm(c.features, epsilon: c.epsilon, device: device)
        layer.weight.value = c.weight.tensor(device)
        layer.bias.value = c.bias.tensor(device)
        Check.close(try layer.forward(c.x.tensor(device)), c.y.tensor(), tolerance: 1e-5, "y")
        Check.close(try layer.backward(c.gradOutput.tensor(device)), c.gradX.tensor(), tolerance: 1e-4, "grad x")
        Check.close(layer.weight.gradient, c.gradWeight.tensor(), tolerance: 1e-5, "grad weight")
        Check.close(layer.bias.gradient, c.gradBias.tensor(), tolerance: 1e-5, "grad bias")
    }
}

@Suite("Layers: behaviour and errors")
struct LayerBehaviourTests {
    @Test("sparse input to Linear equals dense input, with a row-sparse weight gradient that accumulates")
    func sparseLinear() throws {
        let dense: [Float] = [0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0, -1, 0, 0, 0, 0, 0, 0]
        let x = CSRMatrix(dense: dense, rowCount: 4, columnCount: 5)
        let g = Check.random([4, 3], seed: 9)
        let sparse = Linear(5, 3, seed: 7)
        let reference = Linear(5, 3, seed: 7)
        Check.close(try sparse.forward(.sparse(x)), try reference.forward(Tensor(shape: [4, 5], values: dense)), tolerance: 1e-6, "y")
        #expect(try sparse.backward(g) == nil)
        _ = try reference.backward(g)
        #expect(sparse.weight.gradient == nil)
        #expect(sparse.weight.sparseGradient?.rowIndices == [1, 3, 4])
        Check.close(sparse.weight.denseGradient(), reference.weight.gradient, tolerance: 1e-6, "grad weight")
        Check.close(sparse.bias!.gradient, reference.bias!.gradient, tolerance: 1e-6, "grad bias")
        // A second batch touching other columns: the row-sparse gradients add up.
        let dense2: [Float] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0]
        _ = try sparse.forward(.sparse(CSRMatrix(dense: dense2, rowCount: 4, columnCount: 5)))
        _ = try sparse.backward(g)
        _ = try reference.forward(Tensor(shape: [4, 5], values: dense2))
        _ = try reference.backward(g)
        #expect(sparse.weight.sparseGradient?.rowIndices == [0, 1, 3, 4])
        Check.close(sparse.weight.denseGradient(), reference.weight.gradient, tolerance: 1e-6, "accumulated grad weight")
    }

    @Test("Linear stores [in, out], penalises the weight only, and is reproducible per seed")
    func linearLayout() {
        let layer = Linear(6, 2, seed: 3)
        #expect(layer.weight.value.shape == [6, 2])
        #expect(layer.bias?.value.shape == [2])
        #expect(layer.weight.isPenalized && !(layer.bias!.isPenalized))
        #expect(layer.weight.value == Linear(6, 2, seed: 3).weight.value)
        #expect(Linear(6, 2, bias: false, seed: 3).parameters.map(\.name) == ["weight"])
    }

    @Test("Linear's backward passes reuse memory without changing results handed out earlier")
    func linearReusesGradientMemory() throws {
        var generator = RandomGenerator(seed: 61)
        let reused = Linear(6, 3, device: .cpu, generator: &generator)
        func random(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, generator: &generator, device: .cpu) }
        var earlier: [(inputGradient: Tensor, inputValues: [Float], weightGradient: Tensor, weightValues: [Float])] = []
        // Batches of 5, 5 and 4 rows, as an epoch's last batch; each step starts afresh.
        for rows in [5, 5, 4, 5] {
            let x = random([rows, 6]), g = random([rows, 3])
            let fresh = Linear(6, 3, device: .cpu, generator: &generator)
            fresh.weight.value = reused.weight.value
            fresh.bias!.value = reused.bias!.value
            reused.zeroGradients()
            _ = try reused.forward(x)
            _ = try fresh.forward(x)
            let inputGradient = try #require(try reused.backward(g, needsInputGradient: true))
            let expected = try #require(try fresh.backward(g, needsInputGradient: true))
            #expect(inputGradient.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "input gradient, \(rows) rows")
            let weightGradient = try #require(reused.weight.gradient)
            #expect(weightGradient.scalars.map(\.bitPattern) == fresh.weight.gradient!.scalars.map(\.bitPattern), "weight gradient, \(rows) rows")
            earlier.append((inputGradient, inputGradient.scalars, weightGradient, weightGradient.scalars))
        }
        // Tensors returned by earlier passes were not overwritten by later ones.
        for (index, step) in earlier.enumerated() {
            #expect(step.inputGradient.scalars == step.inputValues, "input gradient of step \(index)")
            #expect(step.weightGradient.scalars == step.weightValues, "weight gradient of step \(index)")
        }
    }

    @Test("a Linear shape mismatch names both shapes")
    func linearShapeMismatch() throws {
        let layer = Linear(4, 3, seed: 1)
        do {
            _ = try layer.forward(Tensor.zeros([2, 5]))
            Issue.record("no error")
        } catch let error as TensorError {
            #expect(error.description.contains("[2, 5]") && error.description.contains("[4, 3]"), "\(error)")
        }
        #expect(throws: TensorError.self) { _ = try layer.forward(.sparse(CSRMatrix(zeros: 2, columnCount: 7))) }
    }

    @Test("dense-only layers refuse sparse input with a clear error")
    func sparseRefused() {
        let x = LayerInput.sparse(CSRMatrix(zeros: 2, columnCount: 4))
        let layers: [any Layer] = [Activation(.relu), Dropout(probability: 0.5, seed: 1), BatchNorm1d(4), LayerNorm(4)]
        for layer in layers {
            #expect(throws: LayerError.sparseInputUnsupported(layer: String(describing: type(of: layer)), shape: [2, 4])) {
                _ = try layer.forward(x)
            }
        }
        #expect(LayerError.sparseInputUnsupported(layer: "LayerNorm", shape: [2, 4]).description.contains("dense input only"))
        #expect(throws: LayerError.self) { _ = try Activation(.tanh).backward(Tensor.zeros([1, 1])) }
    }

    @Test("Dropout scales kept values by 1/(1-p) in training, is the identity in evaluation, and repeats per seed")
    func dropout() throws {
        let x = Tensor.full([50, 40], 1)
        let layer = Dropout(probability: 0.25, seed: 42)
        let y = try layer.forward(x).scalars
        #expect(Set(y).isSubset(of: [0, Float(1) / 0.75]))
        let kept = Double(y.filter { $0 != 0 }.count) / Double(y.count)
        #expect(abs(kept - 0.75) < 0.05)
        #expect(try Dropout(probability: 0.25, seed: 42).forward(x).scalars == y)
        #expect(try layer.forward(x).scalars != y, "a fresh mask per call")
        let g = Check.random([50, 40], seed: 3)
        let gx = try #require(try layer.backward(g))
        #expect(gx.scalars == zip(g.scalars, layer.mask!.scalars).map { $0 * $1 })
        layer.isTraining = false
        #expect(try layer.forward(x) == x)
        #expect(try layer.backward(g) == g)
    }

    @Test("BatchNorm1d refuses a one-row training batch and restores buffers by name")
    func batchNormEdges() throws {
        let layer = BatchNorm1d(3)
        #expect(throws: LayerError.self) { _ = try layer.forward(Tensor.zeros([1, 3])) }
        try layer.setBuffer("running_mean", to: Tensor.full([3], 2))
        #expect(layer.runningMean.scalars == [2, 2, 2])
        #expect(throws: LayerError.self) { try layer.setBuffer("nope", to: Tensor.full([3], 2)) }
        #expect(throws: TensorError.self) { try layer.setBuffer("running_var", to: Tensor.full([4], 2)) }
        #expect(BatchNorm1d(3, affine: false).parameters.isEmpty)
    }

    @Test("Sequential prefixes names, forwards training mode and chains backward")
    func sequential() throws {
        let model = Sequential([Linear(5, 4, seed: 1), Activation(.relu), BatchNorm1d(4), Dropout(probability: 0.5, seed: 2), Linear(4, 2, seed: 3)])
        #expect(model.parameters.map(\.name) == [
            "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias",
        ])
        #expect(model.buffers.map(\.name) == ["layers.2.running_mean", "layers.2.running_var"])
        model.isTraining = false
        #expect(model.layers.allSatisfy { !$0.isTraining })
        let x = Check.random([3, 5], seed: 4)
        let y = try model.forward(x)
        #expect(y.shape == [3, 2])
        let gx = try model.backward(Tensor.full([3, 2], 1))
        #expect(gx?.shape == [3, 5])
        #expect(model.parameters.allSatisfy { $0.gradient != nil })
        // Sparse input reaches the first Linear; a nested Sequential prefixes again.
        let sparseModel = Sequential([Sequential([Linear(5, 3, seed: 1)]), Activation(.tanh)])
        #expect(sparseModel.parameters.map(\.name) == ["layers.0.layers.0.weight", "layers.0.layers.0.bias"])
        _ = try sparseModel.forward(.sparse(CSRMatrix(dense: [1, 0, 0, 0, 2], rowCount: 1, columnCount: 5)))
        #expect(try sparseModel.backward(Tensor.full([1, 3], 1)) == nil)
        try model.setBuffer("layers.2.running_mean", to: Tensor.full([4], 1))
        #expect((model.layers[2] as! BatchNorm1d).runningMean.scalars == [1, 1, 1, 1])
    }
}
