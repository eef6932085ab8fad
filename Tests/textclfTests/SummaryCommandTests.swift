import Foundation
import Testing
import TextClf
@testable import textclf

@Suite("vectorize progress and the --json summaries of vectorize and search")
struct SummaryCommandTests {
    @Test func vectorizeShowsProgressUnlessQuiet() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", VectorizeCommandTests.train)
        let dev = try folder.write("dev.tsv", VectorizeCommandTests.dev)
        let out = folder.url.appendingPathComponent("out").path
        let loud = try TextClfBinary.run(["vectorize", train, "--apply", dev, "--out", out])
        #expect(loud.status == 0, "\(loud.standardError)")
        #expect(loud.standardError.contains("fitting counts on \(train)"), "\(loud.standardError)")
        #expect(loud.standardError.contains("transforming \(dev)"), "\(loud.standardError)")
        let quiet = try TextClfBinary.run(["vectorize", train, "--apply", dev, "--out", out, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.standardError.isEmpty && quiet.standardOutput.isEmpty, "\(quiet.standardError)\(quiet.standardOutput)")
    }

    @Test func theDocumentCounterDrawsOnlyWhenEnabled() {
        var drawn: [String] = []
        let counter = DocumentCounter(label: "train.tsv", enabled: true, interval: 0) { drawn.append($0) }
        for _ in 0..<3 { counter.add() }
        counter.finish()
        #expect(drawn.contains { $0.contains("train.tsv: 3 documents") }, "\(drawn)")
        #expect(drawn.last?.hasPrefix("\r") == true && drawn.last?.hasSuffix("\r") == true, "the line is cleared: \(drawn)")
        var silent: [String] = []
        let off = DocumentCounter(label: "train.tsv", enabled: false, interval: 0) { silent.append($0) }
        off.add()
        off.finish()
        #expect(silent.isEmpty)
    }

    @Test func vectorizeWritesAJSONSummary() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", VectorizeCommandTests.train)
        let dev = try folder.write("dev.tsv", VectorizeCommandTests.dev)
        let out = folder.url.appendingPathComponent("out").path
        let summary = folder.url.appendingPathComponent("summary.json").path
        let result = try TextClfBinary.run(["vectorize", train, "--apply", dev, "--out", out, "--json", summary, "--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        #expect(object["features"] as? String == "counts")
        #expect(object["columns"] as? Int == 9)
        #expect(object["classes"] as? [String] == ["markets", "pets"])
        #expect(object["out"] as? String == out)
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["train", "dev"])
        #expect(inputs.map { $0["rows"] as? Int } == [3, 2])
        #expect(inputs.map { $0["stored"] as? Int } == [11, 3])
        #expect(inputs.map { $0["path"] as? String } == [train, dev])
        #expect(inputs.allSatisfy { $0["labelled"] as? Bool == true && $0["seconds"] is Double })
    }

    @Test func searchWritesAJSONSummary() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(80, seed: 21))
        let summary = folder.url.appendingPathComponent("search.json").path
        let result = try TextClfBinary.run([
            "search", train, "--validation-fraction", "0.25", "--space", "lr=0.001|0.1", "--epochs", "1", "--batch-size", "16",
            "--seed", "3", "--jobs", "1", "--json", summary, "--quiet", "--no-run-log",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        #expect(object["metric"] as? String == "val-f1")
        #expect(object["strategy"] as? String == "grid")
        #expect(object["total"] as? Int == 2)
        #expect(object["finished"] as? Int == 2)
        #expect(object["interrupted"] as? Bool == false)
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 2)
        let best = try #require(object["best"] as? [String: Any])
        #expect(best["trial"] as? Int == trials.first?["trial"] as? Int)
        #expect((best["values"] as? [String: String])?["lr"] != nil)
        // --json is search's own option: the trials' train arguments leave it out.
        #expect(Search.ownOptions.contains("json"))
    }
}
