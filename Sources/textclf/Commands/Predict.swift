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
            prints one label per document. FILE is a corpus (its labels, if any, are \
            ignored) or '-' for standard input, one document per line. --proba adds each \
            class's probability; --json prints one object per document.

            Examples:
              textclf predict --model models/sst2 sst2/dev.tsv
              echo "a gorgeous, witty film" | textclf predict --model models/sst2 - --proba
              textclf predict --model models/imdb imdb/test.jsonl --json > predictions.jsonl
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String

    @Argument(help: ArgumentHelp("A corpus file or folder, or '-' for standard input.", valueName: "file"))
    var input: String

    @OptionGroup(title: "Data")
    var data: DataOptions

    @Flag(help: "Print each class's probability after the label.")
    var proba = false

    @Flag(help: "Print one JSON object per document: {\"label\": ..., \"probabilities\": {...}}.")
    var json = false

    @Option(help: "Documents per batch.")
    var batchSize = 1024

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    func run() throws {
        let (classifier, document) = try ModelFile.load(from: model)
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { printError($0) })
        guard pipeline.columnCount == classifier.architecture.features else {
            throw DataError(
                "\(model): the saved features make \(pipeline.columnCount) columns but the model expects \(classifier.architecture.features)")
        }
        var texts: [String] = []
        if input == "-" {
            let content = FileHandle.standardInput.readDataToEndOfFile()
            let text = try data.encoding.decode([UInt8](content), errors: data.decodeErrors)
            texts = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            }
            if texts.last == "" { texts.removeLast() }
        } else {
            try CorpusReader(path: input, options: data.corpusOptions(labelRequired: false)).forEach { texts.append($0.text) }
        }
        let output = OutputBuffer(holdUntilFlush: true)
        let classes = document.classes
        try Self.forEachProbabilityRow(of: texts, classifier: classifier, pipeline: pipeline, batchSize: batchSize) { rowValues in
            var best = 0
            for index in 1..<rowValues.count
            where rowValues[rowValues.startIndex + index] > rowValues[rowValues.startIndex + best] { best = index }
            if json {
                output.write("{\"label\":")
                output.writeJSONString(classes[best])
                output.write(",\"probabilities\":{")
                for (index, name) in classes.enumerated() {
                    if index > 0 { output.write(",") }
                    output.writeJSONString(name)
                    output.write(":" + String(rowValues[rowValues.startIndex + index]))
                }
                output.write("}}\n")
            } else if proba {
                output.write(classes[best] + "\t" + zip(classes, rowValues).map { "\($0)=\(String(format: "%.6f", $1))" }.joined(separator: "\t") + "\n")
            } else {
                output.write(classes[best] + "\n")
            }
        }
        output.flush()
    }
}

extension Predict {
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
            var best = row.startIndex
            for index in row.indices where row[index] > row[best] { best = index }
            result.append(best - row.startIndex)
        }
        return result
    }
}
