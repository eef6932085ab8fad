import TextClfTensor

/// Scales the gradients of `parameters` so that their total L2 norm is at most `maxNorm`,
/// exactly as `torch.nn.utils.clip_grad_norm_` (norm type 2): the total norm is the L2 norm
/// of the per-parameter norms, and when it exceeds `maxNorm` every gradient is multiplied by
/// `maxNorm / (norm + 1e-6)`. Dense and row-sparse gradients both count and both are scaled
/// (a parameter holding both has them merged into a dense gradient first).
/// - Returns: the total norm before clipping.
/// - Throws: ``TensorError/invalid(_:)`` for a negative `maxNorm`.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    try require(maxNorm >= 0 && maxNorm.isFinite, "clipGradientNorm: maxNorm must be finite and >= 0 (got \(maxNorm))")
    var squares: Float = 0
    for parameter in parameters {
        if parameter.gradient != nil, parameter.sparseGradient != nil {
            parameter.gradient = parameter.denseGradient()
            parameter.sparseGradient = nil
        }
        let backend = parameter.value.device.backend
        for tensor in [parameter.gradient, parameter.sparseGradient?.values].compactMap({ $0 }) where tensor.count > 0 {
            let norm = try backend.sum(backend.unary(.square, tensor), axis: nil).scalar.squareRoot()
            squares += norm * norm
        }
    }
    let total = squares.squareRoot()
    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 {
        for parameter in parameters {
            let backend = parameter.value.device.backend
            if let gradient = parameter.gradient { parameter.gradient = backend.unary(.scale(coefficient), gradient) }
            if let sparse = parameter.sparseGradient {
                parameter.sparseGradient = RowSparseTensor(
                    rowCount: sparse.rowCount, rowIndices: sparse.rowIndices, values: backend.unary(.scale(coefficient), sparse.values))
            }
        }
    }
    return total
}

/// Clamps every gradient element to `[-maxValue, maxValue]`, as
/// `torch.nn.utils.clip_grad_value_`; dense and row-sparse gradients both.
/// - Throws: ``TensorError/invalid(_:)`` for a negative `maxValue`.
public func clipGradientValue(_ parameters: [Parameter], maxValue: Float) throws {
    try require(maxValue >= 0, "clipGradientValue: maxValue must be >= 0 (got \(maxValue))")
    func clamp(_ tensor: Tensor) throws -> Tensor {
        let backend = tensor.device.backend
        let upper = Tensor.full([1], maxValue, device: tensor.device)
        let lower = Tensor.full([1], -maxValue, device: tensor.device)
        return try backend.binary(.maximum, backend.binary(.minimum, tensor, upper), lower)
    }
    for parameter in parameters {
        if let gradient = parameter.gradient, gradient.count > 0 { parameter.gradient = try clamp(gradient) }
        if let sparse = parameter.sparseGradient, sparse.values.count > 0 {
            parameter.sparseGradient = RowSparseTensor(
                rowCount: sparse.rowCount, rowIndices: sparse.rowIndices, values: try clamp(sparse.values))
        }
    }
}
