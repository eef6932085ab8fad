import TextClfTensor

/// An element-wise nonlinearity, computed by the backend's ``Backend/unary(_:_:)``.
public final class Activation: Layer {
    /// The functions available.
    public enum Function: Sendable, Hashable {
        /// `max(x, 0)`.
        case relu
        /// `x` for positive `x`, `slope · x` otherwise (PyTorch's default slope is 0.01).
        case leakyRelu(Float)
        /// The hyperbolic tangent.
        case tanh
        /// The logistic function `1 / (1 + e^(−x))`.
        case sigmoid
        /// The exact GELU `x · Φ(x)` (PyTorch's `approximate='none'`).
        case gelu

        /// The backend operation.
        public var operation: UnaryOperation {
            switch self {
            case .relu: return .relu
            case .leakyRelu(let slope): return .leakyRelu(slope: slope)
            case .tanh: return .tanh
            case .sigmoid: return .sigmoid
            case .gelu: return .gelu
            }
        }
    }

    /// The function applied.
    public let function: Function
    /// Unused by this layer; kept for ``Module``.
    public var isTraining = true
    private var cache: (input: Tensor, output: Tensor)?

    /// Creates an activation layer.
    public init(_ function: Function) { self.function = function }

    /// None.
    public var parameters: [Parameter] { [] }

    /// `f(x)` element-wise.
    /// - Throws: ``LayerError/sparseInputUnsupported(layer:shape:)`` for sparse input.
    public func forward(_ input: LayerInput) throws -> Tensor {
        let x = try denseInput(input)
        let y = x.device.backend.unary(function.operation, x)
        cache = (x, y)
        return y
    }

    /// `g · f'(x)`.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        guard let cache else { throw LayerError.backwardWithoutForward(layer: "Activation") }
        return try cache.input.device.backend.unaryBackward(
            function.operation, input: cache.input, output: cache.output, gradient: gradientOutput)
    }
}

/// Inverted dropout: in training, zeroes each value with probability `p` and scales the
/// rest by `1 / (1 − p)`; in evaluation, the identity.
///
/// Masks come from the layer's own seeded ``RandomGenerator`` on the host, so a given
/// seed gives the same masks on every device. The mask of the last training forward pass
/// is kept for the backward pass (``mask``).
public final class Dropout: Layer {
    /// The probability of zeroing a value, in `[0, 1]`.
    public let probability: Float
    /// Training mode drops values; evaluation mode passes them through.
    public var isTraining = true
    /// The scaled mask (`0` or `1 / (1 − p)` per value) of the last training forward pass.
    public private(set) var mask: Tensor?
    private var generator: RandomGenerator
    private var passedThrough = false

    /// Creates a dropout layer drawing masks from `generator`.
    /// - Precondition: `probability` is in `[0, 1]`.
    public init(probability: Float, generator: RandomGenerator) {
        precondition((0...1).contains(probability), "Dropout probability \(probability) is outside [0, 1]")
        self.probability = probability
        self.generator = generator
    }

    /// Creates a dropout layer drawing masks from a generator seeded with `seed`.
    public convenience init(probability: Float, seed: UInt64) {
        self.init(probability: probability, generator: RandomGenerator(seed: seed))
    }

    /// None.
    public var parameters: [Parameter] { [] }

    /// `x · mask` in training (a fresh mask each call), `x` in evaluation.
    public func forward(_ input: LayerInput) throws -> Tensor {
        let x = try denseInput(input)
        guard isTraining, probability > 0 else {
            passedThrough = true
            return x
        }
        passedThrough = false
        let backend = x.device.backend
        // The scaled mask in one pass: `scale · bernoulli` is `scale` (1 / (1 − p)) or 0 exactly.
        let mask = Tensor(shape: x.shape, device: x.device, uninitializedCount: x.count) { values in
            generator.fillBernoulli(
                UnsafeMutableBufferPointer(start: values, count: x.count), probability: 1 - probability,
                value: probability < 1 ? 1 / (1 - probability) : 0)
        }
        self.mask = mask
        return try backend.binary(.multiply, x, mask)
    }

    /// The generator that the next masks come from. A checkpoint saves it, and a resumed run
    /// sets it to go on drawing where an interrupted epoch stopped.
    package var maskGenerator: RandomGenerator {
        get { generator }
        set { generator = newValue }
    }

    /// `g · mask` after a training pass, `g` after an evaluation pass.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        if passedThrough { return gradientOutput }
        guard let mask else { throw LayerError.backwardWithoutForward(layer: "Dropout") }
        guard mask.shape == gradientOutput.shape else {
            throw TensorError.shapeMismatch(operation: "Dropout backward", shapes: [gradientOutput.shape, mask.shape])
        }
        return try mask.device.backend.binary(.multiply, gradientOutput, mask)
    }
}
