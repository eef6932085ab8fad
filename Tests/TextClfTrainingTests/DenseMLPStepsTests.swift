import Foundation
import Testing
import TextClfData
import TextClfNN
import TextClfTensor
@testable import TextClfTraining

/// ``DenseMLPSteps`` against the layer-by-layer steps: every run is trained both ways and
/// must agree bit for bit (weights, optimizer state, every epoch's record).
@Suite struct DenseMLPStepsTests {
    /// A dense problem whose classes depend on a few of the features, with noise.
    func denseData(rows: Int, features: Int, classes: Int, seed: UInt64) throws -> Dataset {
        var generator = RandomGenerator(seed: seed)
        var labels: [Int] = [], values: [Float] = []
        for _ in 0..<rows {
            let label = generator.nextInt(below: classes)
            labels.append(label)
            for column in 0..<features {
                values.append(generator.nextFloat() - 0.5 + (column % classes == label ? 0.4 : 0))
            }
        }
        return try Dataset(features: .dense(Tensor(shape: [rows, features], values: values)), labels: labels)
    }

    /// What a run leaves, with every number as its bits (NaN included).
    struct Outcome: Equatable {
        var weights: [UInt8]
        var optimizer: [String: [[UInt32]]]
        var optimizerSteps: [String: Int]
        var history: [String]
        var bestEpoch: Int?
        var reason: StoppingReason
        var steps: Int
        var gradients: [String: [UInt32]]
        /// Where each dropout layer's generator was left.
        var dropoutStates: [String]

        /// The names of the fields that differ from `other`'s.
        func differences(from other: Outcome) -> [String] {
            var names: [String] = []
            if weights != other.weights { names.append("weights") }
            if optimizer != other.optimizer { names.append("optimizer state") }
            if optimizerSteps != other.optimizerSteps { names.append("optimizer steps") }
            if history != other.history { names.append("history \(history) vs \(other.history)") }
            if bestEpoch != other.bestEpoch { names.append("best epoch \(String(describing: bestEpoch)) vs \(String(describing: other.bestEpoch))") }
            if reason != other.reason { names.append("stopping reason \(reason) vs \(other.reason)") }
            if steps != other.steps { names.append("steps \(steps) vs \(other.steps)") }
            if gradients != other.gradients { names.append("gradients") }
            if dropoutStates != other.dropoutStates { names.append("dropout generators \(dropoutStates) vs \(other.dropoutStates)") }
            return names
        }
    }

    /// Trains a fresh model with `options`, through ``DenseMLPSteps`` or through the layers.
    func train(
        dense: Bool, architecture: ModelArchitecture, options: TrainingOptions, train: Dataset, validation: Dataset?,
        resumeAfter: Int? = nil, cancelAfter: Int? = nil, resumeCancelled: Bool = false, maskDrawing: MaskDrawing = .ahead
    ) throws -> Outcome {
        let model = architecture.makeModel(seed: 5)
        var trainer = Trainer(model: model, options: options)
        trainer.usesDenseSteps = dense
        trainer.denseMaskDrawing = maskDrawing.setting
        if let resumeAfter {
            var first = options
            first.epochs = resumeAfter
            let partial = Trainer(model: model, options: first)
            partial.usesDenseSteps = dense
            try partial.fit(train: train, validation: validation)
            #expect(partial.trainedDenseSteps == dense)
            // The resumed run starts from the last epoch's weights, as a checkpoint does.
            if let last = partial.state.lastState { try model.loadStateDictionary(last, source: "last epoch") }
            trainer = Trainer(model: model, options: options, resuming: partial.state)
            trainer.usesDenseSteps = dense
            trainer.denseMaskDrawing = maskDrawing.setting
        }
        if let cancelAfter {
            let stop = trainer
            trainer.onStep = { progress in if progress.globalStep == cancelAfter { stop.shouldStop = true } }
        }
        var result = try trainer.fit(train: train, validation: validation)
        #expect(trainer.trainedDenseSteps == dense, "the run did not take the path under test")
        if resumeCancelled {
            // As a checkpoint resumes: from the weights of the interruption, in a new trainer.
            if let last = trainer.state.lastState { try model.loadStateDictionary(last, source: "interruption") }
            let cancelled = trainer.state
            trainer = Trainer(model: model, options: options, resuming: cancelled)
            trainer.usesDenseSteps = dense
            trainer.denseMaskDrawing = maskDrawing.setting
            result = try trainer.fit(train: train, validation: validation)
        }
        func bits(_ value: Double?) -> String { value.map { String($0.bitPattern, radix: 16) } ?? "-" }
        let history = result.history.map { r in
            [String(r.epoch), bits(r.trainLoss), bits(r.trainAccuracy), bits(r.trainMacroF1), bits(r.validationLoss),
             bits(r.validationAccuracy), bits(r.validationMacroF1), String(r.learningRate.bitPattern)].joined(separator: " ")
        }
        let optimizer = trainer.state.optimizerState ?? [:]
        var gradients: [String: [UInt32]] = [:]
        for parameter in model.parameters {
            gradients[parameter.name] = parameter.gradient?.scalars.map(\.bitPattern)
        }
        return Outcome(
            weights: try Safetensors.encode(model.stateDictionary()),
            optimizer: optimizer.mapValues { $0.tensors.map { $0.scalars.map(\.bitPattern) } },
            optimizerSteps: optimizer.mapValues(\.step), history: history, bestEpoch: result.bestEpoch, reason: result.stoppingReason, steps: trainer.state.globalStep,
            gradients: gradients,
            dropoutStates: (model as! MLP).layers.compactMap { ($0 as? Dropout).map { "\($0.maskGenerator)" } })
    }

