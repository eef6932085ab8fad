/// What a ratio with a zero denominator is worth, as scikit-learn's `zero_division`.
///
/// scikit-learn's default `"warn"` yields 0 and warns; this library has no warning
/// machinery, so ``zero`` is the default and behaves like `"warn"` without the warning.
public enum ZeroDivision: Sendable, Hashable, Codable {
    /// 0 (scikit-learn's `zero_division=0` and, without the warning, `"warn"`).
    case zero
    /// 1 (`zero_division=1`).
    case one
    /// NaN (`zero_division=np.nan`); averages then skip it, as scikit-learn's `nanmean`.
    case nan

    var value: Double {
        switch self {
        case .zero: return 0
        case .one: return 1
        case .nan: return .nan
        }
    }
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
/// Definitions follow scikit-learn's `precision_recall_fscore_support`,
/// `classification_report` and `confusion_matrix` with `labels=range(K)`:
/// - F1 is `2·tp / (2·tp + fp + fn)`; when that denominator is 0 it is `zeroDivision`
///   (scikit-learn ≥ 1.3 computes it this way, so precision and recall of 0 give F1 0).
/// - Macro averages are unweighted means over all K classes (classes without support
///   count); weighted averages weigh by support; micro averages pool the counts (for
///   single-label data micro precision = recall = F1 = accuracy).
/// - With ``ZeroDivision/nan`` the NaNs are left out of the macro and weighted means.
public struct ClassificationMetrics: Sendable, Hashable, Codable {
    /// The number of classes K.
    public let classCount: Int
    /// The number of examples scored.
    public let sampleCount: Int
    /// The fraction of correct predictions.
    public let accuracy: Double
    /// `confusion[t][p]`: examples of true class `t` predicted as `p` (rows: truth).
    public let confusion: [[Int]]
    /// One entry per class, in class order.
    public let perClass: [PrecisionRecallF1]
    /// Unweighted means over the classes.
    public let macro: PrecisionRecallF1
    /// Pooled over all decisions.
    public let micro: PrecisionRecallF1
    /// Means weighted by support.
    public let weighted: PrecisionRecallF1

    /// Scores `predictions` against `truth`.
    /// - Parameters:
    ///   - predictions: Predicted class indices.
    ///   - truth: True class indices, as many as `predictions`.
    ///   - classCount: K; every index must lie in `0..<K`.
    ///   - zeroDivision: The value of a ratio whose denominator is 0.
    /// - Precondition: equal lengths and indices in range.
    public init(predictions: [Int], truth: [Int], classCount: Int, zeroDivision: ZeroDivision = .zero) {
        precondition(predictions.count == truth.count, "ClassificationMetrics: \(predictions.count) predictions for \(truth.count) labels")
        precondition(classCount > 0, "ClassificationMetrics: classCount must be > 0")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, truth) {
            precondition((0..<classCount).contains(p) && (0..<classCount).contains(t),
                         "ClassificationMetrics: label \((0..<classCount).contains(p) ? t : p) outside 0..<\(classCount)")
            confusion[t][p] += 1
        }
        let zero = zeroDivision.value
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? zero : Double(a) / Double(b) }
        var perClass: [PrecisionRecallF1] = []
        var totalTP = 0, totalFP = 0, totalFN = 0
        for k in 0..<classCount {
            let tp = confusion[k][k]
            let support = confusion[k].reduce(0, +)
            let predicted = (0..<classCount).reduce(0) { $0 + confusion[$1][k] }
            let fp = predicted - tp, fn = support - tp
            totalTP += tp; totalFP += fp; totalFN += fn
            perClass.append(PrecisionRecallF1(
                precision: ratio(tp, tp + fp), recall: ratio(tp, support), f1: ratio(2 * tp, 2 * tp + fp + fn), support: support))
        }
        let n = truth.count
        // Means that skip NaN (only produced with `.nan`), as scikit-learn's `np.nanmean`/weighted average.
        func mean(_ values: [Double], weights: [Double]) -> Double {
            var total = 0.0, weight = 0.0
            for (v, w) in zip(values, weights) where !v.isNaN { total += v * w; weight += w }
            return weight == 0 ? zero : total / weight
        }
        let ones = [Double](repeating: 1, count: classCount)
        let supports = perClass.map { Double($0.support) }
        func average(_ weights: [Double]) -> PrecisionRecallF1 {
            PrecisionRecallF1(
                precision: mean(perClass.map(\.precision), weights: weights), recall: mean(perClass.map(\.recall), weights: weights),
                f1: mean(perClass.map(\.f1), weights: weights), support: n)
        }
        self.classCount = classCount
        sampleCount = n
        self.accuracy = TextClfMetrics.accuracy(predictions: predictions, truth: truth)
        self.confusion = confusion
        self.perClass = perClass
        macro = average(ones)
        // With no support at all scikit-learn's weighted average is zero_division.
        weighted = supports.reduce(0, +) == 0
            ? PrecisionRecallF1(precision: zero, recall: zero, f1: zero, support: 0) : average(supports)
        micro = PrecisionRecallF1(
            precision: ratio(totalTP, totalTP + totalFP), recall: ratio(totalTP, totalTP + totalFN),
            f1: ratio(2 * totalTP, 2 * totalTP + totalFP + totalFN), support: n)
    }
}
