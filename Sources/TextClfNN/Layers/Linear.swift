import TextClfTensor

/// An affine map `y = x · W + b` on dense or sparse (CSR) input.
///
/// **Layout.** The weight is stored `[in, out]` (so the forward pass is a plain `x · W`
/// and sparse rows multiply it directly); PyTorch's `nn.Linear.weight` is `[out, in]`.
/// Parameter names are the same as PyTorch's (`weight`, `bias`); when saving for or
/// loading from PyTorch, transpose the weight (`ours = torch_weight.T`). The bias is
/// `[out]` in both.
///
/// With sparse input the weight's gradient is row-sparse (only the rows of the columns the
/// batch touches) and goes to ``Parameter/sparseGradient``; the bias gradient is dense.
public final class Linear: Layer {
    /// The weight, `[inputDimensions, outputDimensions]`, penalised.
    public let weight: Parameter
    /// The bias, `[outputDimensions]`, not penalised; `nil` without bias.
    public let bias: Parameter?
    /// The number of input features.
    public let inputDimensions: Int
    /// The number of outputs.
    public let outputDimensions: Int
    /// Unused by this layer; kept for ``Module``.
    public var isTraining = true
    private var cachedInput: LayerInput?
    /// The input gradient returned by the last backward pass, whose memory the next one
    /// overwrites when it has the same shape (shared by then, it is copied first instead).
    private var lastInputGradient: Tensor?

    /// Creates a layer with drawn weights.
    /// - Parameters:
    ///   - inputDimensions: Input features (the weight's rows).
    ///   - outputDimensions: Outputs (the weight's columns).
    ///   - bias: Whether to add a bias.
    ///   - initializer: The weight's distribution (fans: `in`, `out`).
    ///   - biasInitializer: The bias's distribution (fan in: `in`); PyTorch's default is `U(±1/√in)`.
    ///   - device: Where the parameters live.
    ///   - generator: The source of randomness, advanced past the drawn values (weight first, then bias).
    public init(
        _ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true,
        initializer: Initializer = .pytorchDefault, biasInitializer: Initializer = .pytorchDefault,
        device: Device = Device.current, generator: inout RandomGenerator
    ) {
        self.inputDimensions = inputDimensions
        self.outputDimensions = outputDimensions
        weight = Parameter(
            name: "weight",
            value: initializer.makeTensor(
                shape: [inputDimensions, outputDimensions], fanIn: inputDimensions, fanOut: outputDimensions,
                generator: &generator, device: device))
        self.bias = bias
            ? Parameter(
                name: "bias",
                value: biasInitializer.makeTensor(
                    shape: [outputDimensions], fanIn: inputDimensions, fanOut: outputDimensions,
                    generator: &generator, device: device),
                isPenalized: false)
            : nil
    }

    /// Creates a layer with weights drawn from a generator seeded with `seed`.
    public convenience init(
        _ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true,
        initializer: Initializer = .pytorchDefault, biasInitializer: Initializer = .pytorchDefault,
        device: Device = Device.current, seed: UInt64
    ) {
        var generator = RandomGenerator(seed: seed)
        self.init(
            inputDimensions, outputDimensions, bias: bias, initializer: initializer, biasInitializer: biasInitializer,
            device: device, generator: &generator)
    }

    /// `weight` then `bias` (when present).
    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// `x · W + b`: ``Backend/affine(_:_:bias:)`` for dense input, ``Backend/sparseMultiply(_:_:)``
    /// and the bias for sparse input.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` naming the input's and the
    ///   weight's shapes when the input does not have `inputDimensions` columns.
    public func forward(_ input: LayerInput) throws -> Tensor {
        let backend = weight.value.device.backend
        var output: Tensor
        switch input {
        case .dense(let x):
            guard x.rank == 2, x.shape[1] == inputDimensions else {
                throw TensorError.shapeMismatch(operation: "Linear(\(inputDimensions), \(outputDimensions)) input", shapes: [x.shape, weight.value.shape])
            }
            output = try backend.affine(x, weight.value, bias: bias?.value)
        case .sparse(let x):
            guard x.columnCount == inputDimensions else {
                throw TensorError.shapeMismatch(operation: "Linear(\(inputDimensions), \(outputDimensions)) sparse input", shapes: [[x.rowCount, x.columnCount], weight.value.shape])
            }
            output = try backend.sparseMultiply(x, weight.value)
            if let bias { output = try backend.binary(.add, output, bias.value) }
        }
        cachedInput = input
        return output
    }

