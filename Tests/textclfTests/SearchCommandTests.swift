import ArgumentParser
import Foundation
import Testing
import TextClf
import TextClfTestSupport
@testable import textclf

@Suite("textclf search, end to end")
struct SearchCommandTests {
    /// One line of `trials.jsonl`.
    struct Trial: Decodable, Equatable {
        var trial: Int
        var values: [String: String]
        var score: Double?
        var epochs: Double
        var arguments: [String]
    }

    static func trials(_ directory: String) throws -> [Int: Trial] {
        let text = try String(contentsOfFile: directory + "/trials.jsonl", encoding: .utf8)
        var trials: [Int: Trial] = [:]
        for line in text.split(separator: "\n") {
            let trial = try JSONDecoder().decode(Trial.self, from: Data(line.utf8))
            trials[trial.trial] = trial
        }
        return trials
    }

    /// The ranked table's rows (rank, trial, score) without the header.
    static func ranking(_ output: String) -> [(rank: Int, trial: Int, score: Double)] {
        output.split(separator: "\n").dropFirst().compactMap { line in
            let cells = line.split(separator: " ")
            guard cells.count >= 3, let rank = Int(cells[0]), let trial = Int(cells[1]), let score = Double(cells[2]) else { return nil }
            return (rank, trial, score)
        }
    }

