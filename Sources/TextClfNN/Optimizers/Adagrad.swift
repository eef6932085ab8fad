import TextClfTensor

/// Adagrad (`torch.optim.Adagrad`): per-element learning rates from the sum of squared
/// gradients, `clr = lr / (1 + (t − 1) · learningRateDecay)`, accumulator starting at
/// ``initialAccumulatorValue``. Row-sparse gradients are densified (exact dense semantics,
/// which for Adagrad equal PyTorch's sparse semantics without weight decay).
public final class Adagrad: OptimizerState, Optimizer {
    public var learningRate: Float
    /// The decay of the learning rate per step.
    public var learningRateDecay: Float
    /// Coupled weight decay for penalised parameters.
    public var weightDecay: Float
    /// The accumulator's initial value (used when a parameter's state is created).
    public var initialAccumulatorValue: Float
    /// Added to the denominator, after the square root.
    public var epsilon: Float
    /// L1 penalty strength for penalised parameters (see ``Optimizer``).
    public var l1: Float
    /// L2 penalty strength for penalised parameters (see ``Optimizer``).
    public var l2: Float

    /// Creates the optimizer with PyTorch's defaults.
    public init(
        learningRate: Float = 1e-2, learningRateDecay: Float = 0, weightDecay: Float = 0, initialAccumulatorValue: Float = 0,
        epsilon: Float = 1e-10, l1: Float = 0, l2: Float = 0
    ) {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.l1 = l1
        self.l2 = l2
    }

    public func step(_ parameters: [Parameter]) throws {
        try require(learningRate >= 0 && learningRateDecay >= 0, "Adagrad: learning rate and its decay must be >= 0")
        try require(weightDecay >= 0 && initialAccumulatorValue >= 0 && epsilon >= 0, "Adagrad: weight decay, initial accumulator and epsilon must be >= 0")
        for parameter in parameters where parameter.hasGradient {
            let gradient = try parameter.penalizedGradient(l1: l1, l2: l2)
            let isNew = state.existing(parameter) == nil
            let slots = state.slots(for: parameter, count: 1)
            if isNew && initialAccumulatorValue != 0 {
                slots.tensors[0] = Tensor.full(parameter.value.shape, initialAccumulatorValue, device: parameter.value.device)
            }
            let kernel = ElementwiseKernel.adagrad(
                learningRate: learningRate, learningRateDecay: learningRateDecay,
                weightDecay: parameter.isPenalized ? weightDecay : 0, epsilon: epsilon, step: slots.step + 1)
            try parameter.update(kernel, gradient: gradient, slots: &slots.tensors, taking: 0..<1)
            slots.step += 1
        }
    }
}
