import Foundation
import Testing
import TextClf
import TextClfTestSupport

@Suite("textclf train and predict, end to end")
struct TrainCommandTests {
    /// A small two-class corpus: words that say which class a document is.
    static func corpus(_ count: Int, seed: UInt64) -> String {
        var generator = RandomGenerator(seed: seed)
        let good = ["great", "wonderful", "superb", "moving", "funny"]
        let bad = ["dull", "awful", "boring", "tedious", "flat"]
        let neutral = ["film", "story", "actor", "scene", "plot", "the", "a"]
        var lines = ["text\tlabel"]
        for _ in 0..<count {
            let positive = generator.nextInt(below: 2) == 1
            let words = (0..<6).map { index -> String in
                index % 2 == 0
                    ? (positive ? good : bad)[generator.nextInt(below: 5)]
                    : neutral[generator.nextInt(below: neutral.count)]
            }
            lines.append(words.joined(separator: " ") + "\t" + (positive ? "pos" : "neg"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func sameSeedGivesIdenticalWeightsAndPredictWorks() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(300, seed: 1))
        let dev = try folder.write("dev.tsv", Self.corpus(60, seed: 2))
        var weights: [Data] = []
        for name in ["a", "b"] {
            let out = folder.url.appendingPathComponent(name).path
            let result = try TextClfBinary.run([
                "train", train, "--validation", dev, "--model", "mlp", "--hidden", "8", "--dropout", "0.2",
                "--epochs", "3", "--batch-size", "16", "--seed", "7", "--out", out, "--quiet",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.contains("validation: accuracy 1.0000"), "\(result.standardOutput)")
            weights.append(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")))
        }
        #expect(weights[0] == weights[1])
        let model = folder.url.appendingPathComponent("a").path
        let predictions = try TextClfBinary.run(["predict", "--model", model, "-"], standardInput: "a great superb film\nan awful boring plot\n")
        #expect(predictions.status == 0, "\(predictions.standardError)")
        #expect(predictions.standardOutput == "pos\nneg\n")
        let json = try TextClfBinary.run(["predict", "--model", model, dev, "--json"])
        #expect(json.standardOutput.split(separator: "\n").count == 60)
        #expect(json.standardOutput.hasPrefix("{\"label\":"))
    }

    @Test func freshStartVersusResumeIsExplicit() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(200, seed: 3))
        let out = folder.url.appendingPathComponent("model").path
        let base = ["train", train, "--validation-fraction", "0.2", "--optimizer", "adam", "--seed", "4", "--out", out, "--quiet"]
        #expect(try TextClfBinary.run(base + ["--epochs", "2"]).status == 0)
        let again = try TextClfBinary.run(base + ["--epochs", "2"])
        #expect(again.status != 0)
        #expect(again.standardError.contains("already holds a model"), "\(again.standardError)")
        let resumed = try TextClfBinary.run(base + ["--epochs", "4", "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let (_, document) = try ModelFile.load(from: out)
        #expect(document.history.map(\.epoch) == [1, 2, 3, 4])
        // Four epochs straight give the same weights: optimizer state and epoch count carried over.
        let straight = folder.url.appendingPathComponent("straight").path
        let straightRun = ["train", train, "--validation-fraction", "0.2", "--optimizer", "adam", "--seed", "4", "--out", straight, "--quiet", "--epochs", "4"]
        #expect(try TextClfBinary.run(straightRun).status == 0)
        let (_, straightDocument) = try ModelFile.load(from: straight)
        #expect(straightDocument.history.map(\.trainLoss) == document.history.map(\.trainLoss))
        #expect(try TextClfBinary.run(base + ["--epochs", "1", "--overwrite"]).status == 0)
        #expect(try ModelFile.load(from: out).document.history.count == 1)
    }

    @Test func theRunIsRecordedWithItsEpochsAndTestMetrics() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(80, seed: 8))
        let test = try folder.write("test.tsv", Self.corpus(20, seed: 9))
        let log = folder.url.appendingPathComponent("runs.sqlite").path
        let out = folder.url.appendingPathComponent("m").path
        let result = try TextClfBinary.run(
            ["train", train, "--validation-fraction", "0.25", "--test", test, "--epochs", "2", "--lr", "0.05", "--out", out, "--quiet"],
            environment: ["TEXTCLF_RUN_LOG": log])
        #expect(result.status == 0, "\(result.standardError)")
        let runLog = try RunLog(path: log)
        let run = try #require(try runLog.runs(command: "train").first)
        #expect(run.status == .completed && run.modelPath == out)
        #expect(run.options["lr"] == "0.05" && run.options["epochs"] == "2")
        #expect(run.data?.contains("60 training documents") == true && run.data?.contains("20 test documents") == true, "\(run.data ?? "")")
        #expect(try runLog.epochs(run: run.id).map(\.epoch) == [1, 2])
        #expect(run.metrics[RunMetric.testAccuracy] != nil && run.metrics[RunMetric.validationMacroF1] != nil)
        let failed = try TextClfBinary.run(
            ["train", folder.url.appendingPathComponent("missing.tsv").path, "--out", out + "2"], environment: ["TEXTCLF_RUN_LOG": log])
        #expect(failed.status != 0)
        #expect(try runLog.runs(command: "train").first?.status == .failed)
        let off = try TextClfBinary.run(
            ["train", train, "--epochs", "1", "--out", out + "3", "--quiet", "--no-run-log"], environment: ["TEXTCLF_RUN_LOG": log])
        #expect(off.status == 0)
        #expect(try runLog.runs(command: "train").count == 2)
    }

    @Test func unknownValidationLabelIsNamed() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(50, seed: 5))
        let dev = try folder.write("dev.tsv", "text\tlabel\ngreat film\tpos\ndull film\tmixed\n")
        let result = try TextClfBinary.run(["train", train, "--validation", dev, "--out", folder.url.appendingPathComponent("m").path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("dev.tsv:3"), "\(result.standardError)")
        #expect(result.standardError.contains("'mixed'"))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("m/model.json").path))
    }

    @Test func optionsThatWouldDoNothingAreRefusedBeforeReading() throws {
        // The corpus does not exist: the refusal comes before any data is read.
        let missing = "/nonexistent/train.tsv"
        for (options, message) in [
            (["--optimizer", "adam", "--momentum", "0.9"], "--momentum applies to --optimizer sgd or rmsprop, not adam"),
            (["--optimizer", "adamw", "--momentum", "0.5"], "not adamw"),
            (["--optimizer", "adagrad", "--momentum", "0.5"], "not adagrad"),
            (["--optimizer", "rmsprop", "--momentum", "0.5", "--nesterov"], "--nesterov applies to --optimizer sgd, not rmsprop"),
            (["--optimizer", "adam", "--nesterov"], "--nesterov applies to --optimizer sgd, not adam"),
            (["--optimizer", "sgd", "--nesterov"], "--nesterov needs a positive --momentum"),
        ] {
            let result = try TextClfBinary.run(["train", missing, "--out", "/nonexistent/m"] + options)
            #expect(result.status == 64, "\(options): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(options): \(result.standardError)")
        }
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(60, seed: 17))
        for options in [["--optimizer", "sgd", "--momentum", "0.9", "--nesterov"], ["--optimizer", "rmsprop", "--momentum", "0.5"]] {
            let result = try TextClfBinary.run(
                ["train", train, "--epochs", "1", "--out", folder.url.appendingPathComponent(options[1]).path, "--quiet"] + options)
            #expect(result.status == 0, "\(options): \(result.standardError)")
        }
    }

