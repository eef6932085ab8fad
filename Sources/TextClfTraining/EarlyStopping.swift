/// The early-stopping rule as a pure state machine: feed it one monitored value per epoch.
///
/// A value improves on the best when it is better by more than `minDelta` (lower for a loss,
/// higher otherwise). After `patience` consecutive epochs without improvement it says stop.
/// The first value always improves.
public struct EarlyStopping: Sendable, Hashable, Codable {
    /// Epochs without improvement tolerated; `nil` never stops.
    public var patience: Int?
    /// The least improvement that counts.
    public var minDelta: Double
    /// Whether larger values are better.
    public var higherIsBetter: Bool
    /// The best value so far.
    public private(set) var best: Double?
    /// The 1-based epoch of ``best``.
    public private(set) var bestEpoch: Int?
    /// Consecutive epochs without improvement.
    public private(set) var epochsWithoutImprovement = 0

    /// What an epoch's value means.
    public enum Decision: Sendable, Hashable {
        /// A new best: keep a copy of the model.
        case improved
        /// No improvement, keep going.
        case noImprovement
        /// No improvement for `patience` epochs: stop.
        case stop
    }

    /// Creates the rule.
    public init(patience: Int?, minDelta: Double = 0, higherIsBetter: Bool = false) {
        self.patience = patience
        self.minDelta = minDelta
        self.higherIsBetter = higherIsBetter
    }

    /// Records the value of 1-based epoch `epoch`. A NaN never improves.
    public mutating func update(_ value: Double, epoch: Int) -> Decision {
        let improved: Bool
        if let best {
            improved = higherIsBetter ? value > best + minDelta : value < best - minDelta
        } else {
            improved = !value.isNaN
        }
        if improved {
            best = value
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            return .improved
        }
        epochsWithoutImprovement += 1
        if let patience, epochsWithoutImprovement >= patience { return .stop }
        return .noImprovement
    }

    /// Feeds a whole sequence of values (epochs 1, 2, …) and returns the 1-based epoch after
    /// which training stops (`nil`: it never stops) and the best epoch.
    public static func simulate(_ values: [Double], patience: Int?, minDelta: Double = 0, higherIsBetter: Bool = false)
        -> (stoppedAfter: Int?, bestEpoch: Int?)
    {
        var rule = EarlyStopping(patience: patience, minDelta: minDelta, higherIsBetter: higherIsBetter)
        for (index, value) in values.enumerated() where rule.update(value, epoch: index + 1) == .stop {
            return (index + 1, rule.bestEpoch)
        }
        return (nil, rule.bestEpoch)
    }
}
