import TextClfTensor

/// How per-element (or per-row) losses combine into one value.
public enum Reduction: String, Sendable, Hashable, Codable {
    /// The average (for weighted classification losses, divided by the targets' total weight, as PyTorch).
    case mean
    /// The sum.
    case sum
}

/// A loss value and its gradient with respect to the predictions (logits, log-probabilities
/// or values) it was computed from.
public struct LossResult {
    /// The reduced loss.
    public let value: Float
    /// `∂value / ∂predictions`, with the predictions' shape and device.
    public let gradient: Tensor
}

/// A differentiable objective of predictions and targets.
///
/// Every loss checks that predictions and targets fit (errors name the shapes or the bad
/// target) and that the predictions are finite (``TensorError/nonFinite(what:index:)``).
public protocol Loss: Sendable {
    /// What the predictions are compared with: a tensor of the same shape, or class indices.
    associatedtype Target
    /// The loss of `predictions` against `target`, and its gradient.
    func callAsFunction(_ predictions: Tensor, _ target: Target) throws -> LossResult
}

/// Binary cross-entropy on logits, as PyTorch's `BCEWithLogitsLoss`.
///
/// Per element, with logit `x`, target `y ∈ [0, 1]` and positive weight `p` (1 when
/// absent): `ℓ = (1 − y) · x + (1 + (p − 1) · y) · (log(1 + e^(−|x|)) + max(−x, 0))`,
/// which is `max(x, 0) − x · y + log(1 + e^(−|x|))` for `p = 1`, stable for any `x`.
/// The gradient is `σ(x) · (1 + (p − 1) · y) − p · y`.
public struct BinaryCrossEntropyWithLogits: Loss {
    /// The weight of positive targets (PyTorch's `pos_weight`, one value for all outputs), or `nil`.
    public var positiveWeight: Float?
    /// Mean over all elements, or sum.
    public var reduction: Reduction

    /// Creates the loss.
    public init(positiveWeight: Float? = nil, reduction: Reduction = .mean) {
        self.positiveWeight = positiveWeight
        self.reduction = reduction
    }

    /// The loss of `logits` against `targets` of the same shape.
    /// - Throws: a shape or device mismatch, or a non-finite logit or target.
    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> LossResult {
        try LossChecks.sameShape("BinaryCrossEntropyWithLogits", logits, targets)
        try logits.checkFinite("BinaryCrossEntropyWithLogits logits")
        try targets.checkFinite("BinaryCrossEntropyWithLogits targets")
        let backend = logits.device.backend
        // −log σ(x) = log(1 + e^(−|x|)) + max(−x, 0)
        let negativeLogSigmoid = try backend.binary(
            .add,
            backend.unary(.log, backend.unary(.shift(1), backend.unary(.exp, backend.unary(.negate, backend.unary(.abs, logits))))),
            backend.unary(.relu, backend.unary(.negate, logits)))
        let oneMinusTarget = backend.unary(.shift(1), backend.unary(.negate, targets))
        let positiveFactor = positiveWeight.map { backend.unary(.shift(1), backend.unary(.scale($0 - 1), targets)) }
        var elements = try backend.binary(.multiply, oneMinusTarget, logits)
        try backend.axpy(
            1, positiveFactor.map { try backend.binary(.multiply, $0, negativeLogSigmoid) } ?? negativeLogSigmoid, &elements)
        let divisor: Float = reduction == .mean ? Float(max(logits.count, 1)) : 1
        let sigmoid = backend.unary(.sigmoid, logits)
        var gradient = try positiveFactor.map { try backend.binary(.multiply, sigmoid, $0) } ?? sigmoid
        try backend.axpy(-(positiveWeight ?? 1), targets, &gradient)
        return LossResult(
            value: try Ops.total(elements) / divisor,
            gradient: divisor == 1 ? gradient : backend.unary(.scale(1 / divisor), gradient))
    }
}

