import Foundation
import Testing
import TextClfTestSupport

/// Runs the built `textclf` binary and captures what it prints.
struct CommandResult {
    let status: Int32
    let standardOutput: String
    let standardError: String
}

enum TextClfBinary {
    /// The `textclf` executable built beside the test bundle.
    static let url: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("textclf")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    /// A run log shared by the test process's commands, so that tests never write to the
    /// user's own (`TEXTCLF_RUN_LOG` set by a test's `environment` wins).
    static let testRunLog = FileManager.default.temporaryDirectory
        .appendingPathComponent("textclf-test-runs-\(ProcessInfo.processInfo.processIdentifier).sqlite").path

    /// Runs textclf with `arguments`, through `launcher` when given (`mpirun -np 2`: the
    /// launcher's path and arguments, then textclf's path and `arguments`).
    static func run(
        _ arguments: [String], standardInput: String? = nil, environment: [String: String] = [:], launcher: [String] = []
    ) throws -> CommandResult {
        guard let binary = url else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the textclf binary was not built"])
        }
        let process = Process()
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = launcher.dropFirst() + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        var variables = ProcessInfo.processInfo.environment
        if variables["TEXTCLF_RUN_LOG"] == nil { variables["TEXTCLF_RUN_LOG"] = testRunLog }
        variables.merge(environment) { _, new in new }
        process.environment = variables
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let standardInput { input.fileHandleForWriting.write(Data(standardInput.utf8)) }
        try input.fileHandleForWriting.close()
        // Read before waiting, so that a large output cannot fill the pipe and block.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }
}

/// A temporary folder removed at the end of the test.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ content: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: file)
        return file.path
    }
}

