import Foundation
import TextClfIO
import TextClfNN
import TextClfTensor

/// The kind of model a ``ModelArchitecture`` describes.
public enum ModelKind: String, Sendable, Hashable, Codable {
    /// ``LogisticRegression``.
    case logisticRegression = "logistic-regression"
    /// ``MLP``.
    case mlp
}

/// The normalisation layer an ``MLP`` puts after each hidden `Linear`.
public enum NormalizationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// None.
    case none
    /// `BatchNorm1d` (running statistics saved as buffers).
    case batch
    /// `LayerNorm`.
    case layer
}

/// An activation by name, so that it can be saved in `model.json` (``Activation/Function``
/// is not `Codable`).
public enum ActivationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `max(x, 0)`.
    case relu
    /// Leaky ReLU with PyTorch's slope 0.01.
    case leakyRelu = "leaky-relu"
    /// The hyperbolic tangent.
    case tanh
    /// The logistic function.
    case sigmoid
    /// Exact GELU.
    case gelu

    /// The layer function.
    public var function: Activation.Function {
        switch self {
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu(0.01)
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .gelu: return .gelu
        }
    }
}

/// A weight initialiser by name, so that it can be saved in `model.json`.
public enum InitializerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// PyTorch's `nn.Linear` default.
    case pytorchDefault = "pytorch"
    /// Glorot uniform.
    case xavierUniform = "xavier-uniform"
    /// Glorot normal.
    case xavierNormal = "xavier-normal"
    /// He uniform (gain √2).
    case kaimingUniform = "kaiming-uniform"
    /// He normal (gain √2).
    case kaimingNormal = "kaiming-normal"
    /// Zeros (a convex model such as logistic regression trains fine from zero).
    case zeros

    /// The initialiser.
    public var initializer: Initializer {
        switch self {
        case .pytorchDefault: return .pytorchDefault
        case .xavierUniform: return .xavierUniform()
        case .xavierNormal: return .xavierNormal()
        case .kaimingUniform: return .kaimingUniform()
        case .kaimingNormal: return .kaimingNormal()
        case .zeros: return .zeros
        }
    }
}

/// Everything needed to rebuild a model's layers (and check a weight file against them).
public struct ModelArchitecture: Sendable, Hashable, Codable {
    /// Logistic regression or MLP.
    public var kind: ModelKind
    /// Input features (the vectorizer's columns).
    public var features: Int
    /// Classes K (≥ 2).
    public var classes: Int
    /// Hidden layer widths (MLP only; empty for logistic regression).
    public var hidden: [Int]
    /// The hidden activation (MLP only).
    public var activation: ActivationKind
    /// Dropout after each hidden activation (MLP only; 0: none).
    public var dropout: Float
    /// Normalisation after each hidden `Linear` (MLP only).
    public var normalization: NormalizationKind
    /// How weights were initialised (informative once trained).
    public var initializer: InitializerKind

    /// Creates a description.
    public init(
        kind: ModelKind, features: Int, classes: Int, hidden: [Int] = [], activation: ActivationKind = .relu,
        dropout: Float = 0, normalization: NormalizationKind = .none, initializer: InitializerKind = .pytorchDefault
    ) {
        self.kind = kind
        self.features = features
        self.classes = classes
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.normalization = normalization
        self.initializer = initializer
    }