    /// Accumulates `xᵀ · g` into the weight (row-sparse for sparse input) and the column sums
    /// of `g` into the bias; returns `g · Wᵀ`, or `nil` for sparse input.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        try backward(gradientOutput, needsInputGradient: true)
    }

    /// ``backward(_:)``, skipping the `g · Wᵀ` product when the input gradient is not needed.
    public func backward(_ gradientOutput: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        guard let input = cachedInput else { throw LayerError.backwardWithoutForward(layer: "Linear") }
        let backend = weight.value.device.backend
        guard gradientOutput.rank == 2, gradientOutput.shape == [input.shape[0], outputDimensions] else {
            throw TensorError.shapeMismatch(operation: "Linear backward: output gradient", shapes: [gradientOutput.shape, [input.shape[0], outputDimensions]])
        }
        if let bias { try bias.accumulate(backend.sum(gradientOutput, axis: 0)) }
        switch input {
        case .dense(let x):
            try Ops.accumulateProduct(x, transposeA: true, gradientOutput, transposeB: false, into: weight)
            guard needsInputGradient else { return nil }
            let device = weight.value.device
            var gradientInput: Tensor
            if let last = lastInputGradient, last.shape == x.shape, last.device == device {
                lastInputGradient = nil
                gradientInput = last
            } else {
                gradientInput = Tensor.zeros(x.shape, device: device)
            }
            // beta 0: the product overwrites every value.
            try backend.gemm(gradientOutput, transposeA: false, weight.value, transposeB: true, alpha: 1, beta: 0, into: &gradientInput)
            lastInputGradient = gradientInput
            return gradientInput
        case .sparse(let x):
            let delta = try backend.sparseTransposedMultiply(x, gradientOutput)
            weight.sparseGradient = try weight.sparseGradient.map { try Self.merge($0, delta, backend: backend) } ?? delta
            return nil
        }
    }

    /// The sum of two row-sparse gradients over the union of their rows.
    static func merge(_ a: RowSparseTensor, _ b: RowSparseTensor, backend: any Backend) throws -> RowSparseTensor {
        guard a.rowCount == b.rowCount else {
            throw TensorError.shapeMismatch(operation: "sparse gradient sum", shapes: [[a.rowCount], [b.rowCount]])
        }
        if a.rowIndices == b.rowIndices {
            var values = a.values
            try backend.axpy(1, b.values, &values)
            return RowSparseTensor(rowCount: a.rowCount, rowIndices: a.rowIndices, values: values)
        }
        // Merge the sorted index lists, then scatter both value blocks into the union.
        var union = [Int]()
        union.reserveCapacity(a.rowIndices.count + b.rowIndices.count)
        var positionsA = [Int](), positionsB = [Int]()
        positionsA.reserveCapacity(a.rowIndices.count)
        positionsB.reserveCapacity(b.rowIndices.count)
        var i = 0, j = 0
        while i < a.rowIndices.count || j < b.rowIndices.count {
            let nextA = i < a.rowIndices.count ? a.rowIndices[i] : Int.max
            let nextB = j < b.rowIndices.count ? b.rowIndices[j] : Int.max
            let row = min(nextA, nextB)
            if nextA == row { positionsA.append(union.count); i += 1 }
            if nextB == row { positionsB.append(union.count); j += 1 }
            union.append(row)
        }
        let columns = max(a.values.count == 0 ? 0 : a.values.columns, b.values.count == 0 ? 0 : b.values.columns)
        var values = Tensor.zeros([union.count, columns], device: backend.device)
        if !positionsA.isEmpty { try backend.scatterAddRows(a.values, positionsA, into: &values) }
        if !positionsB.isEmpty { try backend.scatterAddRows(b.values, positionsB, into: &values) }
        return RowSparseTensor(rowCount: a.rowCount, rowIndices: union, values: values)
    }
}
