import Foundation
import TextClfDataset
import TextClfFeatures
import TextClfIO
import TextClfNN
import TextClfTensor

/// A trained model as one ONNX graph (opset 17, ML opset 3) of standard operators: the
/// feature step and the classifier, from tokens to probabilities.
///
/// - Input `tokens`: strings `[N, T]`, each row a document's tokens as the model's text stages
///   make them (`textclf tokenize --model DIR --json`), padded with `""`.
/// - Output `probabilities`: `[N, C]` floats in the class order of `model.json`.
/// - Output `label`: `[N]` strings, the most probable class (the first on ties).
///
/// The feature step is the one the model was trained with:
/// - counts and TF-IDF: `TfIdfVectorizer` (mode `TF`) over the vocabulary gives the counts; then,
///   as ``FittedTfidfTransformer`` does, binary clipping, `1 + ln(tf)` for sublinear counts, the
///   idf weights, and the row's L2 or L1 norm (a zero row kept at zero);
/// - word-vector averages: `LabelEncoder` (ML domain) maps each token to its row of the vectors
///   (unknown tokens and padding to two extra rows), `Gather` takes the rows, weighted as
///   ``EmbeddingAverager`` weights them, and their sum is divided by the weights' sum; a
///   document without a known word is all zeros. A standardizer follows as `Sub` and `Div`.
///
/// The classifier: `Gemm` for each `Linear`, `BatchNormalization` (running statistics) and
/// `LayerNormalization` as ONNX operators, the activation (GELU as `0.5·x·(1 + erf(x/√2))`);
/// dropout is left out, as in evaluation. Softmax of the logits, or for a binary logistic
/// regression `[1 − σ(z), σ(z)]`.
///
/// Hashed features are refused: ONNX has no MurmurHash3 operator in its standard domains.
public enum ONNXExport {
    /// The feature step of a model.
    public enum FeatureStep {
        /// A fitted vectorizer (counts, TF-IDF or hashing).
        case sparse(FittedFeatures)
        /// Averaged word vectors with the vectors they average.
        case embeddings(EmbeddingFeatures, EmbeddingStore)
    }

    /// The ONNX model of `classifier` (in evaluation mode) after `features` and `standardizer`.
    /// - Parameters:
    ///   - classes: The class names, in the classifier's output order.
    ///   - metadata: Entries added to the model's `metadata_props`.
    /// - Throws: ``ONNXExportError`` for what ONNX cannot express or a model that does not fit
    ///   its features.
    public static func model(
        classifier: any Classifier, classes: [String], features: FeatureStep, standardizer: Standardizer?,
        metadata: [(key: String, value: String)] = []
    ) throws -> ONNX.Model {
        var builder = GraphBuilder()
        let tokens = "tokens"
        var x: String
        var width: Int
        switch features {
        case .sparse(let fitted):
            (x, width) = try sparseFeatures(fitted, tokens: tokens, builder: &builder)
        case .embeddings(let embedding, let store):
            (x, width) = try embeddingFeatures(embedding, store: store, tokens: tokens, builder: &builder)
        }
        if let standardizer {
            guard standardizer.columnCount == width else {
                throw ONNXExportError("the standardizer has \(standardizer.columnCount) columns but the features make \(width)")
            }
            x = builder.node("Sub", [x, builder.floats(standardizer.mean, dims: [width], name: "standardizer.mean")])
            x = builder.node("Div", [x, builder.floats(standardizer.scale, dims: [width], name: "standardizer.scale")])
        }
        guard width == classifier.architecture.features else {
            throw ONNXExportError("the features make \(width) columns but the model expects \(classifier.architecture.features)")
        }
        guard classes.count == classifier.architecture.classes else {
            throw ONNXExportError("\(classes.count) class names for a model of \(classifier.architecture.classes) classes")
        }
        let logits = try classifierNodes(classifier, input: x, builder: &builder)
        let probabilities: String
        if classifier.architecture.outputCount == 1 {
            let positive = builder.node("Sigmoid", [logits])
            let negative = builder.node("Sub", [builder.scalar(1), positive])
            probabilities = builder.node("Concat", [negative, positive], attributes: [("axis", .int(1))], output: "probabilities")
        } else {
            probabilities = builder.node("Softmax", [logits], attributes: [("axis", .int(-1))], output: "probabilities")
        }
        let best = builder.node("ArgMax", [probabilities], attributes: [("axis", .int(1)), ("keepdims", .int(0))])
        let names = builder.constant(ONNX.TensorValue(name: "classes", strings: classes, dims: [classes.count]))
        _ = builder.node("Gather", [names, best], attributes: [("axis", .int(0))], output: "label")

        var graph = builder.graph
        graph.name = "textclf"
        graph.inputs = [ONNX.ValueInfo(name: tokens, type: .string, shape: [.named("N"), .named("T")])]
        graph.outputs = [
            ONNX.ValueInfo(name: "probabilities", type: .float, shape: [.named("N"), .size(classes.count)]),
            ONNX.ValueInfo(name: "label", type: .string, shape: [.named("N")]),
        ]
        graph.docString = "tokens [N, T] (padded with \"\") -> probabilities [N, \(classes.count)] and label [N]"
        var model = ONNX.Model(graph: graph, opsets: [.init(domain: "", version: 17), .init(domain: "ai.onnx.ml", version: 3)])
        model.metadata = [("classes", classes.joined(separator: "\n"))] + metadata
        return model
    }

