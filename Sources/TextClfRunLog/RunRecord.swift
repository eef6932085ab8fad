import Foundation
import TextClfTraining

/// The state of a recorded run.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Begun and not finished: still going, or its process was killed (see ``RunRecord/status``).
    case running
    /// Finished normally.
    case completed
    /// Ended by an error (the message is in ``RunRecord/message``).
    case failed
    /// Stopped by the user (Ctrl-C), or found `running` after its process had gone.
    case interrupted
}

/// One run of a command, as the ``RunLog`` holds it.
public struct RunRecord: Sendable, Hashable, Codable {
    /// The run's id, increasing with every run begun in the log.
    public var id: Int64
    /// The run this one belongs to (a cross-validation fold, a search trial), or `nil`.
    public var parent: Int64?
    /// The command: `train`, `cv`, `search`, or a child's kind such as `fold` or `trial`.
    public var command: String
    /// When the run began.
    public var started: Date
    /// When it finished, or `nil` while running.
    public var finished: Date?
    /// Wall-clock seconds from beginning to end, or `nil` while running.
    public var seconds: Double?
    /// The state. A run recorded as `running` whose process is known to have gone (same host,
    /// no such process) reads as ``RunStatus/interrupted``.
    public var status: RunStatus
    /// The exact argument list of the command (without the program name).
    public var arguments: [String]
    /// Every option of the command, by name (`lr`, `batch-size`), as text.
    public var options: [String: String]
    /// A description of the data (files, document counts), or `nil`.
    public var data: String?
    /// The model folder or output path, or `nil`.
    public var modelPath: String?
    /// The final metrics by name (see ``RunMetric``).
    public var metrics: [String: Double]
    /// A note, or the error message of a failed run.
    public var message: String?
    /// The process id of the run's process, or `nil`.
    public var processID: Int32?
    /// The host name of the run's machine, or `nil`.
    public var host: String?
    /// How many epochs are recorded for the run.
    public var epochCount: Int
    /// How many runs name this one as their parent.
    public var childCount: Int

    /// Creates a record.
    public init(
        id: Int64, parent: Int64? = nil, command: String, started: Date, finished: Date? = nil, seconds: Double? = nil,
        status: RunStatus, arguments: [String] = [], options: [String: String] = [:], data: String? = nil,
        modelPath: String? = nil, metrics: [String: Double] = [:], message: String? = nil, processID: Int32? = nil,
        host: String? = nil, epochCount: Int = 0, childCount: Int = 0
    ) {
        self.id = id
        self.parent = parent
        self.command = command
        self.started = started
        self.finished = finished
        self.seconds = seconds
        self.status = status
        self.arguments = arguments
        self.options = options
        self.data = data
        self.modelPath = modelPath
        self.metrics = metrics
        self.message = message
        self.processID = processID
        self.host = host
        self.epochCount = epochCount
        self.childCount = childCount
    }

    /// The first of `keys` present in ``metrics``.
    public func metric(_ keys: [String]) -> Double? {
        for key in keys { if let value = metrics[key] { return value } }
        return nil
    }

    /// The headline accuracy: test, else validation, else plain or mean accuracy.
    public var accuracy: Double? {
        metric([RunMetric.testAccuracy, RunMetric.validationAccuracy, RunMetric.accuracy, RunMetric.meanAccuracy])
    }

    /// The headline macro-F1: test, else validation, else plain or mean macro-F1.
    public var macroF1: Double? {
        metric([RunMetric.testMacroF1, RunMetric.validationMacroF1, RunMetric.macroF1, RunMetric.meanMacroF1])
    }

    /// The validation loss (of the best epoch), else the mean validation loss.
    public var validationLoss: Double? { metric([RunMetric.validationLoss, RunMetric.meanValidationLoss]) }
}

/// The metric names the tools write, so that listings and comparisons line up.
///
/// Any other name may be recorded too; these are the ones `textclf runs` shows in its table.
public enum RunMetric {
    /// Test accuracy of the final model.
    public static let testAccuracy = "test_accuracy"
    /// Test macro-F1 of the final model.
    public static let testMacroF1 = "test_macro_f1"
    /// Test loss of the final model.
    public static let testLoss = "test_loss"
    /// Validation accuracy of the best epoch.
    public static let validationAccuracy = "validation_accuracy"
    /// Validation macro-F1 of the best epoch.
    public static let validationMacroF1 = "validation_macro_f1"
    /// Validation loss of the best epoch.
    public static let validationLoss = "validation_loss"
    /// Training loss of the best (else last) epoch.
    public static let trainLoss = "train_loss"
    /// Training accuracy of the best (else last) epoch.
    public static let trainAccuracy = "train_accuracy"
    /// The 1-based best epoch.
    public static let bestEpoch = "best_epoch"
    /// Epochs run.
    public static let epochs = "epochs"
    /// An accuracy without a split (e.g. a search trial's score).
    public static let accuracy = "accuracy"
    /// A macro-F1 without a split.
    public static let macroF1 = "macro_f1"
    /// Mean accuracy over folds.
    public static let meanAccuracy = "mean_accuracy"
    /// Mean macro-F1 over folds.
    public static let meanMacroF1 = "mean_macro_f1"
    /// Mean validation loss over folds.
    public static let meanValidationLoss = "mean_validation_loss"

    /// The metrics of a finished training: the best epoch's (else the last epoch's)
    /// training and validation numbers, the best epoch and the epochs run.
    public static func of(_ result: TrainingResult) -> [String: Double] {
        var metrics: [String: Double] = [epochs: Double(result.history.count)]
        let best = result.bestEpoch.flatMap { epoch in result.history.first { $0.epoch == epoch } } ?? result.history.last
        if let bestEpoch = result.bestEpoch { metrics[Self.bestEpoch] = Double(bestEpoch) }
        if let best {
            metrics[trainLoss] = best.trainLoss
            metrics[trainAccuracy] = best.trainAccuracy
            if let value = best.validationLoss { metrics[validationLoss] = value }
            if let value = best.validationAccuracy { metrics[validationAccuracy] = value }
            if let value = best.validationMacroF1 { metrics[validationMacroF1] = value }
        }
        return metrics
    }
}
