import Foundation
import Testing
import TextClf
import TextClfTestSupport

@Suite("textclf cv, end to end")
struct CrossValidateCommandTests {
    /// The fold rows, means and standard deviations of a `--json` file.
    struct Report: Decodable {
        struct Row: Decodable, Equatable {
            var fold: Int
            var accuracy: Double
            var macro_f1: Double
            var weighted_f1: Double
            var class_f1: [Double]
            var loss: Double
            var epochs: Int
            var seconds: Double
            var training_documents: Int
            var test_documents: Int
        }
        var folds: Int
        var classes: [String]
        var rows: [Row]
        var mean: [String: Double]
        var sd: [String: Double?]
        var sd_ddof: Int
    }

    /// The printed table without its last column (the seconds, which vary from run to run).
    static func withoutSeconds(_ output: String) -> String {
        output.split(separator: "\n").map { line in
            line.hasPrefix("sd is") ? String(line) : line.split(separator: " ").dropLast().joined(separator: " ")
        }.joined(separator: "\n")
    }

    @Test func foldRowsMeansAndTheSameSeedGiveTheSameNumbers() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(120, seed: 11))
        var outputs: [String] = []
        var reports: [Report] = []
        for name in ["a", "b"] {
            let json = folder.url.appendingPathComponent(name + ".json").path
            let result = try TextClfBinary.run([
                "cv", train, "--folds", "3", "--epochs", "2", "--batch-size", "16", "--seed", "5", "--json", json, "--quiet",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardError.isEmpty, "--quiet prints nothing on standard error: \(result.standardError)")
            outputs.append(result.standardOutput)
            reports.append(try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: json))))
        }
        let report = reports[0]
        #expect(report.folds == 3 && report.rows.map(\.fold) == [1, 2, 3])
        #expect(report.classes == ["neg", "pos"])
        #expect(report.rows.map(\.test_documents).reduce(0, +) == 120)
        #expect(report.rows.allSatisfy { $0.training_documents + $0.test_documents == 120 && $0.epochs == 2 })
        for (name, values) in [
            ("accuracy", report.rows.map(\.accuracy)), ("macro_f1", report.rows.map(\.macro_f1)),
            ("loss", report.rows.map(\.loss)), ("f1_pos", report.rows.map { $0.class_f1[1] }),
        ] {
            let mean = values.reduce(0, +) / 3
            #expect(abs(report.mean[name]! - mean) < 1e-12, "\(name)")
            let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            #expect(abs(report.sd[name]!! - sd) < 1e-12, "sample sd of \(name)")
        }
        #expect(report.sd_ddof == 1)
        // The table: a header, three folds, mean and sd, and the note on the sd.
        let lines = outputs[0].split(separator: "\n")
        #expect(lines.count == 7, "\(outputs[0])")
        #expect(lines[0].hasPrefix("fold") && lines[0].contains("macro-F1") && lines[0].contains("F1 pos"))
        #expect(lines[4].hasPrefix("mean") && lines[5].hasPrefix("sd"))
        #expect(lines[1].contains(String(format: "%.4f", report.rows[0].accuracy)))
        #expect(outputs[0].contains("ddof = 1"))
        // Same seed, same numbers (seconds aside).
        #expect(Self.withoutSeconds(outputs[0]) == Self.withoutSeconds(outputs[1]))
        #expect(reports[0].rows.map { var row = $0; row.seconds = 0; return row } == reports[1].rows.map { var row = $0; row.seconds = 0; return row })
    }

    @Test func foldsAreRecordedAsChildRunsWithTheirEpochs() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(60, seed: 12))
        let log = folder.url.appendingPathComponent("runs.sqlite").path
        let result = try TextClfBinary.run(
            ["cv", train, "--folds", "2", "--epochs", "2", "--validation-fraction", "0.25", "--patience", "3", "--quiet"],
            environment: ["TEXTCLF_RUN_LOG": log])
        #expect(result.status == 0, "\(result.standardError)")
        let runLog = try RunLog(path: log)
        let cv = try #require(try runLog.runs(command: "cv").first)
        #expect(cv.status == .completed)
        #expect(cv.options["folds"] == "2" && cv.options["epochs"] == "2")
        #expect(cv.metrics[RunMetric.meanAccuracy] != nil && cv.metrics[RunMetric.meanMacroF1] != nil)
        let folds = try runLog.runs(parent: .children(of: cv.id))
        #expect(folds.count == 2)
        for fold in folds {
            #expect(fold.command == "fold" && fold.status == .completed)
            #expect(try runLog.epochs(run: fold.id).count == 2)
            #expect(fold.metrics[RunMetric.accuracy] != nil)
        }
    }

    @Test func mistakesAreNamed() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(30, seed: 13))
        let one = try TextClfBinary.run(["cv", train, "--folds", "1"])
        #expect(one.status != 0 && one.standardError.contains("--folds must be at least 2"), "\(one.standardError)")
        let patience = try TextClfBinary.run(["cv", train, "--patience", "2"])
        #expect(patience.status != 0 && patience.standardError.contains("--validation-fraction"), "\(patience.standardError)")
        let many = try TextClfBinary.run(["cv", train, "--folds", "40", "--quiet"])
        #expect(many.status != 0 && many.standardError.contains("stratified folds"), "\(many.standardError)")
        let help = try TextClfBinary.run(["cv", "--help"])
        #expect(help.standardOutput.contains("prefer") && help.standardOutput.contains("Examples:"))
    }

    @Test(.enabled(if: SharedData.url("sms/SMSSpamCollection") != nil, SharedData.skipMessage))
    func smsSpamCrossValidates() throws {
        let sms = try #require(SharedData.url("sms/SMSSpamCollection")).path
        let result = try TextClfBinary.run([
            "cv", sms, "--folds", "3", "--epochs", "1", "--batch-size", "64", "--lr", "0.05", "--seed", "1", "--quiet",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let mean = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("mean") })
        let accuracy = try #require(Double(mean.split(separator: " ")[1]))
        #expect(accuracy > 0.9, "\(result.standardOutput)")
    }
}
