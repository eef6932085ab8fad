import Foundation
@_exported import TextClfMetrics

/// Everything a report shows about one evaluation: the scored predictions, and, when they
/// come from a training run, how the run went.
///
/// Build one value and render it with ``text(digits:)``, ``json()`` or ``html(digits:)``
/// (or ``render(_:digits:)``). A report of predictions alone leaves ``training``,
/// ``history`` and ``biasVariance`` empty; every renderer copes with that.
///
/// ```swift
/// let metrics = ClassificationMetrics(predictions: predicted, truth: truth, classCount: 2)
/// var report = EvaluationReport(title: "SST-2 dev", classNames: ["negative", "positive"], metrics: metrics)
/// report.history = [EpochSummary(epoch: 1, trainLoss: 0.61, trainAccuracy: 0.70, validationAccuracy: 0.74)]
/// report.biasVariance = BiasVarianceReading(trainingError: 0.30, devError: 0.26)
/// print(report.text())
/// try report.html().write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
///
/// The value is `Codable` for saving and loading; note that `JSONEncoder` refuses NaN
/// (metrics with ``ZeroDivision/nan``) unless given a `nonConformingFloatEncodingStrategy`.
/// ``json()`` is the report format meant for other tools: it writes NaN as `null`.
public struct EvaluationReport: Sendable, Hashable, Codable {
    /// A heading for the report, such as the model and the data scored.
    public var title: String
    /// Where the predictions come from (a file, a split), shown under the title; optional.
    public var source: String?
    /// The class names, in class-index order, one per class of ``metrics``; they should be distinct.
    public var classNames: [String]
    /// The scored predictions.
    public var metrics: ClassificationMetrics
    /// How the training run ended, when the report is of a trained model.
    public var training: TrainingSummary?
    /// The per-epoch record of the training run, in epoch order; empty for predictions only.
    public var history: [EpochSummary]
    /// The bias/variance reading of training and development error, when there is one.
    public var biasVariance: BiasVarianceReading?
    /// The run's options as ordered key/value strings (shown in this order).
    public var options: [ReportOption]
    /// The scored documents in two dimensions, shown as a scatter plot; optional.
    public var projection: Projection?

    /// Documents in two dimensions (`textclf report --projection`): where each lies, its true
    /// class and its predicted class (indices into ``classNames``).
    public struct Projection: Sendable, Hashable, Codable {
        /// What the points are, e.g. "PCA of the last hidden layer".
        public var title: String
        public var x: [Double]
        public var y: [Double]
        public var truth: [Int]
        public var predicted: [Int]

        public init(title: String, x: [Double], y: [Double], truth: [Int], predicted: [Int]) {
            precondition(x.count == y.count && y.count == truth.count && truth.count == predicted.count, "Projection: one value of each per point")
            self.title = title
            self.x = x
            self.y = y
            self.truth = truth
            self.predicted = predicted
        }
    }

    /// Creates a report.
    /// - Precondition: `classNames.count == metrics.classCount`.
    public init(
        title: String, source: String? = nil, classNames: [String], metrics: ClassificationMetrics,
        training: TrainingSummary? = nil, history: [EpochSummary] = [], biasVariance: BiasVarianceReading? = nil,
        options: [ReportOption] = []
    ) {
        precondition(classNames.count == metrics.classCount,
                     "EvaluationReport: \(classNames.count) class names for \(metrics.classCount) classes")
        self.title = title
        self.source = source
        self.classNames = classNames
        self.metrics = metrics
        self.training = training
        self.history = history
        self.biasVariance = biasVariance
        self.options = options
    }

    /// Renders the report in `format`; `digits` is the number of decimals of the metrics in
    /// the text and HTML forms (JSON keeps full precision).
    public func render(_ format: ReportFormat, digits: Int = 2) -> String {
        switch format {
        case .text: return text(digits: digits)
        case .json: return json()
        case .html: return html(digits: max(digits, 2))
        }
    }
}

/// The formats ``EvaluationReport/render(_:digits:)`` writes.
public enum ReportFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// Plain text: scikit-learn's classification report, then the rest as tables.
    case text
    /// One JSON object with sorted keys; NaN as `null`.
    case json
    /// One self-contained HTML page with inline CSS and SVG charts.
    case html
}

/// One option of the run, as shown in the report's options table.
public struct ReportOption: Sendable, Hashable, Codable {
    /// The option's name, such as `epochs`.
    public var key: String
    /// Its value, as text.
    public var value: String

    /// Creates an option entry.
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// How a training run ended.
public struct TrainingSummary: Sendable, Hashable, Codable {
    /// The number of epochs that ran.
    public var epochsRun: Int
    /// The epoch whose weights were kept, when one was selected.
    public var bestEpoch: Int?
    /// Why training stopped, in words (for example "completed all epochs").
    public var stoppingReason: String
    /// Wall-clock seconds the run took, when measured.
    public var seconds: Double?

    /// Creates a summary.
    public init(epochsRun: Int, bestEpoch: Int? = nil, stoppingReason: String, seconds: Double? = nil) {
        self.epochsRun = epochsRun
        self.bestEpoch = bestEpoch
        self.stoppingReason = stoppingReason
        self.seconds = seconds
    }
}

/// The measurements of one training epoch.
public struct EpochSummary: Sendable, Hashable, Codable {
    /// The epoch number, from 1.
    public var epoch: Int
    /// The mean training loss over the epoch.
    public var trainLoss: Double
    /// The training accuracy over the epoch.
    public var trainAccuracy: Double
    /// The training macro-F1, when measured.
    public var trainMacroF1: Double?
    /// The validation loss after the epoch, when there is a validation set.
    public var validationLoss: Double?
    /// The validation accuracy after the epoch.
    public var validationAccuracy: Double?
    /// The validation macro-F1 after the epoch.
    public var validationMacroF1: Double?
    /// The learning rate at the end of the epoch.
    public var learningRate: Double?
    /// Wall-clock seconds the epoch took, when measured.
    public var seconds: Double?

    /// Creates an epoch record.
    public init(
        epoch: Int, trainLoss: Double, trainAccuracy: Double, trainMacroF1: Double? = nil,
        validationLoss: Double? = nil, validationAccuracy: Double? = nil, validationMacroF1: Double? = nil,
        learningRate: Double? = nil, seconds: Double? = nil
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.trainMacroF1 = trainMacroF1
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.validationMacroF1 = validationMacroF1
        self.learningRate = learningRate
        self.seconds = seconds
    }
}