    // MARK: - Features

    /// Counts, binary counts or TF-IDF weights `[N, V]` of the tokens.
    static func sparseFeatures(_ fitted: FittedFeatures, tokens: String, builder: inout GraphBuilder) throws -> (String, Int) {
        let counts: FittedCountVectorizer, tfidf: FittedTfidfTransformer?
        switch fitted {
        case .counts(let c): (counts, tfidf) = (c, nil)
        case .tfidf(let c, let t): (counts, tfidf) = (c, t)
        case .hashing:
            throw ONNXExportError(
                "hashed features cannot be exported: ONNX has no MurmurHash3 operator in its standard domains; train with --features counts or tfidf")
        }
        let terms = counts.vocabulary.terms
        var x = builder.node(
            "TfIdfVectorizer", [tokens],
            attributes: [
                ("max_gram_length", .int(1)), ("max_skip_count", .int(0)), ("min_gram_length", .int(1)), ("mode", .string("TF")),
                ("ngram_counts", .ints([0])), ("ngram_indexes", .ints(Array(0..<terms.count))), ("pool_strings", .strings(terms)),
            ])
        if counts.options.binary { x = builder.node("Min", [x, builder.scalar(1)]) }
        guard let tfidf else { return (x, terms.count) }
        if tfidf.options.sublinearTF {
            // 1 + ln(tf) where tf > 0 (ln is taken of max(tf, 1), so no infinity is made).
            let positive = builder.node("Greater", [x, builder.scalar(0)])
            let logarithm = builder.node("Add", [builder.node("Log", [builder.node("Max", [x, builder.scalar(1)])]), builder.scalar(1)])
            x = builder.node("Where", [positive, logarithm, builder.scalar(0)])
        }
        if let idf = tfidf.idf {
            guard idf.count == terms.count else {
                throw ONNXExportError("the TF-IDF weights have \(idf.count) columns but the vocabulary \(terms.count)")
            }
            x = builder.node("Mul", [x, builder.floats(idf.map(Float.init), dims: [terms.count], name: "idf")])
        }
        let total: String
        switch tfidf.options.norm {
        case .none: return (x, terms.count)
        case .l2: total = builder.node("Sqrt", [builder.node("ReduceSumSquare", [x], attributes: [("axes", .ints([1])), ("keepdims", .int(1))])])
        case .l1: total = builder.node("ReduceL1", [x], attributes: [("axes", .ints([1])), ("keepdims", .int(1))])
        }
        // Divided by the norm; by 1 for a zero row.
        let divisor = builder.node("Where", [builder.node("Greater", [total, builder.scalar(0)]), total, builder.scalar(1)])
        return (builder.node("Div", [x, divisor]), terms.count)
    }

