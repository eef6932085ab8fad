import ArgumentParser
import Foundation
import TextClf

/// `textclf export`: a trained model as one ONNX file, features included.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained model as an ONNX graph, from tokens to probabilities.",
        discussion: """
            Writes one ONNX model (opset 17, with the ai.onnx.ml opset 3 for word-vector \
            lookups) holding the model's feature step and its classifier, built only from \
            standard operators, so onnxruntime and other ONNX runtimes load it as it is.

            Input 'tokens': strings [N, T], one row per document, each row the tokens the \
            model's text stages make of it (n-grams included), padded with "". \
            'textclf tokenize --model DIR --json' prints exactly those tokens. Outputs \
            'probabilities' [N, C] (floats, in the class order of model.json) and 'label' [N] \
            (the most probable class's name). The class names are also in the model's \
            metadata ('classes', one per line), with the text stages ('text_stages').

            Counts, binary counts and TF-IDF features export through TfIdfVectorizer with the \
            model's vocabulary and idf weights; word-vector averages export with every word of \
            their vectors file (so the file is about as large as the vectors). Hashed features \
            cannot be exported: ONNX has no MurmurHash3 operator; the command says so and \
            exits 1. The file is written atomically.

            In Python (pip install onnxruntime), with the tokens of 'textclf tokenize \
            --model models/sst2 --json dev.tsv > tokens.jsonl':
              import json, numpy as np, onnxruntime as ort
              rows = [json.loads(line)["tokens"] for line in open("tokens.jsonl")]
              width = max(map(len, rows))
              tokens = np.array([row + [""] * (width - len(row)) for row in rows], dtype=object)
              probabilities, labels = ort.InferenceSession("sst2.onnx").run(None, {"tokens": tokens})

            Examples:
              textclf export --model models/sst2 --onnx sst2.onnx
              textclf export --model models/sms-glove --onnx sms.onnx --json
            """).subcommandOfTextclf()

    @Option(help: ArgumentHelp("The model folder written by 'textclf train'.", valueName: "dir"))
    var model: String

    @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "file"))
    var onnx: String

    @Option(help: ArgumentHelp("The embeddings cache folder, for word-vector models.", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Print a JSON summary of what was written instead of a sentence.")
    var json = false

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let (classifier, document) = try ModelFile.load(from: model)
        let pipeline = try FeaturePipeline.load(from: model, cacheDir: cacheDir, report: { message in if !quiet { printError(message) } })
        let features: ONNXExport.FeatureStep
        let kind: String
        if let sparse = pipeline.sparse {
            features = .sparse(sparse)
            kind = sparse.kind.rawValue
        } else {
            let (embedding, store, _) = pipeline.dense!
            features = .embeddings(embedding, try store.load())
            kind = "glove"
        }
        let exported: ONNX.Model
        do {
            exported = try ONNXExport.model(
                classifier: classifier, classes: document.classes, features: features, standardizer: pipeline.standardizer,
                metadata: [("text_stages", pipeline.analyzer.description), ("textclf_version", TextClfVersion.current)])
        } catch let error as ONNXExportError {
            throw DataError("\(model): cannot export: \(error)")
        }
        let bytes = exported.encoded()
        try AtomicFile.write(bytes, to: onnx)
        let architecture = classifier.architecture
        if json {
            let summary: [String: Any] = [
                "path": onnx, "bytes": bytes.count, "features": kind, "columns": architecture.features,
                "model": architecture.kind.rawValue, "classes": document.classes, "opset": 17,
                "nodes": exported.graph.nodes.count, "text_stages": pipeline.analyzer.description,
            ]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else if !quiet {
            printError(
                "wrote \(onnx): \(bytes.count) bytes, \(kind) features (\(architecture.features) columns) and a "
                    + "\(architecture.kind.rawValue) of \(document.classes.count) classes, \(exported.graph.nodes.count) nodes")
        }
    }
}
