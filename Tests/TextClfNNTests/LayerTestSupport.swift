import Foundation
import Testing
import TextClfNN
import TextClfTensor
import TextClfTestSupport

/// Shared helpers of the layer, loss and gradient-check tests.
enum Check {
    /// `|a − b| ≤ tolerance · max(1, |b|)` everywhere, recording the first failures.
    static func close(
        _ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        var failures = 0
        for (index, (a, b)) in zip(actual, expected).enumerated() where !(abs(a - b) <= tolerance * max(1, abs(b))) {
            failures += 1
            if failures <= 3 {
                Issue.record("\(what)[\(index)]: \(a), expected \(b) (tolerance \(tolerance))", sourceLocation: sourceLocation)
            }
        }
    }

    static func close(
        _ actual: Tensor?, _ expected: Tensor?, tolerance: Float, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let actual, let expected else {
            #expect(actual == nil && expected == nil, "\(what): one side is nil", sourceLocation: sourceLocation)
            return
        }
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        close(actual.scalars, expected.scalars, tolerance: tolerance, what, sourceLocation: sourceLocation)
    }

    /// A seeded `[rows, columns]` normal tensor, values pushed away from 0 by `margin`
    /// (so finite differences do not straddle a ReLU kink).
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1, margin: Float = 0, device: Device = .cpu) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let values = Tensor.normal(shape, std: scale, generator: &generator, device: device).scalars
            .map { $0 >= 0 ? $0 + margin : $0 - margin }
        return try! Tensor(shape: shape, values: values, device: device)
    }
}

/// `Tests/Fixtures/nn/layers.json`, made by `scripts/fixtures/make_layer_fixtures.py` with PyTorch.
struct TorchFixture: Decodable {
    struct Array: Decodable {
        let shape: [Int]
        let values: [Float]
        func tensor(_ device: Device = .cpu) -> Tensor { try! Tensor(shape: shape, values: values, device: device) }
    }
    struct LinearCase: Decodable {
        let x, weight, bias, gradOutput, y, gradX, gradWeight, gradBias: Array
    }
    struct ActivationCase: Decodable {
        let name: String
        let slope: Float?
        let x, gradOutput, y, gradX: Array
    }
    struct BatchNormStep: Decodable {
        let x, gradOutput, y, gradX, gradWeight, gradBias: Array
        let runningMean, runningVar: Array?
    }
    struct BatchNormCase: Decodable {
        let features: Int
        let momentum, epsilon: Float
        let weight, bias: Array
        let train: [BatchNormStep]
        let eval: BatchNormStep
    }
    struct LayerNormCase: Decodable {
        let features: Int
        let epsilon: Float
        let x, weight, bias, gradOutput, y, gradX, gradWeight, gradBias: Array
    }
    enum Target: Decodable {
        case classes([Int])
        case values(Array)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let classes = try? container.decode([Int].self) { self = .classes(classes) } else { self = .values(try container.decode(Array.self)) }
        }
    }
    struct LossCase: Decodable {
        let kind: String
        let input: Array
        let target: Target
        let value: Double
        let grad: Array
        let reduction: String
        let posWeight: Float?
        let classWeights: [Float]?
        let labelSmoothing: Float?
    }
    let torchVersion: String
    let linear: LinearCase
    let activations: [ActivationCase]
    let batchnorm: BatchNormCase
    let layernorm: LayerNormCase
    let losses: [LossCase]

    static let shared: TorchFixture = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try! Data(contentsOf: SharedData.fixture("nn/layers.json"))
        return try! decoder.decode(TorchFixture.self, from: data)
    }()
}