    /// The number of values in the model's tensors (parameters and buffers), or `nil` when it
    /// does not fit in an `Int`.
    public var valueCount: Int? {
        var values = 0
        for (_, shape) in tensorShapes() {
            var count = 1
            for size in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                if overflow { return nil }
                count = product
            }
            let (total, overflow) = values.addingReportingOverflow(count)
            if overflow { return nil }
            values = total
        }
        return values
    }

    /// What is impossible in this description read from a file, or `nil`: the checks to pass
    /// before any layer is built. `classNames` are the saved class names; `storedBytes`, when
    /// given, the size of the weight file, which must hold every tensor as 32-bit floats (so
    /// that a tampered width is refused before memory is allocated for it).
    public func problem(classNames: [String], storedBytes: Int? = nil) -> String? {
        if features < 1 { return "architecture: features is \(features); it must be at least 1" }
        if classes < 2 { return "architecture: classes is \(classes); a classifier needs at least 2" }
        if classNames.count != classes {
            return "classes: \(classNames.count) names for an architecture of \(classes) classes"
        }
        if let duplicate = Dictionary(grouping: classNames, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            return "classes: '\(duplicate)' appears more than once"
        }
        if kind == .mlp {
            if let bad = hidden.enumerated().first(where: { $0.element < 1 }) {
                return "architecture: hidden width \(bad.element) (layer \(bad.offset + 1)); widths must be at least 1"
            }
            if !(dropout >= 0 && dropout < 1) { return "architecture: dropout is \(dropout); it must be in [0, 1)" }
        }
        guard let values = valueCount else { return "architecture: the layers' sizes overflow" }
        if let storedBytes, values > storedBytes / 4 {
            return "architecture: its tensors need \(values) values (\(values / 250_000) MB), more than the weight file's \(storedBytes) bytes hold"
        }
        return nil
    }

    /// The number of logits the model outputs: 1 for binary logistic regression, else K.
    public var outputCount: Int { kind == .logisticRegression && classes == 2 ? 1 : classes }

    /// The parameter and buffer names with their shapes, in the order the model lists them
    /// (parameters first, then buffers), as stored in `model.safetensors`.
    public func tensorShapes() -> [(name: String, shape: [Int])] {
        switch kind {
        case .logisticRegression:
            return [("layers.0.weight", [features, outputCount]), ("layers.0.bias", [outputCount])]
        case .mlp:
            var parameters: [(String, [Int])] = [], buffers: [(String, [Int])] = []
            var index = 0, width = features
            for size in hidden {
                parameters += [("layers.\(index).weight", [width, size]), ("layers.\(index).bias", [size])]
                index += 1
                switch normalization {
                case .none: break
                case .batch, .layer:
                    parameters += [("layers.\(index).weight", [size]), ("layers.\(index).bias", [size])]
                    if normalization == .batch {
                        buffers += [("layers.\(index).running_mean", [size]), ("layers.\(index).running_var", [size])]
                    }
                    index += 1
                }
                index += 1  // activation
                if dropout > 0 { index += 1 }
                width = size
            }
            parameters += [("layers.\(index).weight", [width, classes]), ("layers.\(index).bias", [classes])]
            return (parameters + buffers).map { (name: $0.0, shape: $0.1) }
        }
    }

    /// Builds the model this describes, seeded with `seed`.
    public func makeModel(seed: UInt64, device: Device = Device.current) -> any Classifier {
        switch kind {
        case .logisticRegression:
            return LogisticRegression(features: features, classes: classes, initializer: initializer, device: device, seed: seed)
        case .mlp:
            return MLP(
                features: features, hidden: hidden, classes: classes, activation: activation, dropout: dropout,
                normalization: normalization, initializer: initializer, device: device, seed: seed)
        }
    }
}

/// A trainable text classifier: a ``Layer`` from features to logits that knows its loss,
/// probabilities and predictions, so the ``Trainer`` treats every model alike.
///
/// Layers are kept in a flat list and named `layers.<index>.<name>` (as a PyTorch
/// `nn.Sequential` stored in an attribute `layers`).
public protocol Classifier: Layer {
    /// The description the model was built from.
    var architecture: ModelArchitecture { get }
    /// The layers, in application order.
    var layers: [any Layer] { get }
    /// The loss of `logits` for class indices `labels`, and its gradient with respect to
    /// the logits; `classWeights` (one per class) weigh each row by its true class, and the
    /// mean divides by the rows' total weight (PyTorch's rule for weighted cross-entropy).
    func loss(logits: Tensor, labels: [Int], classWeights: [Float]?) throws -> (value: Float, gradient: Tensor)
    /// Re-seeds epoch-dependent randomness (dropout masks) for epoch `epoch` (0-based) from
    /// the run's `seed`, so that a run resumed at an epoch draws the same masks as an
    /// uninterrupted one (the generator's position is a function of seed and epoch).
    func prepareEpoch(_ epoch: Int, seed: UInt64)
}

