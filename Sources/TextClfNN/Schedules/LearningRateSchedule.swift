import Foundation

/// A learning rate as a function of the step (or epoch) count `t = 0, 1, 2, …`: the rate of
/// the `t`-th optimizer step. Values are computed in `Double` and rounded to `Float` once.
///
/// Each schedule matches the closed form of the PyTorch scheduler named in its
/// documentation: `learningRate(at: t)` is `scheduler.get_last_lr()` after `t` calls of
/// `scheduler.step()` (PyTorch's recursive updates agree with the closed forms to rounding).
/// Drive an optimizer with ``LearningRateSchedule/apply(to:step:)`` before each step.
/// ``ReduceLROnPlateau`` depends on a metric and is stateful instead.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate of step `t` (counted from 0).
    func learningRate(at step: Int) -> Float
}

extension LearningRateSchedule {
    /// Sets `optimizer.learningRate` to the rate of step `step`.
    public func apply(to optimizer: any Optimizer, step: Int) {
        optimizer.learningRate = learningRate(at: step)
    }
}

/// A fixed rate.
public struct ConstantSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public init(_ learningRate: Float) { initialLearningRate = learningRate }
    public func learningRate(at step: Int) -> Float { initialLearningRate }
}

/// `lr0 · γ^⌊t / stepSize⌋` (`torch.optim.lr_scheduler.StepLR`).
public struct StepDecaySchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public var stepSize: Int
    public var gamma: Float
    public init(initialLearningRate: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "StepDecaySchedule: stepSize must be > 0")
        self.initialLearningRate = initialLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Float {
        Float(Double(initialLearningRate) * pow(Double(gamma), Double(max(step, 0) / stepSize)))
    }
}

/// `lr0 · γ^(number of milestones ≤ t)` (`MultiStepLR`; a repeated milestone counts twice).
public struct MultiStepSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public var milestones: [Int]
    public var gamma: Float
    public init(initialLearningRate: Float, milestones: [Int], gamma: Float = 0.1) {
        self.initialLearningRate = initialLearningRate
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Float {
        let passed = milestones.filter { $0 <= step }.count
        return Float(Double(initialLearningRate) * pow(Double(gamma), Double(passed)))
    }
}

/// `lr0 · γ^t` (`ExponentialLR`).
public struct ExponentialSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public var gamma: Float
    public init(initialLearningRate: Float, gamma: Float) {
        self.initialLearningRate = initialLearningRate
        self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Float {
        Float(Double(initialLearningRate) * pow(Double(gamma), Double(max(step, 0))))
    }
}

/// Inverse-time decay, `lr0 / (1 + decay · t)`, or with `squareRoot` `lr0 / √(1 + decay · t)`
/// (no PyTorch scheduler; the formulas of Keras' `InverseTimeDecay` without staircase, and
/// scikit-learn's `invscaling` family).
public struct InverseTimeSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public var decay: Float
    public var squareRoot: Bool
    public init(initialLearningRate: Float, decay: Float, squareRoot: Bool = false) {
        self.initialLearningRate = initialLearningRate
        self.decay = decay
        self.squareRoot = squareRoot
    }
    public func learningRate(at step: Int) -> Float {
        let denominator = 1 + Double(decay) * Double(max(step, 0))
        return Float(Double(initialLearningRate) / (squareRoot ? denominator.squareRoot() : denominator))
    }
}

/// `ηmin + (lr0 − ηmin) · (1 + cos(π · t / T)) / 2` (`CosineAnnealingLR`, closed form; past
/// `T` the cosine continues, rising back to `lr0` at `2T`, as PyTorch's does).
public struct CosineAnnealingSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    /// `T_max`, the steps of half a cosine period.
    public var period: Int
    /// `eta_min`, the rate at `t = T`.
    public var minimumLearningRate: Float
    public init(initialLearningRate: Float, period: Int, minimumLearningRate: Float = 0) {
        precondition(period > 0, "CosineAnnealingSchedule: period must be > 0")
        self.initialLearningRate = initialLearningRate
        self.period = period
        self.minimumLearningRate = minimumLearningRate
    }
    public func learningRate(at step: Int) -> Float {
        let low = Double(minimumLearningRate)
        let cosine = cos(Double.pi * Double(max(step, 0)) / Double(period))
        return Float(low + (Double(initialLearningRate) - low) * (1 + cosine) / 2)
    }
}

/// Linear warm-up: `lr0 · (s + (e − s) · min(t, N) / N)` from `startFactor` s to `endFactor`
/// e over `steps` N, then constant (`LinearLR`).
public struct LinearWarmupSchedule: LearningRateSchedule {
    public var initialLearningRate: Float
    public var startFactor: Float
    public var endFactor: Float
    public var steps: Int
    public init(initialLearningRate: Float, startFactor: Float = 1.0 / 3, endFactor: Float = 1, steps: Int = 5) {
        precondition(steps > 0, "LinearWarmupSchedule: steps must be > 0")
        precondition(startFactor > 0 && startFactor <= 1 && endFactor >= 0 && endFactor <= 1, "LinearWarmupSchedule: factors must be in (0, 1] and [0, 1]")
        self.initialLearningRate = initialLearningRate
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.steps = steps
    }
    public func learningRate(at step: Int) -> Float {
        let start = Double(startFactor)
        let fraction = Double(min(max(step, 0), steps)) / Double(steps)
        return Float(Double(initialLearningRate) * (start + (Double(endFactor) - start) * fraction))
    }
}