    /// How the dense steps draw dropout masks: each epoch's ahead, the next one on another
    /// core while an epoch trains; each epoch's at its start; each batch's at its step.
    enum MaskDrawing: CaseIterable {
        case ahead, atEpochStart, atEachStep

        var setting: (limit: Int, ahead: Bool) {
            switch self {
            case .ahead: (1 << 26, true)
            case .atEpochStart: (1 << 26, false)
            case .atEachStep: (0, false)
            }
        }
    }

    /// Options for a run of `epochs` epochs of batches of `batchSize`.
    func options(epochs: Int, batchSize: Int, learningRate: Float, seed: UInt64) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        return options
    }

    /// The configurations compared: the GloVe recipe's shape, several hidden layers, more
    /// classes with class weights, AdamW with weight decay, a schedule, early stopping, no
    /// dropout, widths above the direct product kernel's 15 columns, and a last short batch.
    static let configurations: [(name: String, features: Int, hidden: [Int], classes: Int, dropout: Float, change: @Sendable (inout TrainingOptions) -> Void)] = [
        ("glove recipe", 50, [15], 2, 0.4, { _ in }),
        ("two hidden layers, class weights", 12, [16, 8], 3, 0.2, { $0.classWeights = .balanced }),
        ("adamw, schedule, early stopping", 20, [24], 4, 0.3, {
            $0.optimizer = .adamw
            $0.weightDecay = 0.05
            $0.schedule = ScheduleOptions(kind: .cosine, period: 6)
            $0.patience = 2
            $0.monitor = .valAccuracy
        }),
        ("no dropout, wide", 40, [64, 20], 2, 0, { $0.batchSize = 48 }),
        ("weight decay, custom weights", 9, [5], 3, 0.5, {
            $0.weightDecay = 0.01
            $0.classWeights = .custom([1, 2, 0.5])
        }),
        ("balanced sampling, last batch dropped", 8, [6], 3, 0.3, {
            $0.balancedSampling = true
            $0.dropLast = true
        }),
        ("in order, a few batches per epoch", 8, [6, 6], 2, 0.5, {
            $0.shuffle = false
            $0.overfitBatches = 3
        }),
    ]

    @Test(arguments: configurations.indices)
    func matchesTheLayerSteps(configuration index: Int) throws {
        let c = Self.configurations[index]
        let train = try denseData(rows: 301, features: c.features, classes: c.classes, seed: 11)
        // Three evaluation batches, the last one short.
        let validation = try denseData(rows: 555, features: c.features, classes: c.classes, seed: 12)
        var options = options(epochs: 8, batchSize: 32, learningRate: 0.01, seed: 3)
        c.change(&options)
        let architecture = ModelArchitecture(kind: .mlp, features: c.features, classes: c.classes, hidden: c.hidden, dropout: c.dropout)
        let layers = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: validation)
        #expect(layers.steps > 0)
        for drawing in MaskDrawing.allCases {
            let dense = try self.train(
                dense: true, architecture: architecture, options: options, train: train, validation: validation, maskDrawing: drawing)
            #expect(dense.differences(from: layers) == [], "\(c.name), masks \(drawing)")
        }
        // The comparison has something to compare: training moved the weights.
        let untrained = try Safetensors.encode(architecture.makeModel(seed: 5).stateDictionary())
        #expect(layers.weights != untrained)
    }

    @Test func resumedRunsMatch() throws {
        let train = try denseData(rows: 150, features: 10, classes: 2, seed: 21)
        let options = options(epochs: 6, batchSize: 16, learningRate: 0.02, seed: 8)
        let architecture = ModelArchitecture(kind: .mlp, features: 10, classes: 2, hidden: [6], dropout: 0.25)
        let straight = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: train)
        let resumedLayers = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: train, resumeAfter: 2)
        for drawing in MaskDrawing.allCases {
            let resumedDense = try self.train(
                dense: true, architecture: architecture, options: options, train: train, validation: train, resumeAfter: 2,
                maskDrawing: drawing)
            #expect(resumedDense.differences(from: resumedLayers) == [], "masks \(drawing)")
            #expect(resumedDense.weights == straight.weights)
            #expect(resumedDense.optimizer == straight.optimizer && resumedDense.optimizerSteps == straight.optimizerSteps)
        }
    }

    @Test func cancelledRunsMatch() throws {
        let train = try denseData(rows: 200, features: 7, classes: 2, seed: 51)
        let options = options(epochs: 4, batchSize: 16, learningRate: 0.01, seed: 6)
        let architecture = ModelArchitecture(kind: .mlp, features: 7, classes: 2, hidden: [5], dropout: 0.3)
        // Stopped in the middle of the second epoch (13 steps per epoch).
        let layers = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: train, cancelAfter: 19)
        #expect(layers.reason == .cancelled(epoch: 2, step: 6))
        for drawing in MaskDrawing.allCases {
            let dense = try self.train(
                dense: true, architecture: architecture, options: options, train: train, validation: train, cancelAfter: 19,
                maskDrawing: drawing)
            #expect(dense.differences(from: layers) == [], "masks \(drawing)")
        }
    }

    @Test func cancelledAndResumedRunsMatchOneRun() throws {
        let train = try denseData(rows: 200, features: 7, classes: 2, seed: 52)
        let options = options(epochs: 4, batchSize: 16, learningRate: 0.01, seed: 7)
        let architecture = ModelArchitecture(kind: .mlp, features: 7, classes: 2, hidden: [5], dropout: 0.3)
        let straight = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: train)
        #expect(straight.reason == .completed)
        // Stopped in the middle of the second epoch (13 steps per epoch), then resumed.
        let layers = try self.train(
            dense: false, architecture: architecture, options: options, train: train, validation: train, cancelAfter: 19,
            resumeCancelled: true)
        #expect(layers.differences(from: straight) == [])
        for drawing in MaskDrawing.allCases {
            let dense = try self.train(
                dense: true, architecture: architecture, options: options, train: train, validation: train, cancelAfter: 19,
                resumeCancelled: true, maskDrawing: drawing)
            #expect(dense.differences(from: straight) == [], "masks \(drawing)")
        }
    }

    @Test func divergenceMatches() throws {
        // A huge learning rate overflows the weights within a few steps.
        let train = try denseData(rows: 120, features: 6, classes: 3, seed: 31)
        let options = options(epochs: 5, batchSize: 10, learningRate: 1e30, seed: 4)
        let architecture = ModelArchitecture(kind: .mlp, features: 6, classes: 3, hidden: [5])
        let layers = try self.train(dense: false, architecture: architecture, options: options, train: train, validation: train)
        let dense = try self.train(dense: true, architecture: architecture, options: options, train: train, validation: train)
        guard case .diverged = layers.reason else {
            Issue.record("expected divergence, got \(layers.reason)")
            return
        }
        #expect(dense.differences(from: layers) == [])
    }

    @Test func otherRunsTrainThroughTheLayers() throws {
        let data = try denseData(rows: 40, features: 6, classes: 2, seed: 41)
        let labels = data.labels
        func accepts(_ architecture: ModelArchitecture, _ change: (inout TrainingOptions) -> Void = { _ in }, labels: [Int] = labels) throws -> Bool {
            var options = TrainingOptions()
            change(&options)
            let model = architecture.makeModel(seed: 1)
            let train = try Dataset(features: data.features, labels: labels)
            return DenseMLPSteps(model: model, optimizer: options.makeOptimizer(), options: options, classWeights: nil, train: train) != nil
        }
        let mlp = ModelArchitecture(kind: .mlp, features: 6, classes: 2, hidden: [4], dropout: 0.1)
        #expect(try accepts(mlp))
        #expect(try !accepts(ModelArchitecture(kind: .logisticRegression, features: 6, classes: 2)))
        #expect(try !accepts(ModelArchitecture(kind: .mlp, features: 6, classes: 2, hidden: [4], normalization: .batch)))
        #expect(try !accepts(ModelArchitecture(kind: .mlp, features: 6, classes: 2, hidden: [4], activation: .tanh)))
        #expect(try !accepts(mlp) { $0.optimizer = .sgd })
        #expect(try !accepts(mlp) { $0.l1 = 0.01 })
        #expect(try !accepts(mlp) { $0.clipNorm = 1 })
        #expect(try !accepts(mlp, labels: labels.dropLast() + [2]))
        // Sparse features train through the layers.
        let sparse = separableData(rows: 30, classes: 2).sparse
        let trainer = Trainer(model: ModelArchitecture(kind: .mlp, features: 8, classes: 2, hidden: [4]).makeModel(seed: 1), options: TrainingOptions())
        try trainer.fit(train: sparse)
        #expect(!trainer.trainedDenseSteps)
    }
}