extension Classifier {
    /// The number of classes K.
    public var classCount: Int { architecture.classes }

    /// Every layer's parameters, in order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every layer's buffers, named `layers.<index>.<name>`.
    public var buffers: [(name: String, value: Tensor)] { Sequential.buffers(of: layers) }

    /// Sets the buffer `layers.<index>.<name>`.
    public func setBuffer(_ name: String, to value: Tensor) throws {
        try Sequential.setBuffer(name, to: value, in: layers, owner: String(describing: type(of: self)))
    }

    /// Applies the layers in order.
    public func forward(_ input: LayerInput) throws -> Tensor {
        var current = input
        // Dense rows come from the host: copied to the model's device, batch by batch.
        if case .dense(let rows) = input, let device = layers.lazy.flatMap(\.parameters).first?.value.device, rows.device != device {
            current = .dense(rows.to(device))
        }
        for layer in layers { current = .dense(try layer.forward(current)) }
        guard case .dense(let output) = current else { throw LayerError.invalid("\(type(of: self)) has no layers") }
        return output
    }

    /// Runs the layers' backward passes in reverse.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        try backward(gradientOutput, needsInputGradient: true)
    }

    /// Runs the layers' backward passes in reverse; the first layer skips its input gradient
    /// unless asked (training never needs it).
    public func backward(_ gradientOutput: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try Sequential.backward(
            through: layers, gradientOutput, needsInputGradient: needsInputGradient, owner: "\(type(of: self))")
    }

    /// Class probabilities `[rows, K]` in evaluation mode (the mode is restored afterwards).
    /// A binary logistic regression's single logit becomes the columns `[1 − p, p]`, so
    /// callers always see K columns.
    public func probabilities(_ features: LayerInput) throws -> Tensor {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        let logits = try forward(features)
        return try Self.probabilities(logits: logits)
    }

    /// Probabilities `[rows, K]` from logits (sigmoid for one column, softmax otherwise).
    public static func probabilities(logits: Tensor) throws -> Tensor {
        let backend = logits.device.backend
        guard logits.columns == 1 else { return backend.softmaxRows(logits) }
        let p = backend.unary(.sigmoid, logits).scalars
        var values = [Float](repeating: 0, count: p.count * 2)
        for (row, value) in p.enumerated() { values[2 * row] = 1 - value; values[2 * row + 1] = value }
        return try Tensor(shape: [p.count, 2], values: values, device: logits.device)
    }

    /// The predicted class of each row (evaluation mode).
    public func predict(_ features: LayerInput) throws -> [Int] {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        return Self.predictions(logits: try forward(features))
    }

    /// Class indices from logits: argmax, or `logit > 0` for a single column (`p > 0.5`).
    public static func predictions(logits: Tensor) -> [Int] {
        logits.columns == 1 ? logits.scalars.map { $0 > 0 ? 1 : 0 } : logits.device.backend.argmaxRows(logits)
    }

    /// Copies of every parameter value and buffer, by name (an in-memory snapshot).
    public func stateDictionary() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for parameter in parameters { state[parameter.name] = parameter.value }
        for buffer in buffers { state[buffer.name] = buffer.value }
        return state
    }

    /// Restores a snapshot from ``stateDictionary()`` (or a weight file).
    /// - Throws: ``ModelFileError`` for a missing tensor or a shape that differs.
    public func loadStateDictionary(_ state: [String: Tensor], source: String = "state") throws {
        for parameter in parameters {
            guard let value = state[parameter.name] else { throw ModelFileError(path: source, tensor: parameter.name, message: "missing") }
            guard value.shape == parameter.value.shape else {
                throw ModelFileError(path: source, tensor: parameter.name, message: "shape \(value.shape), expected \(parameter.value.shape)")
            }
            parameter.value = value.to(parameter.value.device)
            parameter.zeroGradient()
        }
        for buffer in buffers {
            guard let value = state[buffer.name] else { throw ModelFileError(path: source, tensor: buffer.name, message: "missing") }
            guard value.shape == buffer.value.shape else {
                throw ModelFileError(path: source, tensor: buffer.name, message: "shape \(value.shape), expected \(buffer.value.shape)")
            }
            try setBuffer(buffer.name, to: value.to(buffer.value.device))
        }
    }
}

