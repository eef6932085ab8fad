import Foundation
import Testing
import TextClfMetrics
import TextClfReport

/// Macro and weighted averages over the present classes (scikit-learn's default) or over all
/// K (`labels=range(K)`), against `Tests/Fixtures/metrics/classification_reports.json`.
@Suite struct AveragedClassesTests {
    static let cases = MetricsParityTests.cases

    @Test(arguments: cases) func allClassesMatchLabelsRangeK(_ c: MetricsReferenceCase) throws {
        let m = ClassificationMetrics(
            predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision, averagedClasses: .all)
        #expect(m.averagedClasses == .all && m.averagedClassIndices == Array(0..<c.k))
        for (got, key) in [(m.macro, "macro avg"), (m.weighted, "weighted avg")] {
            let expected = try #require(c.report[key])
            #expect(same(got.precision, try #require(expected["precision"])), "\(key) precision")
            #expect(same(got.recall, try #require(expected["recall"])), "\(key) recall")
            #expect(same(got.f1, try #require(expected["f1-score"])), "\(key) f1")
        }
        for digits in [2, 4] {
            let expected = try #require(c.text[String(digits)])
            #expect(classificationReport(m, classNames: c.targetNames, digits: digits) == expected, "digits=\(digits)")
        }
        let fromCounts = ClassificationMetrics(confusion: m.confusion, zeroDivision: c.zeroDivision, averagedClasses: .all)
        #expect(same(fromCounts.macro.f1, m.macro.f1) && same(fromCounts.weighted.recall, m.weighted.recall))
    }

    @Test(arguments: cases) func presentClassesAreThoseInTruthOrPredictions(_ c: MetricsReferenceCase) {
        let m = ClassificationMetrics(predictions: c.predictions, truth: c.truth, classCount: c.k, zeroDivision: c.zeroDivision)
        #expect(m.averagedClasses == .present)
        #expect(m.averagedClassIndices == c.labelsPresent)
        #expect(m.absentClassIndices == (0..<c.k).filter { !c.labelsPresent.contains($0) })
    }

    @Test func weightedIgnoresAbsentClassesAndMacroDoesNotUnderAll() {
        // Classes 0 and 2 have no support and no predictions.
        let truth = [1, 1, 3, 3], predictions = [1, 3, 3, 3]
        for zero in ZeroDivision.allCases {
            let present = ClassificationMetrics(predictions: predictions, truth: truth, classCount: 4, zeroDivision: zero)
            let all = ClassificationMetrics(
                predictions: predictions, truth: truth, classCount: 4, zeroDivision: zero, averagedClasses: .all)
            #expect(same(present.weighted.f1, all.weighted.f1) && same(present.weighted.precision, all.weighted.precision))
            #expect(same(present.macro.f1, (2.0 / 3 + 0.8) / 2))
            // Under `all` the two absent classes count as the zero-division value (left out when NaN).
            let expected = zero == .nan ? (2.0 / 3 + 0.8) / 2 : (2.0 / 3 + 0.8 + 2 * zero.value) / 4
            #expect(same(all.macro.f1, expected), "\(zero)")
        }
        // No examples: nothing is present, and the averages are over all classes.
        let empty = ClassificationMetrics(predictions: [], truth: [], classCount: 3)
        #expect(empty.averagedClassIndices == [0, 1, 2] && empty.macro.f1 == 0)
    }

    @Test func renderersNameTheAbsentClasses() throws {
        let names = ["a", "b", "c", "d"]
        let truth = [1, 1, 3, 3], predictions = [1, 3, 3, 3]
        let present = EvaluationReport(
            title: "t", classNames: names, metrics: ClassificationMetrics(predictions: predictions, truth: truth, classCount: 4))
        let text = present.text()
        #expect(text.contains("           a       0.00      0.00      0.00         0\n"))
        #expect(text.contains("The averages are over the 2 classes in the truth or the predictions; left out, with no support and no predictions: a, c\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(present.json().utf8)) as? [String: Any])
        #expect(json["averaged_classes"] as? String == "present")
        #expect(json["absent_classes"] as? [String] == ["a", "c"])
        #expect((json["classes"] as? [String: Any])?.keys.sorted() == names)
        let html = present.html()
        #expect(html.components(separatedBy: "<tr class=\"absent\"").count == 3)
        #expect(html.contains("left out, with no support and no predictions: a, c</p>"))

        let all = EvaluationReport(
            title: "t", classNames: names,
            metrics: ClassificationMetrics(predictions: predictions, truth: truth, classCount: 4, averagedClasses: .all))
        #expect(all.text().contains("The averages are over all 4 classes, counting 2 with no support and no predictions (each scored 0): a, c\n"))
        let allJSON = try #require(try JSONSerialization.jsonObject(with: Data(all.json().utf8)) as? [String: Any])
        #expect(allJSON["averaged_classes"] as? String == "all")

        let full = EvaluationReport(
            title: "t", classNames: ["a", "b"], metrics: ClassificationMetrics(predictions: [0, 1], truth: [1, 1], classCount: 2))
        #expect(full.averagingNote() == nil && !full.text().contains("The averages") && !full.html().contains("class=\"absent\""))
        let fullJSON = try #require(try JSONSerialization.jsonObject(with: Data(full.json().utf8)) as? [String: Any])
        #expect(fullJSON["absent_classes"] as? [String] == [])
    }
}
