import Foundation
import Testing
import TextClfTestSupport

/// `textclf export` against onnxruntime: the committed models of Tests/Fixtures/onnx export to
/// the same bytes as the files onnxruntime ran (scripts/fixtures/make_onnx_fixtures.py), the
/// tokens are those it was given, and `textclf predict` gives its probabilities within 1e-5.
@Suite("textclf export")
struct ExportCommandTests {
    struct Expected: Decodable {
        struct Model: Decodable {
            var data: String
            var tokens: [[String]]
            var probabilities: [[Double]]
            var labels: [String]
        }
        var models: [String: Model]
    }

    static let folder = SharedData.fixture("onnx")
    static let expected = try! JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))

    /// A copy of a committed model folder, its vectors file (named relative to the fixture
    /// folder) made absolute.
    static func copy(_ name: String, into folder: TemporaryFolder) throws -> String {
        let target = folder.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("models/\(name)"), to: target)
        let description = target.appendingPathComponent("embeddings.json")
        if let data = FileManager.default.contents(atPath: description.path) {
            var document = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            document["embeddings"] = Self.folder.appendingPathComponent(document["embeddings"] as! String).path
            try JSONSerialization.data(withJSONObject: document).write(to: description)
        }
        return target.path
    }

    @Test(arguments: ["counts-logreg", "tfidf-mlp", "binary-l1-mlp", "glove-mlp", "glove-sum-logreg"])
    func exportMatchesWhatOnnxruntimeRan(_ name: String) throws {
        let temporary = try TemporaryFolder()
        let model = try Self.copy(name, into: temporary)
        let cache = temporary.url.appendingPathComponent("cache").path
        let onnx = temporary.url.appendingPathComponent("\(name).onnx").path
        let exported = try TextClfBinary.run(["export", "--model", model, "--onnx", onnx, "--cache-dir", cache, "--json"])
        #expect(exported.status == 0, "\(exported.standardError)")
        let summary = try JSONSerialization.jsonObject(with: Data(exported.standardOutput.utf8)) as? [String: Any]
        #expect(summary?["opset"] as? Int == 17 && summary?["path"] as? String == onnx)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: onnx))
        #expect(summary?["bytes"] as? Int == bytes.count)
        #expect(bytes == (try Data(contentsOf: Self.folder.appendingPathComponent("\(name).onnx"))),
                "\(name).onnx differs from the file onnxruntime ran; run scripts/fixtures/make_onnx_fixtures.py")

        let expected = try #require(Self.expected.models[name])
        let data = Self.folder.appendingPathComponent(expected.data).path
        let tokenized = try TextClfBinary.run(["tokenize", "--model", model, "--json", data])
        #expect(tokenized.status == 0, "\(tokenized.standardError)")
        struct Tokens: Decodable { var tokens: [String] }
        let tokens = try tokenized.standardOutput.split(separator: "\n").map { try JSONDecoder().decode(Tokens.self, from: Data($0.utf8)).tokens }
        #expect(tokens == expected.tokens)

        let predicted = try TextClfBinary.run(["predict", "--model", model, "--json", "--cache-dir", cache, data])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let classes = try Self.classes(of: model)
        struct Prediction: Decodable { var label: String; var probabilities: [String: Double] }
        let rows = try predicted.standardOutput.split(separator: "\n").map { try JSONDecoder().decode(Prediction.self, from: Data($0.utf8)) }
        #expect(rows.count == expected.probabilities.count)
        for (index, (row, reference)) in zip(rows, expected.probabilities).enumerated() {
            let difference = zip(classes.map { row.probabilities[$0] ?? .nan }, reference).map { abs($0 - $1) }.max()!
            #expect(difference <= 1e-5, "\(name) document \(index): \(row.probabilities) vs onnxruntime's \(reference)")
        }
        #expect(rows.map(\.label) == expected.labels)
    }

    static func classes(of model: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: model + "/model.json"))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any])["classes"] as! [String]
    }

    /// Hashed features have no ONNX form: the command says so, exits 1 and writes nothing;
    /// a missing model folder is named.
    @Test func refusesHashedFeaturesAndNamesAMissingModel() throws {
        let temporary = try TemporaryFolder()
        let train = try temporary.write("train.tsv", TrainCommandTests.corpus(80, seed: 4))
        let model = temporary.url.appendingPathComponent("hashed").path
        let trained = try TextClfBinary.run(
            ["train", train, "--features", "hashing", "--hash-features", "64", "--epochs", "1", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let onnx = temporary.url.appendingPathComponent("hashed.onnx").path
        let refused = try TextClfBinary.run(["export", "--model", model, "--onnx", onnx])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("MurmurHash3") && refused.standardError.contains("--features counts or tfidf"))
        #expect(!FileManager.default.fileExists(atPath: onnx))

        let missing = try TextClfBinary.run(["export", "--model", temporary.url.appendingPathComponent("none").path, "--onnx", onnx])
        #expect(missing.status == 1 && missing.standardError.contains("none/model.json"))
    }
}
