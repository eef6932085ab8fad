import Foundation

/// scikit-learn's `classification_report` as text: the per-class rows of all K classes, then
/// `accuracy`, `macro avg` and `weighted avg`.
///
/// The rows are those of `classification_report(y_true, y_pred, labels=range(K),
/// target_names=classNames, digits=digits, zero_division=...)`, and the two average lines
/// are ``ClassificationMetrics/macro`` and ``ClassificationMetrics/weighted``, averaged over
/// ``ClassificationMetrics/averagedClasses``. So the text is that report byte for byte under
/// ``AveragedClasses/all``, and whenever every class has support or predictions; otherwise
/// it lists the absent classes too (support 0) while its averages are those of the default
/// `labels=None` report, which leaves them out.
///
/// - Parameters:
///   - metrics: The scored predictions.
///   - classNames: One name per class; `nil` names the classes `0`, `1`, ….
///   - digits: Decimals of precision, recall and F1.
/// - Precondition: `classNames`, when given, has one name per class.
public func classificationReport(_ metrics: ClassificationMetrics, classNames: [String]? = nil, digits: Int = 2) -> String {
    let names = classNames ?? (0..<metrics.classCount).map(String.init)
    precondition(names.count == metrics.classCount, "classificationReport: \(names.count) names for \(metrics.classCount) classes")
    let headers = ["precision", "recall", "f1-score", "support"]
    let width = max(names.map(Format.width).max() ?? 0, Format.width("weighted avg"), digits)
    var report = Format.right("", width) + " " + headers.map { " " + Format.right($0, 9) }.joined() + "\n\n"
    // When no prediction is right, scikit-learn's counts come out of a float array and print
    // as `2.0`; otherwise as integers.
    let noneRight = (0..<metrics.classCount).allSatisfy { metrics.confusion[$0][$0] == 0 }
    func count(_ value: Int) -> String { noneRight ? "\(value).0" : String(value) }
    func row(_ name: String, _ scores: PrecisionRecallF1) -> String {
        Format.right(name, width) + " "
            + [scores.precision, scores.recall, scores.f1].map { " " + Format.right(Format.fixed($0, digits), 9) }.joined()
            + " " + Format.right(count(scores.support), 9) + "\n"
    }
    for (name, scores) in zip(names, metrics.perClass) { report += row(name, scores) }
    report += "\n"
    // With labels covering every class, scikit-learn's micro average is the accuracy line,
    // which shows only the F1 column (the micro F1, equal to the accuracy).
    report += Format.right("accuracy", width) + " " + " " + Format.right("", 9) + " " + Format.right("", 9)
        + " " + Format.right(Format.fixed(metrics.micro.f1, digits), 9) + " " + Format.right(count(metrics.sampleCount), 9) + "\n"
    report += row("macro avg", metrics.macro)
    report += row("weighted avg", metrics.weighted)
    return report
}

/// A table of text cells: the columns in `leftAligned` left-aligned, the others
/// right-aligned, two spaces between columns, no trailing spaces.
func textTable(_ rows: [[String]], indent: String = "  ", leftAligned: Set<Int> = [0]) -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Format.width(cell)) } }
    return rows.map { row in
        var line = indent
        for (i, cell) in row.enumerated() {
            if i > 0 { line += "  " }
            let last = i == row.count - 1
            if leftAligned.contains(i) {
                line += last ? cell : Format.left(cell, widths[i])
            } else {
                line += Format.right(cell, widths[i])
            }
        }
        while line.hasSuffix(" ") { line.removeLast() }
        return line + "\n"
    }.joined()
}

