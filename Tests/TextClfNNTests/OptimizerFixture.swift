import Foundation
import TextClfNN
import TextClfTensor
import TextClfTestSupport

/// `Tests/Fixtures/nn/optimizers.json`, made by `scripts/fixtures/make_optimizer_fixtures.py`.
struct OptimizerFixture: Decodable {
    struct Problem: Decodable {
        let X: [[Float]]
        let Y: [[Float]]
        let W0: [[Float]]
        let b0: [Float]
    }
    struct Hyper: Decodable {
        var lr: Double?
        var momentum: Float?
        var dampening: Float?
        var nesterov: Bool?
        var weight_decay: Float?
        var betas: [Float]?
        var amsgrad: Bool?
        var lr_decay: Float?
        var alpha: Float?
        var centered: Bool?
        var step_size: Int?
        var gamma: Float?
        var milestones: [Int]?
        var T_max: Int?
        var eta_min: Float?
        var start_factor: Float?
        var end_factor: Float?
        var total_iters: Int?
        var mode: String?
        var factor: Double?
        var patience: Int?
        var threshold: Double?
        var cooldown: Int?
        var min_lr: Double?
    }
    struct Run: Decodable {
        let name: String
        let kind: String
        let hyper: Hyper
        let lr0: Float?
        let W: [[Float]]
        let b: [[Float]]
        let lr: [Double]
        let loss: [Double]
    }
    struct Clip: Decodable {
        let kind: String
        let max: Float
        let total: Float?
        let W: [Float]
        let b: [Float]
    }
    let steps: Int
    let problem: Problem
    let optimizers: [Run]
    let schedules: [Run]
    let clipping: [Clip]

    static let shared: OptimizerFixture = {
        let data = try! Data(contentsOf: SharedData.fixture("nn/optimizers.json"))
        return try! JSONDecoder().decode(OptimizerFixture.self, from: data)
    }()

    /// Fresh parameters `W` (penalised) and `b` (not) at the fixture's initial values.
    func parameters(on device: Device) throws -> (W: Parameter, b: Parameter) {
        let W = Parameter(name: "W", value: try Tensor.matrix(problem.W0, device: device))
        let b = Parameter(name: "b", value: try Tensor(shape: [problem.b0.count], values: problem.b0, device: device), isPenalized: false)
        return (W, b)
    }

    /// Sets the gradients of `½‖XW + b − Y‖²` at the current values; returns the loss.
    @discardableResult
    func computeGradients(_ W: Parameter, _ b: Parameter) throws -> Float {
        let device = W.value.device
        let backend = device.backend
        let x = try Tensor.matrix(problem.X, device: device)
        let y = try Tensor.matrix(problem.Y, device: device)
        var product = Tensor.zeros([x.rows, W.value.columns], device: device)
        try backend.gemm(x, transposeA: false, W.value, transposeB: false, alpha: 1, beta: 0, into: &product)
        let residual = try backend.binary(.subtract, try backend.binary(.add, product, b.value), y)
        var gradientW = Tensor.zeros(W.value.shape, device: device)
        try backend.gemm(x, transposeA: true, residual, transposeB: false, alpha: 1, beta: 0, into: &gradientW)
        W.zeroGradient()
        b.zeroGradient()
        W.gradient = gradientW
        b.gradient = try backend.sum(residual, axis: 0)
        return try 0.5 * backend.sum(backend.unary(.square, residual), axis: nil).scalar
    }

    /// The loss at the current values.
    func loss(_ W: Parameter, _ b: Parameter) throws -> Float {
        let (savedW, savedB) = (W.gradient, b.gradient)
        defer { (W.gradient, b.gradient) = (savedW, savedB) }
        return try computeGradients(W, b)
    }
}

/// Whether `actual` matches `expected` to `relative` tolerance plus an absolute floor; the
/// first mismatch as text, or `nil`.
func mismatch(_ actual: [Float], _ expected: [Float], relative: Float = 1e-5, absolute: Float = 1e-6) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) != \(expected.count)" }
    for (index, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= absolute + relative * abs(e)) {
        return "index \(index): \(a) != \(e) (difference \(abs(a - e)))"
    }
    return nil
}

/// The optimizer of a fixture run.
func makeOptimizer(_ run: OptimizerFixture.Run) -> any Optimizer {
    let h = run.hyper
    let lr = Float(h.lr ?? 0)
    switch run.kind {
    case "sgd":
        return SGD(
            learningRate: lr, momentum: h.momentum ?? 0, dampening: h.dampening ?? 0, nesterov: h.nesterov ?? false,
            weightDecay: h.weight_decay ?? 0)
    case "adam":
        return Adam(
            learningRate: lr, beta1: h.betas?[0] ?? 0.9, beta2: h.betas?[1] ?? 0.999, weightDecay: h.weight_decay ?? 0,
            amsgrad: h.amsgrad ?? false)
    case "adamw":
        return AdamW(
            learningRate: lr, beta1: h.betas?[0] ?? 0.9, beta2: h.betas?[1] ?? 0.999, weightDecay: h.weight_decay ?? 0.01,
            amsgrad: h.amsgrad ?? false)
    case "adagrad":
        return Adagrad(learningRate: lr, learningRateDecay: h.lr_decay ?? 0, weightDecay: h.weight_decay ?? 0)
    case "rmsprop":
        return RMSprop(
            learningRate: lr, alpha: h.alpha ?? 0.99, weightDecay: h.weight_decay ?? 0, momentum: h.momentum ?? 0,
            centered: h.centered ?? false)
    default:
        fatalError("unknown optimizer kind \(run.kind)")
    }
}
