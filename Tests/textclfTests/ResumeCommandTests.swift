import Foundation
import Testing
import TextClf
import TextClfTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `train --resume` and Ctrl-C, through the real binary: a resumed or interrupted run ends
/// with the files of a run that was never stopped.
@Suite("textclf train --resume and Ctrl-C")
struct ResumeCommandTests {
    /// The files of a model folder that a resumed run must reproduce bit for bit.
    static let stateFiles = ["model.safetensors", "best.safetensors", "last.safetensors", "optimizer.safetensors"]

    /// The bytes of each of ``stateFiles`` that exists in `folder`.
    static func stateBytes(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in stateFiles {
            if let data = FileManager.default.contents(atPath: folder + "/" + name) { files[name] = data }
        }
        return files
    }

    /// The history without the wall-clock seconds.
    static func history(_ folder: String) throws -> [EpochRecord] {
        try ModelFile.load(from: folder).document.history.map { record in
            var record = record
            record.seconds = 0
            return record
        }
    }

    @Test func resumingWithOnlyEpochsEqualsOneRun() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(240, seed: 11))
        let options = [
            "--model", "mlp", "--hidden", "8", "--dropout", "0.3", "--validation-fraction", "0.25", "--patience", "5",
            "--batch-size", "12", "--seed", "9", "--optimizer", "adam", "--lr", "0.02", "--quiet",
        ]
        let straight = folder.url.appendingPathComponent("straight").path
        let whole = try TextClfBinary.run(["train", train] + options + ["--epochs", "4", "--out", straight])
        #expect(whole.status == 0, "\(whole.standardError)")

        let resumed = folder.url.appendingPathComponent("resumed").path
        let first = try TextClfBinary.run(["train", train] + options + ["--epochs", "2", "--out", resumed])
        #expect(first.status == 0, "\(first.standardError)")
        let second = try TextClfBinary.run(["train", train, "--out", resumed, "--resume", "--epochs", "4", "--quiet"])
        #expect(second.status == 0, "\(second.standardError)")
        // The validation split, batch size, seed and dropout of the saved run: the same data line.
        #expect(
            second.standardOutput.replacingSeconds()
                == whole.standardOutput.replacingOccurrences(of: straight, with: resumed).replacingSeconds())

        #expect(Self.stateBytes(resumed) == Self.stateBytes(straight))
        #expect(Self.stateBytes(resumed).count == 4)
        #expect(try Self.history(resumed) == Self.history(straight))
        let document = try ModelFile.load(from: resumed).document
        #expect(document.options?.batchSize == 12 && document.options?.patience == 5 && document.options?.seed == 9)
        #expect(document.architecture.kind == .mlp && document.architecture.dropout == 0.3)
    }

    @Test func optionsThatMayNotChangeAreRefused() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(120, seed: 12))
        let out = folder.url.appendingPathComponent("m").path
        let trained = try TextClfBinary.run([
            "train", train, "--validation-fraction", "0.2", "--batch-size", "16", "--seed", "3", "--epochs", "1", "--out", out,
            "--quiet",
        ])
        #expect(trained.status == 0, "\(trained.standardError)")
        let before = Self.stateBytes(out)
        let json = FileManager.default.contents(atPath: out + "/model.json")

        for (given, saved) in [
            (["--batch-size", "32"], "16"), (["--model", "mlp"], "(not given)"), (["--seed", "4"], "3"),
            (["--validation-fraction", "0.3"], "0.2"), (["--optimizer", "sgd"], "(not given)"),
        ] {
            let result = try TextClfBinary.run(["train", train, "--out", out, "--resume", "--epochs", "3"] + given)
            #expect(result.status == 64, "\(given): \(result.standardError)")
            #expect(result.standardError.contains("\(given[0]) is \(saved) in the saved run"), "\(result.standardError)")
            #expect(result.standardError.contains("given \(given[1])"), "\(result.standardError)")
            #expect(result.standardError.contains("Usage: textclf train ") && result.standardError.contains("See 'textclf train --help'"))
        }
        // The same value, spelled otherwise, is no change.
        let same = try TextClfBinary.run(["train", train, "--out", out, "--resume", "--epochs", "1", "--batch-size=16", "--seed", "3"])
        #expect(same.status == 0, "\(same.standardError)")
        // Another training file is refused.
        let other = try folder.write("other.tsv", TrainCommandTests.corpus(120, seed: 13))
        let moved = try TextClfBinary.run(["train", other, "--out", out, "--resume", "--epochs", "3"])
        #expect(moved.status == 64 && moved.standardError.contains("was trained on \(train)"), "\(moved.standardError)")
        #expect(Self.stateBytes(out) == before)
        #expect(FileManager.default.contents(atPath: out + "/model.json") == json)
    }

    @Test func aFinishedFolderSaysSoAndChangesNothing() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(100, seed: 14))
        let out = folder.url.appendingPathComponent("m").path
        #expect(try TextClfBinary.run(["train", train, "--epochs", "2", "--out", out, "--quiet"]).status == 0)
        let before = Self.stateBytes(out)
        let json = FileManager.default.contents(atPath: out + "/model.json")
        let result = try TextClfBinary.run(["train", train, "--out", out, "--resume", "--epochs", "2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("has already trained 2 epochs (--epochs 2); nothing to do"), "\(result.standardOutput)")
        #expect(Self.stateBytes(out) == before)
        #expect(FileManager.default.contents(atPath: out + "/model.json") == json)
    }

    @Test func aTamperedInterruptedEpochIsAnErrorNamingTheFile() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(100, seed: 20))
        let out = folder.url.appendingPathComponent("m").path
        #expect(try TextClfBinary.run(["train", train, "--model", "mlp", "--hidden", "4", "--dropout", "0.2", "--epochs", "1", "--out", out, "--quiet"]).status == 0)
        let jsonPath = out + "/model.json"
        let good = try #require(FileManager.default.contents(atPath: jsonPath))
        let partial: [String: Any] = [
            "epoch": 2, "steps": 1, "lossSum": 0.5, "correct": 1, "seen": 2, "confusion": [1, 0, 1],
            "windowLoss": 0.5, "windowSteps": 1, "seconds": 0.1, "dropoutGenerators": [String(repeating: "1", count: 64)],
        ]
        for (change, message) in [
            ({ (p: inout [String: Any]) in p["confusion"] = [1, 0, 1] }, "confusion counts are not 2 × 2"),
            ({ (p: inout [String: Any]) in p["confusion"] = [1, 0, 1, 0]; p["dropoutGenerators"] = ["zz"] }, "dropout generator"),
            ({ (p: inout [String: Any]) in p["confusion"] = [1, 0, 1, 0]; p["steps"] = 0 }, "counts are impossible"),
        ] {
            var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
            var training = try #require(object["training"] as? [String: Any])
            var tampered = partial
            change(&tampered)
            training["partialEpoch"] = tampered
            object["training"] = training
            let bytes = try JSONSerialization.data(withJSONObject: object)
            try bytes.write(to: URL(fileURLWithPath: jsonPath))
            let before = Self.stateBytes(out)
            let result = try TextClfBinary.run(["train", train, "--out", out, "--resume", "--epochs", "3"])
            #expect(result.status == 1, "\(result.standardError)")
            #expect(result.standardError.contains(jsonPath) && result.standardError.contains(message), "\(result.standardError)")
            #expect(Self.stateBytes(out) == before && FileManager.default.contents(atPath: jsonPath) == bytes)
        }
    }

    @Test func changesThatMayApplyAreRecorded() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(100, seed: 15))
        let out = folder.url.appendingPathComponent("m").path
        let log = folder.url.appendingPathComponent("runs.sqlite").path
        let environment = ["TEXTCLF_RUN_LOG": log]
        #expect(try TextClfBinary.run(["train", train, "--epochs", "1", "--batch-size", "8", "--out", out, "--quiet"], environment: environment).status == 0)
        let resumed = try TextClfBinary.run(
            ["train", train, "--out", out, "--resume", "--epochs", "2", "--lr", "0.05"], environment: environment)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let document = try ModelFile.load(from: out).document
        #expect(document.options?.learningRate == 0.05 && document.options?.batchSize == 8)
        #expect(document.history.map(\.learningRate) == [0.01, 0.05])
        #expect(document.arguments?.contains("--lr") == true)
        let run = try #require(try RunLog(path: log).runs(command: "train").first)
        #expect(run.options["lr"] == "0.05" && run.options["batch-size"] == "8" && run.options["epochs"] == "2", "\(run.options)")
    }

    /// `train` with `--log-every 1`, interrupted by a real SIGINT a few steps into its second
    /// epoch; returns the exit status and both outputs.
    static func interruptInSecondEpoch(_ arguments: [String], stepsPerEpoch: Int) throws -> CommandResult {
        try interrupt(arguments, atStep: stepsPerEpoch + 3)
    }

    /// `train` with `--log-every 1`, interrupted by a real SIGINT once it logs global step
    /// `step`; returns the exit status and both outputs.
    static func interrupt(_ arguments: [String], atStep step: Int) throws -> CommandResult {
        let binary = try #require(TextClfBinary.url, "the textclf binary was not built")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--log-every", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["TEXTCLF_RUN_LOG"] = TextClfBinary.testRunLog
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var errorText = ""
        var signalled = false
        let target = "step \(step):"
        while true {
            let chunk = error.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            errorText += String(decoding: chunk, as: UTF8.self)
            if !signalled && errorText.contains(target) {
                kill(process.processIdentifier, SIGINT)
                signalled = true
            }
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self), standardError: errorText)
    }

    @Test func controlCLeavesTheBestModelAndResumesExactly() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(2000, seed: 16))
        // 1600 training rows in batches of 2: 800 steps an epoch.
        let options = [
            "--model", "mlp", "--hidden", "16", "--dropout", "0.25", "--validation-fraction", "0.2", "--batch-size", "2",
            "--seed", "5", "--lr", "0.01",
        ]
        let interrupted = folder.url.appendingPathComponent("interrupted").path
        let result = try Self.interruptInSecondEpoch(
            ["train", train] + options + ["--epochs", "4", "--out", interrupted], stepsPerEpoch: 800)
        #expect(result.status == 130, "\(result.standardError.suffix(500))")
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("interrupted in epoch ") })
        let epoch = try #require(Int(line.split(separator: " ")[3]))
        #expect(epoch >= 2 && epoch <= 4, "\(line)")

        // model.safetensors: the best of the epochs completed before the interruption, as a
        // run of that many epochs saves it.
        let shorter = folder.url.appendingPathComponent("shorter").path
        let shorterRun = try TextClfBinary.run(["train", train] + options + ["--epochs", "\(epoch - 1)", "--out", shorter, "--quiet"])
        #expect(shorterRun.status == 0, "\(shorterRun.standardError)")
        #expect(Self.stateBytes(interrupted)["model.safetensors"] == Self.stateBytes(shorter)["model.safetensors"])
        let predictions = try TextClfBinary.run(["predict", "--model", interrupted, "-"], standardInput: "a great film\n")
        #expect(predictions.status == 0, "\(predictions.standardError)")

        // Fewer epochs than those already run leave the folder as it is.
        let saved = Self.stateBytes(interrupted)
        let fewer = try TextClfBinary.run(["train", train, "--out", interrupted, "--resume", "--epochs", "\(epoch - 1)"])
        #expect(fewer.status == 0 && fewer.standardOutput.contains("nothing to do"), "\(fewer.standardOutput)")
        #expect(Self.stateBytes(interrupted) == saved)

        // Resuming finishes the interrupted epoch and the rest as one run does.
        let resumed = try TextClfBinary.run(["train", train, "--out", interrupted, "--resume", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let straight = folder.url.appendingPathComponent("straight").path
        let straightRun = try TextClfBinary.run(["train", train] + options + ["--epochs", "4", "--out", straight, "--quiet"])
        #expect(straightRun.status == 0, "\(straightRun.standardError)")
        #expect(Self.stateBytes(interrupted) == Self.stateBytes(straight))
        #expect(try Self.history(interrupted) == Self.history(straight))
    }
}