    @Test func jsonSummaryHasEpochsAndScores() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(120, seed: 18))
        let test = try folder.write("test.tsv", Self.corpus(30, seed: 19))
        let out = folder.url.appendingPathComponent("m").path
        let summary = folder.url.appendingPathComponent("summary.json").path
        let result = try TextClfBinary.run([
            "train", train, "--validation-fraction", "0.25", "--test", test, "--epochs", "3", "--out", out, "--json", summary, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let data = try #require(FileManager.default.contents(atPath: summary))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["model"] as? String == out && object["training_documents"] as? Int == 90)
        #expect(object["classes"] as? [String] == ["neg", "pos"])
        let epochs = try #require(object["epochs"] as? [[String: Any]])
        #expect(epochs.map { $0["epoch"] as? Int } == [1, 2, 3])
        let document = try ModelFile.load(from: out).document
        #expect(object["best_epoch"] as? Int == document.bestEpoch && object["stopping_reason"] as? String == "completed all epochs")
        let testScores = try #require(object["test"] as? [String: Any])
        #expect(testScores["documents"] as? Int == 30)
        let accuracy = try #require(testScores["accuracy"] as? Double)
        #expect(result.standardOutput.contains(String(format: "test: accuracy %.4f", accuracy)), "\(result.standardOutput)")
        #expect((object["validation"] as? [String: Any])?["documents"] as? Int == 30)
    }

    @Test func overfitBatchesDrivesTheLossDown() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.corpus(200, seed: 6))
        let result = try TextClfBinary.run([
            "train", train, "--model", "mlp", "--hidden", "16", "--overfit-batches", "1", "--epochs", "60", "--lr", "0.05",
            "--out", folder.url.appendingPathComponent("m").path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let lastEpoch = result.standardError.split(separator: "\n").last { $0.hasPrefix("epoch 60:") }
        let loss = lastEpoch.flatMap { Double($0.split(separator: " ")[4].dropLast()) }
        #expect((loss ?? 1) < 0.01, "\(lastEpoch ?? "no epoch 60 line")")
    }
}

@Suite("The seed recipe on SST-2", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
struct SeedRecipeTrainingTests {
    /// Counts of whitespace-split, Porter-stemmed tokens; logistic regression; Adam lr 0.01;
    /// batch 16; 2 epochs. scikit-learn's LogisticRegression gets 0.810 on dev, the seed's
    /// PyTorch loop 0.812–0.822.
    @Test func devAccuracyReachesTheReference() throws {
        let folder = try TemporaryFolder()
        let result = try TextClfBinary.run([
            "train", try #require(SharedData.url("sst2/train.tsv")).path,
            "--validation", try #require(SharedData.url("sst2/dev.tsv")).path,
            "--model", "logreg", "--text", "whitespace,porter,sklearn", "--optimizer", "adam", "--lr", "0.01",
            "--batch-size", "16", "--epochs", "2", "--seed", "1", "--out", folder.url.appendingPathComponent("m").path, "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let line = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("validation: accuracy ") }
        let accuracy = line.flatMap { Double($0.split(separator: " ")[2].dropLast()) } ?? 0
        #expect(accuracy >= 0.81, "\(result.standardOutput)")
    }
}
