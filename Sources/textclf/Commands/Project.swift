import ArgumentParser
import Foundation
import TextClf

/// `textclf project`: each document's representation inside a model, projected to 2-D.
struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Project each document's representation inside a model to two dimensions (PCA or t-SNE).",
        discussion: """
            Runs DATA through the model (dropout off) and takes each document's \
            representation: for an MLP, the output of hidden layer --layer (1 for the first; \
            default the last hidden layer); for a logistic regression, its input features. \
            --method pca projects the representations on their two leading principal \
            components, as scikit-learn's PCA(2) does (rows centred; each component's sign \
            is arbitrary), without densifying sparse features. --method tsne embeds them \
            with t-SNE and scikit-learn's defaults (--perplexity 30, --iterations 1000, PCA \
            initialisation: the same input gives the same points; --initialization random \
            starts from normal points drawn from --seed instead), exact for up to 1,000 \
            documents and Barnes-Hut (angle 0.5) above, for dense representations (an MLP's \
            hidden layer, or word-vector features). Writes FILE.csv with a header and one \
            'label,x,y' row per document in input order (the label empty for unlabelled \
            documents); --activations FILE.npy saves the representations projected \
            (dense ones only).

            Examples:
              textclf project --model models/sms-mlp sms/test.tsv --method pca --out sms.csv
              textclf project --model models/sms-mlp sms/test.tsv --method tsne --out sms-tsne.csv
              textclf project --model models/sms-mlp sms/test.tsv --method tsne --initialization random \\
                  --seed 3 --out sms-tsne-3.csv
              textclf project --model models/sms-mlp sms/test.tsv --layer 1 --out h1.csv \\
                  --activations h1.npy
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String

    @Argument(help: ArgumentHelp("The documents to project (labels, if any, are written beside the points).", valueName: "data"))
    var data: String

    @Option(help: "The projection: pca or tsne.")
    var method = "pca"

    @Option(help: "t-SNE's perplexity.")
    var perplexity = 30.0

    @Option(help: "t-SNE's iterations.")
    var iterations = 1000

    @Option(help: "t-SNE's starting points: pca (the leading principal components; nothing drawn) or random (drawn from --seed).")
    var initialization = "pca"

    @Option(help: "The seed of t-SNE's random starting points (--initialization random).")
    var seed: UInt64 = 0

    @Option(help: "The MLP's hidden layer whose output is projected (1 for the first; default: the last).")
    var layer: Int?

    @Option(help: ArgumentHelp("The CSV file to write: label,x,y.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Also save the representations projected, as a float32 .npy.", valueName: "file"))
    var activations: String?

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    func validate() throws {
        guard ["pca", "tsne"].contains(method) else { throw ValidationError("--method: pca or tsne (got '\(method)')") }
        if !(perplexity > 0) || iterations < 1 { throw ValidationError("--perplexity must be positive and --iterations at least 1") }
        if let layer, layer < 1 { throw ValidationError("--layer must be at least 1 (got \(layer))") }
        guard ["pca", "random"].contains(initialization) else {
            throw ValidationError("--initialization: pca or random (got '\(initialization)')")
        }
    }

    func run() throws {
        let (classifier, _) = try ModelFile.load(from: model)
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { printError($0) })
        classifier.isTraining = false
        var texts: [String] = [], labels: [String] = []
        try CorpusReader(path: data, options: dataOptions.corpusOptions(labelRequired: false)).forEach(warn: printWarning) { document in
            texts.append(document.text)
            labels.append(document.label ?? "")
        }
        guard texts.count >= 2 else { throw DataError("\(data): a projection needs at least two documents (got \(texts.count))") }
        let points = try Self.points(
            of: texts, classifier: classifier, pipeline: pipeline, method: method, layer: layer,
            tsne: TSNE(perplexity: perplexity, iterations: iterations, initialization: initialization == "pca" ? .pca : .random(seed: seed)),
            activations: activations)
        try AtomicFile.write(to: out) { file in
            try file.write("label,x,y\n")
            for (label, point) in zip(labels, points) {
                try file.write("\(Self.csvField(label)),\(point[0]),\(point[1])\n")
            }
        }
        printError("wrote \(out): \(points.count) points")
    }

    /// The 2-D points of `texts` through `classifier` (in evaluation mode): its hidden layer
    /// `layer` (default the last) or, for a logistic regression, its input features, by
    /// `method` (`pca` or `tsne`); the dense representations are saved to `activations` first
    /// when given.
    static func points(
        of texts: [String], classifier: any Classifier, pipeline: FeaturePipeline, method: String, layer: Int?, tsne: TSNE,
        activations: String?
    ) throws -> [[Double]] {
        func project(_ values: [Float], rows: Int, columns: Int) throws -> [[Double]] {
            if let activations {
                try NPYArray(shape: [rows, columns], elements: .float32(values)).write(to: activations)
            }
            guard method == "tsne" else { return PCA(dense: values, rows: rows, columns: columns).project(dense: values, rows: rows) }
            guard tsne.perplexity < Double(rows) else {
                throw DataError("--perplexity \(tsne.perplexity) must be below the number of documents (\(rows))")
            }
            return tsne.embed(values, rows: rows, columns: columns)
        }
        let features = try pipeline.transform(texts)
        let hidden = classifier.layers.indices.filter { classifier.layers[$0] is Activation }
        if classifier.architecture.kind == .logisticRegression || hidden.isEmpty {
            if layer != nil { throw ValidationError("--layer: a logistic regression has no hidden layer; its input features are projected") }
            switch features {
            case .sparse(let matrix):
                if activations != nil { throw ValidationError("--activations: the features are sparse; write them with 'textclf vectorize'") }
                guard method == "pca" else { throw ValidationError("--method tsne: the features are sparse; t-SNE takes an MLP's hidden layer or dense features") }
                return PCA(sparse: matrix).project(sparse: matrix)
            case .dense(let tensor):
                return try project(tensor.scalars, rows: texts.count, columns: tensor.columns)
            }
        }
        let chosen = layer ?? hidden.count
        guard chosen <= hidden.count else {
            throw ValidationError("--layer \(chosen): the model has \(hidden.count) hidden layer\(hidden.count == 1 ? "" : "s")")
        }
        var output: Tensor
        switch features {
        case .sparse(let matrix): output = try classifier.layers[0].forward(.sparse(matrix))
        case .dense(let tensor): output = try classifier.layers[0].forward(.dense(tensor))
        }
        for layer in classifier.layers[1...hidden[chosen - 1]] { output = try layer.forward(.dense(output)) }
        return try project(output.scalars, rows: texts.count, columns: output.columns)
    }

    /// A CSV field: quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