extension ResumeCommandTests {
    @Test func controlCInTheFirstEpochOfAnOverwriteKeepsThePreviousModel() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(2000, seed: 17))
        let out = folder.url.appendingPathComponent("model").path
        let first = try TextClfBinary.run(["train", train, "--model", "logreg", "--epochs", "1", "--out", out, "--quiet"])
        #expect(first.status == 0, "\(first.standardError)")
        let previous = Self.stateBytes(out)
        // 2000 rows in batches of 2: the interruption comes long before the first epoch ends.
        let result = try Self.interrupt(
            ["train", train, "--model", "mlp", "--hidden", "16", "--batch-size", "2", "--epochs", "2", "--out", out, "--overwrite"],
            atStep: 5)
        #expect(result.status == 130, "\(result.standardError.suffix(500))")
        #expect(result.standardOutput.contains("before any epoch finished; \(out) keeps its previous model"), "\(result.standardOutput)")
        #expect(Self.stateBytes(out) == previous)
        let predictions = try TextClfBinary.run(["predict", "--model", out, "-"], standardInput: "a great film\n")
        #expect(predictions.status == 0, "\(predictions.standardError)")
    }
}

extension ResumeCommandTests {
    /// What kill -9 during a save or an embeddings build leaves: temporary files named after a
    /// process that has ended. `cache list` counts them; the next save or build removes them.
    @Test func killedWritersLeftoversAreCountedAndRemoved() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(40, seed: 18))
        let out = folder.url.appendingPathComponent("model").path
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let leftovers = [".model.safetensors.tmp-\(ended.processIdentifier)-k9", ".model.json.tmp-\(ended.processIdentifier)-k9"]
        _ = try folder.write("model/" + leftovers[0], String(repeating: "x", count: 1000))
        _ = try folder.write("model/" + leftovers[1], "{")
        let result = try TextClfBinary.run(["train", train, "--model", "logreg", "--epochs", "1", "--out", out, "--overwrite", "--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(names.allSatisfy { !$0.contains(".tmp-") }, "\(names)")
        #expect(names.contains("model.json"))

        let cache = folder.url.appendingPathComponent("cache").path
        _ = try folder.write("cache/stores/.0123.tcemb.tmp-\(ended.processIdentifier)-k9", String(repeating: "x", count: 300_000))
        let listed = try TextClfBinary.run(["cache", "list", "--cache-dir", cache])
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(listed.standardOutput.contains("1 temporary store file(s), 0.3 MB, left by interrupted builds"), "\(listed.standardOutput)")
        let cleared = try TextClfBinary.run(["cache", "clear", "--cache-dir", cache])
        #expect(cleared.status == 0, "\(cleared.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/stores").isEmpty)
    }
}

extension String {
    /// The text with every `N.NN s` time replaced by `- s`, for comparing runs.
    func replacingSeconds() -> String {
        replacingOccurrences(of: #"[0-9]+\.[0-9]+ s"#, with: "- s", options: .regularExpression)
    }
}
