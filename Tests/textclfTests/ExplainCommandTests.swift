import Foundation
import Testing
import TextClf
import TextClfTestSupport
@testable import textclf

@Suite("textclf explain")
struct ExplainCommandTests {
    struct Explained: Decodable {
        struct Score: Decodable { var feature: String; var score: Double }
        struct Class: Decodable { var `class`: String; var positive: [Score]; var negative: [Score] }
        var method: String
        var documents: Int?
        var classes: [Class]
    }

    static func explain(_ arguments: [String]) throws -> Explained {
        let result = try TextClfBinary.run(["explain"] + arguments + ["--json"])
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONDecoder().decode(Explained.self, from: Data(result.standardOutput.utf8))
    }

    /// A logistic regression's scores are its weights (the one logit of two classes speaks
    /// for the second); given documents, each is the weight times the feature's mean value.
    @Test func logisticRegressionScoresAreItsWeights() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(400, seed: 61))
        let model = folder.url.appendingPathComponent("model").path
        let trained = try TextClfBinary.run(["train", train, "--epochs", "3", "--seed", "2", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let weights = try DistributedCommandTests.weights(model)["layers.0.weight"] ?? []
        let vocabulary = try String(contentsOfFile: model + "/vectorizer.json", encoding: .utf8)
        let terms = try #require(
            (try JSONSerialization.jsonObject(with: Data(vocabulary.utf8)) as? [String: Any])?["vocabulary"] as? [String])
        let explained = try Self.explain(["--model", model, "--top", "4"])
        #expect(explained.method == "weight" && explained.documents == nil)
        #expect(explained.classes.map(\.class) == ["neg", "pos"])
        let positive = explained.classes[1].positive, negative = explained.classes[1].negative
        #expect(positive.count == 4 && negative.count == 4)
        // The corpus's good words push toward pos, its bad words away from it.
        #expect(Set(positive.map(\.feature)).isSubset(of: ["great", "wonderful", "superb", "moving", "funny"]), "\(positive)")
        #expect(Set(negative.map(\.feature)).isSubset(of: ["dull", "awful", "boring", "tedious", "flat"]), "\(negative)")
        for score in positive + negative {
            let column = try #require(terms.firstIndex(of: score.feature))
            #expect(abs(score.score - Double(weights[column])) < 1e-6, "\(score.feature)")
        }
        #expect(explained.classes[0].positive.map(\.feature) == negative.map(\.feature))
        #expect(positive.map(\.score) == positive.map(\.score).sorted(by: >))

        // With documents: weight × mean count.
        let vectors = folder.url.appendingPathComponent("vectors").path
        #expect(try TextClfBinary.run(["vectorize", train, "--out", vectors, "--quiet"]).status == 0)
        let matrix = try CSRMatrix(npzAt: vectors + "/train.npz")
        var means = [Double](repeating: 0, count: matrix.columnCount)
        for (column, value) in zip(matrix.columnIndices, matrix.values) { means[Int(column)] += Double(value) / Double(matrix.rowCount) }
        let measured = try Self.explain(["--model", model, train, "--top", "3"])
        #expect(measured.documents == 400 && measured.method == "mean gradient × input")
        for score in measured.classes[1].positive + measured.classes[1].negative {
            let column = try #require(terms.firstIndex(of: score.feature))
            #expect(abs(score.score - Double(weights[column]) * means[column]) < 1e-5, "\(score.feature)")
        }
    }

    /// An MLP's contributions are gradient × input: checked against central differences of
    /// the logits in the feature's value, one document at a time.
    @Test func mlpContributionsPassAGradientCheck() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(300, seed: 62))
        let model = folder.url.appendingPathComponent("mlp").path
        let trained = try TextClfBinary.run(
            ["train", train, "--model", "mlp", "--hidden", "6", "--activation", "tanh", "--dropout", "0.3", "--features", "tfidf",
             "--epochs", "3", "--seed", "4", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let (classifier, _) = try ModelFile.load(from: model)
        classifier.isTraining = false
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: nil, report: { _ in })
        let text = "a great film , the plot dull"
        let contributions = try Explain.meanContributions(classifier, pipeline: pipeline, texts: [text], batchSize: 8)
        guard case .sparse(let row) = try pipeline.transform([text]) else { Issue.record("dense features"); return }
        #expect(row.storedCount >= 3)
        func logits(_ values: [Float]) throws -> [Float] {
            let changed = try CSRMatrix(
                rowCount: 1, columnCount: row.columnCount, rowPointers: row.rowPointers, columnIndices: row.columnIndices, values: values)
            return try classifier.forward(.sparse(changed)).scalars
        }
        let step: Float = 1e-2
        for entry in 0..<row.storedCount {
            var up = row.values, down = row.values
            up[entry] += step
            down[entry] -= step
            let (high, low) = (try logits(up), try logits(down))
            let column = Int(row.columnIndices[entry])
            for c in 0..<contributions.count {
                let difference = Double(row.values[entry]) * Double(high[c] - low[c]) / Double(2 * step)
                #expect(abs(contributions[c][column] - difference) < 2e-3, "column \(column) class \(c): \(contributions[c][column]) vs \(difference)")
            }
        }
        // Features the document lacks contribute nothing.
        #expect(contributions.allSatisfy { scores in scores.indices.filter { !row.columnIndices.contains(Int32($0)) }.allSatisfy { scores[$0] == 0 } })
        // Without documents an MLP is a usage error.
        let bare = try TextClfBinary.run(["explain", "--model", model])
        #expect(bare.status == 64 && bare.standardError.contains("give DATA"), "\(bare.standardError)")
    }
}
