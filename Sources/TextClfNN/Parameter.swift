import TextClfTensor

/// A trainable tensor with a stable name (used in saved weight files) and its gradient.
///
/// Layers own their parameters and list them explicitly (no reflection); optimizers keep
/// their state per parameter, keyed by identity.
public final class Parameter {
    /// A name unique within a model, e.g. `layers.0.weight`; layers give local names and
    /// containers prefix them.
    public var name: String
    /// The current value.
    public var value: Tensor
    /// The dense gradient accumulated since the last ``zeroGradient()``, or `nil`.
    public var gradient: Tensor?
    /// The row-sparse gradient from sparse input (a `Linear` weight fed CSR rows), or `nil`.
    public var sparseGradient: RowSparseTensor?
    /// Whether weight decay and L1/L2 penalties apply (weights yes, biases and norm scales no).
    public var isPenalized: Bool
    /// The operand list of optimizer updates, reused between them (it holds placeholders
    /// between updates).
    var kernelOperands: [Tensor] = []
    /// The gradient the last ``zeroGradient()`` dropped, kept so that the next backward pass
    /// can write the new gradient into its memory instead of allocating.
    var retiredGradient: Tensor?

    /// Creates a parameter.
    public init(name: String, value: Tensor, isPenalized: Bool = true) {
        self.name = name
        self.value = value
        self.isPenalized = isPenalized
    }

    /// Forgets the accumulated gradients.
    public func zeroGradient() {
        if let gradient { retiredGradient = gradient }
        gradient = nil
        sparseGradient = nil
    }

    /// The retired gradient's tensor, taken, when it has the value's shape and device: memory
    /// for a gradient that is about to be overwritten whole. (Were it still shared, writing to
    /// it copies it first, so nothing else sees the write.)
    func takeRetiredGradient() -> Tensor? {
        guard let retired = retiredGradient else { return nil }
        retiredGradient = nil
        return retired.shape == value.shape && retired.device == value.device ? retired : nil
    }

    /// The gradient as a dense tensor (a row-sparse one is densified; zeros if none).
    public func denseGradient() -> Tensor {
        if let gradient {
            guard let sparseGradient else { return gradient }
            var total = gradient
            try! value.device.backend.axpy(1, sparseGradient.densified().to(value.device), &total)
            return total
        }
        return sparseGradient?.densified().to(value.device) ?? Tensor.zeros(value.shape, device: value.device)
    }

    /// Adds `delta` to the dense gradient.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if the shapes differ.
    public func accumulate(_ delta: Tensor) throws {
        guard delta.shape == value.shape else {
            throw TensorError.shapeMismatch(operation: "gradient of \(name)", shapes: [value.shape, delta.shape])
        }
        if var current = gradient {
            try value.device.backend.axpy(1, delta, &current)
            gradient = current
        } else {
            gradient = delta
        }
    }
}

/// A layer or a model: something with parameters and a training mode.
public protocol Module: AnyObject {
    /// The parameters, in a stable order, with names unique within the module.
    var parameters: [Parameter] { get }
    /// Training mode (dropout active, batch statistics) versus evaluation mode.
    var isTraining: Bool { get set }
}

extension Module {
    /// Forgets every parameter's gradient.
    public func zeroGradients() { for parameter in parameters { parameter.zeroGradient() } }
}
