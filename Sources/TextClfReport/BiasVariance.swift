/// What a ``BiasVarianceReading`` concludes.
public enum BiasVarianceDiagnosis: String, Sendable, Hashable, Codable, CaseIterable {
    /// Training error is well above the Bayes error: the model underfits.
    case highBias = "high bias"
    /// Development error is well above training error: the model overfits.
    case highVariance = "high variance"
    /// Both gaps exceed the tolerance.
    case highBiasAndVariance = "high bias and high variance"
    /// Neither gap exceeds the tolerance.
    case neither = "neither"

    /// One line of advice.
    public var advice: String {
        switch self {
        case .highBias: return "Reduce bias: try a bigger model or train longer."
        case .highVariance: return "Reduce variance: get more training data or add regularisation (dropout, weight decay)."
        case .highBiasAndVariance:
            return "Reduce bias first (bigger model, train longer), then variance (more data, regularisation)."
        case .neither: return "Both gaps are within tolerance; look for gains in the data or the features."
        }
    }
}

/// The classic error analysis of a trained model: avoidable bias is training error minus the
/// Bayes (or human-level) error, variance is development error minus training error, and
/// either one above the tolerance is "high".
///
/// ```swift
/// let reading = BiasVarianceReading(trainingError: 0.01, devError: 0.11)
/// reading.variance      // 0.10
/// reading.diagnosis     // .highVariance
/// ```
public struct BiasVarianceReading: Sendable, Hashable, Codable {
    /// The error the best possible classifier would make (human-level error as a proxy); 0 by default.
    public var bayesError: Double
    /// The error on the training data, `1 − training accuracy`.
    public var trainingError: Double
    /// The error on the development (validation) data.
    public var devError: Double
    /// How large a gap may be before it counts as high; 0.05 by default.
    public var tolerance: Double

    /// Creates a reading from error rates (fractions in 0…1).
    public init(trainingError: Double, devError: Double, bayesError: Double = 0, tolerance: Double = 0.05) {
        self.trainingError = trainingError
        self.devError = devError
        self.bayesError = bayesError
        self.tolerance = tolerance
    }

    /// Creates a reading from accuracies: the errors are `1 − accuracy`.
    public init(trainingAccuracy: Double, devAccuracy: Double, bayesError: Double = 0, tolerance: Double = 0.05) {
        self.init(trainingError: 1 - trainingAccuracy, devError: 1 - devAccuracy, bayesError: bayesError, tolerance: tolerance)
    }

    /// Reads the training and validation accuracy of one epoch of `history`: `epoch` when
    /// given (typically the best epoch), else the last one. `nil` when that epoch is missing
    /// or has no validation accuracy.
    public init?(history: [EpochSummary], epoch: Int? = nil, bayesError: Double = 0, tolerance: Double = 0.05) {
        let record = epoch.map { wanted in history.last { $0.epoch == wanted } } ?? history.last
        guard let record, let validation = record.validationAccuracy else { return nil }
        self.init(trainingAccuracy: record.trainAccuracy, devAccuracy: validation, bayesError: bayesError, tolerance: tolerance)
    }

    /// `trainingError − bayesError`.
    public var avoidableBias: Double { trainingError - bayesError }
    /// `devError − trainingError`.
    public var variance: Double { devError - trainingError }
    /// Whether the avoidable bias exceeds the tolerance.
    public var hasHighBias: Bool { avoidableBias > tolerance }
    /// Whether the variance exceeds the tolerance.
    public var hasHighVariance: Bool { variance > tolerance }

    /// High bias, high variance, both or neither.
    public var diagnosis: BiasVarianceDiagnosis {
        switch (hasHighBias, hasHighVariance) {
        case (true, true): return .highBiasAndVariance
        case (true, false): return .highBias
        case (false, true): return .highVariance
        case (false, false): return .neither
        }
    }

    /// The advice line for the avoidable-bias row.
    public var biasAdvice: String {
        hasHighBias ? "high: try a bigger model or train longer" : "within tolerance"
    }

    /// The advice line for the variance row.
    public var varianceAdvice: String {
        hasHighVariance ? "high: get more training data or add regularisation" : "within tolerance"
    }
}
