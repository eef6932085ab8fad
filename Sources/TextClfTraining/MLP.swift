import TextClfNN
import TextClfTensor

/// A multilayer perceptron: for each hidden width `Linear → [BatchNorm1d | LayerNorm] →
/// activation → [Dropout]`, then `Linear` to K logits trained with ``CrossEntropy`` (K ≥ 2,
/// softmax probabilities). The first `Linear` takes sparse input.
///
/// Dropout masks come from a generator derived from the run's seed and the epoch
/// (``prepareEpoch(_:seed:)``), so a resumed run — whose model was rebuilt from a file —
/// draws the same masks as an uninterrupted one.
public final class MLP: Classifier {
    /// The description.
    public let architecture: ModelArchitecture
    /// The layers; dropout layers are replaced by ``prepareEpoch(_:seed:)`` (they hold no parameters).
    public private(set) var layers: [any Layer]
    /// Training mode (dropout active, batch statistics) or evaluation mode.
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// Creates a model with weights drawn from stream 0 of `seed` (dropout masks, until the
    /// trainer calls ``prepareEpoch(_:seed:)``, from stream 1).
    /// - Precondition: `features > 0`, `classes >= 2`, positive hidden widths, dropout in `[0, 1)`.
    public init(
        features: Int, hidden: [Int], classes: Int, activation: ActivationKind = .relu, dropout: Float = 0,
        normalization: NormalizationKind = .none, initializer: InitializerKind = .pytorchDefault,
        device: Device = Device.current, seed: UInt64
    ) {
        precondition(features > 0 && classes >= 2, "MLP needs features > 0 and classes >= 2")
        precondition(hidden.allSatisfy { $0 > 0 }, "MLP hidden widths must be > 0 (got \(hidden))")
        precondition((0..<1).contains(dropout), "MLP dropout \(dropout) is outside [0, 1)")
        architecture = ModelArchitecture(
            kind: .mlp, features: features, classes: classes, hidden: hidden, activation: activation, dropout: dropout,
            normalization: normalization, initializer: initializer)
        let root = RandomGenerator(seed: seed)
        var generator = root.fork(stream: 0)
        var layers: [any Layer] = []
        var width = features
        for size in hidden {
            layers.append(Linear(width, size, initializer: initializer.initializer, device: device, generator: &generator))
            switch normalization {
            case .none: break
            case .batch: layers.append(BatchNorm1d(size, device: device))
            case .layer: layers.append(LayerNorm(size, device: device))
            }
            layers.append(Activation(activation.function))
            if dropout > 0 { layers.append(Dropout(probability: dropout, generator: root.fork(stream: 1))) }
            width = size
        }
        layers.append(Linear(width, classes, initializer: initializer.initializer, device: device, generator: &generator))
        self.layers = layers
        Sequential.prefixNames(of: layers)
    }

    /// Cross-entropy with optional class weights.
    public func loss(logits: Tensor, labels: [Int], classWeights: [Float]?) throws -> (value: Float, gradient: Tensor) {
        let result = try CrossEntropy(classWeights: classWeights)(logits, labels)
        return (result.value, result.gradient)
    }

    /// Gives every dropout layer a fresh generator for epoch `epoch`: stream 1 of `seed`,
    /// then stream `epoch`, then one sub-stream per layer index.
    public func prepareEpoch(_ epoch: Int, seed: UInt64) {
        for (index, generator) in dropoutGenerators(epoch: epoch, seed: seed) {
            guard let dropout = layers[index] as? Dropout else { continue }
            let replacement = Dropout(probability: dropout.probability, generator: generator)
            replacement.isTraining = isTraining
            layers[index] = replacement
        }
    }

    /// The generators that ``prepareEpoch(_:seed:)`` gives the dropout layers for epoch
    /// `epoch`, with the layers' indices in ``layers``, first to last. A function of its
    /// arguments only, so that an epoch's masks can be drawn before the epoch starts.
    public func dropoutGenerators(epoch: Int, seed: UInt64) -> [(index: Int, generator: RandomGenerator)] {
        let epochRoot = RandomGenerator(seed: seed).fork(stream: 1).fork(stream: UInt64(epoch))
        return layers.indices.compactMap { index in
            layers[index] is Dropout ? (index, epochRoot.fork(stream: UInt64(index))) : nil
        }
    }
}