/// Cross-entropy of `[batch, classes]` logits against class indices, as PyTorch's
/// `CrossEntropyLoss` (softmax inside, through a stable log-softmax).
///
/// With class weights `w`, label smoothing `ε` and `K` classes, row `i` with target `t`
/// contributes `(1 − ε) · w_t · (−log p_t) + (ε / K) · Σ_k w_k · (−log p_k)`. The mean
/// divides the total by `Σ_i w_{t_i}` (the batch size without weights) — PyTorch's rule,
/// which it applies to the smoothing term too.
public struct CrossEntropy: Loss {
    /// One weight per class, or `nil` for all 1.
    public var classWeights: [Float]?
    /// The label smoothing `ε ∈ [0, 1]`.
    public var labelSmoothing: Float
    /// Weighted mean or sum over the rows.
    public var reduction: Reduction

    /// Creates the loss.
    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0, reduction: Reduction = .mean) {
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
        self.reduction = reduction
    }

    /// The loss of `logits` (`[batch, classes]`) against one class index per row.
    /// - Throws: a shape mismatch (targets count, class weights count), an out-of-range
    ///   target naming its row and value, an invalid smoothing, or a non-finite logit.
    public func callAsFunction(_ logits: Tensor, _ targets: [Int]) throws -> LossResult {
        guard (0...1).contains(labelSmoothing) else {
            throw TensorError.invalid("CrossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
        }
        let targetWeights = try ClassTargets(
            loss: "CrossEntropy", predictions: logits, targets: targets, classWeights: classWeights)
        try logits.checkFinite("CrossEntropy logits")
        let backend = logits.device.backend
        let divisor = reduction == .mean ? targetWeights.totalWeight : 1
        if labelSmoothing == 0 {
            // Q holds only the target weights: the backend's fused operation.
            let (value, gradient) = try backend.softmaxCrossEntropy(
                logits, targets: targets, weights: targetWeights.weights, divisor: divisor)
            return LossResult(value: value, gradient: gradient)
        }
        let classes = logits.shape[1]
        let smoothing = labelSmoothing
        // Q[i, k] = (1 − ε) · w_t · [k = t] + (ε / K) · w_k: the loss is −Σ Q ∘ log p, its
        // gradient p · rowSum(Q) − Q.
        var q = try targetWeights.oneHot(scale: 1 - smoothing, device: logits.device)
        if smoothing > 0 {
            let smoothingRow = try Tensor(
                shape: [classes], values: (classWeights ?? [Float](repeating: 1, count: classes)).map { $0 * smoothing / Float(classes) },
                device: logits.device)
            q = try backend.binary(.add, q, smoothingRow)
        }
        let logProbabilities = backend.logSoftmaxRows(logits)
        let value = -(try Ops.total(backend.binary(.multiply, q, logProbabilities))) / divisor
        let totalClassWeight = classWeights?.reduce(0, +) ?? Float(classes)
        let rowSums = targetWeights.weights.map { (1 - smoothing) * $0 + smoothing / Float(classes) * totalClassWeight }
        let probabilities = backend.softmaxRows(logits)
        let scaled: Tensor
        if let first = rowSums.first, rowSums.allSatisfy({ $0 == first }) {
            scaled = first == 1 ? probabilities : backend.unary(.scale(first), probabilities)
        } else {
            scaled = try backend.binary(
                .multiply, probabilities,
                Ops.broadcastColumn(Tensor(shape: [rowSums.count], values: rowSums, device: logits.device), columns: classes))
        }
        var gradient = try backend.binary(.subtract, scaled, q)
        if divisor != 1 { gradient = backend.unary(.scale(1 / divisor), gradient) }
        return LossResult(value: value, gradient: gradient)
    }
}

/// Negative log-likelihood of `[batch, classes]` log-probabilities against class indices,
/// as PyTorch's `NLLLoss`: row `i` contributes `−w_{t_i} · input[i, t_i]`; the mean divides
/// by `Σ_i w_{t_i}`. Feed it a log-softmax (``CrossEntropy`` does both in one).
public struct NLLLoss: Loss {
    /// One weight per class, or `nil` for all 1.
    public var classWeights: [Float]?
    /// Weighted mean or sum over the rows.
    public var reduction: Reduction

    /// Creates the loss.
    public init(classWeights: [Float]? = nil, reduction: Reduction = .mean) {
        self.classWeights = classWeights
        self.reduction = reduction
    }