extension EvaluationReport {
    /// The report as plain text: the title, scikit-learn's classification report with
    /// `digits` decimals (and ``averagingNote()`` under it when there is one), the confusion matrix with class names (rows: true labels), the
    /// training summary and per-epoch table, the bias/variance reading and the options.
    public func text(digits: Int = 2) -> String {
        var out = title + "\n"
        if let source { out += source + "\n" }
        out += "\n" + classificationReport(metrics, classNames: classNames, digits: digits)
        if let note = averagingNote() { out += note + "\n" }
        out += "\n" + confusionText()
        if let training {
            out += "\nTraining\n"
            var rows = [["epochs run", String(training.epochsRun)]]
            if let best = training.bestEpoch { rows.append(["best epoch", String(best)]) }
            rows.append(["stopped", training.stoppingReason])
            if let seconds = training.seconds { rows.append(["time", String(format: "%.2f s", seconds)]) }
            out += textTable(rows, leftAligned: [0, 1])
        }
        if !history.isEmpty {
            out += "\nPer epoch\n"
            var rows = [["epoch", "train loss", "train acc", "train F1", "val loss", "val acc", "val F1", "lr"]]
            for record in history {
                rows.append([
                    String(record.epoch), Format.fixed(record.trainLoss, 4), Format.fixed(record.trainAccuracy, 4),
                    Format.optional(record.trainMacroF1, 4), Format.optional(record.validationLoss, 4),
                    Format.optional(record.validationAccuracy, 4), Format.optional(record.validationMacroF1, 4),
                    record.learningRate.map(Format.compact) ?? "-",
                ])
            }
            out += textTable(rows, leftAligned: [])
        }
        if let reading = biasVariance {
            out += "\nBias and variance (tolerance " + Format.compact(reading.tolerance) + ")\n"
            out += textTable([
                ["Bayes error", Format.fixed(reading.bayesError, 4), ""],
                ["training error", Format.fixed(reading.trainingError, 4), ""],
                ["dev error", Format.fixed(reading.devError, 4), ""],
                ["avoidable bias", Format.fixed(reading.avoidableBias, 4), reading.biasAdvice],
                ["variance", Format.fixed(reading.variance, 4), reading.varianceAdvice],
            ], leftAligned: [0, 2])
            out += "  " + Format.left("diagnosis", Format.width("avoidable bias")) + "  " + reading.diagnosis.rawValue
                + "  " + reading.diagnosis.advice + "\n"
        }
        if !options.isEmpty {
            out += "\nOptions\n" + textTable(options.map { [$0.key, $0.value] }, leftAligned: [0, 1])
        }
        return out
    }

    /// Which classes the macro and weighted averages cover, in one sentence, when some
    /// classes have no support and no predictions; `nil` when every class has one or the other.
    public func averagingNote() -> String? {
        let absent = metrics.absentClassIndices
        guard !absent.isEmpty else { return nil }
        let names = absent.map { classNames[$0] }.joined(separator: ", ")
        if metrics.averagedClassIndices.count < metrics.classCount {
            return "The averages are over the \(metrics.averagedClassIndices.count) classes in the truth or the predictions; "
                + "left out, with no support and no predictions: \(names)"
        }
        return "The averages are over all \(metrics.classCount) classes, counting \(absent.count) with no support and "
            + "no predictions (each scored \(metrics.zeroDivision.rawValue)): \(names)"
    }

    /// The confusion matrix as a text table. Columns are headed by class names, or, when
    /// that would be wider than 120 characters, by class numbers that the row labels give.
    func confusionText() -> String {
        let counts = metrics.confusion
        let countWidth = counts.flatMap { $0 }.map { String($0).count }.max() ?? 1
        let nameWidth = classNames.map(Format.width).max() ?? 0
        let byName = nameWidth + 2 + classNames.count * (max(nameWidth, countWidth) + 2) <= 120
        let rowNames = byName ? classNames : classNames.enumerated().map { "\($0.offset) \($0.element)" }
        let headers = byName ? classNames : classNames.indices.map(String.init)
        var rows = [["true \\ predicted"] + headers]
        for (name, row) in zip(rowNames, counts) { rows.append([name] + row.map(String.init)) }
        return "Confusion matrix (rows: true label, columns: predicted label)\n" + textTable(rows)
    }
}
