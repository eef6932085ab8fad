import Foundation
import Testing
import TextClfMetrics
import TextClfReport
import TextClfTestSupport

/// One case of `Tests/Fixtures/metrics/classification_reports.json`, written by
/// `scripts/fixtures/metrics_reference.py` from scikit-learn.
struct MetricsReferenceCase: Sendable, CustomStringConvertible {
    let name: String
    let k: Int
    let zeroDivision: ZeroDivision
    let targetNames: [String]
    let truth: [Int]
    let predictions: [Int]
    /// `classification_report(..., labels=range(K), output_dict=True)`: keys `"0"`…, `accuracy`,
    /// `macro avg`, `weighted avg`.
    let report: [String: [String: Double]]
    /// The labels in `truth` or `predictions`, sorted.
    let labelsPresent: [Int]
    /// `classification_report(..., output_dict=True)` with the default `labels=None`: keys of
    /// the present labels, `accuracy`, `macro avg`, `weighted avg`.
    let reportPresent: [String: [String: Double]]
    /// The text of the `labels=None` report (names of the present labels only), keyed by digits.
    let textPresent: [String: String]
    /// The report's `accuracy`.
    let accuracy: Double
    /// `precision_recall_fscore_support(average="micro")[:3]`.
    let micro: [Double]
    /// `confusion_matrix(normalize=...)` keyed by `None`, `true`, `pred`, `all`.
    let confusion: [String: [[Double]]]
    /// The text report keyed by digits, `"2"` and `"4"`.
    let text: [String: String]

    var description: String { name }

