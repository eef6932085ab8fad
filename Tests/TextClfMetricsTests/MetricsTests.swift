import Testing
import TextClfMetrics

/// Values pinned from scikit-learn 1.x (`precision_recall_fscore_support`, `labels=range(4)`).
@Suite struct MetricsTests {
    let truth = [0, 0, 1, 1, 2, 2, 2, 0, 1, 3]
    let predictions = [0, 1, 1, 1, 2, 0, 2, 0, 2, 1]

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func matchesScikitLearn() {
        let m = ClassificationMetrics(predictions: predictions, truth: truth, classCount: 4)
        #expect(close(m.accuracy, 0.6))
        #expect(m.confusion == [[2, 1, 0, 0], [0, 2, 1, 0], [1, 0, 2, 0], [0, 1, 0, 0]])
        let expectedP = [2.0 / 3, 0.5, 2.0 / 3, 0], expectedR = [2.0 / 3, 2.0 / 3, 2.0 / 3, 0]
        let expectedF = [2.0 / 3, 0.5714285714285714, 2.0 / 3, 0]
        for k in 0..<4 {
            #expect(close(m.perClass[k].precision, expectedP[k]))
            #expect(close(m.perClass[k].recall, expectedR[k]))
            #expect(close(m.perClass[k].f1, expectedF[k]))
        }
        #expect(m.perClass.map(\.support) == [3, 3, 3, 1])
        #expect(close(m.macro.precision, 0.45833333333333326) && close(m.macro.recall, 0.5) && close(m.macro.f1, 0.47619047619047616))
        #expect(close(m.micro.precision, 0.6) && close(m.micro.recall, 0.6) && close(m.micro.f1, 0.6))
        #expect(close(m.weighted.precision, 0.55) && close(m.weighted.recall, 0.6) && close(m.weighted.f1, 0.5714285714285714))
    }

    @Test func zeroDivisionOne() {
        let m = ClassificationMetrics(predictions: predictions, truth: truth, classCount: 4, zeroDivision: .one)
        #expect(m.perClass[3].precision == 1)
        #expect(close(m.macro.precision, 0.7083333333333333))
        #expect(close(m.macro.f1, 0.47619047619047616))
    }

    @Test func accuracyFunction() {
        #expect(accuracy(predictions: [1, 2, 3], truth: [1, 0, 3]) == 2.0 / 3)
        #expect(accuracy(predictions: [], truth: []) == 0)
    }
}