    /// The weighted mean (or sum) `[N, D]` of the tokens' word vectors.
    static func embeddingFeatures(
        _ features: EmbeddingFeatures, store: EmbeddingStore, tokens: String, builder: inout GraphBuilder
    ) throws -> (String, Int) {
        let dimension = store.dimension, rows = store.count
        guard dimension == features.dimension else {
            throw ONNXExportError("the word vectors are \(dimension) wide but the model's features \(features.dimension)")
        }
        let weighted = features.weighting == .tfidf
        var idf: [Double] = []
        if weighted {
            guard let frequencies = features.frequencies, frequencies.counts.count == rows + 1 else {
                throw ONNXExportError("TF-IDF weighting needs the document frequencies of all \(rows) words and the unknown slot")
            }
            idf = frequencies.idf
        }
        // Rows: the vectors, then the unknown token's, then padding's. Each row is scaled by its
        // token's weight; `weights` and `known` say what each token adds to the denominator and
        // whether it counts as a known word.
        let unknownRow = rows, paddingRow = rows + 1
        var keys: [String] = [], values: [Int] = []
        keys.reserveCapacity(rows + 1)
        values.reserveCapacity(rows + 1)
        var table = [Float](repeating: 0, count: (rows + 2) * dimension)
        var weights = [Float](repeating: 0, count: rows + 2), known = [Float](repeating: 0, count: rows + 2)
        let source = store.vectors
        for row in 0..<rows {
            let word = store.withWord(row) { String(decoding: $0, as: UTF8.self) }
            // A word listed twice keeps the row that lookups find.
            guard store.index(of: word) == row else { continue }
            keys.append(word)
            values.append(row)
            let weight = weighted ? idf[row] : 1
            for column in 0..<dimension {
                table[row * dimension + column] = Float(Double(source[row * dimension + column]) * weight)
            }
            weights[row] = Float(weight)
            known[row] = 1
        }
        keys.append("")
        values.append(paddingRow)
        switch features.unknownWords {
        case .skip: break
        case .zero: weights[unknownRow] = Float(weighted ? idf[rows] : 1)
        case .unk(let seed):
            let weight = weighted ? idf[rows] : 1
            weights[unknownRow] = Float(weight)
            for (column, value) in EmbeddingAverager.unknownVector(seed: seed, dimension: dimension).enumerated() {
                table[unknownRow * dimension + column] = Float(Double(value) * weight)
            }
        }
        let index = builder.node(
            "LabelEncoder", [tokens], domain: "ai.onnx.ml",
            attributes: [("default_int64", .int(unknownRow)), ("keys_strings", .strings(keys)), ("values_int64s", .ints(values))])
        let axis = builder.int64s([1], dims: [1], name: "axis1")
        let vectors = builder.floats(table, dims: [rows + 2, dimension], name: "vectors")
        let sum = builder.node("ReduceSum", [builder.node("Gather", [vectors, index]), axis], attributes: [("keepdims", .int(0))])
        let knownWords = builder.floats(known, dims: [rows + 2], name: "known_words")
        var average = sum
        if features.weighting != .sum {
            let tokenWeights = builder.floats(weights, dims: [rows + 2], name: "token_weights")
            let denominator = builder.node("ReduceSum", [builder.node("Gather", [tokenWeights, index]), axis], attributes: [("keepdims", .int(1))])
            let positive = builder.node("Greater", [denominator, builder.scalar(0)])
            average = builder.node("Div", [sum, builder.node("Where", [positive, denominator, builder.scalar(1)])])
        }
        let knownCount = builder.node("ReduceSum", [builder.node("Gather", [knownWords, index]), axis], attributes: [("keepdims", .int(1))])
        let anyKnown = builder.node("Greater", [knownCount, builder.scalar(0)])
        return (builder.node("Where", [anyKnown, average, builder.scalar(0)]), dimension)
    }

    // MARK: - Classifier

