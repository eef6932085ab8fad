import TextClfTensor

/// Batch normalisation over the features of `[batch, features]` input, as PyTorch's
/// `nn.BatchNorm1d`.
///
/// In training, each feature is normalised with the batch's mean and biased variance,
/// and the running statistics move towards the batch's mean and *unbiased* variance:
/// `running = (1 − momentum) · running + momentum · batch`. In evaluation the running
/// statistics normalise. The running statistics are ``buffers`` (`running_mean`,
/// `running_var`, PyTorch's names), saved with the model but not trained. With `affine`,
/// a learned `weight` (scale, init 1) and `bias` (shift, init 0) follow; neither is penalised.
public final class BatchNorm1d: Layer {
    /// The number of features.
    public let features: Int
    /// The weight of the newest batch in the running statistics.
    public let momentum: Float
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// The scale `[features]`, or `nil` without `affine`.
    public let weight: Parameter?
    /// The shift `[features]`, or `nil` without `affine`.
    public let bias: Parameter?
    /// The running mean `[features]` (init 0).
    public private(set) var runningMean: Tensor
    /// The running (unbiased) variance `[features]` (init 1).
    public private(set) var runningVariance: Tensor
    /// Batch statistics and running updates in training; running statistics in evaluation.
    public var isTraining = true
    private var cache: (normalized: Tensor, inverseStd: Tensor, training: Bool)?

    /// Creates a layer.
    /// - Precondition: `features > 0`.
    public init(_ features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, affine: Bool = true, device: Device = Device.current) {
        precondition(features > 0, "BatchNorm1d needs at least one feature")
        self.features = features
        self.momentum = momentum
        self.epsilon = epsilon
        weight = affine ? Parameter(name: "weight", value: .full([features], 1, device: device), isPenalized: false) : nil
        bias = affine ? Parameter(name: "bias", value: .zeros([features], device: device), isPenalized: false) : nil
        runningMean = .zeros([features], device: device)
        runningVariance = .full([features], 1, device: device)
    }

    /// `weight` and `bias` with `affine`, else none.
    public var parameters: [Parameter] { [weight, bias].compactMap { $0 } }

    /// `running_mean` and `running_var`.
    public var buffers: [(name: String, value: Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    /// Replaces `running_mean` or `running_var`.
    public func setBuffer(_ name: String, to value: Tensor) throws {
        guard value.shape == [features] else {
            throw TensorError.shapeMismatch(operation: "BatchNorm1d buffer \(name)", shapes: [value.shape, [features]])
        }
        switch name {
        case "running_mean": runningMean = value
        case "running_var": runningVariance = value
        default: throw LayerError.unknownBuffer(layer: "BatchNorm1d", name: name)
        }
    }

    /// Normalises each feature (batch statistics in training, running ones in evaluation),
    /// then scales and shifts.
    /// - Throws: a shape mismatch for input that is not `[batch, features]`, or
    ///   ``LayerError/invalid(_:)`` for a training batch of one row (its variance is undefined).
    public func forward(_ input: LayerInput) throws -> Tensor {
        let x = try denseInput(input)
        guard x.rank == 2, x.shape[1] == features else {
            throw TensorError.shapeMismatch(operation: "BatchNorm1d(\(features)) input", shapes: [x.shape, [features]])
        }
        let backend = x.device.backend
        let rows = x.shape[0]
        let mean: Tensor, variance: Tensor
        let centered: Tensor
        if isTraining {
            guard rows > 1 else {
                throw LayerError.invalid("BatchNorm1d: training needs more than one row per batch (got input of shape \(x.shape))")
            }
            mean = backend.unary(.scale(1 / Float(rows)), try backend.sum(x, axis: 0))
            centered = try backend.binary(.subtract, x, mean)
            variance = backend.unary(.scale(1 / Float(rows)), try backend.sum(backend.unary(.square, centered), axis: 0))
            var newMean = backend.unary(.scale(1 - momentum), runningMean)
            try backend.axpy(momentum, mean, &newMean)
            var newVariance = backend.unary(.scale(1 - momentum), runningVariance)
            try backend.axpy(momentum * Float(rows) / Float(rows - 1), variance, &newVariance)
            runningMean = newMean
            runningVariance = newVariance
        } else {
            mean = runningMean
            variance = runningVariance
            centered = try backend.binary(.subtract, x, mean)
        }
        let inverseStd = try backend.binary(
            .divide, Tensor.full([features], 1, device: x.device), backend.unary(.sqrt, backend.unary(.shift(epsilon), variance)))
        let normalized = try backend.binary(.multiply, centered, inverseStd)
        cache = (normalized, inverseStd, isTraining)
        return try Normalization.affine(normalized, weight: weight, bias: bias)
    }

    /// The gradient through the normalisation; in training it includes the batch
    /// statistics' dependence on the input.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        guard let cache else { throw LayerError.backwardWithoutForward(layer: "BatchNorm1d") }
        let backend = gradientOutput.device.backend
        let gradientNormalized = try Normalization.affineBackward(
            gradientOutput, normalized: cache.normalized, weight: weight, bias: bias)
        guard cache.training else { return try backend.binary(.multiply, gradientNormalized, cache.inverseStd) }
        // dx = invStd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), means over the batch.
        let scale = 1 / Float(gradientOutput.shape[0])
        let meanGradient = backend.unary(.scale(scale), try backend.sum(gradientNormalized, axis: 0))
        let meanProduct = backend.unary(
            .scale(scale), try backend.sum(backend.binary(.multiply, gradientNormalized, cache.normalized), axis: 0))
        let centered = try backend.binary(.subtract, gradientNormalized, meanGradient)
        let difference = try backend.binary(.subtract, centered, backend.binary(.multiply, cache.normalized, meanProduct))
        return try backend.binary(.multiply, difference, cache.inverseStd)
    }
}

/// Layer normalisation over the features of each row of `[batch, features]` input, as
/// PyTorch's `nn.LayerNorm(features)`: each row is normalised with its own mean and
/// biased variance, then scaled by `weight` (init 1) and shifted by `bias` (init 0);
/// neither is penalised. The same in training and evaluation.
public final class LayerNorm: Layer {
    /// The number of features (the normalised dimension).
    public let features: Int
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// The scale `[features]`.
    public let weight: Parameter
    /// The shift `[features]`.
    public let bias: Parameter
    /// Unused by this layer; kept for ``Module``.
    public var isTraining = true
    private var cache: (normalized: Tensor, inverseStd: Tensor)?

