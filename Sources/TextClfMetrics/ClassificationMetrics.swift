/// What a ratio with a zero denominator is worth, as scikit-learn's `zero_division`.
///
/// scikit-learn's default `"warn"` yields 0 and warns; this library has no warning
/// machinery, so ``zero`` is the default and behaves like `"warn"` without the warning.
/// The raw values are the spellings scikit-learn accepts: `"0"`, `"1"` and `"nan"`.
public enum ZeroDivision: String, Sendable, Hashable, Codable, CaseIterable {
    /// 0 (scikit-learn's `zero_division=0` and, without the warning, `"warn"`).
    case zero = "0"
    /// 1 (`zero_division=1`).
    case one = "1"
    /// NaN (`zero_division=np.nan`); averages then skip it, as scikit-learn's `nanmean`.
    case nan = "nan"

    /// Parses `0`, `1`, `nan` or `warn` (the last as ``zero``), as written on a command line.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "0", "0.0", "zero", "warn": self = .zero
        case "1", "1.0", "one": self = .one
        case "nan": self = .nan
        default: return nil
        }
    }

    /// The value a ratio with a zero denominator takes.
    public var value: Double {
        switch self {
        case .zero: return 0
        case .one: return 1
        case .nan: return .nan
        }
    }
}

/// How ``ClassificationMetrics/normalizedConfusion(_:)`` scales the counts, as the
/// `normalize` argument of scikit-learn's `confusion_matrix`.
public enum ConfusionNormalization: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each row (true class) sums to 1: the diagonal is the recall (`normalize="true"`).
    case truth = "true"
    /// Each column (predicted class) sums to 1: the diagonal is the precision (`normalize="pred"`).
    case predicted = "pred"
    /// All cells together sum to 1 (`normalize="all"`).
    case all = "all"
}

/// The classes the macro and weighted averages of ``ClassificationMetrics`` are taken over,
/// as the `labels` argument of scikit-learn's `precision_recall_fscore_support` and
/// `classification_report`.
public enum AveragedClasses: String, Sendable, Hashable, Codable, CaseIterable {
    /// The classes that occur in the truth or in the predictions: scikit-learn's default,
    /// `labels=None`. A class with no support and no predictions is left out.
    case present
    /// Every class `0..<K`, those with no support and no predictions included (each then
    /// scores the `zero_division` value): `labels=range(K)`.
    case all
}

/// Precision, recall and F1 of one class (or one average).
public struct PrecisionRecallF1: Sendable, Hashable, Codable {
    /// `tp / (tp + fp)`.
    public var precision: Double
    /// `tp / (tp + fn)`.
    public var recall: Double
    /// The harmonic mean of precision and recall.
    public var f1: Double
    /// The number of true examples of the class (for an average, of all classes).
    public var support: Int

