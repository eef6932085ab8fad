import Foundation
import Testing
import TextClf
import TextClfTestSupport
@testable import textclf

@Suite("textclf runs, end to end")
struct RunsCommandTests {
    /// Runs the binary with `TEXTCLF_RUN_LOG` set to `log`.
    func runs(_ arguments: [String], log: String) throws -> CommandResult {
        guard let binary = TextClfBinary.url else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the textclf binary was not built"])
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["runs"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TEXTCLF_RUN_LOG"] = log
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// A log with a train run (two epochs), a cv run with three folds and a failed train run.
    func seed(_ path: String) throws -> (train: Int64, cv: Int64, folds: [Int64], failed: Int64) {
        let log = try RunLog(path: path)
        let train = try log.begin(
            command: "train", arguments: ["train", "sst2/train.tsv", "--lr", "0.01", "--out", "models/a"],
            options: ["lr": "0.01", "epochs": "2", "model": "logreg"], data: "sst2/train.tsv: 100 documents",
            modelPath: "models/a")
        for epoch in 1...2 {
            try log.recordEpoch(
                train,
                EpochRecord(
                    epoch: epoch, trainLoss: 0.5 / Double(epoch), trainAccuracy: 0.8, validationLoss: 0.25 * Double(epoch),
                    validationAccuracy: 0.875, validationMacroF1: 0.8125, learningRate: 0.01, seconds: 0.5))
        }
        try log.finish(train, status: .completed, metrics: [RunMetric.testAccuracy: 0.9375, RunMetric.testMacroF1: 0.9, RunMetric.validationLoss: 0.25, RunMetric.bestEpoch: 1])
        let cv = try log.begin(command: "cv", arguments: ["cv", "sst2/train.tsv"], options: ["lr": "0.1", "epochs": "2", "model": "logreg"])
        var folds: [Int64] = []
        for fold in 0..<3 {
            let id = try log.begin(command: "fold", arguments: [], options: ["fold": "\(fold + 1)"], parent: cv)
            try log.finish(id, status: .completed, metrics: [RunMetric.validationAccuracy: 0.7 + 0.1 * Double(fold)])
            folds.append(id)
        }
        try log.finish(cv, status: .completed, metrics: [RunMetric.meanAccuracy: 0.8])
        let failed = try log.begin(command: "train", arguments: ["train", "missing.tsv"], options: ["lr": "0.01", "epochs": "5", "model": "logreg"])
        try log.finish(failed, status: .failed, message: "missing.tsv: no such file")
        return (train, cv, folds, failed)
    }

    @Test func listShowsAnAlignedTableNewestFirst() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("runs.sqlite").path
        let ids = try seed(path)
        let result = try runs([], log: path)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(result.standardOutput)")  // header, failed, cv, train; no folds
        #expect(lines[0].hasPrefix("id  started (UTC)"))
        #expect(lines[1].hasPrefix(" \(ids.failed)  ") || lines[1].hasPrefix("\(ids.failed)  "))
        #expect(lines[1].contains("failed"))
        #expect(lines[2].contains("cv") && lines[2].contains("0.8000") && lines[2].contains("3 runs"))
        #expect(lines[3].contains("train") && lines[3].contains("0.9375") && lines[3].contains("0.9000") && lines[3].contains("0.2500") && lines[3].hasSuffix("models/a"))
        // Columns line up: every row has the status column at the same offset.
        let statusColumn = try #require(lines[0].range(of: "status")).lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            let index = line.index(line.startIndex, offsetBy: statusColumn)
            #expect(["failed", "completed"].contains(where: { line[index...].hasPrefix($0) }), "\(line)")
        }

        let trains = try runs(["--command", "train", "--limit", "1"], log: path)
        #expect(trains.standardOutput.split(separator: "\n").count == 2)
        #expect(trains.standardOutput.contains("failed"))
        let all = try runs(["list", "--all"], log: path)
        #expect(all.standardOutput.split(separator: "\n").count == 7)
        #expect(all.standardOutput.contains("fold"))

        let json = try runs(["--json", "--all"], log: path)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        #expect(array.count == 6)
        let train = try #require(array.first { ($0["id"] as? Int).map(Int64.init) == ids.train })
        #expect(train["command"] as? String == "train")
        #expect((train["metrics"] as? [String: Double])?[RunMetric.testAccuracy] == 0.9375)
        #expect(train["arguments"] as? [String] == ["train", "sst2/train.tsv", "--lr", "0.01", "--out", "models/a"])
        #expect((train["started"] as? String)?.hasSuffix("Z") == true)

        let empty = try runs([], log: folder.url.appendingPathComponent("empty/runs.sqlite").path)
        #expect(empty.status == 0)
        #expect(empty.standardOutput.contains("no runs in"))
    }

