import Foundation
import Testing
import TextClfDataset
import TextClfIO
import TextClfNN
import TextClfTensor
@testable import TextClfTraining

/// Runs stopped and continued (after whole epochs, or by cancellation inside an epoch) end
/// with the bits of a run that was never stopped: weights, optimizer state, every epoch's
/// record, the last gradients and the dropout generators.
@Suite struct ResumedTrainingTests {
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
    }

    /// Trains a fresh model with `options`: in one go, stopped after `resumeAfter` epochs and
    /// continued by a new trainer, or cancelled after global step `cancelAfter` and continued
    /// from the interruption's state as a checkpoint does.
    func train(
        architecture: ModelArchitecture, options: TrainingOptions, train: Dataset, validation: Dataset?,
        resumeAfter: Int? = nil, cancelAfter: Int? = nil
    ) throws -> Outcome {
        let model = architecture.makeModel(seed: 5)
        var trainer = Trainer(model: model, options: options)
        if let resumeAfter {
            var first = options
            first.epochs = resumeAfter
            let partial = Trainer(model: model, options: first)
            try partial.fit(train: train, validation: validation)
            // The resumed run starts from the last epoch's weights, as a checkpoint does.
            if let last = partial.state.lastState { try model.loadStateDictionary(last, source: "last epoch") }
            trainer = Trainer(model: model, options: options, resuming: partial.state)
        }
        if let cancelAfter {
            let stop = trainer
            trainer.onStep = { progress in if progress.globalStep == cancelAfter { stop.shouldStop = true } }
        }
        var result = try trainer.fit(train: train, validation: validation)
        if cancelAfter != nil {
            guard case .cancelled = result.stoppingReason else {
                Issue.record("the run was not cancelled: \(result.stoppingReason)")
                return try outcome(model, trainer, result)
            }
            #expect(trainer.state.partialEpoch != nil)
            if let last = trainer.state.lastState { try model.loadStateDictionary(last, source: "interruption") }
            trainer = Trainer(model: model, options: options, resuming: trainer.state)
            result = try trainer.fit(train: train, validation: validation)
        }
        return try outcome(model, trainer, result)
    }

    func outcome(_ model: any Classifier, _ trainer: Trainer, _ result: TrainingResult) throws -> Outcome {
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
            optimizerSteps: optimizer.mapValues(\.step), history: history, bestEpoch: result.bestEpoch,
            reason: result.stoppingReason, steps: trainer.state.globalStep, gradients: gradients,
            dropoutStates: model.layers.compactMap { ($0 as? Dropout).map { $0.maskGenerator.checkpoint } })
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

    @Test func resumedAfterWholeEpochsMatchesOneRun() throws {
        let train = try denseData(rows: 150, features: 10, classes: 2, seed: 21)
        let options = options(epochs: 6, batchSize: 16, learningRate: 0.02, seed: 8)
        let architecture = ModelArchitecture(kind: .mlp, features: 10, classes: 2, hidden: [6], dropout: 0.25)
        let straight = try self.train(architecture: architecture, options: options, train: train, validation: train)
        let resumed = try self.train(architecture: architecture, options: options, train: train, validation: train, resumeAfter: 2)
        #expect(resumed == straight)
        // The comparison has something to compare: training moved the weights.
        let untrained = try Safetensors.encode(architecture.makeModel(seed: 5).stateDictionary())
        #expect(straight.weights != untrained)
    }

    @Test(arguments: [(7, 5, 0.3), (7, 5, 0)])
    func cancelledInsideAnEpochAndResumedMatchesOneRun(features: Int, hidden: Int, dropout: Float) throws {
        let train = try denseData(rows: 200, features: features, classes: 3, seed: 52)
        var options = options(epochs: 4, batchSize: 16, learningRate: 0.01, seed: 7)
        options.logEvery = 4
        let architecture = ModelArchitecture(kind: .mlp, features: features, classes: 3, hidden: [hidden], dropout: dropout)
        let straight = try self.train(architecture: architecture, options: options, train: train, validation: train)
        #expect(straight.reason == .completed)
        // Stopped in the middle of the second epoch (13 steps per epoch), then resumed.
        let resumed = try self.train(architecture: architecture, options: options, train: train, validation: train, cancelAfter: 19)
        #expect(resumed == straight)
    }
}