    /// Creates a value.
    public init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// The fraction of predictions equal to the truth; 0 for no examples.
/// - Precondition: both arrays have the same length.
public func accuracy(predictions: [Int], truth: [Int]) -> Double {
    precondition(predictions.count == truth.count, "accuracy: \(predictions.count) predictions for \(truth.count) labels")
    guard !truth.isEmpty else { return 0 }
    var correct = 0
    for (p, t) in zip(predictions, truth) where p == t { correct += 1 }
    return Double(correct) / Double(truth.count)
}

/// Accuracy, per-class precision/recall/F1/support, their macro, micro and weighted
/// averages, and the confusion matrix of single-label predictions over classes `0..<K`.
///
/// Every number equals scikit-learn's:
/// - ``perClass`` and ``confusion`` cover all K classes, as `classification_report(y_true,
///   y_pred, labels=range(K), zero_division=z)` and `confusion_matrix(..., labels=range(K))`.
/// - ``macro`` and ``weighted`` average over ``averagedClasses``: by default
///   (``AveragedClasses/present``) the classes present in the truth or the predictions, as
///   `precision_recall_fscore_support(y_true, y_pred, average="macro")` with its default
///   `labels=None`; with ``AveragedClasses/all`` over all K, as `labels=range(K)`. A class
///   with no support and no predictions only changes the macro average under `all` (where
///   it counts as `zeroDivision`), never the weighted one (its weight is 0). With no
///   examples at all nothing is present, and the averages are over all K classes.
/// - F1 is `2·tp / (2·tp + fp + fn)`; when that denominator is 0 it is `zeroDivision`
///   (scikit-learn ≥ 1.3 computes it this way, so precision and recall of 0 give F1 0,
///   and a class never predicted nor present gets `zeroDivision` for all three).
/// - Macro averages are unweighted means; weighted averages weigh by support; micro
///   averages pool the counts (for single-label data micro precision = recall = F1 =
///   accuracy, whichever classes are averaged).
/// - With ``ZeroDivision/nan`` the NaNs are left out of the macro and weighted means, and a
///   mean of nothing but NaN is NaN; when the classes left have no support at all, the
///   weighted mean falls back to the unweighted one (scikit-learn's `_nanaverage`).
///
/// ```swift
/// let m = ClassificationMetrics(predictions: [0, 1, 1], truth: [0, 1, 0], classCount: 2)
/// m.accuracy                        // 0.666…
/// m.perClass[1].precision           // 0.5
/// m.normalizedConfusion(.truth)     // [[0.5, 0.5], [0, 1]]
/// ```
public struct ClassificationMetrics: Sendable, Hashable, Codable {
    /// The number of classes K.
    public let classCount: Int
    /// The number of examples scored.
    public let sampleCount: Int
    /// The fraction of correct predictions (0 for no examples).
    public let accuracy: Double
    /// `confusion[t][p]`: examples of true class `t` predicted as `p` (rows: truth).
    public let confusion: [[Int]]
    /// One entry per class, in class order.
    public let perClass: [PrecisionRecallF1]
    /// Unweighted means over the classes of ``averagedClassIndices``.
    public let macro: PrecisionRecallF1
    /// Pooled over all decisions.
    public let micro: PrecisionRecallF1
    /// Means over the classes of ``averagedClassIndices``, weighted by support.
    public let weighted: PrecisionRecallF1
    /// The value given to ratios with a zero denominator.
    public let zeroDivision: ZeroDivision
    /// Which classes ``macro`` and ``weighted`` average over.
    public let averagedClasses: AveragedClasses
    /// The classes ``macro`` and ``weighted`` average over, in class order: those with
    /// support or predictions under ``AveragedClasses/present`` (all K when there are no
    /// examples), every class under ``AveragedClasses/all``.
    public let averagedClassIndices: [Int]

    /// Scores the predicted class indices `predictions` against the true ones, `truth`, over
    /// `classCount` classes; ``zeroDivision`` and ``averagedClasses`` are as described there.
    /// - Precondition: equal lengths, `classCount > 0` and indices in range.
    public init(
        predictions: [Int], truth: [Int], classCount: Int, zeroDivision: ZeroDivision = .zero,
        averagedClasses: AveragedClasses = .present
    ) {
        precondition(predictions.count == truth.count, "ClassificationMetrics: \(predictions.count) predictions for \(truth.count) labels")
        precondition(classCount > 0, "ClassificationMetrics: classCount must be > 0")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, truth) {
            precondition((0..<classCount).contains(p) && (0..<classCount).contains(t),
                         "ClassificationMetrics: label \((0..<classCount).contains(p) ? t : p) outside 0..<\(classCount)")
            confusion[t][p] += 1
        }
        self.init(confusion: confusion, zeroDivision: zeroDivision, averagedClasses: averagedClasses)
    }