    /// The logits of `classifier` for features `input`.
    static func classifierNodes(_ classifier: any Classifier, input: String, builder: inout GraphBuilder) throws -> String {
        var x = input
        for (index, layer) in classifier.layers.enumerated() {
            let prefix = "layers.\(index)"
            switch layer {
            case let linear as Linear:
                var inputs = [x, builder.floats(linear.weight.value.scalars, dims: linear.weight.value.shape, name: prefix + ".weight")]
                if let bias = linear.bias { inputs.append(builder.floats(bias.value.scalars, dims: bias.value.shape, name: prefix + ".bias")) }
                x = builder.node("Gemm", inputs)
            case let norm as BatchNorm1d:
                let features = norm.features
                x = builder.node(
                    "BatchNormalization",
                    [
                        x, builder.floats(norm.weight?.value.scalars ?? Array(repeating: 1, count: features), dims: [features], name: prefix + ".weight"),
                        builder.floats(norm.bias?.value.scalars ?? Array(repeating: 0, count: features), dims: [features], name: prefix + ".bias"),
                        builder.floats(norm.runningMean.scalars, dims: [features], name: prefix + ".running_mean"),
                        builder.floats(norm.runningVariance.scalars, dims: [features], name: prefix + ".running_var"),
                    ],
                    attributes: [("epsilon", .float(norm.epsilon))])
            case let norm as LayerNorm:
                x = builder.node(
                    "LayerNormalization",
                    [
                        x, builder.floats(norm.weight.value.scalars, dims: [norm.features], name: prefix + ".weight"),
                        builder.floats(norm.bias.value.scalars, dims: [norm.features], name: prefix + ".bias"),
                    ],
                    attributes: [("axis", .int(-1)), ("epsilon", .float(norm.epsilon))])
            case let activation as Activation:
                switch activation.function {
                case .relu: x = builder.node("Relu", [x])
                case .leakyRelu(let slope): x = builder.node("LeakyRelu", [x], attributes: [("alpha", .float(slope))])
                case .tanh: x = builder.node("Tanh", [x])
                case .sigmoid: x = builder.node("Sigmoid", [x])
                case .gelu:
                    let erf = builder.node("Erf", [builder.node("Div", [x, builder.scalar(Float(2).squareRoot())])])
                    x = builder.node("Mul", [builder.node("Mul", [x, builder.scalar(0.5)]), builder.node("Add", [erf, builder.scalar(1)])])
                }
            case is Dropout:
                continue
            default:
                throw ONNXExportError("layer \(index) (\(type(of: layer))) has no ONNX form")
            }
        }
        return x
    }
}

/// Why a model cannot be exported.
public struct ONNXExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Builds a graph's nodes and constants with names made unique by a counter; a named
/// constant is added once.
struct GraphBuilder {
    var graph = ONNX.Graph(name: "")
    private var count = 0
    private var constants: Set<String> = []

    /// Adds the node and returns its output's name (`output`, or a fresh one).
    mutating func node(
        _ op: String, _ inputs: [String], domain: String = "", attributes: [(name: String, value: ONNX.AttributeValue)] = [],
        output: String? = nil
    ) -> String {
        count += 1
        let name = output ?? "\(op.lowercased())_\(count)"
        graph.nodes.append(ONNX.Node(op, domain: domain, inputs: inputs, outputs: [name], name: "\(op)_\(count)", attributes: attributes))
        return name
    }

    /// Adds a constant (once per name) and returns its name.
    mutating func constant(_ tensor: ONNX.TensorValue) -> String {
        if constants.insert(tensor.name).inserted { graph.initializers.append(tensor) }
        return tensor.name
    }

    mutating func floats(_ values: [Float], dims: [Int], name: String) -> String {
        constants.contains(name) ? name : constant(ONNX.TensorValue(name: name, floats: values, dims: dims))
    }

    /// A scalar `float` constant ("zero", "one", "half" or "scalar_<value>").
    mutating func scalar(_ value: Float) -> String {
        let name = value == 0 ? "zero" : value == 1 ? "one" : value == 0.5 ? "half" : "scalar_\(value)"
        return floats([value], dims: [], name: name)
    }

    mutating func int64s(_ values: [Int], dims: [Int], name: String) -> String {
        constants.contains(name) ? name : constant(ONNX.TensorValue(name: name, int64s: values, dims: dims))
    }
}
