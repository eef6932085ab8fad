import CTextClfKernels
import Foundation

/// In-place element-wise kernels that a backend runs over tensors of one shape: the fused
/// update steps of optimizers. Each case documents the tensors it takes, in order.
///
/// Their per-element arithmetic is defined once, in ``ElementwiseKernel/run(on:)``; the
/// CPU backends run that definition, and a GPU backend implements the same arithmetic as
/// device kernels. The optimizer cases follow the single-tensor code paths of `torch.optim`
/// (PyTorch 2.13) operation by operation, in `Float`; scalars that PyTorch computes as
/// Python floats (bias corrections, decayed learning rates) are computed in `Double` and
/// rounded to `Float` once, as PyTorch does when it passes them to a float32 kernel.
///
/// Tensors a case only reads (the gradient, the parameter of a penalty) are not written:
/// in every case that is the tensor at ``readOnlyIndex``, which a backend may therefore
/// pass without making its storage unique.
public enum ElementwiseKernel: Sendable, Hashable {
    /// The position of the one tensor each case only reads: `x` of ``axpby(alpha:beta:)``,
    /// the parameter of the penalties, the gradient of the optimizers.
    public static let readOnlyIndex = 1

    /// `[y, x]`: `y = alpha · x + beta · y`.
    case axpby(alpha: Float, beta: Float)

    /// `[grad, param]`: `grad += strength · sign(param)` (sign(0) = 0): the (sub)gradient of
    /// the L1 penalty `strength · Σ|θ|`.
    case l1(strength: Float)

    /// `[grad, param]`: `grad += strength · param`: the gradient of the L2 penalty
    /// `strength / 2 · Σθ²` (the same as coupled weight decay).
    case l2(strength: Float)

    /// `torch.optim.SGD`. Tensors: `[param, grad, momentumBuffer]` when `momentum != 0`,
    /// `[param, grad]` when `momentum == 0`.
    ///
    /// `g = grad + weightDecay · param`; with momentum, `buf = g` on the first step
    /// (`firstStep`, no dampening) and `buf = momentum · buf + (1 − dampening) · g` after,
    /// then `g = g + momentum · buf` (Nesterov) or `g = buf`; finally `param −= lr · g`.
    case sgd(learningRate: Float, momentum: Float, dampening: Float, nesterov: Bool, weightDecay: Float, firstStep: Bool)

    /// `torch.optim.Adam` / `AdamW` at step `step` (counted from 1). Tensors:
    /// `[param, grad, m, v]`, plus `vMax` (`[param, grad, m, v, vMax]`) when `amsgrad`.
    ///
    /// Weight decay: `g = grad + wd · param` (Adam), or `param *= 1 − lr · wd` first
    /// (`decoupled`, AdamW). Then `m = lerp(m, g, 1 − β1)`, `v = β2 · v + (1 − β2) · g²`,
    /// `vMax = max(vMax, v)` (AMSGrad, used in place of `v`), and
    /// `param −= lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε)`.
    case adam(
        learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupled: Bool, step: Int,
        amsgrad: Bool)

    /// `torch.optim.Adagrad` at step `step` (counted from 1). Tensors: `[param, grad, sum]`.
    ///
    /// `g = grad + wd · param`, `sum += g²`, `param −= clr · g / (√sum + ε)` with
    /// `clr = lr / (1 + (step − 1) · learningRateDecay)`.
    case adagrad(learningRate: Float, learningRateDecay: Float, weightDecay: Float, epsilon: Float, step: Int)

    /// `torch.optim.RMSprop`. Tensors: `[param, grad, squareAverage]`, then
    /// `momentumBuffer` when `momentum > 0`, then `gradientAverage` when `centered`.
    ///
    /// `g = grad + wd · param`, `sq = α · sq + (1 − α) · g²`; centred: `ga = lerp(ga, g, 1 − α)`,
    /// `avg = √(sq − ga²) + ε`, else `avg = √sq + ε`; with momentum `buf = μ · buf + g / avg`,
    /// `param −= lr · buf`, else `param −= lr · g / avg`.
    case rmsprop(learningRate: Float, alpha: Float, epsilon: Float, weightDecay: Float, momentum: Float, centered: Bool)

