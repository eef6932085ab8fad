import ArgumentParser
import Foundation
import TextClf

/// `textclf predict`: raw text in, labels out, through a saved model's whole pipeline.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Label documents with a trained model.",
        discussion: """
            Reads raw text, runs it through the model's saved text stages and features, and \
            prints one line per document, in input order. FILE is a corpus (its labels, if \
            any, are ignored; a .txt file, or --format lines, is one document per line) or \
            '-' for standard input, one document per line. Lines end at \\n, \\r\\n or \\r; a \
            blank line is an empty document and gets a prediction too.

            Output: the label alone; with --proba, the label and then, tab-separated, \
            CLASS=PROBABILITY for every class. A label that is empty or holds white space, \
            '=', '"' or a backslash is written as a JSON string ("not spam"=0.25), so that \
            every field splits at its last '='. --json prints one object per document \
            instead: {"label": ..., "probabilities": {...}, "line": N}, N being the \
            document's line in the input ("file" instead for folder corpora). 'textclf \
            report --predictions' reads all three forms.

            Examples:
              textclf predict --model models/sst2 sst2/dev.tsv
              echo "a gorgeous, witty film" | textclf predict --model models/sst2 - --proba
              textclf predict --model models/imdb imdb/test.jsonl --json > predictions.jsonl
              textclf predict --model models/sst2 reviews.txt
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String

    @Argument(help: ArgumentHelp("A corpus file or folder, or '-' for standard input.", valueName: "file"))
    var input: String

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Flag(help: "After the label, print CLASS=PROBABILITY for every class, tab-separated (labels with white space, '=', '\"' or '\\' as JSON strings).")
    var proba = false

    @Flag(help: "Print one JSON object per document: {\"label\": ..., \"probabilities\": {...}, \"line\": N}.")
    var json = false

    @Option(help: "Documents per batch.")
    var batchSize = 1024

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    @Option(help: "Device that runs the model: cpu, reference, opencl[:N] (an OpenCL device) or cuda[:N] (an NVIDIA GPU); see 'textclf info'.")
    var device: String = "cpu"

    func run() throws {
        let device = try Device(parsing: self.device)
        let (classifier, document) = try Device.withDefault(device) { try ModelFile.load(from: model) }
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { printError($0) })
        guard pipeline.columnCount == classifier.architecture.features else {
            throw DataError(
                "\(model): the saved features make \(pipeline.columnCount) columns but the model expects \(classifier.architecture.features)")
        }
        var texts: [String] = []
        var sources: [DocumentSource] = []
        let collect = { (document: LabeledDocument) in
            texts.append(document.text)
            sources.append(document.source)
        }
        if input == "-" {
            let content = FileHandle.standardInput.readDataToEndOfFile()
            try CorpusReader.forEachLine(of: [UInt8](content), name: "<stdin>", options: data.corpusOptions(labelRequired: false), collect)
        } else {
            try CorpusReader(path: input, options: data.corpusOptions(labelRequired: false)).forEach(warn: printWarning, collect)
        }
        let output = OutputBuffer(holdUntilFlush: true)
        let classes = document.classes
        let fields = classes.map(Self.field)
        let quotedClasses = classes.map(OutputBuffer.jsonString)
        var row = 0
        try Self.forEachProbabilityRow(of: texts, classifier: classifier, pipeline: pipeline, batchSize: batchSize) { rowValues in
            defer { row += 1 }
            let best = Self.mostProbable(rowValues)
            if json {
                output.write("{" + Self.jsonFields(rowValues, quotedClasses: quotedClasses))
                if let line = sources[row].line {
                    output.write(",\"line\":" + String(line) + "}\n")
                } else {
                    output.write(",\"file\":")
                    output.writeJSONString(sources[row].path)
                    output.write("}\n")
                }
            } else if proba {
                output.write(fields[best] + "\t" + zip(fields, rowValues).map { "\($0)=\(String(format: "%.6f", $1))" }.joined(separator: "\t") + "\n")
            } else {
                output.write(fields[best] + "\n")
            }
        }
        output.flush()
    }
}

extension Predict {
    /// A label as the text outputs write it: as it is, or as a JSON string when it is empty or
    /// holds white space, `=`, `"`, a backslash or a control character, so that a line splits
    /// into its fields at tabs and a field into label and probability at its last `=`.
    static func field(_ label: String) -> String {
        let plain = !label.isEmpty && !label.unicodeScalars.contains { scalar in
            scalar.properties.isWhitespace || scalar == "=" || scalar == "\"" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F
        }
        return plain ? label : OutputBuffer.jsonString(label)
    }

    /// Runs `texts` through the saved features and the classifier in batches of `batchSize`,
    /// calling `body` with each document's class probabilities, in order.
    static func forEachProbabilityRow(
        of texts: [String], classifier: any Classifier, pipeline: FeaturePipeline, batchSize: Int,
        _ body: (ArraySlice<Float>) throws -> Void
    ) throws {
        let classes = classifier.architecture.classes
        let size = max(1, batchSize)
        for start in stride(from: 0, to: texts.count, by: size) {
            let batch = Array(texts[start..<min(start + size, texts.count)])
            let input: LayerInput
            switch try pipeline.transform(batch) {
            case .sparse(let matrix): input = .sparse(matrix)
            case .dense(let tensor): input = .dense(tensor)
            }
            let values = try classifier.probabilities(input).scalars
            for row in 0..<batch.count { try body(values[(row * classes)..<((row + 1) * classes)]) }
        }
    }

    /// The most probable class of each text (the first on ties).
    static func labels(
        of texts: [String], classifier: any Classifier, pipeline: FeaturePipeline, batchSize: Int
    ) throws -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(texts.count)
        try forEachProbabilityRow(of: texts, classifier: classifier, pipeline: pipeline, batchSize: batchSize) { row in
            result.append(mostProbable(row))
        }
        return result
    }

    /// `"label":…,"probabilities":{…}` for one document's probabilities `row`: the fields of
    /// each object `--json` prints and `textclf serve` answers. `quotedClasses` are the class
    /// names as JSON strings; a probability is written as `Float` prints it (shortest digits).
    static func jsonFields(_ row: ArraySlice<Float>, quotedClasses: [String]) -> String {
        var text = "\"label\":" + quotedClasses[mostProbable(row)] + ",\"probabilities\":{"
        for (index, name) in quotedClasses.enumerated() {
            if index > 0 { text += "," }
            text += name + ":" + String(row[row.startIndex + index])
        }
        return text + "}"
    }

    /// The class of the highest probability in `row` (the first on ties).
    static func mostProbable(_ row: ArraySlice<Float>) -> Int { row.indices.max { row[$0] < row[$1] }! - row.startIndex }
}
