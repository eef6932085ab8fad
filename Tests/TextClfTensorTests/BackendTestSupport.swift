import Testing

@testable import TextClfTensor

/// Shapes every element-wise and row-wise comparison runs over: one cell, tall, wide,
/// no rows, no columns, and one a little over a SIMD multiple.
let backendShapes: [[Int]] = [[1, 1], [67, 3], [3, 131], [0, 5], [4, 0], [17, 17]]

/// The same random values on `.cpu` and on `.reference`, and on any device by ``on(_:)``.
struct TensorPair {
    let cpu: Tensor
    let reference: Tensor

    /// The values on `device` (copied there unless it is the CPU).
    func on(_ device: Device) -> Tensor { device == .cpu ? cpu : cpu.to(device) }
}

/// The same random values as a tensor on `.cpu` and on `.reference`.
func tensorPair(_ shape: [Int], low: Float = -2, high: Float = 2, seed: UInt64) -> TensorPair {
    var generator = RandomGenerator(seed: seed)
    let cpu = Tensor.uniform(shape, low: low, high: high, generator: &generator, device: .cpu)
    return TensorPair(cpu: cpu, reference: cpu.to(.reference))
}

/// Whether `actual` is within `tolerance` of `expected`, relative to `max(1, |expected|)`
/// (absolute near zero, where cancellation makes relative error meaningless); NaNs and
/// equal infinities match themselves.
func close(_ actual: Float, _ expected: Float, tolerance: Float = 1e-5) -> Bool {
    if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
    if actual.isInfinite || expected.isInfinite { return actual == expected }
    return Swift.abs(actual - expected) <= tolerance * Swift.max(1, Swift.abs(expected))
}

/// Expects a result on `device` that matches the reference result value for value and shape.
func expectAgree(
    on device: Device = .cpu, _ actual: Tensor, _ reference: Tensor, tolerance: Float = 1e-5, _ what: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.device == device, "\(what()): the result is on \(actual.device), not \(device)", sourceLocation: sourceLocation)
    #expect(actual.shape == reference.shape, "\(what()): shapes \(actual.shape) and \(reference.shape)", sourceLocation: sourceLocation)
    guard actual.shape == reference.shape else { return }
    let a = actual.scalars
    let b = reference.scalars
    if let index = a.indices.first(where: { !close(a[$0], b[$0], tolerance: tolerance) }) {
        Issue.record("\(what()): element \(index) is \(a[index]) on \(device), \(b[index]) on reference", sourceLocation: sourceLocation)
    }
}

/// Expects values within `tolerance` (relative, as ``close(_:_:tolerance:)``) of `expected`.
func expectValues(
    _ tensor: Tensor, _ expected: [Float], tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation
) {
    let values = tensor.scalars
    #expect(values.count == expected.count, sourceLocation: sourceLocation)
    for (index, (value, want)) in zip(values, expected).enumerated() where !close(value, want, tolerance: tolerance) {
        Issue.record("element \(index): \(value), expected \(want)", sourceLocation: sourceLocation)
    }
}

/// Every unary operation, with parameters for the parameterised ones.
let allUnaryOperations: [UnaryOperation] = [
    .relu, .leakyRelu(slope: 0.01), .tanh, .sigmoid, .gelu, .exp, .log, .negate, .square, .sqrt, .abs, .sign,
    .scale(-1.5), .shift(0.25),
]

/// Every binary operation.
let allBinaryOperations: [BinaryOperation] = [.add, .subtract, .multiply, .divide, .maximum, .minimum]

/// Softmax cross-entropy inputs: logits of several shapes (no rows, one class, many rows),
/// targets, and (weights, divisor) pairs: the mean, the sum, equal weights of 2 over 3, and
/// varied weights over their sum plus one.
func softmaxCrossEntropyCases() -> [(shape: [Int], logits: TensorPair, targets: [Int], cases: [(weights: [Float], divisor: Float)])] {
    [[1, 2], [64, 2], [67, 3], [5, 20], [0, 4], [33, 1], [256, 2], [91, 7]].enumerated().map { index, shape in
        let x = tensorPair(shape, low: -30, high: 30, seed: 200 + UInt64(index))
        var generator = RandomGenerator(seed: 210 + UInt64(index))
        let targets = (0..<shape[0]).map { _ in generator.nextInt(below: shape[1]) }
        let varied = (0..<shape[0]).map { _ in 0.25 + generator.nextFloat() * 2 }
        let ones = [Float](repeating: 1, count: shape[0])
        let twos = [Float](repeating: 2, count: shape[0])
        return (shape, x, targets, [(ones, Float(max(shape[0], 1))), (ones, 1), (twos, 3), (varied, varied.reduce(0, +) + 1)])
    }
}
