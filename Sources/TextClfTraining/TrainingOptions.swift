import TextClfNN

/// The optimizers the trainer can build.
public enum OptimizerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// ``SGD`` (momentum, Nesterov).
    case sgd
    /// ``Adam``.
    case adam
    /// ``AdamW`` (decoupled weight decay).
    case adamw
    /// ``Adagrad``.
    case adagrad
    /// ``RMSprop`` (momentum).
    case rmsprop
}

/// A learning-rate schedule stepped once per epoch (epoch `t` uses the rate of step `t`).
public struct ScheduleOptions: Sendable, Hashable, Codable {
    /// The schedule's family.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// `StepLR`: `lr · γ^⌊t / stepSize⌋`.
        case step
        /// `ExponentialLR`: `lr · γ^t`.
        case exponential
        /// `CosineAnnealingLR` over `period` epochs down to `minimumLearningRate`.
        case cosine
        /// `lr / (1 + decay · t)`.
        case inverseTime = "inverse-time"
        /// `LinearLR` warm-up from `lr / 3` over `period` epochs.
        case warmup
    }
    /// The family.
    public var kind: Kind
    /// Epochs per decay (``Kind/step``).
    public var stepSize: Int
    /// The decay factor γ (``Kind/step``, ``Kind/exponential``).
    public var gamma: Float
    /// Half-period or warm-up length in epochs (``Kind/cosine``, ``Kind/warmup``).
    public var period: Int
    /// The floor of ``Kind/cosine``.
    public var minimumLearningRate: Float
    /// The decay of ``Kind/inverseTime``.
    public var decay: Float

    /// Creates options; unused fields are ignored by the chosen kind.
    public init(kind: Kind, stepSize: Int = 10, gamma: Float = 0.1, period: Int = 10, minimumLearningRate: Float = 0, decay: Float = 0.1) {
        self.kind = kind
        self.stepSize = stepSize
        self.gamma = gamma
        self.period = period
        self.minimumLearningRate = minimumLearningRate
        self.decay = decay
    }

    /// The schedule starting at `learningRate`.
    public func makeSchedule(learningRate: Float) -> any LearningRateSchedule {
        switch kind {
        case .step: return StepDecaySchedule(initialLearningRate: learningRate, stepSize: max(stepSize, 1), gamma: gamma)
        case .exponential: return ExponentialSchedule(initialLearningRate: learningRate, gamma: gamma)
        case .cosine:
            return CosineAnnealingSchedule(initialLearningRate: learningRate, period: max(period, 1), minimumLearningRate: minimumLearningRate)
        case .inverseTime: return InverseTimeSchedule(initialLearningRate: learningRate, decay: decay)
        case .warmup: return LinearWarmupSchedule(initialLearningRate: learningRate, steps: max(period, 1))
        }
    }
}

/// How classes are weighted in the loss.
public enum ClassWeighting: Sendable, Hashable, Codable {
    /// `n_samples / (K · count_k)`, scikit-learn's `class_weight="balanced"` (a class absent
    /// from the training set gets weight 0 rather than infinity).
    case balanced
    /// Explicit weights, one per class.
    case custom([Float])

    /// The weights for training labels `labels` over `classes` classes.
    public func weights(labels: [Int], classes: Int) -> [Float] {
        switch self {
        case .custom(let weights): return weights
        case .balanced:
            var counts = [Int](repeating: 0, count: classes)
            for label in labels where (0..<classes).contains(label) { counts[label] += 1 }
            return counts.map { $0 == 0 ? 0 : Float(Double(labels.count) / (Double(classes) * Double($0))) }
        }
    }
}

/// What early stopping watches.
public enum Monitor: String, Sendable, Hashable, Codable, CaseIterable {
    /// The validation loss (lower is better); the training loss without validation data.
    case valLoss
    /// The validation accuracy (higher is better); the training accuracy without validation data.
    case valAccuracy
    /// The validation macro-F1 (higher is better); training accuracy without validation data.
    case valF1

    /// Whether larger values are better.
    public var higherIsBetter: Bool { self != .valLoss }
}

/// Every setting of a training run; saved in `model.json`.
public struct TrainingOptions: Sendable, Hashable, Codable {
    /// Epochs to train (the total, counting epochs of a resumed run).
    public var epochs: Int = 10
    /// Examples per batch.
    public var batchSize: Int = 32
    /// The optimizer.
    public var optimizer: OptimizerKind = .adam
    /// The (initial) learning rate.
    public var learningRate: Float = 1e-3
    /// Momentum (SGD, RMSprop).
    public var momentum: Float = 0
    /// Nesterov momentum (SGD).
    public var nesterov: Bool = false
    /// Weight decay (coupled, or decoupled for AdamW), for weights only.
    public var weightDecay: Float = 0
    /// L1 penalty strength, for weights only.
    public var l1: Float = 0
    /// L2 penalty strength, for weights only.
    public var l2: Float = 0
    /// The per-epoch schedule, or `nil` for a constant rate.
    public var schedule: ScheduleOptions?
    /// Clip the gradients' total L2 norm to this, or `nil`.
    public var clipNorm: Float?
    /// Class weights for the loss, or `nil`.
    public var classWeights: ClassWeighting?
    /// Stop after this many epochs without improvement, or `nil` (never stop early).
    public var patience: Int?
    /// What early stopping and best-model selection watch.
    public var monitor: Monitor = .valLoss
    /// The least change that counts as an improvement.
    public var minDelta: Double = 0
    /// Train on only the first N batches of each epoch (a debugging check that the model can
    /// overfit), or `nil`.
    public var overfitBatches: Int?
    /// The one seed of everything random: initialisation, shuffling, dropout.
    public var seed: UInt64 = 0
    /// Shuffle the training rows each epoch (off with ``overfitBatches``, which needs fixed batches).
    public var shuffle: Bool = true
    /// Sample classes equally (with replacement).
    public var balancedSampling: Bool = false
    /// Drop each epoch's last, smaller batch.
    public var dropLast: Bool = false
    /// Emit a step log line every N optimizer steps, or `nil`.
    public var logEvery: Int?
    /// Restore the best epoch's weights at the end (when a best epoch is known).
    public var restoreBest: Bool = true

    /// Options with the defaults above.
    public init() {}

    /// The optimizer these options describe.
    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .sgd:
            return SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, l1: l1, l2: l2)
        case .adam: return Adam(learningRate: learningRate, weightDecay: weightDecay, l1: l1, l2: l2)
        case .adamw: return AdamW(learningRate: learningRate, weightDecay: weightDecay, l1: l1, l2: l2)
        case .adagrad: return Adagrad(learningRate: learningRate, weightDecay: weightDecay, l1: l1, l2: l2)
        case .rmsprop: return RMSprop(learningRate: learningRate, weightDecay: weightDecay, momentum: momentum, l1: l1, l2: l2)
        }
    }
}