    /// The loss of `logProbabilities` against one class index per row.
    /// - Throws: a shape mismatch, an out-of-range target naming its row and value, or a
    ///   non-finite input.
    public func callAsFunction(_ logProbabilities: Tensor, _ targets: [Int]) throws -> LossResult {
        let targetWeights = try ClassTargets(
            loss: "NLLLoss", predictions: logProbabilities, targets: targets, classWeights: classWeights)
        try logProbabilities.checkFinite("NLLLoss input")
        let backend = logProbabilities.device.backend
        let divisor = reduction == .mean ? targetWeights.totalWeight : 1
        let gradient = try targetWeights.oneHot(scale: -1 / divisor, device: logProbabilities.device)
        let value = try Ops.total(backend.binary(.multiply, gradient, logProbabilities))
        return LossResult(value: value, gradient: gradient)
    }
}

/// Mean squared error, as PyTorch's `MSELoss`: `Σ (x − y)²`, over the element count for the mean.
public struct MSE: Loss {
    /// Mean over all elements, or sum.
    public var reduction: Reduction

    /// Creates the loss.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `predictions` against `targets` of the same shape.
    /// - Throws: a shape or device mismatch, or a non-finite prediction or target.
    public func callAsFunction(_ predictions: Tensor, _ targets: Tensor) throws -> LossResult {
        try LossChecks.sameShape("MSE", predictions, targets)
        try predictions.checkFinite("MSE predictions")
        try targets.checkFinite("MSE targets")
        let backend = predictions.device.backend
        let difference = try backend.binary(.subtract, predictions, targets)
        let divisor: Float = reduction == .mean ? Float(max(predictions.count, 1)) : 1
        return LossResult(
            value: try Ops.total(backend.unary(.square, difference)) / divisor,
            gradient: backend.unary(.scale(2 / divisor), difference))
    }
}

enum LossChecks {
    static func sameShape(_ loss: String, _ predictions: Tensor, _ targets: Tensor) throws {
        guard predictions.shape == targets.shape else {
            throw TensorError.shapeMismatch(operation: "\(loss) predictions and targets", shapes: [predictions.shape, targets.shape])
        }
        guard predictions.device == targets.device else {
            throw TensorError.deviceMismatch(operation: loss, devices: [predictions.device, targets.device])
        }
    }
}

/// Validated class targets with each row's class weight (host bookkeeping, one value per row).
struct ClassTargets {
    let targets: [Int]
    let classes: Int
    /// The weight of each row's target class.
    let weights: [Float]
    /// `Σ` of ``weights``: the divisor of a mean.
    let totalWeight: Float

    init(loss: String, predictions: Tensor, targets: [Int], classWeights: [Float]?) throws {
        guard predictions.rank == 2, predictions.shape[0] == targets.count else {
            throw TensorError.shapeMismatch(operation: "\(loss) input [batch, classes] and targets", shapes: [predictions.shape, [targets.count]])
        }
        let classes = predictions.shape[1]
        if let classWeights, classWeights.count != classes {
            throw TensorError.shapeMismatch(operation: "\(loss) class weights", shapes: [[classWeights.count], [classes]])
        }
        if let row = targets.firstIndex(where: { !(0..<classes).contains($0) }) {
            throw TensorError.invalid("\(loss): target \(targets[row]) at row \(row) is not a class index in 0..<\(classes)")
        }
        self.targets = targets
        self.classes = classes
        if let classWeights {
            weights = targets.map { classWeights[$0] }
            totalWeight = weights.reduce(0, +)
        } else {
            weights = [Float](repeating: 1, count: targets.count)
            // Adding up ones gives every partial sum exactly (below 2²⁴ rows): the count.
            totalWeight = targets.count < 1 << 24 ? Float(targets.count) : weights.reduce(0, +)
        }
    }

    /// `[batch, classes]` with `scale · weight` at each row's target, zeros elsewhere.
    func oneHot(scale: Float, device: Device) throws -> Tensor {
        var values = [Float](repeating: 0, count: targets.count * classes)
        for (row, target) in targets.enumerated() { values[row * classes + target] = scale * weights[row] }
        return try Tensor(shape: [targets.count, classes], values: values, device: device)
    }
}