    /// Scores a confusion matrix of counts, `confusion[t][p]` (rows: true class), as
    /// ``init(predictions:truth:classCount:zeroDivision:averagedClasses:)`` does after
    /// counting; a class is present when its row or its column holds a count.
    /// - Precondition: a non-empty square matrix of non-negative counts.
    public init(confusion: [[Int]], zeroDivision: ZeroDivision = .zero, averagedClasses: AveragedClasses = .present) {
        let classCount = confusion.count
        precondition(classCount > 0, "ClassificationMetrics: the confusion matrix is empty")
        precondition(confusion.allSatisfy { $0.count == classCount && $0.allSatisfy { $0 >= 0 } },
                     "ClassificationMetrics: the confusion matrix must be square with non-negative counts")
        let zero = zeroDivision.value
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? zero : Double(a) / Double(b) }
        var perClass: [PrecisionRecallF1] = []
        var present: [Int] = []
        var totalTP = 0, totalFP = 0, totalFN = 0
        for k in 0..<classCount {
            let tp = confusion[k][k]
            let support = confusion[k].reduce(0, +)
            let predicted = (0..<classCount).reduce(0) { $0 + confusion[$1][k] }
            let fp = predicted - tp, fn = support - tp
            totalTP += tp; totalFP += fp; totalFN += fn
            perClass.append(PrecisionRecallF1(
                precision: ratio(tp, tp + fp), recall: ratio(tp, support), f1: ratio(2 * tp, 2 * tp + fp + fn), support: support))
            if support > 0 || predicted > 0 { present.append(k) }
        }
        let n = confusion.reduce(0) { $0 + $1.reduce(0, +) }
        let averaged = averagedClasses == .all || present.isEmpty ? Array(0..<classCount) : present
        let scores = averaged.map { perClass[$0] }
        let supports = scores.map { Double($0.support) }
        func average(_ weights: [Double]?) -> PrecisionRecallF1 {
            PrecisionRecallF1(
                precision: nanAverage(scores.map(\.precision), weights: weights),
                recall: nanAverage(scores.map(\.recall), weights: weights),
                f1: nanAverage(scores.map(\.f1), weights: weights), support: n)
        }
        self.classCount = classCount
        sampleCount = n
        accuracy = n == 0 ? 0 : Double(totalTP) / Double(n)
        self.confusion = confusion
        self.perClass = perClass
        self.zeroDivision = zeroDivision
        self.averagedClasses = averagedClasses
        self.averagedClassIndices = averaged
        macro = average(nil)
        weighted = average(supports)
        micro = PrecisionRecallF1(
            precision: ratio(totalTP, totalTP + totalFP), recall: ratio(totalTP, totalTP + totalFN),
            f1: ratio(2 * totalTP, 2 * totalTP + totalFP + totalFN), support: n)
    }

    /// The confusion matrix scaled as scikit-learn's `confusion_matrix(normalize=...)`:
    /// by row sums (``ConfusionNormalization/truth``), column sums
    /// (``ConfusionNormalization/predicted``) or the total (``ConfusionNormalization/all``).
    /// A row or column with no examples, 0/0, becomes zeros (scikit-learn's `nan_to_num`).
    public func normalizedConfusion(_ normalization: ConfusionNormalization) -> [[Double]] {
        let k = classCount
        let rowSums = confusion.map { $0.reduce(0, +) }
        let columnSums = (0..<k).map { p in confusion.reduce(0) { $0 + $1[p] } }
        let total = rowSums.reduce(0, +)
        return (0..<k).map { t in
            (0..<k).map { p in
                let denominator: Int
                switch normalization {
                case .truth: denominator = rowSums[t]
                case .predicted: denominator = columnSums[p]
                case .all: denominator = total
                }
                return denominator == 0 ? 0 : Double(confusion[t][p]) / Double(denominator)
            }
        }
    }

    /// The classes with no support and no predictions, in class order.
    public var absentClassIndices: [Int] {
        let counts = predictedCounts
        return (0..<classCount).filter { perClass[$0].support == 0 && counts[$0] == 0 }
    }

    /// The number of examples predicted as each class (the column sums of ``confusion``).
    public var predictedCounts: [Int] {
        (0..<classCount).map { p in confusion.reduce(0) { $0 + $1[p] } }
    }
}

/// scikit-learn's `_nanaverage`: the (weighted) mean of the values that are not NaN; NaN when
/// there are none; the unweighted mean when the weights left sum to 0.
func nanAverage(_ values: [Double], weights: [Double]?) -> Double {
    var kept: [(value: Double, weight: Double)] = []
    for (index, value) in values.enumerated() where !value.isNaN {
        kept.append((value, weights?[index] ?? 1))
    }
    guard !kept.isEmpty else { return .nan }
    let weightSum = kept.reduce(0) { $0 + $1.weight }
    if weightSum == 0 {
        return kept.reduce(0) { $0 + $1.value } / Double(kept.count)
    }
    return kept.reduce(0) { $0 + $1.value * $1.weight } / weightSum
}