    @Test func aTwoByTwoGridRunsFourTrialsRankedByScoreAndTheBestLoadsBack() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(120, seed: 21))
        let out = folder.url.appendingPathComponent("search").path
        let result = try TextClfBinary.run([
            "search", train, "--validation-fraction", "0.25", "--space", "lr=0.001|0.1", "--space", "optimizer=adam|sgd",
            "--epochs", "2", "--batch-size", "16", "--seed", "3", "--jobs", "1", "--out", out,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let ranking = Self.ranking(result.standardOutput)
        #expect(ranking.map(\.rank) == [1, 2, 3, 4], "\(result.standardOutput)")
        #expect(Set(ranking.map(\.trial)) == [1, 2, 3, 4])
        #expect(ranking.map(\.score) == ranking.map(\.score).sorted(by: >))
        #expect(result.standardOutput.split(separator: "\n")[0].contains("val-f1"))
        #expect(result.standardError.contains("trial 4/4"), "progress lines: \(result.standardError)")
        let trials = try Self.trials(out)
        #expect(trials.count == 4)
        // Grid order: the last --space varies fastest.
        #expect(trials[1]?.values == ["lr": "0.001", "optimizer": "adam"])
        #expect(trials[2]?.values == ["lr": "0.001", "optimizer": "sgd"])
        #expect(trials[3]?.values == ["lr": "0.1", "optimizer": "adam"])

        // best.yaml is a pipeline file that trains the best trial again, to the same score.
        let best = try #require(trials[ranking[0].trial])
        let yaml = try String(contentsOfFile: out + "/best.yaml", encoding: .utf8)
        #expect(yaml.contains("lr: \(best.values["lr"]!)") && yaml.contains("name: \(best.values["optimizer"]!)"), "\(yaml)")
        let model = folder.url.appendingPathComponent("model").path
        let again = try TextClfBinary.run(["train", "--pipeline", out + "/best.yaml", "--out", model, "--quiet"])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains(String(format: "macro-F1 %.4f", ranking[0].score)), "\(again.standardOutput)")
    }

    @Test func randomSearchIsReproducibleAndIndependentOfJobs() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(90, seed: 22))
        var runs: [[Int: Trial]] = []
        var bests: [String] = []
        for (name, jobs) in [("a", "1"), ("b", "2"), ("c", "2")] {
            let out = folder.url.appendingPathComponent(name).path
            let result = try TextClfBinary.run([
                "search", train, "--folds", "2", "--model", "mlp", "--space", "lr=log:1e-3..1e-1", "--space", "hidden=4|8",
                "--space", "dropout=0..0.5", "--strategy", "random", "--trials", "4", "--epochs", "2", "--seed", "9",
                "--jobs", jobs, "--out", out, "--quiet",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardError.isEmpty, "\(result.standardError)")
            runs.append(try Self.trials(out))
            bests.append(try String(contentsOfFile: out + "/best.yaml", encoding: .utf8))
        }
        #expect(runs[0].count == 4)
        #expect(runs[0] == runs[1] && runs[1] == runs[2])
        #expect(bests[0].replacingOccurrences(of: "/a/", with: "/b/") == bests[1])
        #expect(Set(runs[0].values.map { $0.values["lr"]! }).count == 4, "four different draws")
        let other = folder.url.appendingPathComponent("d").path
        let reseeded = try TextClfBinary.run([
            "search", train, "--folds", "2", "--model", "mlp", "--space", "lr=log:1e-3..1e-1", "--space", "hidden=4|8",
            "--space", "dropout=0..0.5", "--strategy", "random", "--trials", "4", "--epochs", "2", "--seed", "10",
            "--out", other, "--quiet",
        ])
        #expect(reseeded.status == 0)
        #expect(try Self.trials(other)[1]?.values != runs[0][1]?.values)
    }

    @Test func resumeRunsOnlyTheMissingTrials() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(80, seed: 23))
        let full = folder.url.appendingPathComponent("full").path
        let arguments = [
            "search", train, "--validation-fraction", "0.25", "--space", "lr=0.01|0.05", "--space", "batch-size=8|16",
            "--epochs", "2", "--seed", "4", "--jobs", "1",
        ]
        #expect(try TextClfBinary.run(arguments + ["--out", full, "--quiet"]).status == 0)
        let partial = folder.url.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        let lines = try String(contentsOfFile: full + "/trials.jsonl", encoding: .utf8).split(separator: "\n")
        // Two finished trials and a line cut short by an interruption.
        try (lines[0] + "\n" + lines[1] + "\n" + lines[2].prefix(20)).write(
            to: partial.appendingPathComponent("trials.jsonl"), atomically: true, encoding: .utf8)
        let again = try TextClfBinary.run(arguments + ["--out", partial.path])
        #expect(again.status != 0 && again.standardError.contains("--resume"), "an existing search needs --resume")
        let resumed = try TextClfBinary.run(arguments + ["--out", partial.path, "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("2 of 4 trials already finished"), "\(resumed.standardError)")
        let ran = resumed.standardError.split(separator: "\n").filter { $0.hasPrefix("trial ") }
        #expect(ran.count == 2, "\(resumed.standardError)")
        let finished = try Self.trials(full)
        let firstTwo = Set(lines.prefix(2).map { try! JSONDecoder().decode(Trial.self, from: Data($0.utf8)).trial })
        #expect(ran.allSatisfy { line in !firstTwo.contains { line.hasPrefix("trial \($0)/") } })
        #expect(try Self.trials(partial.path).mapValues(\.score) == finished.mapValues(\.score))
        #expect(Self.ranking(resumed.standardOutput).count == 4)
        // A different space does not resume this search.
        let changed = try TextClfBinary.run(
            arguments.map { $0 == "lr=0.01|0.05" ? "lr=0.02|0.05" : $0 } + ["--out", partial.path, "--resume"])
        #expect(changed.status != 0 && changed.standardError.contains("not drawn from this space"), "\(changed.standardError)")
    }

    /// `trials.jsonl` lines may end in `\r\n` or `\r` (an editor's line ends): resuming
    /// still finds every finished trial.
    @Test func resumeReadsTrialsWithAnyLineEnds() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(60, seed: 25))
        let full = folder.url.appendingPathComponent("full").path
        let arguments = [
            "search", train, "--validation-fraction", "0.25", "--space", "lr=0.01|0.05", "--epochs", "1", "--seed", "4", "--jobs", "1",
        ]
        #expect(try TextClfBinary.run(arguments + ["--out", full, "--quiet"]).status == 0)
        let lines = try String(contentsOfFile: full + "/trials.jsonl", encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 2)
        for newline in ["\r\n", "\r"] {
            let partial = folder.url.appendingPathComponent("partial\(newline.count)")
            try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
            try (lines.joined(separator: newline) + newline).write(
                to: partial.appendingPathComponent("trials.jsonl"), atomically: true, encoding: .utf8)
            let resumed = try TextClfBinary.run(arguments + ["--out", partial.path, "--resume"])
            #expect(resumed.status == 0, "\(resumed.standardError)")
            #expect(resumed.standardError.contains("2 of 2 trials already finished"), "\(resumed.standardError)")
            #expect(!resumed.standardError.contains("removing"), "\(resumed.standardError)")
        }
    }

    @Test func mistakesInTheSpaceAreNamed() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(30, seed: 24))
        let base = ["search", train, "--validation-fraction", "0.25"]
        let unknown = try TextClfBinary.run(base + ["--space", "lrate=0.1|0.2"])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("unknown key 'lrate'") && unknown.standardError.contains("did you mean 'lr'"), "\(unknown.standardError)")
        let range = try TextClfBinary.run(base + ["--space", "lr=0.01..0.1"])
        #expect(range.status != 0 && range.standardError.contains("--grid-points"), "\(range.standardError)")
        let fixed = try TextClfBinary.run(base + ["--space", "out=a|b"])
        #expect(fixed.status != 0 && fixed.standardError.contains("cannot be searched"), "\(fixed.standardError)")
        let noValidation = try TextClfBinary.run(["search", train, "--space", "lr=0.1|0.2"])
        #expect(noValidation.status != 0 && noValidation.standardError.contains("--folds"), "\(noValidation.standardError)")
        let badTrial = try TextClfBinary.run(base + ["--space", "dropout=0.1|0.2"])
        #expect(badTrial.status != 0 && badTrial.standardError.contains("trial 1 (dropout=0.1)"), "\(badTrial.standardError)")
        let help = try TextClfBinary.run(["search", "--help"])
        #expect(help.standardOutput.contains("log:a..b") && help.standardOutput.contains("Examples:"))
    }

    @Test func spacesParseIntoChoicesAndRanges() throws {
        #expect(try SearchDimension(parsing: "hidden=16|32|64,32").domain == .choices(["16", "32", "64,32"]))
        #expect(try SearchDimension(parsing: "text=lowercase,words|lowercase,sklearn,porter").domain
            == .choices(["lowercase,words", "lowercase,sklearn,porter"]))
        #expect(try SearchDimension(parsing: "lr=log:1e-4..1e-1").domain == .logUniform(1e-4, 1e-1))
        #expect(try SearchDimension(parsing: "dropout=0.1..0.5").domain == .uniform(0.1, 0.5))
        #expect(try SearchDimension(parsing: "epochs=int:2..5").domain == .integers(2, 5))
        #expect(try SearchDimension(parsing: "ngram=1..2").domain == .choices(["1..2"]))
        #expect(try SearchDimension(parsing: "optimizer.lr=0.1|0.2").key == "lr")
        let flag = try SearchDimension(parsing: "batch-norm=true|false")
        #expect(flag.isFlag && flag.arguments("true") == ["--batch-norm"] && flag.arguments("false").isEmpty)
        #expect(throws: ValidationError.self) { try SearchDimension(parsing: "batch-norm=yes|no") }
        #expect(throws: ValidationError.self) { try SearchDimension(parsing: "lr=log:0..1") }
        #expect(throws: ValidationError.self) { try SearchDimension(parsing: "lr") }
        #expect(try SearchDimension(parsing: "lr=log:1e-3..1e-1").gridValues(points: 3) == ["0.001", "0.01", "0.1"])
        #expect(try SearchDimension(parsing: "epochs=int:1..3").gridValues(points: 5) == ["1", "2", "3"])
        let dimensions = try ["lr=log:1e-4..1e-1", "hidden=8|16"].map { try SearchDimension(parsing: $0) }
        let a = try SearchPlan.trials(dimensions, random: true, trials: 5, gridPoints: nil, seed: 1)
        #expect(a == (try SearchPlan.trials(dimensions, random: true, trials: 5, gridPoints: nil, seed: 1)))
        #expect(Array(a.prefix(3)) == (try SearchPlan.trials(dimensions, random: true, trials: 3, gridPoints: nil, seed: 1)))
        #expect(a.allSatisfy { Double($0[0])! >= 1e-4 && Double($0[0])! <= 1e-1 })
        #expect(try SearchPlan.trials(dimensions, random: false, trials: nil, gridPoints: 2, seed: 0).count == 4)
    }

    @Test func baseArgumentsDropSearchOptionsAndSearchedKeys() {
        let parsed = [
            "search", "train.tsv", "--space", "lr=0.1|0.2", "--lr", "0.5", "--jobs=2", "--validation", "dev.tsv", "--epochs", "3",
            "--out", "dir", "--quiet", "--folds", "3",
        ]
        #expect(Search.baseArguments(parsed, searched: ["lr"]) == ["train.tsv", "--validation", "dev.tsv", "--epochs", "3"])
        #expect(Search.baseArguments(parsed, searched: ["validation-fraction"]) == ["train.tsv", "--lr", "0.5", "--epochs", "3"])
    }
}
