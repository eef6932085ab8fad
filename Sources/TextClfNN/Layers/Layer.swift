import TextClfTensor

/// What a ``Layer`` consumes: a dense matrix or sparse CSR rows.
///
/// Only ``Linear`` accepts `.sparse`; every other layer throws
/// ``LayerError/sparseInputUnsupported(layer:shape:)``.
public enum LayerInput {
    /// A dense `[batch, features]` matrix.
    case dense(Tensor)
    /// Sparse rows, one per example (`[rowCount, columnCount]`).
    case sparse(CSRMatrix)

    /// The input's shape, for messages.
    public var shape: [Int] {
        switch self {
        case .dense(let tensor): return tensor.shape
        case .sparse(let matrix): return [matrix.rowCount, matrix.columnCount]
        }
    }
}

/// A layer with an explicit forward and backward pass (no tape).
///
/// ``forward(_:)`` caches what ``backward(_:)`` needs; ``backward(_:)`` adds the gradients of
/// the layer's parameters into ``Parameter/gradient`` (or ``Parameter/sparseGradient``) and
/// returns the gradient with respect to the layer's input. Call them in pairs: a backward
/// pass belongs to the most recent forward pass. Parameters carry local names (`weight`,
/// `bias`); containers such as ``Sequential`` prefix them.
public protocol Layer: Module {
    /// Computes the output for `input` and caches what the backward pass needs.
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` naming the shapes, or
    ///   ``LayerError`` for input the layer cannot take.
    func forward(_ input: LayerInput) throws -> Tensor

    /// Accumulates parameter gradients for the last forward pass, given the gradient of the
    /// objective with respect to its output, and returns the gradient with respect to its
    /// input; `nil` when the input was sparse (its gradient is never needed).
    /// - Throws: ``LayerError/backwardWithoutForward(layer:)`` or a shape mismatch.
    func backward(_ gradientOutput: Tensor) throws -> Tensor?

    /// ``backward(_:)``, told whether the caller needs the input gradient: the first layer of
    /// a model does not, and skipping it saves a product as large as the forward pass.
    /// Returns `nil` when it is not needed (or the input was sparse).
    func backward(_ gradientOutput: Tensor, needsInputGradient: Bool) throws -> Tensor?

    /// State that is saved with the model but is not trained (``BatchNorm1d``'s running
    /// statistics), in a stable order with local names. Empty for most layers.
    var buffers: [(name: String, value: Tensor)] { get }

    /// Replaces the buffer `name` (one of ``buffers``' names), e.g. when loading a model.
    /// - Throws: ``LayerError/unknownBuffer(layer:name:)`` or a shape mismatch.
    func setBuffer(_ name: String, to value: Tensor) throws
}

extension Layer {
    /// Computes the input gradient whether or not it is needed; layers for which it is
    /// expensive implement this requirement themselves.
    public func backward(_ gradientOutput: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try backward(gradientOutput)
    }

    /// No buffers.
    public var buffers: [(name: String, value: Tensor)] { [] }

    /// Throws ``LayerError/unknownBuffer(layer:name:)``: the layer has no buffers.
    public func setBuffer(_ name: String, to value: Tensor) throws {
        throw LayerError.unknownBuffer(layer: String(describing: type(of: self)), name: name)
    }

    /// ``forward(_:)`` for a dense matrix.
    public func forward(_ input: Tensor) throws -> Tensor { try forward(.dense(input)) }

    /// The dense input of a layer that takes only dense input.
    func denseInput(_ input: LayerInput) throws -> Tensor {
        switch input {
        case .dense(let tensor): return tensor
        case .sparse(let matrix):
            throw LayerError.sparseInputUnsupported(
                layer: String(describing: type(of: self)), shape: [matrix.rowCount, matrix.columnCount])
        }
    }
}

/// A layer used in a way it does not support.
public enum LayerError: Error, Equatable, CustomStringConvertible {
    /// Sparse input reached a layer that takes only dense input (only ``Linear`` takes sparse).
    case sparseInputUnsupported(layer: String, shape: [Int])
    /// ``Layer/backward(_:)`` was called with no forward pass to go back through.
    case backwardWithoutForward(layer: String)
    /// A layer after the first got sparse input's `nil` gradient, or similar misuse.
    case invalid(String)
    /// ``Layer/setBuffer(_:to:)`` got a name the layer does not have.
    case unknownBuffer(layer: String, name: String)

    public var description: String {
        switch self {
        case .sparseInputUnsupported(let layer, let shape):
            return "\(layer) takes dense input only; got a sparse \(shape.map(String.init).joined(separator: " × ")) matrix (only Linear takes sparse input)"
        case .backwardWithoutForward(let layer): return "\(layer).backward called before forward"
        case .invalid(let message): return message
        case .unknownBuffer(let layer, let name): return "\(layer) has no buffer named '\(name)'"
        }
    }
}

/// Arithmetic shared by layers and losses, built from ``Backend`` operations only.
enum Ops {
    /// `column` (`n` values) repeated across `columns` columns: `[n, columns]`, via a rank-1 GEMM.
    static func broadcastColumn(_ column: Tensor, columns: Int) throws -> Tensor {
        let backend = column.device.backend
        let rows = column.count
        var out = Tensor.zeros([rows, columns], device: column.device)
        try backend.gemm(
            column.reshaped([rows, 1]), transposeA: false, Tensor.full([1, columns], 1, device: column.device),
            transposeB: false, alpha: 1, beta: 0, into: &out)
        return out
    }

    /// Adds `alpha · op(a) · op(b)` to `parameter`'s gradient, in place when one exists.
    static func accumulateProduct(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, into parameter: Parameter
    ) throws {
        let backend = parameter.value.device.backend
        let accumulating = parameter.gradient != nil
        // Without a gradient to add to, the product overwrites (beta 0) the memory of the last
        // step's gradient when there is one.
        var gradient = parameter.gradient ?? parameter.takeRetiredGradient()
            ?? Tensor.zeros(parameter.value.shape, device: parameter.value.device)
        parameter.gradient = nil  // drop the parameter's reference so the GEMM writes without copying
        do {
            try backend.gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: 1,
                             beta: accumulating ? 1 : 0, into: &gradient)
        } catch {
            parameter.gradient = accumulating ? gradient : nil  // GEMM checks shapes before writing
            throw error
        }
        parameter.gradient = gradient
    }

    /// The sum of a tensor's values, read back to the host.
    static func total(_ x: Tensor) throws -> Float { try x.device.backend.sum(x, axis: nil).scalar }
}
