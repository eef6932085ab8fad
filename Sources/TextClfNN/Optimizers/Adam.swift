import TextClfTensor

/// Adam (`torch.optim.Adam`): bias-corrected first and second moment estimates, with `ε`
/// added after the square root of the corrected second moment, optional AMSGrad, and weight
/// decay as an L2 term added to the gradient (coupled). ``AdamW`` decouples it.
///
/// Row-sparse gradients are densified (exact dense semantics: the moments of untouched
/// rows decay too).
public class Adam: OptimizerState, Optimizer {
    public var learningRate: Float
    /// The decay of the first moment estimate.
    public var beta1: Float
    /// The decay of the second moment estimate.
    public var beta2: Float
    /// Added to the denominator, after the square root.
    public var epsilon: Float
    /// Weight decay for penalised parameters: added to the gradient (`Adam`) or applied to the
    /// parameter as `θ *= 1 − lr · wd` (when ``decoupledWeightDecay``, `AdamW`).
    public var weightDecay: Float
    /// Whether weight decay is decoupled from the gradient (AdamW).
    public var decoupledWeightDecay: Bool
    /// AMSGrad: normalise by the running maximum of the second moment.
    public var amsgrad: Bool
    /// L1 penalty strength for penalised parameters (see ``Optimizer``).
    public var l1: Float
    /// L2 penalty strength for penalised parameters (see ``Optimizer``).
    public var l2: Float

    /// Creates the optimizer with PyTorch's defaults.
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
        decoupledWeightDecay: Bool = false, amsgrad: Bool = false, l1: Float = 0, l2: Float = 0
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.amsgrad = amsgrad
        self.l1 = l1
        self.l2 = l2
    }

    public func step(_ parameters: [Parameter]) throws {
        try require(learningRate >= 0, "Adam: learning rate must be >= 0 (got \(learningRate))")
        try require((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must be in [0, 1) (got \(beta1), \(beta2))")
        try require(epsilon >= 0 && weightDecay >= 0, "Adam: epsilon and weight decay must be >= 0")
        // The two moments, and the running maximum with AMSGrad.
        let slotCount = amsgrad ? 3 : 2
        for parameter in parameters {
            guard let gradient = try parameter.penalizedGradientIfAny(l1: l1, l2: l2) else { continue }
            let slots = state.slots(for: parameter, count: slotCount)
            let step = slots.step + 1
            let kernel = ElementwiseKernel.adam(
                learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                weightDecay: parameter.isPenalized ? weightDecay : 0, decoupled: decoupledWeightDecay, step: step, amsgrad: amsgrad)
            try parameter.update(kernel, gradient: gradient, slots: &slots.tensors, taking: 0..<slotCount)
            slots.step = step
        }
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, `θ *= 1 − lr · wd` before
/// the Adam update; PyTorch's default `weightDecay` of 0.01.
public final class AdamW: Adam {
    /// Creates the optimizer with PyTorch's defaults.
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01,
        amsgrad: Bool = false, l1: Float = 0, l2: Float = 0
    ) {
        super.init(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            decoupledWeightDecay: true, amsgrad: amsgrad, l1: l1, l2: l2)
    }
}
