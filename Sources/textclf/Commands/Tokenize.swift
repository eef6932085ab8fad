import ArgumentParser
import Foundation
import TextClf

/// `textclf tokenize`: shows exactly what the text stages do to each document.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the tokens the text stages make of each document.",
        discussion: """
            Prints one line per document: its tokens joined by single spaces (a line break \
            inside a token, possible only without a tokenizer stage, prints as a space; \
            --json keeps it). With --json, one JSON object per document: \
            {"line": N, "label": "...", "tokens": [...]} ("line" is the document's first line \
            in the file, "path" replaces it for folder corpora). With --words, FILE holds one \
            word per line and each line's result is printed on its own line, so stemmers can \
            be compared with other tools word for word. FILE '-' reads standard input, one \
            document (or word) per line. --model DIR uses the text stages saved with a \
            trained model instead of --text (with its n-grams): exactly the tokens the model \
            counts.

            Examples:
              textclf tokenize sst2/dev.tsv
              textclf tokenize sst2/train.tsv --text whitespace,porter,sklearn
              textclf tokenize 20news/test --encoding latin-1 --limit 3 --json
              textclf tokenize --text porter --words vocabulary.txt
              echo "Running dogs" | textclf tokenize - --text lowercase,sklearn,snowball
              textclf tokenize sst2/dev.tsv --model models/sst2 --json
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp(
        "A corpus file or folder, or '-' for standard input (one document per line).",
        valueName: "file"))
    var input: String

    @OptionGroup(title: "Text")
    var text: TextOptions

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Flag(help: "Read one word per line from FILE and print one result per line.")
    var words = false

    @Flag(help: "Print one JSON object per document instead of plain lines.")
    var json = false

    @Option(help: "Stop after this many documents.")
    var limit: Int?

    @Option(help: ArgumentHelp("Use the text stages saved with this model folder instead of --text.", valueName: "dir"))
    var model: String?

    func validate() throws {
        _ = try text.analyzer()
        if model != nil && text.stages != TextStage.sklearnDefault.stageNames {
            throw ValidationError("give --model or --text, not both: --model uses the text stages saved with the model")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more (got \(limit))") }
        if words && json { throw ValidationError("--words prints plain lines; leave out --json") }
    }

    func run() throws {
        let analyzer = try model.map { try FeaturePipeline.load(from: $0, cacheDir: nil, report: { _ in }).analyzer } ?? text.analyzer()
        let worker = analyzer.makeWorker()
        // Held until the whole input has been read: bad input leaves no partial output.
        let output = OutputBuffer(holdUntilFlush: true)
        var remaining = limit ?? Int.max
        let body = { (document: LabeledDocument) in
            guard remaining > 0 else { throw StopReading() }
            remaining -= 1
            write(document, worker: worker, to: output)
        }
        let options = data.corpusOptions(labelRequired: false)
        do {
            if words || input == "-" {
                try CorpusReader.forEachLine(of: try bytes(), name: input == "-" ? "<stdin>" : input, options: options, body)
            } else {
                try CorpusReader(path: input, options: options).forEach(warn: printWarning, body)
            }
        } catch is StopReading {}
        output.flush()
    }

    private struct StopReading: Error {}

    private func write(_ document: LabeledDocument, worker: AnalyzerWorker, to output: OutputBuffer) {
        worker.withTokens(of: document.text) { tokens in
            if json {
                if let line = document.source.line {
                    output.write("{\"line\":\(line)")
                } else {
                    output.write("{\"path\":")
                    output.writeJSONString(document.source.path)
                }
                if let label = document.label {
                    output.write(",\"label\":")
                    output.writeJSONString(label)
                }
                output.write(",\"tokens\":[")
                var first = true
                tokens.forEachToken { token in
                    if !first { output.write(0x2C) }
                    first = false
                    output.write(0x22)
                    output.writeJSONStringContent(token)
                    output.write(0x22)
                }
                output.write("]}\n")
            } else {
                var first = true
                tokens.forEachToken { token in
                    if !first { output.write(0x20) }
                    first = false
                    if token.contains(0x0A) || token.contains(0x0D) {
                        for byte in token { output.write(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
                    } else {
                        output.write(token)
                    }
                }
                output.write(0x0A)
            }
        }
    }

    /// The bytes of FILE, or of standard input for `-`.
    private func bytes() throws -> [UInt8] {
        if input == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        guard FileManager.default.fileExists(atPath: input) else {
            throw CorpusError(.fileNotFound, path: input, message: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: input) else {
            throw CorpusError(.unreadable, path: input, message: "cannot read the file")
        }
        return [UInt8](data)
    }
}