    static func loadAll() throws -> [MetricsReferenceCase] {
        let data = try Data(contentsOf: SharedData.fixture("metrics/classification_reports.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            let confusion = try #require(c["confusion"] as? [String: [[Any]]])
            let report = try #require(c["report"] as? [String: Any])
            let reportPresent = try #require(c["report_present"] as? [String: Any])
            let zeroDivision = try #require(c["zero_division"] as? String)
            return MetricsReferenceCase(
                name: try #require(c["name"] as? String),
                k: try #require(c["k"] as? Int),
                zeroDivision: try #require(ZeroDivision(rawValue: zeroDivision)),
                targetNames: try #require(c["target_names"] as? [String]),
                truth: try #require(c["y_true"] as? [Int]),
                predictions: try #require(c["y_pred"] as? [Int]),
                report: report.compactMapValues { ($0 as? [String: Any])?.mapValues(number) },
                labelsPresent: try #require(c["labels_present"] as? [Int]),
                reportPresent: reportPresent.compactMapValues { ($0 as? [String: Any])?.mapValues(number) },
                textPresent: try #require(c["text_present"] as? [String: String]),
                accuracy: number(try #require(report["accuracy"])),
                micro: try #require(c["micro"] as? [Any]).map(number),
                confusion: confusion.mapValues { $0.map { row in (row as? [Any] ?? []).map(number) } },
                text: try #require(c["text"] as? [String: String]))
        }
    }

    /// Whether some class has no support and no predictions.
    var hasAbsentClass: Bool { labelsPresent.count < k }

    /// The report text `classificationReport` writes under the default averaging: the
    /// `labels=range(K)` text (every class a row) with its `macro avg` and `weighted avg`
    /// lines carrying the numbers of the `labels=None` text.
    func textWithPresentAverages(digits: Int) throws -> String {
        let all = try #require(text[String(digits)])
        let present = try #require(textPresent[String(digits)])
        let presentLines = present.split(separator: "\n", omittingEmptySubsequences: false)
        return try all.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            for heading in ["macro avg", "weighted avg"] where line.trimmingCharacters(in: .whitespaces).hasPrefix(heading) {
                let source = try #require(presentLines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(heading) })
                let numbers = source.trimmingCharacters(in: .whitespaces).dropFirst(heading.count)
                return String(line[..<line.range(of: heading)!.upperBound]) + numbers
            }
            return String(line)
        }.joined(separator: "\n")
    }

    /// A fixture number; `null` stands for NaN.
    static func number(_ value: Any) -> Double {
        if value is NSNull { return .nan }
        return (value as? NSNumber)?.doubleValue ?? .nan
    }
}

/// Equal within 1e-9, with NaN equal to NaN.
func same(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= 1e-9
}

@Suite struct MetricsParityTests {
    static let cases: [MetricsReferenceCase] = (try? MetricsReferenceCase.loadAll()) ?? []

    @Test func fixtureHasTheCases() {
        // The generator writes 48 cases; a fixture that fails to load must not pass vacuously.
        #expect(Self.cases.count == 48)
        // Some with classes absent from truth and predictions, whose default averages differ.
        let absent = Self.cases.filter(\.hasAbsentClass)
        #expect(absent.count >= 9)
        #expect(absent.contains { !same($0.report["macro avg"]?["f1-score"] ?? .nan, $0.reportPresent["macro avg"]?["f1-score"] ?? .nan) })
        #expect(Set(Self.cases.map(\.zeroDivision)) == Set(ZeroDivision.allCases))
        #expect(Set(Self.cases.map(\.k)).isSuperset(of: [1, 2, 3, 5, 8]))
    }

    /// The default averages are scikit-learn's default, `labels=None`; the per-class rows
    /// cover all K classes, as `labels=range(K)`.
    @Test(arguments: cases) func reportNumbersMatchScikitLearn(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        #expect(m.classCount == c.k && m.sampleCount == c.truth.count && m.zeroDivision == c.zeroDivision)
        func check(_ got: PrecisionRecallF1, _ key: String, in report: [String: [String: Double]]) throws {
            let expected = try #require(report[key], "\(key) missing")
            #expect(same(got.precision, try #require(expected["precision"])), "\(key) precision \(got.precision)")
            #expect(same(got.recall, try #require(expected["recall"])), "\(key) recall \(got.recall)")
            #expect(same(got.f1, try #require(expected["f1-score"])), "\(key) f1 \(got.f1)")
            #expect(Double(got.support) == expected["support"], "\(key) support")
        }
        for k in 0..<c.k { try check(m.perClass[k], String(k), in: c.report) }
        for k in c.labelsPresent { try check(m.perClass[k], String(k), in: c.reportPresent) }
        try check(m.macro, "macro avg", in: c.reportPresent)
        try check(m.weighted, "weighted avg", in: c.reportPresent)
        #expect(same(m.accuracy, c.accuracy))
        #expect(same(m.micro.precision, c.micro[0]) && same(m.micro.recall, c.micro[1]) && same(m.micro.f1, c.micro[2]))
    }

    @Test(arguments: cases) func confusionMatricesMatchScikitLearn(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        let counts = try #require(c.confusion["None"])
        #expect(m.confusion.map { $0.map(Double.init) } == counts)
        for mode in ConfusionNormalization.allCases {
            let expected = try #require(c.confusion[mode.rawValue])
            let got = m.normalizedConfusion(mode)
            #expect(got.count == expected.count)
            for (gotRow, expectedRow) in zip(got, expected) {
                #expect(gotRow.count == expectedRow.count)
                #expect(zip(gotRow, expectedRow).allSatisfy { same($0, $1) }, "normalize=\(mode.rawValue): \(got) vs \(expected)")
            }
        }
    }

    /// Byte for byte scikit-learn's `labels=range(K)` text when every class is present; with
    /// absent classes, that text with the `labels=None` averages.
    @Test(arguments: cases) func reportTextMatchesScikitLearnByteForByte(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        for digits in [2, 4] {
            let expected = try c.textWithPresentAverages(digits: digits)
            if !c.hasAbsentClass { #expect(expected == c.text[String(digits)]) }
            let got = classificationReport(m, classNames: c.targetNames, digits: digits)
            #expect(Array(got.utf8) == Array(expected.utf8), "digits=\(digits)\n\(got)\nexpected\n\(expected)")
        }
    }

    @Test func countsGiveTheSameMetricsAsLabels() throws {
        for c in Self.cases {
            let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
            let fromCounts = ClassificationMetrics(confusion: m.confusion, zeroDivision: c.zeroDivision)
            #expect(fromCounts.confusion == m.confusion && fromCounts.sampleCount == m.sampleCount)
            #expect(same(fromCounts.macro.f1, m.macro.f1) && same(fromCounts.weighted.precision, m.weighted.precision))
        }
    }
}