    /// Creates a layer.
    /// - Precondition: `features > 0`.
    public init(_ features: Int, epsilon: Float = 1e-5, device: Device = Device.current) {
        precondition(features > 0, "LayerNorm needs at least one feature")
        self.features = features
        self.epsilon = epsilon
        weight = Parameter(name: "weight", value: .full([features], 1, device: device), isPenalized: false)
        bias = Parameter(name: "bias", value: .zeros([features], device: device), isPenalized: false)
    }

    /// `weight`, `bias`.
    public var parameters: [Parameter] { [weight, bias] }

    /// Normalises each row, then scales and shifts.
    /// - Throws: a shape mismatch for input that is not `[batch, features]`.
    public func forward(_ input: LayerInput) throws -> Tensor {
        let x = try denseInput(input)
        guard x.rank == 2, x.shape[1] == features else {
            throw TensorError.shapeMismatch(operation: "LayerNorm(\(features)) input", shapes: [x.shape, [features]])
        }
        let backend = x.device.backend
        let scale = 1 / Float(features)
        // Per-row statistics are [rows] vectors, spread over the columns by a rank-1 GEMM.
        let mean = backend.unary(.scale(scale), try backend.sum(x, axis: 1))
        let centered = try backend.binary(.subtract, x, Ops.broadcastColumn(mean, columns: features))
        let variance = backend.unary(.scale(scale), try backend.sum(backend.unary(.square, centered), axis: 1))
        let inverseStd = try Ops.broadcastColumn(
            backend.binary(.divide, Tensor.full([x.shape[0]], 1, device: x.device),
                           backend.unary(.sqrt, backend.unary(.shift(epsilon), variance))),
            columns: features)
        let normalized = try backend.binary(.multiply, centered, inverseStd)
        cache = (normalized, inverseStd)
        return try Normalization.affine(normalized, weight: weight, bias: bias)
    }

    /// `invStd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))`, means over each row.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        guard let cache else { throw LayerError.backwardWithoutForward(layer: "LayerNorm") }
        let backend = gradientOutput.device.backend
        let gradientNormalized = try Normalization.affineBackward(
            gradientOutput, normalized: cache.normalized, weight: weight, bias: bias)
        let scale = 1 / Float(features)
        let meanGradient = backend.unary(.scale(scale), try backend.sum(gradientNormalized, axis: 1))
        let meanProduct = backend.unary(
            .scale(scale), try backend.sum(backend.binary(.multiply, gradientNormalized, cache.normalized), axis: 1))
        let centered = try backend.binary(.subtract, gradientNormalized, Ops.broadcastColumn(meanGradient, columns: features))
        let difference = try backend.binary(
            .subtract, centered,
            backend.binary(.multiply, cache.normalized, Ops.broadcastColumn(meanProduct, columns: features)))
        return try backend.binary(.multiply, difference, cache.inverseStd)
    }
}

/// The scale-and-shift shared by the normalisation layers.
enum Normalization {
    /// `x̂ · weight + bias`, each optional.
    static func affine(_ normalized: Tensor, weight: Parameter?, bias: Parameter?) throws -> Tensor {
        let backend = normalized.device.backend
        var output = normalized
        if let weight { output = try backend.binary(.multiply, output, weight.value) }
        if let bias { output = try backend.binary(.add, output, bias.value) }
        return output
    }

    /// Accumulates the scale's and shift's gradients; returns the gradient w.r.t. `x̂`.
    static func affineBackward(_ gradientOutput: Tensor, normalized: Tensor, weight: Parameter?, bias: Parameter?) throws -> Tensor {
        guard gradientOutput.shape == normalized.shape else {
            throw TensorError.shapeMismatch(operation: "normalisation backward: output gradient", shapes: [gradientOutput.shape, normalized.shape])
        }
        let backend = gradientOutput.device.backend
        if let bias { try bias.accumulate(backend.sum(gradientOutput, axis: 0)) }
        guard let weight else { return gradientOutput }
        try weight.accumulate(backend.sum(backend.binary(.multiply, gradientOutput, normalized), axis: 0))
        return try backend.binary(.multiply, gradientOutput, weight.value)
    }
}