    /// The number of tensors the kernel takes.
    public var arity: Int {
        switch self {
        case .axpby, .l1, .l2: return 2
        case .sgd(_, let momentum, _, _, _, _): return momentum != 0 ? 3 : 2
        case .adam(_, _, _, _, _, _, _, let amsgrad): return amsgrad ? 5 : 4
        case .adagrad: return 3
        case .rmsprop(_, _, _, _, let momentum, let centered): return 3 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0)
        }
    }

    /// `a + w · (b − a)` as `torch.lerp` computes it for float32 (the form switches at w = ½).
    @inlinable static func lerp(_ a: Float, _ b: Float, _ weight: Float) -> Float {
        weight < 0.5 ? a + weight * (b - a) : b - (b - a) * (1 - weight)
    }

    /// Runs the kernel on host buffers of equal length, in order of ``arity``.
    public func run(on buffers: [UnsafeMutableBufferPointer<Float>]) {
        buffers.withUnsafeBufferPointer { run(onBuffers: $0) }
    }

    /// ``run(on:)`` with the buffers in caller-provided memory (no array to allocate).
    package func run(onBuffers buffers: UnsafeBufferPointer<UnsafeMutableBufferPointer<Float>>) {
        switch self {
        case .axpby(let alpha, let beta):
            let y = buffers[0]
            let x = buffers[1]
            for index in 0..<y.count { y[index] = alpha * x[index] + beta * y[index] }

        case .l1(let strength):
            let grad = buffers[0]
            let param = buffers[1]
            for index in 0..<grad.count {
                let value = param[index]
                let sign: Float = value > 0 ? 1 : (value < 0 ? -1 : 0)
                grad[index] += strength * sign
            }

        case .l2(let strength):
            let grad = buffers[0]
            let param = buffers[1]
            for index in 0..<grad.count { grad[index] += strength * param[index] }

        case .sgd(let learningRate, let momentum, let dampening, let nesterov, let weightDecay, let firstStep):
            let param = buffers[0]
            let grad = buffers[1]
            let negativeRate = -learningRate
            let keep = 1 - dampening
            for index in 0..<param.count {
                var g = grad[index]
                if weightDecay != 0 { g = g + weightDecay * param[index] }
                if momentum != 0 {
                    let buffer = buffers[2]
                    let b = firstStep ? g : momentum * buffer[index] + keep * g
                    buffer[index] = b
                    g = nesterov ? g + momentum * b : b
                }
                param[index] = param[index] + negativeRate * g
            }

        case .adam(let learningRate, let beta1, let beta2, let epsilon, let weightDecay, let decoupled, let step, let amsgrad):
            let param = buffers[0]
            let grad = buffers[1]
            let m = buffers[2]
            let v = buffers[3]
            let lr = Double(learningRate)
            let b1 = Double(beta1)
            let b2 = Double(beta2)
            // The powers are the same for every parameter of a step: remembered, not recomputed.
            let biasCorrection1 = 1 - textclf_pow_remembered(b1, Double(step))
            let biasCorrection2Root = Float((1 - textclf_pow_remembered(b2, Double(step))).squareRoot())
            let negativeStepSize = Float(-(lr / biasCorrection1))
            let decay = Float(1 - lr * Double(weightDecay))
            let weight1 = Float(1 - b1)
            let weight2 = Float(1 - b2)
            if weightDecay == 0 && !amsgrad && weight1 < 0.5, let p = param.baseAddress, let gp = grad.baseAddress,
                let mp = m.baseAddress, let vp = v.baseAddress
            {
                // The common case, in a C loop the compiler vectorises (see CTextClfKernels),
                // with the scalar definition's operation order.
                textclf_adam_step(
                    p, gp, mp, vp, param.count, weight1, beta2, weight2, negativeStepSize, biasCorrection2Root, epsilon)
                return
            }
            for index in 0..<param.count {
                var g = grad[index]
                if weightDecay != 0 {
                    if decoupled { param[index] = param[index] * decay } else { g = g + weightDecay * param[index] }
                }
                let mean = Self.lerp(m[index], g, weight1)
                m[index] = mean
                var second = v[index] * beta2 + weight2 * g * g
                v[index] = second
                if amsgrad {
                    let vMax = buffers[4]
                    second = Swift.max(vMax[index], second)
                    vMax[index] = second
                }
                let denominator = second.squareRoot() / biasCorrection2Root + epsilon
                param[index] = param[index] + negativeStepSize * mean / denominator
            }

        case .adagrad(let learningRate, let learningRateDecay, let weightDecay, let epsilon, let step):
            let param = buffers[0]
            let grad = buffers[1]
            let sum = buffers[2]
            let clr = Double(learningRate) / (1 + Double(step - 1) * Double(learningRateDecay))
            let negativeRate = Float(-clr)
            for index in 0..<param.count {
                var g = grad[index]
                if weightDecay != 0 { g = g + weightDecay * param[index] }
                let total = sum[index] + g * g
                sum[index] = total
                let std = total.squareRoot() + epsilon
                param[index] = param[index] + negativeRate * g / std
            }

        case .rmsprop(let learningRate, let alpha, let epsilon, let weightDecay, let momentum, let centered):
            let param = buffers[0]
            let grad = buffers[1]
            let squareAverage = buffers[2]
            let momentumIndex = momentum > 0 ? 3 : -1
            let averageIndex = centered ? (momentum > 0 ? 4 : 3) : -1
            let weight = Float(1 - Double(alpha))
            let negativeRate = -learningRate
            for index in 0..<param.count {
                var g = grad[index]
                if weightDecay != 0 { g = g + weightDecay * param[index] }
                let square = squareAverage[index] * alpha + weight * g * g
                squareAverage[index] = square
                var average: Float
                if averageIndex >= 0 {
                    let gradientAverage = buffers[averageIndex]
                    let mean = Self.lerp(gradientAverage[index], g, weight)
                    gradientAverage[index] = mean
                    average = (square + -1 * mean * mean).squareRoot()
                } else {
                    average = square.squareRoot()
                }
                average = average + epsilon
                if momentumIndex >= 0 {
                    let buffer = buffers[momentumIndex]
                    let b = buffer[index] * momentum + g / average
                    buffer[index] = b
                    param[index] = param[index] + negativeRate * b
                } else {
                    param[index] = param[index] + negativeRate * g / average
                }
            }
        }
    }
}