@Suite("textclf tokenize, end to end")
struct TokenizeCommandTests {
    @Test func defaultStagesAreScikitLearns() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("tiny.tsv", "sentence\tlabel\nThe CAT's 2 hats, a hat!\t1\nÉcole ΟΔΟΣ\t0\n")
        let result = try TextClfBinary.run(["tokenize", file])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "the cat hats hat\nécole οδος\n")
    }

    @Test func stagesRunInTheOrderWritten() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("tiny.csv", "text,label\n\"Running, jumping\nand \"\"hopping\"\"\",pos\n")
        let result = try TextClfBinary.run(["tokenize", file, "--text", "whitespace,porter,sklearn"])
        #expect(result.status == 0, "\(result.standardError)")
        // Porter sees "Running," whole (the comma blocks its rules); sklearn splits afterwards.
        #expect(result.standardOutput == "running jump and hopping\n")
        let punct = try TextClfBinary.run(["tokenize", file, "--text", "punct,lowercase,ngrams=1..2"])
        #expect(punct.standardOutput == "running , jumping and \" hopping \" running , , jumping jumping and and \" \" hopping hopping \"\n")
    }

    @Test func jsonLinesCarryLineLabelAndTokens() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("docs.jsonl", "{\"text\": \"Tab\\there \\\"q\\\"\", \"label\": \"pos\"}\n\n{\"text\": \"x yz\", \"label\": \"1\"}\n")
        let result = try TextClfBinary.run(["tokenize", file, "--json", "--text", "whitespace"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["line"] as? Int == 1)
        #expect(first["label"] as? String == "pos")
        #expect(first["tokens"] as? [String] == ["Tab", "here", "\"q\""])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["line"] as? Int == 3)
        #expect(second["label"] as? String == "1")
    }

    @Test func folderLinksThatLeaveTheCorpusAreSkippedWithOneWarning() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("outside/secret.txt", "secret words")
        _ = try folder.write("corpus/a/1.txt", "inside words")
        let root = folder.url.path + "/corpus"
        try FileManager.default.createSymbolicLink(
            atPath: root + "/a/leak.txt", withDestinationPath: folder.url.path + "/outside/secret.txt")
        let result = try TextClfBinary.run(["tokenize", root, "--text", "whitespace"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "inside words\n")
        #expect(result.standardError == "warning: \(root): skipped 1 link that leaves the folder (first: \(root)/a/leak.txt)\n")
    }

    @Test func limitAndStandardInput() throws {
        let result = try TextClfBinary.run(
            ["tokenize", "-", "--text", "lowercase,sklearn,snowball", "--limit", "2"],
            standardInput: "Running dogs\nGenerously given\nnot printed\n")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "run dog\ngenerous given\n")
    }

    /// Python's universal newlines: `\n`, `\r\n` and a lone `\r` each end a word or a document.
    @Test func wordsAndStandardInputSplitEveryLineEnd() throws {
        let folder = try TemporaryFolder()
        for (name, newline) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
            let words = try folder.write("\(name).txt", ["Running", "", "dogs"].joined(separator: newline) + newline)
            let result = try TextClfBinary.run(["tokenize", "--text", "lowercase,porter", "--words", words])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == "run\n\ndog\n", "\(name)")
            let piped = try TextClfBinary.run(
                ["tokenize", "-", "--json", "--text", "lowercase,sklearn"],
                standardInput: ["Running dogs", "Generously given"].joined(separator: newline))
            #expect(piped.status == 0, "\(piped.standardError)")
            #expect(piped.standardOutput == "{\"line\":1,\"tokens\":[\"running\",\"dogs\"]}\n{\"line\":2,\"tokens\":[\"generously\",\"given\"]}\n", "\(name)")
        }
    }

    /// `--words` prints one stem per input line: the whole NLTK fixture, word for word.
    @Test(arguments: ["porter", "porter-original", "porter-martin", "snowball"])
    func wordsModeMatchesNLTK(stage: String) throws {
        let fixture = try StemmerFixture.load()
        #expect(fixture.words.count > 7000)
        let folder = try TemporaryFolder()
        let words = try folder.write("words.txt", fixture.words.map { $0 + "\n" }.joined())
        let result = try TextClfBinary.run(["tokenize", "--text", stage, "--words", words])
        #expect(result.status == 0, "\(result.standardError)")
        let stems = result.standardOutput.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
        #expect(stems.count == fixture.words.count)
        var next = stems.makeIterator()
        let (count, examples) = fixture.mismatches(column: stage) { _ in next.next() ?? "<missing line>" }
        #expect(count == 0, "\(stage): \(examples.joined(separator: "; "))")
    }

    @Test func missingFileIsANamedError() throws {
        let result = try TextClfBinary.run(["tokenize", "/nonexistent/corpus.tsv"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("/nonexistent/corpus.tsv"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func badInputPartWayWritesNothing() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("bad.csv", "text,label\ngood row,1\nanother,0\n\"never closed,1\n")
        let result = try TextClfBinary.run(["tokenize", file])
        #expect(result.status != 0)
        #expect(result.standardError.contains("bad.csv:4"), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func invalidUTF8IsNamedUnderStrictAndReplacedOnRequest() throws {
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("latin.tsv")
        try Data("text\tlabel\ncaf".utf8 + [0xE9] + Data(" ok\t1\n".utf8)).write(to: file)
        let strict = try TextClfBinary.run(["tokenize", file.path])
        #expect(strict.status != 0)
        #expect(strict.standardError.contains("latin.tsv:2"), "\(strict.standardError)")
        let replaced = try TextClfBinary.run(["tokenize", file.path, "--decode-errors", "replace", "--text", "whitespace"])
        #expect(replaced.standardOutput == "caf\u{FFFD} ok\n")
        let latin = try TextClfBinary.run(["tokenize", file.path, "--encoding", "latin-1"])
        #expect(latin.standardOutput == "café ok\n")
    }

    @Test func unknownStageIsAUsageError() throws {
        let result = try TextClfBinary.run(["tokenize", "-", "--text", "lowercase,stemify"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("unknown text stage 'stemify'"))
    }

    @Test func helpListsStagesAndExamples() throws {
        let result = try TextClfBinary.run(["tokenize", "--help"])
        #expect(result.status == 0)
        for needle in ["porter-martin", "snowball", "ngrams=MIN..MAX", "Examples:", "--decode-errors", "--words"] {
            #expect(result.standardOutput.contains(needle), "help lacks \(needle)")
        }
    }

    @Test("The seed recipe's first rows, from the shared SST-2", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func seedRecipeFirstRows() throws {
        let path = try #require(SharedData.url("sst2/train.tsv")).path
        let result = try TextClfBinary.run(["tokenize", path, "--text", "whitespace,porter", "--limit", "3"])
        #expect(result.standardOutput == """
            hide new secret from the parent unit
            contain no wit , onli labor gag
            that love it charact and commun someth rather beauti about human natur

            """)
    }
}

@Suite("textclf tokenize --model")
struct TokenizeModelTests {
    /// A model's saved stages (with its n-grams) give the tokens it counts.
    @Test func theModelsStagesGiveItsTokens() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(60, seed: 81))
        let model = folder.url.appendingPathComponent("model").path
        let trained = try TextClfBinary.run(
            ["train", train, "--text", "whitespace,porter", "--ngram", "1..2", "--epochs", "1", "--out", model, "--no-run-log", "--quiet"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let input = "Running dogs ran\n"
        let fromModel = try TextClfBinary.run(["tokenize", "-", "--model", model], standardInput: input)
        let fromStages = try TextClfBinary.run(["tokenize", "-", "--text", "whitespace,porter,ngrams=1..2"], standardInput: input)
        #expect(fromModel.status == 0 && fromModel.standardOutput == fromStages.standardOutput, "\(fromModel.standardOutput) \(fromModel.standardError)")
        // Porter stems, then the bigrams (a bigram's words joined by a space).
        #expect(fromModel.standardOutput == "run dog ran run dog dog ran\n", "\(fromModel.standardOutput)")
        let both = try TextClfBinary.run(["tokenize", "-", "--model", model, "--text", "lowercase"], standardInput: input)
        #expect(both.status == 64 && both.standardError.contains("give --model or --text"), "\(both.standardError)")
    }
}