    @Test func showPrintsOptionsEpochsMetricsAndChildren() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("runs.sqlite").path
        let ids = try seed(path)
        let train = try runs(["show", String(ids.train)], log: path)
        #expect(train.status == 0, "\(train.standardError)")
        let text = train.standardOutput
        #expect(text.hasPrefix("run \(ids.train): train, completed"))
        #expect(text.contains("arguments  train sst2/train.tsv --lr 0.01 --out models/a"))
        #expect(text.contains("data       sst2/train.tsv: 100 documents"))
        #expect(text.contains("  lr      0.01"))
        #expect(text.contains("epoch  train loss  train acc  val loss  val acc  val F1    lr  seconds"))
        #expect(text.contains("      1      0.5000     0.8000    0.2500   0.8750  0.8125  0.01     0.50"))
        #expect(text.contains("  best_epoch            1\n"))
        #expect(text.contains("  test_accuracy    0.9375\n"))

        let cv = try runs(["show", String(ids.cv)], log: path)
        #expect(cv.standardOutput.contains("children: 3 (3 completed)"))
        #expect(cv.standardOutput.contains("accuracy: mean 0.8000, sd 0.1000, min 0.7000, max 0.9000 over 3"))

        let failed = try runs(["show", String(ids.failed)], log: path)
        #expect(failed.standardOutput.contains("message    missing.tsv: no such file"))

        let json = try runs(["show", String(ids.train), "--json"], log: path)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        #expect((object["epochs"] as? [Any])?.count == 2)
        #expect((object["run"] as? [String: Any])?["modelPath"] as? String == "models/a")

        let missing = try runs(["show", "999"], log: path)
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("no run 999 in \(path)"))
    }

    @Test func compareShowsDifferingOptionsAndMetricsSideBySide() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("runs.sqlite").path
        let ids = try seed(path)
        let result = try runs(["compare", String(ids.train), String(ids.cv), String(ids.failed)], log: path)
        #expect(result.status == 0, "\(result.standardError)")
        let text = result.standardOutput
        #expect(text.contains("options that differ (2 of 3)"), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        let lr = try #require(lines.first { $0.hasPrefix("  lr") })
        #expect(lr.split(separator: " ").map(String.init) == ["lr", "0.01", "0.1", "0.01"])
        let epochs = try #require(lines.first { $0.hasPrefix("  epochs") })
        #expect(epochs.split(separator: " ").map(String.init) == ["epochs", "2", "2", "5"])
        #expect(!lines.contains { $0.hasPrefix("  model ") })
        let accuracy = try #require(lines.first { $0.hasPrefix("  test_accuracy") })
        #expect(accuracy.split(separator: " ").map(String.init) == ["test_accuracy", "0.9375", "-", "-"])
        let allOptions = try runs(["compare", String(ids.train), String(ids.cv), "--all-options"], log: path)
        #expect(allOptions.standardOutput.contains("  model "))
        #expect(allOptions.standardOutput.contains("* lr"))
        let single = try runs(["compare", String(ids.train)], log: path)
        #expect(single.status != 0)
    }

    @Test func deleteRemovesRunsWithTheirChildrenAndRefusesUnknownIds() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("runs.sqlite").path
        let ids = try seed(path)
        let unknown = try runs(["delete", String(ids.cv), "999"], log: path)
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("no run 999"))
        #expect(try RunLog(path: path).runs().count == 6)

        let result = try runs(["delete", String(ids.cv), "--run-log", path], log: "/nonexistent/elsewhere.sqlite")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("deleted run \(ids.cv) and 3 child runs"))
        #expect(try RunLog(path: path).runs().map(\.id) == [ids.failed, ids.train])
    }

    @Test func aDamagedRunLogIsNamedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("runs.sqlite", String(repeating: "not a database\n", count: 600))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try runs([], log: path)
        #expect(result.status != 0)
        #expect(result.standardError.contains(path))
        #expect(result.standardError.contains("damaged or not a run log"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func helpHasExamples() throws {
        let result = try TextClfBinary.run(["runs", "--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("textclf runs compare 12 14 15"))
        #expect(try TextClfBinary.run(["help"]).standardOutput.contains("runs"))
    }
}

@Suite("Recording a command's options")
struct RunOptionValuesTests {
    @Test func optionsOfAParsedTrainCommandByTheirCommandLineNames() throws {
        let train = try Train.parse(["data.tsv", "--out", "m", "--lr", "0.5", "--hidden", "8,4", "--model", "mlp"])
        let values = RunOptionValues.of(train)
        #expect(values["train"] == "data.tsv")
        #expect(values["out"] == "m")
        #expect(values["lr"] == "0.5")
        #expect(values["hidden"] == "8,4")
        #expect(values["model"] == "mlp")
        #expect(values["batch-size"] == "32")
        #expect(values["resume"] == "false")
        #expect(values["validation"] == nil)
        #expect(values["run-log"] == nil)
    }
}
