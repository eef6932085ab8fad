import Foundation
import Testing
import TextClf
import TextClfTestSupport
@testable import textclf

@Suite("textclf train --stream")
struct StreamCommandTests {
    /// `TrainCommandTests.corpus`, sorted by label (the hard case for a shuffle buffer).
    static func sortedCorpus(_ count: Int, seed: UInt64) -> String {
        var lines = TrainCommandTests.corpus(count, seed: seed).split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        return ([header] + lines.sorted { $0.hasSuffix("\tneg") && !$1.hasSuffix("\tneg") }).joined(separator: "\n") + "\n"
    }

    /// The batches of streamed epochs, from a buffer smaller than the corpus: every training
    /// document once per epoch, the same batches for the same seed and epoch, another order
    /// for another epoch, and the held-out documents never.
    @Test func streamedEpochsSeeEveryDocumentOnceInASeededOrder() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("train.tsv", Self.sortedCorpus(500, seed: 3))
        let corpus = StreamedCorpus(path: path, options: CorpusOptions())
        let (kept, held) = corpus.split(fraction: 0.2, seed: 9)
        var keptTexts: [String] = [], heldTexts: [String] = [], labels: [String] = []
        try kept.forEach { keptTexts.append($0.text); labels.append($0.label!) }
        try held.forEach { heldTexts.append($0.text) }
        #expect(keptTexts.count + heldTexts.count == 500)
        #expect(heldTexts.count > 60 && heldTexts.count < 140, "\(heldTexts.count) held out of 500 at 0.2")
        let fitted = try FeatureSpecification().fit { add in keptTexts.forEach(add) }
        let features = FeaturePipeline(sparse: fitted, dense: nil, standardizer: nil, report: { _ in })
        let encoder = LabelEncoder(labels: labels)
        let batches = StreamedBatches(
            corpus: kept, features: features, encoder: encoder, labels: try labels.map(encoder.encode), batchSize: 16, dropLast: false,
            shuffle: true, bufferSize: 50, seed: 11)
        #expect(batches.batchesPerEpoch == (keptTexts.count + 15) / 16)
        func epoch(_ index: Int, from first: Int = 0) throws -> [Batch] {
            var stream = try batches.epochBatches(index, from: first)
            var all: [Batch] = []
            while let batch = try stream.nextBatch() { all.append(batch) }
            return all
        }
        let first = try epoch(0)
        #expect(first.count == batches.batchesPerEpoch)
        #expect(first.flatMap(\.indices).sorted() == Array(0..<keptTexts.count))
        // Each row is its document's features and class.
        let expected = try fitted.transform(keptTexts)
        for batch in first {
            guard case .sparse(let matrix) = batch.features else { Issue.record("dense batch"); continue }
            #expect(matrix == expected.rows(batch.indices))
            #expect(batch.labels == batch.indices.map { try! encoder.encode(labels[$0]) })
        }
        // A buffer smaller than the sorted file's run of one class gives first batches of one
        // class; one larger than the run mixes them (the documented trade-off).
        #expect(Set(first[0].labels).count == 1, "\(first[0].labels)")
        let wide = StreamedBatches(
            corpus: kept, features: features, encoder: encoder, labels: try labels.map(encoder.encode), batchSize: 16, dropLast: false,
            shuffle: true, bufferSize: 300, seed: 11)
        var wideStream = try wide.epochBatches(0, from: 0)
        #expect(Set(try #require(try wideStream.nextBatch()).labels).count == 2)
        let again = try epoch(0)
        #expect(again.map(\.indices) == first.map(\.indices))
        #expect(try epoch(1).map(\.indices) != first.map(\.indices))
        // Starting after 5 batches gives the rest of the same epoch.
        #expect(try epoch(0, from: 5).map(\.indices) == Array(first.dropFirst(5)).map(\.indices))
        // A stream dropped early stops its thread; the next epoch starts afresh.
        var partial = try batches.epochBatches(2, from: 0)
        _ = try partial.nextBatch()
        partial = try batches.epochBatches(3, from: 0)
        #expect(try partial.nextBatch() != nil)
    }

    /// Streamed training learns, is reproducible bit for bit, fits the vectorizer that
    /// in-memory training fits on the same documents, and resumes.
    @Test func streamedTrainingLearnsReproduciblyAndFitsTheSameFeatures() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.sortedCorpus(600, seed: 21))
        let test = try folder.write("test.tsv", TrainCommandTests.corpus(200, seed: 22))
        func run(_ name: String, _ extra: [String]) throws -> (String, CommandResult) {
            let out = folder.url.appendingPathComponent(name).path
            let result = try TextClfBinary.run(
                ["train", train, "--test", test, "--features", "tfidf", "--epochs", "3", "--batch-size", "16", "--seed", "5", "--out", out,
                 "--no-run-log", "--quiet"] + extra)
            #expect(result.status == 0, "\(result.standardError)")
            return (out, result)
        }
        let (a, first) = try run("a", ["--stream", "--shuffle-buffer", "100", "--verbose"])
        let (b, _) = try run("b", ["--stream", "--shuffle-buffer", "100"])
        let (memory, inMemory) = try run("memory", [])
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/model.safetensors")) == Data(contentsOf: URL(fileURLWithPath: b + "/model.safetensors")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/vectorizer.json")) == Data(contentsOf: URL(fileURLWithPath: memory + "/vectorizer.json")))
        func accuracy(_ output: String) -> Double? {
            output.split(separator: "\n").first { $0.hasPrefix("test: accuracy ") }
                .flatMap { Double($0.dropFirst("test: accuracy ".count).prefix(6)) }
        }
        let streamed = try #require(accuracy(first.standardOutput)), loaded = try #require(accuracy(inMemory.standardOutput))
        #expect(streamed > 0.9 && abs(streamed - loaded) < 0.05, "\(streamed) streamed, \(loaded) in memory")
        #expect(first.standardOutput.contains("peak memory: "), "\(first.standardOutput)")

        // A held-out fraction validates; --resume continues a streamed run.
        let (held, validated) = try run("held", ["--stream", "--validation-fraction", "0.2", "--epochs", "2"])
        #expect(validated.standardOutput.contains("validation: accuracy"), "\(validated.standardOutput)")
        let resumed = try TextClfBinary.run(["train", train, "--out", held, "--resume", "--epochs", "3", "--quiet", "--no-run-log"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: held + "/model.json"))) as? [String: Any]
        #expect(((document?["training"] as? [String: Any])?["history"] as? [Any])?.count == 3)
    }

    @Test func whatIsNotStreamedIsRefused() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(50, seed: 1))
        let out = folder.url.appendingPathComponent("m").path
        for extra in [["--standardize"], ["--balanced-sampling"], ["--shuffle-buffer", "0"]] {
            let result = try TextClfBinary.run(["train", train, "--stream", "--out", out, "--no-run-log"] + extra)
            #expect(result.status != 0 && result.standardError.contains(extra[0]), "\(extra): \(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// `vectorize --stream` writes the files of a run without it, byte for byte.
    @Test(arguments: ["counts", "tfidf", "hashing"])
    func streamedVectorizingWritesTheSameFiles(features: String) throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(2500, seed: 51))
        let dev = try folder.write("dev.tsv", TrainCommandTests.corpus(300, seed: 52))
        var outputs: [String] = []
        for mode in ["memory", "stream"] {
            let out = folder.url.appendingPathComponent(mode).path
            let result = try TextClfBinary.run(
                ["vectorize", train, "--apply", dev, "--features", features, "--hash-features", "512", "--svmlight", "--out", out, "--quiet"]
                    + (mode == "stream" ? ["--stream"] : []))
            #expect(result.status == 0, "\(result.standardError)")
            outputs.append(out)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: outputs[0]).sorted()
        #expect(files.contains("train.npz") && files.contains("dev.svm") && files.contains("dev.labels.txt"), "\(files)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outputs[1]).sorted() == files)
        for file in files {
            #expect(FileManager.default.contents(atPath: outputs[0] + "/" + file) == FileManager.default.contents(atPath: outputs[1] + "/" + file), "\(file)")
        }
        // A label the training corpus lacks is an error naming the line; the earlier files stay.
        let odd = try folder.write("odd.tsv", "text\tlabel\ngood film\tpos\nfine\tmaybe\n")
        let wrong = try TextClfBinary.run(["vectorize", train, "--apply", odd, "--features", features, "--svmlight", "--stream", "--out", outputs[1], "--quiet"])
        #expect(wrong.status != 0 && wrong.standardError.contains("odd.tsv:3"), "\(wrong.standardError)")
        #expect(FileManager.default.contents(atPath: outputs[0] + "/dev.npz") == FileManager.default.contents(atPath: outputs[1] + "/dev.npz"))
        #expect(!FileManager.default.fileExists(atPath: outputs[1] + "/odd.npz"))
    }

    /// Word-vector averages stream too: with TF-IDF weighting the document frequencies are
    /// counted chunk by chunk and give the in-memory `embeddings.json`; the streamed model
    /// learns; under mpirun the ranks' frequencies are merged.
    @Test func wordVectorAveragesStream() throws {
        let folder = try TemporaryFolder()
        let embeddings = try folder.write("vectors.txt", EmbeddingCommandTests.vectors)
        var lines = ["text\tlabel"]
        for index in 0..<5000 {
            lines.append(index % 2 == 0 ? "good film great \(index % 7)\tpos" : "bad awful film\tneg")
        }
        let train = try folder.write("train.tsv", lines.joined(separator: "\n") + "\n")
        var models: [String] = []
        for (name, extra, launcher) in [
            ("memory", [String](), [String]()), ("stream", ["--stream", "--shuffle-buffer", "500"], []),
            ("ranks", ["--stream"], DistributedCommandTests.mpirun == nil ? [] : DistributedCommandTests.twoRanks),
        ] {
            if name == "ranks" && launcher.isEmpty { continue }
            let model = folder.url.appendingPathComponent(name).path
            let result = try TextClfBinary.run(
                ["train", train, "--features", "glove", "--embeddings", embeddings, "--weighting", "tfidf", "--epochs", "2", "--lr", "0.05",
                 "--seed", "2", "--cache-dir", folder.url.appendingPathComponent("cache").path, "--out", model, "--no-run-log",
                 "--validation-fraction", "0.1"] + extra,
                environment: DistributedCommandTests.rootAllowed, launcher: launcher)
            #expect(result.status == 0, "\(name): \(result.standardError)")
            #expect(result.standardOutput.contains("validation: accuracy 1.0000"), "\(name): \(result.standardOutput)")
            models.append(model)
        }
        // Held-out documents differ (stratified in memory, by position streamed), so the
        // frequencies are compared between the streamed runs, and against a fit on the same documents.
        let streamed = try Data(contentsOf: URL(fileURLWithPath: models[1] + "/embeddings.json"))
        #expect(String(decoding: streamed, as: UTF8.self).contains("frequencies"))
        for model in models.dropFirst(2) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: model + "/embeddings.json")) == streamed)
        }
        // On the same documents, streamed and in-memory fits write the same features.
        var fitted: [Data] = []
        for extra in [[], ["--stream"]] {
            let model = folder.url.appendingPathComponent("all\(extra.count)").path
            let result = try TextClfBinary.run(
                ["train", train, "--features", "glove", "--embeddings", embeddings, "--weighting", "tfidf", "--epochs", "1",
                 "--cache-dir", folder.url.appendingPathComponent("cache").path, "--out", model, "--no-run-log", "--quiet"] + extra)
            #expect(result.status == 0, "\(result.standardError)")
            fitted.append(try Data(contentsOf: URL(fileURLWithPath: model + "/embeddings.json")))
        }
        #expect(fitted[0] == fitted[1])
    }
}
