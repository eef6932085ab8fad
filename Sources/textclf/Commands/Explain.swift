import ArgumentParser
import Foundation
import TextClf

/// `textclf explain`: the features that push a model toward each class, and away from it.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show the features that push a model toward each class, and away from it.",
        discussion: """
            For a logistic regression, each feature's weight for each class. For an MLP (or a \
            logistic regression given DATA), each feature's mean contribution to each class's \
            logit over the documents of DATA: the feature's value times the logit's gradient \
            with respect to it (gradient × input), averaged over the documents, dropout off. \
            Features are the model's columns: vocabulary terms, '#N' for hashed column N, \
            'dimension N' for word-vector averages.

            For every class, the --top features with the largest positive scores, then those \
            with the most negative, as a table; --json prints one object instead: {"method": \
            ..., "documents": N, "classes": [{"class": ..., "positive": [{"feature": ..., \
            "score": ...}], "negative": [...]}]}.

            Examples:
              textclf explain --model models/sst2 --top 15
              textclf explain --model models/imdb-mlp imdb/test.jsonl --json > explained.json
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String

    @Argument(help: ArgumentHelp(
        "A corpus to measure contributions on (needed for an MLP; its labels, if any, are ignored).", valueName: "data"))
    var data: String?

    @Option(help: "Features shown per class and direction.")
    var top = 10

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @Option(help: "Documents per batch.")
    var batchSize = 256

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1 (got \(top))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
    }

    func run() throws {
        let (classifier, document) = try ModelFile.load(from: model)
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { printError($0) })
        let columns = classifier.architecture.features
        guard pipeline.columnCount == columns else {
            throw DataError("\(model): the saved features make \(pipeline.columnCount) columns but the model expects \(columns)")
        }
        classifier.isTraining = false
        let names = Self.featureNames(pipeline)
        let scores: [[Double]]
        let method: String
        var documents: Int?
        if let data {
            var texts: [String] = []
            try CorpusReader(path: data, options: dataOptions.corpusOptions(labelRequired: false)).forEach(warn: printWarning) {
                texts.append($0.text)
            }
            guard !texts.isEmpty else { throw DataError("\(data): no documents to measure contributions on") }
            scores = try Self.meanContributions(classifier, pipeline: pipeline, texts: texts, batchSize: batchSize)
            method = "mean gradient × input"
            documents = texts.count
        } else {
            guard classifier.architecture.kind == .logisticRegression, let linear = classifier.layers.first as? Linear else {
                throw ValidationError("an MLP's contributions are measured on documents: give DATA (a corpus)")
            }
            // Weights are stored [features, logits].
            let weights = linear.weight.value.scalars, logits = linear.weight.value.shape[1]
            scores = Self.perClass((0..<logits).map { c in (0..<columns).map { Double(weights[$0 * logits + c]) } })
            method = "weight"
        }
        let ranked = scores.map { row -> (positive: [(String, Double)], negative: [(String, Double)]) in
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let positive = order.prefix(top).filter { row[$0] > 0 }.map { (names[$0], row[$0]) }
            let negative = order.reversed().prefix(top).filter { row[$0] < 0 }.map { (names[$0], row[$0]) }
            return (positive, negative)
        }
        if json {
            let output = OutputBuffer(holdUntilFlush: true)
            output.write("{\"method\":")
            output.writeJSONString(method)
            output.write(",\"documents\":" + (documents.map(String.init) ?? "null") + ",\"classes\":[")
            for (index, name) in document.classes.enumerated() {
                if index > 0 { output.write(",") }
                output.write("{\"class\":")
                output.writeJSONString(name)
                for (key, list) in [("positive", ranked[index].positive), ("negative", ranked[index].negative)] {
                    output.write(",\"\(key)\":[")
                    for (position, (feature, score)) in list.enumerated() {
                        if position > 0 { output.write(",") }
                        output.write("{\"feature\":")
                        output.writeJSONString(feature)
                        output.write(",\"score\":" + String(score) + "}")
                    }
                    output.write("]")
                }
                output.write("}")
            }
            output.write("]}\n")
            output.flush()
            return
        }
        print("\(method)" + (documents.map { " over \($0) documents" } ?? "") + "; top \(top) per class")
        for (index, name) in document.classes.enumerated() {
            print("\nclass \(Predict.field(name))")
            for (title, list) in [("toward", ranked[index].positive), ("away from", ranked[index].negative)] {
                print("  \(title):")
                if list.isEmpty { print("    (none)") }
                for (feature, score) in list { print(String(format: "    %12.6f  %@", score, feature)) }
            }
        }
    }

    /// The model's column names: vocabulary terms, `#N` for hashed columns, `dimension N`
    /// for word-vector averages.
    static func featureNames(_ pipeline: FeaturePipeline) -> [String] {
        if let vocabulary = pipeline.sparse?.vocabulary { return vocabulary.terms }
        let prefix = pipeline.sparse == nil ? "dimension " : "#"
        return (0..<pipeline.columnCount).map { prefix + String($0) }
    }

    /// Each class's mean gradient × input contribution of each feature (`[classes][features]`;
    /// a two-class model's one logit gives the second class, negated for the first):
    /// the layers after the first are run forward and back from each class's logit, and the
    /// gradient at the first layer's output is taken back through its weight at the
    /// document's stored values only (a sparse document's other features contribute 0).
    static func meanContributions(
        _ classifier: any Classifier, pipeline: FeaturePipeline, texts: [String], batchSize: Int
    ) throws -> [[Double]] {
        guard let first = classifier.layers.first as? Linear else { throw DataError("the model's first layer is not linear") }
        let rest = Array(classifier.layers.dropFirst())
        let weight = first.weight.value.scalars
        let (features, width) = (first.weight.value.shape[0], first.weight.value.shape[1])
        let classes = classifier.architecture.outputCount
        var sums = [[Double]](repeating: [Double](repeating: 0, count: features), count: classes)
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            let rows = try pipeline.transform(batch)
            let input: LayerInput
            switch rows {
            case .sparse(let matrix): input = .sparse(matrix)
            case .dense(let tensor): input = .dense(tensor)
            }
            var hidden = try first.forward(input)
            for layer in rest { hidden = try layer.forward(.dense(hidden)) }
            for c in 0..<classes {
                var oneHot = [Float](repeating: 0, count: batch.count * classes)
                for row in batch.indices { oneHot[row * classes + c] = 1 }
                var gradient = try Tensor(shape: [batch.count, classes], values: oneHot, device: hidden.device)
                for layer in rest.reversed() {
                    guard let back = try layer.backward(gradient, needsInputGradient: true) else {
                        throw DataError("a layer of the model gives no input gradient")
                    }
                    gradient = back
                }
                let delta = gradient.scalars  // [rows, width]: d logit_c / d (first layer's output)
                func add(_ row: Int, _ column: Int, _ value: Float) {
                    var dot = 0.0
                    for k in 0..<width { dot += Double(delta[row * width + k]) * Double(weight[column * width + k]) }
                    sums[c][column] += Double(value) * dot
                }
                switch rows {
                case .sparse(let matrix):
                    for row in 0..<matrix.rowCount {
                        for entry in matrix.entries(ofRow: row) { add(row, Int(matrix.columnIndices[entry]), matrix.values[entry]) }
                    }
                case .dense(let tensor):
                    let values = tensor.scalars
                    for row in 0..<batch.count {
                        for column in 0..<features where values[row * features + column] != 0 { add(row, column, values[row * features + column]) }
                    }
                }
            }
        }
        return perClass(sums.map { $0.map { $0 / Double(texts.count) } })
    }

    /// Scores per class from scores per logit: a two-class model's one logit speaks for the
    /// second class, and against the first.
    static func perClass(_ logits: [[Double]]) -> [[Double]] {
        logits.count == 1 ? [logits[0].map { -$0 }, logits[0]] : logits
    }
}
