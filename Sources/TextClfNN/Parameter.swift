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
    /// The memory ``denseGradient()`` densifies a row-sparse gradient into.
    var densifiedGradient: Tensor?

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
    ///
    /// A row-sparse gradient is densified into memory the parameter keeps for the purpose and
    /// reuses at the next call, once the caller has let go of the previous result.
    public func denseGradient() -> Tensor {
        guard let sparseGradient else { return gradient ?? Tensor.zeros(value.shape, device: value.device) }
        var total = densifiedGradient.flatMap { $0.shape == value.shape && $0.device == value.device ? $0 : nil }
            ?? Tensor.zeros(value.shape, device: value.device)
        densifiedGradient = nil
        try! value.device.backend.densify(sparseGradient, adding: gradient, into: &total)
        densifiedGradient = total
        return total
    }

    /// Throws ``TensorError/nonFinite(what:index:)`` naming the gradient (`gradient of NAME`)
    /// and the position, in the dense gradient, of its first NaN or infinite value. Checks the
    /// dense part and the stored rows of the row-sparse part, without densifying.
    public func checkGradientFinite() throws {
        var first = gradient?.firstNonFiniteIndex()
        if let sparseGradient, let index = sparseGradient.values.firstNonFiniteIndex() {
            let columns = sparseGradient.values.columns
            let position = sparseGradient.rowIndices[index / columns] * columns + index % columns
            first = min(first ?? position, position)
        }
        if let first { throw TensorError.nonFinite(what: "gradient of \(name)", index: first) }
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
