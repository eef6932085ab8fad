import Foundation
import Testing
import TextClfTensor
import TextClfTestSupport

@testable import TextClfDataset

@Suite("Splits")
struct SplitTests {
    /// 5 classes of 3 to 160 rows, interleaved.
    let labels: [Int] = {
        var labels = [Int]()
        for (label, size) in [(0, 160), (1, 47), (2, 13), (3, 3), (7, 31)] { labels += Array(repeating: label, count: size) }
        return labels.enumerated().sorted { ($0.offset * 7919) % 254 < ($1.offset * 7919) % 254 }.map(\.element)
    }()

    @Test("stratified parts are disjoint, cover every row, and keep proportions within a row per class", arguments: [
        [0.8, 0.1, 0.1], [0.98, 0.01, 0.01], [0.5, 0.5], [1.0], [0.7, 0.0, 0.3],
    ])
    func stratified(fractions: [Double]) throws {
        let parts = try Splits.stratified(labels: labels, fractions: fractions, seed: 11)
        #expect(parts.count == fractions.count)
        #expect(parts.flatMap { $0 }.sorted() == Array(labels.indices))
        for part in parts { #expect(part == part.sorted()) }
        for label in Set(labels) {
            let size = Double(labels.filter { $0 == label }.count)
            for (part, fraction) in zip(parts, fractions) {
                let got = Double(part.filter { labels[$0] == label }.count)
                #expect(abs(got - fraction * size) < 1, "class \(label): \(got) rows for fraction \(fraction) of \(size)")
            }
        }
        // Overall part sizes follow the fractions (largest-remainder of the total).
        for (part, fraction) in zip(parts, fractions) {
            #expect(abs(Double(part.count) - fraction * Double(labels.count)) <= 1)
        }
    }

    @Test("labels that are not class indices split as their ranks do")
    func labelsOtherThanIndices() throws {
        var generator = RandomGenerator(seed: 31)
        let values = [-7, 3, 2_000_000]
        let labels = (0..<500).map { _ in values[generator.nextInt(below: values.count)] }
        // The same classes as indices in the same order.
        let ranks = labels.map { values.firstIndex(of: $0)! }
        #expect(try Splits.stratified(labels: labels, fractions: [0.7, 0.3], seed: 5) == Splits.stratified(labels: ranks, fractions: [0.7, 0.3], seed: 5))
        let folds = try Splits.stratifiedKFold(labels: labels, folds: 4, seed: 5)
        let rankFolds = try Splits.stratifiedKFold(labels: ranks, folds: 4, seed: 5)
        #expect(folds.map(\.train) == rankFolds.map(\.train) && folds.map(\.test) == rankFolds.map(\.test))
    }

    @Test("a tiny part still gets its share when every class is too small to give it a row")
    func tinyPart() throws {
        // 40 classes of 5 rows: 1 % of each is 0.05 rows, but 1 % of 200 is 2 rows.
        let labels = (0..<200).map { $0 % 40 }
        let parts = try Splits.stratified(labels: labels, fractions: [0.98, 0.01, 0.01], seed: 0)
        #expect(parts.map(\.count) == [196, 2, 2])
    }

    @Test("stratified splits are deterministic for a seed and differ across seeds")
    func seeds() throws {
        let a = try Splits.stratified(labels: labels, fractions: [0.8, 0.2], seed: 1)
        #expect(a == (try Splits.stratified(labels: labels, fractions: [0.8, 0.2], seed: 1)))
        #expect(a != (try Splits.stratified(labels: labels, fractions: [0.8, 0.2], seed: 2)))
    }

    @Test("bad fractions are rejected")
    func badFractions() {
        #expect(throws: SplitError.fractionsDoNotSumToOne(0.9)) {
            try Splits.stratified(labels: [0, 1], fractions: [0.5, 0.4], seed: 0)
        }
        #expect(throws: SplitError.negativeFraction(-0.1)) {
            try Splits.stratified(labels: [0, 1], fractions: [1.1, -0.1], seed: 0)
        }
        #expect(throws: SplitError.noFractions) { try Splits.stratified(labels: [0], fractions: [], seed: 0) }
        #expect((try? Splits.stratified(labels: [0, 1], fractions: [0.5, 0.5 + 5e-7], seed: 0)) != nil)
    }

    @Test("K-fold test folds partition the rows and are stratified")
    func kFold() throws {
        for shuffle in [true, false] {
            let folds = try Splits.stratifiedKFold(labels: labels, folds: 3, seed: 5, shuffle: shuffle)
            #expect(folds.count == 3)
            #expect(folds.flatMap(\.test).sorted() == Array(labels.indices))
            for fold in folds {
                #expect((fold.train + fold.test).sorted() == Array(labels.indices))
                #expect(fold.test == fold.test.sorted() && fold.train == fold.train.sorted())
                for label in Set(labels) {
                    let size = Double(labels.filter { $0 == label }.count)
                    let got = Double(fold.test.filter { labels[$0] == label }.count)
                    #expect(abs(got - size / 3) < 1)
                }
            }
        }
        let a = try Splits.stratifiedKFold(labels: labels, folds: 3, seed: 5)
        let b = try Splits.stratifiedKFold(labels: labels, folds: 3, seed: 6)
        #expect(a.map(\.test) != b.map(\.test))
        #expect(a.map(\.test) == (try Splits.stratifiedKFold(labels: labels, folds: 3, seed: 5)).map(\.test))
    }

    @Test("K-fold sizes per fold and per class match scikit-learn's StratifiedKFold")
    func kFoldMatchesScikitLearn() throws {
        struct Fixture: Decodable {
            struct Case: Decodable {
                struct Fold: Decodable {
                    let test_size: Int
                    let train_size: Int
                    let class_counts: [String: Int]
                }
                let name: String
                let labels: [Int]
                let folds: Int
                let expected: [Fold]
            }
            let cases: [Case]
        }
        let data = try Data(contentsOf: SharedData.fixture("data/splits.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        #expect(fixture.cases.count == 4)
        for item in fixture.cases {
            for shuffle in [true, false] {
                let folds = try Splits.stratifiedKFold(labels: item.labels, folds: item.folds, seed: 0, shuffle: shuffle)
                #expect(folds.map(\.test.count) == item.expected.map(\.test_size), "\(item.name)")
                #expect(folds.map(\.train.count) == item.expected.map(\.train_size), "\(item.name)")
                for (fold, expected) in zip(folds, item.expected) {
                    for (label, count) in expected.class_counts {
                        #expect(fold.test.filter { item.labels[$0] == Int(label)! }.count == count, "\(item.name) class \(label)")
                    }
                }
            }
        }
    }

    @Test("K below 2 or above the smallest class is rejected, with a clear message")
    func badFolds() {
        #expect(throws: SplitError.tooFewFolds(1)) { try Splits.stratifiedKFold(labels: labels, folds: 1, seed: 0) }
        #expect(throws: SplitError.foldsExceedSmallestClass(folds: 4, smallestClass: 3, label: 3)) {
            try Splits.stratifiedKFold(labels: labels, folds: 4, seed: 0)
        }
        let message = SplitError.foldsExceedSmallestClass(folds: 4, smallestClass: 3, label: 3).description
        #expect(message.contains("class 3 has only 3 rows") && message.contains("scikit-learn"))
    }
}
