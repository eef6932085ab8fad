import TextClfTensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
/// weight decay: `torch.optim.SGD` (the momentum buffer starts as the first gradient, and
/// dampening is not applied on that first step).
///
/// Row-sparse gradients: when the parameter has only a ``Parameter/sparseGradient`` and the
/// step has no momentum and no weight decay or penalty for it, only the touched rows are
/// updated (`row −= lr · g_row`), which is exact because the other rows' gradient is zero.
/// Every other case densifies the gradient and uses the dense semantics.
public final class SGD: OptimizerState, Optimizer {
    public var learningRate: Float
    /// The momentum factor `μ` (0: none).
    public var momentum: Float
    /// The dampening of momentum, `buf = μ · buf + (1 − dampening) · g`.
    public var dampening: Float
    /// Nesterov momentum (`g + μ · buf`); needs `momentum > 0` and `dampening == 0`.
    public var nesterov: Bool
    /// Coupled weight decay `wd · θ` added to the gradient of penalised parameters.
    public var weightDecay: Float
    /// L1 penalty strength for penalised parameters (see ``Optimizer``).
    public var l1: Float
    /// L2 penalty strength for penalised parameters (see ``Optimizer``).
    public var l2: Float

    /// Creates the optimizer; the defaults other than the learning rate are PyTorch's.
    public init(
        learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0,
        l1: Float = 0, l2: Float = 0
    ) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.l1 = l1
        self.l2 = l2
    }

    public func step(_ parameters: [Parameter]) throws {
        try require(learningRate >= 0, "SGD: learning rate must be >= 0 (got \(learningRate))")
        try require(momentum >= 0, "SGD: momentum must be >= 0 (got \(momentum))")
        try require(weightDecay >= 0, "SGD: weight decay must be >= 0 (got \(weightDecay))")
        try require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        for parameter in parameters where parameter.hasGradient {
            let penalized = parameter.isPenalized && (weightDecay != 0 || l1 != 0 || l2 != 0)
            if momentum == 0, !penalized, parameter.gradient == nil, let sparse = parameter.sparseGradient {
                try sparseStep(parameter, sparse)
                continue
            }
            let gradient = try parameter.penalizedGradient(l1: l1, l2: l2)
            let kernel = ElementwiseKernel.sgd(
                learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov,
                weightDecay: parameter.isPenalized ? weightDecay : 0, firstStep: (state.existing(parameter)?.step ?? 0) == 0)
            if momentum == 0 {
                var none: [Tensor] = []
                try parameter.update(kernel, gradient: gradient, slots: &none, taking: 0..<0)
            } else {
                let slots = state.slots(for: parameter, count: 1)
                try parameter.update(kernel, gradient: gradient, slots: &slots.tensors, taking: 0..<1)
                slots.step += 1
            }
        }
    }

    /// `row −= lr · g_row` for the stored rows only.
    private func sparseStep(_ parameter: Parameter, _ sparse: RowSparseTensor) throws {
        guard !sparse.rowIndices.isEmpty else { return }
        try parameter.checkGradientFinite()
        let backend = parameter.value.device.backend
        let scaled = backend.unary(.scale(-learningRate), sparse.values.to(parameter.value.device))
        var value = parameter.value
        parameter.value = .placeholder
        defer { parameter.value = value }
        try backend.scatterAddRows(scaled, sparse.rowIndices, into: &value)
    }
}
