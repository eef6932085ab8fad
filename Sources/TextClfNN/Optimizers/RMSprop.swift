import TextClfTensor

/// RMSprop (`torch.optim.RMSprop`): divides by the root of a running average of squared
/// gradients (`ε` added after the root), optionally centred (the running mean of the
/// gradient is subtracted, `√(E[g²] − E[g]²)`) and with a momentum buffer. Row-sparse
/// gradients are densified (exact dense semantics).
public final class RMSprop: OptimizerState, Optimizer {
    public var learningRate: Float
    /// The smoothing constant of the running averages.
    public var alpha: Float
    /// Added to the denominator, after the square root.
    public var epsilon: Float
    /// Coupled weight decay for penalised parameters.
    public var weightDecay: Float
    /// The momentum factor (0: none).
    public var momentum: Float
    /// Whether to normalise by the estimated variance rather than the second moment.
    public var centered: Bool
    /// L1 penalty strength for penalised parameters (see ``Optimizer``).
    public var l1: Float
    /// L2 penalty strength for penalised parameters (see ``Optimizer``).
    public var l2: Float

    // Slots: [squareAverage, momentumBuffer, gradientAverage], always all three once created
    // with momentum or centring, so that switching either on later keeps their order.
    /// Creates the optimizer with PyTorch's defaults.
    public init(
        learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0,
        centered: Bool = false, l1: Float = 0, l2: Float = 0
    ) {
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        self.l1 = l1
        self.l2 = l2
    }

    public func step(_ parameters: [Parameter]) throws {
        try require(learningRate >= 0 && epsilon >= 0 && weightDecay >= 0 && momentum >= 0 && alpha >= 0, "RMSprop: hyperparameters must be >= 0")
        for parameter in parameters where parameter.hasGradient {
            let gradient = try parameter.penalizedGradient(l1: l1, l2: l2)
            let slots = state.slots(for: parameter, count: momentum > 0 || centered ? 3 : 1)
            let kernel = ElementwiseKernel.rmsprop(
                learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: parameter.isPenalized ? weightDecay : 0,
                momentum: momentum, centered: centered)
            // The kernel takes [squareAverage, momentumBuffer if momentum > 0, gradientAverage if centred].
            var indices = [0]
            if momentum > 0 { indices.append(1) }
            if centered { indices.append(2) }
            try parameter.update(kernel, gradient: gradient, slots: &slots.tensors, taking: indices)
            slots.step += 1
        }
    }
}
