/// Reduces the learning rate when a metric stops improving: `torch.optim.lr_scheduler.ReduceLROnPlateau`.
///
/// After each epoch call ``step(_:)`` with the metric (e.g. the validation loss). A metric
/// is an improvement when it beats the best so far by the threshold (`rel`: `a < best · (1 −
/// threshold)` in `min` mode, `a > best · (1 + threshold)` in `max` mode; `abs`: `a < best −
/// threshold` / `a > best + threshold`). After more than `patience` epochs without
/// improvement the rate becomes `max(lr · factor, minimumLearningRate)` (unless that changes
/// it by no more than `eps`), followed by `cooldown` epochs in which bad epochs are not
/// counted. The rate is kept in `Double`, as PyTorch keeps it.
public final class ReduceLROnPlateau {
    public enum Mode: String, Sendable { case min, max }
    public enum ThresholdMode: String, Sendable { case relative = "rel", absolute = "abs" }

    public let mode: Mode
    public var factor: Double
    public var patience: Int
    public var threshold: Double
    public let thresholdMode: ThresholdMode
    public var cooldown: Int
    public var minimumLearningRate: Double
    public var eps: Double

    /// The current learning rate.
    public private(set) var currentLearningRate: Double
    /// The best metric so far.
    public private(set) var best: Double
    /// Epochs since the last improvement (reset in cooldown and after a reduction).
    public private(set) var badEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// The number of ``step(_:)`` calls.
    public private(set) var epoch = 0

    /// Creates the scheduler with PyTorch's defaults.
    public init(
        initialLearningRate: Double, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
        thresholdMode: ThresholdMode = .relative, cooldown: Int = 0, minimumLearningRate: Double = 0, eps: Double = 1e-8
    ) {
        precondition(factor < 1, "ReduceLROnPlateau: factor must be < 1")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
        self.eps = eps
        currentLearningRate = initialLearningRate
        best = mode == .min ? .infinity : -.infinity
    }

    /// The current learning rate as the optimizers take it.
    public var learningRate: Float { Float(currentLearningRate) }

    func isBetter(_ value: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .relative): return value < best * (1 - threshold)
        case (.min, .absolute): return value < best - threshold
        case (.max, .relative): return value > best * (threshold + 1)
        case (.max, .absolute): return value > best + threshold
        }
    }

    /// Records the metric of an epoch and returns the learning rate for the next.
    @discardableResult
    public func step(_ metric: Double) -> Float {
        epoch += 1
        if isBetter(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = Swift.max(currentLearningRate * factor, minimumLearningRate)
            if currentLearningRate - reduced > eps { currentLearningRate = reduced }
            cooldownCounter = cooldown
            badEpochs = 0
        }
        return learningRate
    }

    /// Records the metric and sets the optimizer's learning rate for the next epoch.
    public func step(_ metric: Double, updating optimizer: any Optimizer) {
        optimizer.learningRate = step(metric)
    }
}
