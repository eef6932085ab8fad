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
    /// `classification_report(..., output_dict=True)`: keys `"0"`…, `accuracy`, `macro avg`, `weighted avg`.
    let report: [String: [String: Double]]
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
            let zeroDivision = try #require(c["zero_division"] as? String)
            return MetricsReferenceCase(
                name: try #require(c["name"] as? String),
                k: try #require(c["k"] as? Int),
                zeroDivision: try #require(ZeroDivision(rawValue: zeroDivision)),
                targetNames: try #require(c["target_names"] as? [String]),
                truth: try #require(c["y_true"] as? [Int]),
                predictions: try #require(c["y_pred"] as? [Int]),
                report: report.compactMapValues { ($0 as? [String: Any])?.mapValues(number) },
                accuracy: number(try #require(report["accuracy"])),
                micro: try #require(c["micro"] as? [Any]).map(number),
                confusion: confusion.mapValues { $0.map { row in (row as? [Any] ?? []).map(number) } },
                text: try #require(c["text"] as? [String: String]))
        }
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
        // The generator writes 42 cases; a fixture that fails to load must not pass vacuously.
        #expect(Self.cases.count == 42)
        #expect(Set(Self.cases.map(\.zeroDivision)) == Set(ZeroDivision.allCases))
        #expect(Set(Self.cases.map(\.k)).isSuperset(of: [1, 2, 3, 5, 8]))
    }

    @Test(arguments: cases) func reportNumbersMatchScikitLearn(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        #expect(m.classCount == c.k && m.sampleCount == c.truth.count && m.zeroDivision == c.zeroDivision)
        func check(_ got: PrecisionRecallF1, _ key: String) throws {
            let expected = try #require(c.report[key], "\(key) missing")
            #expect(same(got.precision, try #require(expected["precision"])), "\(key) precision \(got.precision)")
            #expect(same(got.recall, try #require(expected["recall"])), "\(key) recall \(got.recall)")
            #expect(same(got.f1, try #require(expected["f1-score"])), "\(key) f1 \(got.f1)")
            #expect(Double(got.support) == expected["support"], "\(key) support")
        }
        for k in 0..<c.k { try check(m.perClass[k], String(k)) }
        try check(m.macro, "macro avg")
        try check(m.weighted, "weighted avg")
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

    @Test(arguments: cases) func reportTextMatchesScikitLearnByteForByte(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        for digits in [2, 4] {
            let expected = try #require(c.text[String(digits)])
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
