import Foundation
import Testing
import TextClf
import TextClfTestSupport

@Suite("Word-vector features on the command line")
struct EmbeddingCommandTests {
    /// Four-dimensional vectors for a handful of words; two classes told apart by them.
    static let vectors = """
        good 1 0 0.5 0
        great 0.9 0.1 0.4 0
        bad 0 1 0 0.5
        awful 0.1 0.9 0 0.4
        film 0.2 0.2 0.2 0.2

        """

    @Test func vectorizeWritesAveragesAndTheSecondRunReadsTheCache() throws {
        let folder = try TemporaryFolder()
        let embeddings = try folder.write("vectors.txt", Self.vectors)
        let train = try folder.write("train.tsv", "text\tlabel\nGood film\tpos\nbad AWFUL\tneg\nunknown words only\tneg\n")
        let cache = folder.url.appendingPathComponent("cache").path
        let out = folder.url.appendingPathComponent("out").path
        let arguments = ["vectorize", train, "--features", "glove", "--embeddings", embeddings, "--cache-dir", cache, "--out", out]
        let first = try TextClfBinary.run(arguments)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("train: 3 × 4 dense"), "\(first.standardOutput)")
        #expect(first.standardOutput.contains("1 documents without a known word"), "\(first.standardOutput)")
        let matrix = try NPYArray(contentsOf: out + "/train.npy")
        #expect(matrix.shape == [3, 4])
        guard case .float32(let values) = matrix.elements else {
            Issue.record("expected float32 values")
            return
        }
        // Row 0: mean of "good" and "film"; row 1: mean of "bad" and "awful"; row 2: no known word.
        #expect(values == [0.6, 0.1, 0.35, 0.1, 0.05, 0.95, 0, 0.45, 0, 0, 0, 0])
        let second = try TextClfBinary.run(arguments)
        #expect(second.standardOutput.contains("averages from the cache"), "\(second.standardOutput)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/train.npy")) == Data(matrix.encoded()))
        let listing = try TextClfBinary.run(["cache", "list", "--cache-dir", cache])
        #expect(listing.standardOutput.contains("5 words × 4"), "\(listing.standardOutput)")
        #expect(try TextClfBinary.run(["cache", "clear", "--cache-dir", cache]).status == 0)
        #expect(try TextClfBinary.run(["cache", "list", "--cache-dir", cache]).standardOutput.contains("0 embeddings file(s)"))
    }

    /// GPU kernel images compiled into the cache folder are counted by 'list' and removed by
    /// 'clear', beside the embeddings database.
    @Test func cacheListsAndClearsCompiledKernels() throws {
        let folder = try TemporaryFolder()
        let cache = folder.url.appendingPathComponent("cache").path
        try FileManager.default.createDirectory(atPath: cache + "/kernels", withIntermediateDirectories: true)
        for name in ["cuda-sm_80-1.cubin", "cuda-sm_90-2.cubin"] {
            try Data(count: 250_000).write(to: URL(fileURLWithPath: cache + "/kernels/" + name))
        }
        let listing = try TextClfBinary.run(["cache", "list", "--cache-dir", cache])
        #expect(listing.standardOutput.contains("2 compiled GPU kernel image(s), 0.5 MB, in \(cache)/kernels"), "\(listing.standardOutput)")
        let cleared = try TextClfBinary.run(["cache", "clear", "--cache-dir", cache])
        #expect(cleared.status == 0 && cleared.standardOutput.contains("removed 2 compiled GPU kernel image(s)"), "\(cleared.standardOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/kernels").isEmpty)
        #expect(!(try TextClfBinary.run(["cache", "list", "--cache-dir", cache])).standardOutput.contains("kernel image"))
    }

    @Test func trainAndPredictWithStandardisedWordVectors() throws {
        let folder = try TemporaryFolder()
        let embeddings = try folder.write("vectors.txt", Self.vectors)
        var lines = ["text\tlabel"]
        for index in 0..<40 {
            lines.append(index % 2 == 0 ? "good film great" : "bad awful film")
        }
        let train = try folder.write("train.tsv", lines.enumerated().map { $0.offset == 0 ? $0.element : $0.element + ($0.offset % 2 == 1 ? "\tpos" : "\tneg") }.joined(separator: "\n") + "\n")
        let model = folder.url.appendingPathComponent("model").path
        let result = try TextClfBinary.run([
            "train", train, "--model", "mlp", "--hidden", "4", "--features", "glove", "--embeddings", embeddings,
            "--standardize", "--epochs", "30", "--lr", "0.05", "--batch-size", "8", "--seed", "2",
            "--cache-dir", folder.url.appendingPathComponent("cache").path, "--out", model, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(FileManager.default.fileExists(atPath: model + "/embeddings.json"))
        #expect(FileManager.default.fileExists(atPath: model + "/standardizer.json"))
        let predictions = try TextClfBinary.run(
            ["predict", "--model", model, "-", "--cache-dir", folder.url.appendingPathComponent("cache").path],
            standardInput: "a great film\nawful\n")
        #expect(predictions.standardOutput == "pos\nneg\n", "\(predictions.standardError)")
        let sparseStandardize = try TextClfBinary.run(["train", train, "--standardize", "--out", folder.url.appendingPathComponent("x").path])
        #expect(sparseStandardize.status != 0)
        #expect(sparseStandardize.standardError.contains("--standardize applies to dense features"))
    }

    @Test func missingEmbeddingsFileIsNamed() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", "text\tlabel\ngood\tpos\nbad\tneg\n")
        let result = try TextClfBinary.run(["vectorize", train, "--features", "glove", "--embeddings", "/nonexistent/glove.txt", "--out", folder.url.path + "/o"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("/nonexistent/glove.txt"))
    }
}