/// Logistic regression: one ``Linear`` layer on sparse or dense features.
///
/// Binary (K = 2): one logit and ``BinaryCrossEntropyWithLogits`` (probability of class 1
/// by sigmoid), as scikit-learn's binary `LogisticRegression`. Multinomial (K ≥ 3): K
/// logits and ``CrossEntropy`` (softmax).
public final class LogisticRegression: Classifier {
    /// The description.
    public let architecture: ModelArchitecture
    /// `[Linear]`.
    public let layers: [any Layer]
    /// Training mode (no effect on a single linear layer; kept for ``Module``).
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// Creates a model with weights drawn from `generator`.
    /// - Precondition: `features > 0`, `classes >= 2`.
    public init(
        features: Int, classes: Int, initializer: InitializerKind = .pytorchDefault, device: Device = Device.current,
        generator: inout RandomGenerator
    ) {
        precondition(features > 0 && classes >= 2, "LogisticRegression needs features > 0 and classes >= 2")
        architecture = ModelArchitecture(kind: .logisticRegression, features: features, classes: classes, initializer: initializer)
        let linear = Linear(
            features, architecture.outputCount, initializer: initializer.initializer,
            biasInitializer: initializer == .zeros ? .zeros : .pytorchDefault, device: device, generator: &generator)
        layers = [linear]
        Sequential.prefixNames(of: layers)
    }

    /// Creates a model seeded with `seed` (weights from stream 0 of the seed).
    public convenience init(
        features: Int, classes: Int, initializer: InitializerKind = .pytorchDefault, device: Device = Device.current, seed: UInt64
    ) {
        var generator = RandomGenerator(seed: seed).fork(stream: 0)
        self.init(features: features, classes: classes, initializer: initializer, device: device, generator: &generator)
    }

    /// Binary: weighted binary cross-entropy on the single logit; multinomial: cross-entropy.
    public func loss(logits: Tensor, labels: [Int], classWeights: [Float]?) throws -> (value: Float, gradient: Tensor) {
        guard architecture.outputCount == 1 else {
            let result = try CrossEntropy(classWeights: classWeights)(logits, labels)
            return (result.value, result.gradient)
        }
        if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw TensorError.invalid("LogisticRegression: label \(labels[bad]) at row \(bad) is not 0 or 1")
        }
        let targets = try Tensor(shape: [labels.count, 1], values: labels.map(Float.init), device: logits.device)
        guard let classWeights else {
            let result = try BinaryCrossEntropyWithLogits()(logits, targets)
            return (result.value, result.gradient)
        }
        // Per-row weights: BinaryCrossEntropyWithLogits has only pos_weight, so the stable form
        // max(x, 0) − x·y + log(1 + e^(−|x|)) is computed here per row (one logit per row, cheap); the mean divides by the total weight, as CrossEntropy does.
        let weights = labels.map { classWeights[$0] }
        let total = weights.reduce(0, +)
        let x = logits.scalars
        var value: Float = 0
        var gradient = [Float](repeating: 0, count: x.count)
        for (row, logit) in x.enumerated() {
            let y = Float(labels[row])
            let element = max(logit, 0) - logit * y + log1p(exp(-abs(logit)))
            value += weights[row] * element
            gradient[row] = weights[row] * (1 / (1 + exp(-logit)) - y) / total
        }
        try logits.checkFinite("LogisticRegression logits")
        return (value / total, try Tensor(shape: logits.shape, values: gradient, device: logits.device))
    }

    /// Nothing is random after initialisation.
    public func prepareEpoch(_ epoch: Int, seed: UInt64) {}
}
