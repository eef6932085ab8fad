import Foundation
import Testing
import TextClfDataset
import TextClfIO
import TextClfMetrics
import TextClfNN
import TextClfTensor
@testable import TextClfTraining

@Suite struct TrainerTests {
    func options(_ optimizer: OptimizerKind = .adam, lr: Float = 0.05, epochs: Int = 20) -> TrainingOptions {
        var o = TrainingOptions()
        o.optimizer = optimizer
        o.learningRate = lr
        o.epochs = epochs
        o.batchSize = 16
        o.seed = 42
        return o
    }

    func accuracyOf(_ model: any Classifier, _ data: Dataset) throws -> Double {
        accuracy(predictions: try model.predict(layerInput(data.features)), truth: data.labels)
    }

    @Test(arguments: [2, 3])
    func logisticRegressionLearns(classes: Int) throws {
        let data = separableData(rows: 120, classes: classes)
        for dataset in [data.sparse, data.dense] {
            let model = LogisticRegression(features: 8, classes: classes, seed: 1)
            let trainer = Trainer(model: model, options: options())
            let result = try trainer.fit(train: dataset, validation: dataset)
            #expect(result.stoppingReason == .completed)
            #expect(try accuracyOf(model, dataset) > 0.95)
            let p = try model.probabilities(layerInput(dataset.features))
            #expect(p.shape == [120, classes])
            #expect(abs(p.scalars[0..<classes].reduce(0, +) - 1) < 1e-5)
        }
    }

    /// The validation macro-F1 (what `--monitor val-f1` watches) is scikit-learn's default:
    /// the mean F1 over the classes in the validation truth or predictions only.
    @Test func validationMacroF1LeavesOutAbsentClasses() throws {
        let data = separableData(rows: 120, classes: 4)
        let validation = data.sparse.subset((0..<120).filter { data.sparse.labels[$0] < 2 })
        let model = LogisticRegression(features: 8, classes: 4, seed: 1)
        var o = options(epochs: 5)
        o.restoreBest = false
        let trainer = Trainer(model: model, options: o)
        try trainer.fit(train: data.sparse, validation: validation)
        let predictions = try model.predict(layerInput(validation.features))
        let present = Set(validation.labels).union(predictions).sorted()
        try #require(present.count < 4, "every class predicted: the test needs one absent")
        let perClass = ClassificationMetrics(predictions: predictions, truth: validation.labels, classCount: 4).perClass
        let expected = present.map { perClass[$0].f1 }.reduce(0, +) / Double(present.count)
        let recorded = try #require(trainer.state.history.last?.validationMacroF1)
        #expect(abs(recorded - expected) < 1e-12)
    }

    @Test(arguments: [NormalizationKind.none, .batch, .layer])
    func mlpLearns(normalization: NormalizationKind) throws {
        let data = separableData(rows: 120, classes: 3)
        for dataset in [data.sparse, data.dense] {
            let model = MLP(features: 8, hidden: [16], classes: 3, dropout: 0.1, normalization: normalization, seed: 3)
            var o = options(lr: 0.01)
            o.classWeights = .balanced
            o.clipNorm = 5
            o.schedule = ScheduleOptions(kind: .cosine, period: 20)
            let trainer = Trainer(model: model, options: o)
            try trainer.fit(train: dataset, validation: dataset)
            #expect(try accuracyOf(model, dataset) > 0.95)
            #expect(trainer.state.history.count == 20)
            #expect(trainer.state.history.last!.validationMacroF1! > 0.95)
        }
    }

    @Test func sameSeedSameBytes() throws {
        let data = separableData(rows: 64, classes: 3)
        func run() throws -> [UInt8] {
            let model = MLP(features: 8, hidden: [8], classes: 3, dropout: 0.2, seed: 9)
            try Trainer(model: model, options: options(epochs: 3)).fit(train: data.sparse)
            return try Safetensors.encode(model.stateDictionary())
        }
        #expect(try run() == run())
    }

    @Test func earlyStoppingRule() {
        let result = EarlyStopping.simulate([1.0, 0.8, 0.81, 0.82, 0.79], patience: 2)
        #expect(result.stoppedAfter == 4)
        #expect(result.bestEpoch == 2)
        #expect(EarlyStopping.simulate([0.5, 0.6, 0.7], patience: 1, higherIsBetter: true) == (nil, 3))
        #expect(EarlyStopping.simulate([1.0, 0.95, 0.9], patience: 1, minDelta: 0.1).stoppedAfter == 2)
    }

    @Test func earlyStoppingRestoresBest() throws {
        let data = separableData(rows: 60, classes: 3)
        var o = options(.sgd, lr: 0.5, epochs: 30)
        o.patience = 2
        o.minDelta = 10  // nothing improves by 10: stops after epoch 1 + 2
        let model = LogisticRegression(features: 8, classes: 3, seed: 1)
        let trainer = Trainer(model: model, options: o)
        var snapshots: [[String: Tensor]] = []
        trainer.onEpoch = { _ in snapshots.append(model.stateDictionary()) }
        let result = try trainer.fit(train: data.dense, validation: data.dense)
        #expect(result.stoppingReason == .earlyStopping(epoch: 3, bestEpoch: 1))
        #expect(result.history.count == 3)
        #expect(result.restoredBest)
        #expect(model.stateDictionary() == snapshots[0])
    }

    /// A run stopped after 3 epochs, saved, loaded and resumed equals the uninterrupted run
    /// bit for bit: weights of the last epoch, optimizer state (moments, momentum buffers, step
    /// counts), epoch count, early-stopping counters and random streams all carry over.
    @Test(arguments: [(OptimizerKind.sgd, false), (.adam, false), (.adam, true), (.rmsprop, true)])
    func resumeMatchesUninterruptedRun(optimizer: OptimizerKind, restoreBest: Bool) throws {
        let data = separableData(rows: 64, classes: 3)
        var o = options(optimizer, lr: optimizer == .sgd ? 0.1 : 0.01, epochs: 6)
        o.restoreBest = restoreBest
        o.patience = 100
        let reference = MLP(features: 8, hidden: [8], classes: 3, dropout: 0.25, seed: 5)
        let straight = try Trainer(model: reference, options: o).fit(train: data.sparse, validation: data.sparse)

        var first = o
        first.epochs = 3
        let model = MLP(features: 8, hidden: [8], classes: 3, dropout: 0.25, seed: 5)
        let t1 = Trainer(model: model, options: first)
        try t1.fit(train: data.sparse, validation: data.sparse)
        let directory = temporaryDirectory()
        try ModelFile.save(model, document: ModelDocument(architecture: model.architecture, classes: ["a", "b", "c"], options: first, training: t1.state), to: directory)
        #expect(FileManager.default.fileExists(atPath: directory + "/optimizer.safetensors"))

        let (loaded, document) = try ModelFile.loadForResuming(from: directory)
        let t2 = Trainer(model: loaded, options: o, resuming: document.training)
        let result = try t2.fit(train: data.sparse, validation: data.sparse)
        #expect(result.history.map(\.epoch) == [1, 2, 3, 4, 5, 6])
        #expect(result.history.map(\.trainLoss) == straight.history.map(\.trainLoss))
        #expect(loaded.stateDictionary() == reference.stateDictionary())
    }

    @Test func divergenceStops() throws {
        let data = separableData(rows: 60, classes: 3)
        var o = options(.sgd, lr: 1e30, epochs: 5)
        o.batchSize = 8
        let model = MLP(features: 8, hidden: [8], classes: 3, seed: 2)
        let trainer = Trainer(model: model, options: o)
        let result = try trainer.fit(train: data.dense, validation: data.dense)
        guard case .diverged = result.stoppingReason else {
            Issue.record("expected divergence, got \(result.stoppingReason)")
            return
        }
        #expect(result.stoppingReason.description.contains("diverged"))
        for tensor in model.stateDictionary().values { #expect(tensor.firstNonFiniteIndex() == nil) }
    }

    /// A weight made non-finite by the update itself (here an infinite decay) diverges the
    /// epoch although every loss was finite, and is never kept as a result.
    @Test func nonFiniteWeightsAfterAnEpochAreDivergence() throws {
        let data = separableData(rows: 16, classes: 2)
        var o = options(.sgd, lr: 0.1, epochs: 1)
        o.weightDecay = .infinity
        let model = MLP(features: 8, hidden: [4], classes: 2, seed: 2)
        let result = try Trainer(model: model, options: o).fit(train: data.dense)
        guard case .diverged(let epoch, let step, let detail) = result.stoppingReason else {
            Issue.record("expected divergence, got \(result.stoppingReason)")
            return
        }
        #expect(epoch == 1 && step == 1)
        #expect(detail.hasPrefix("weight layers.0.weight holds"), "\(detail)")
        #expect(!result.restoredBest && result.bestEpoch == nil && result.history.isEmpty)
    }

    /// A loss that stays finite but grows far beyond a uniform guess's is divergence too.
    @Test func unboundedFiniteLossIsDivergence() throws {
        let data = separableData(rows: 64, classes: 3)
        var o = options(.sgd, lr: 1e8, epochs: 3)
        o.batchSize = 8
        let model = LogisticRegression(features: 8, classes: 3, seed: 1)
        let result = try Trainer(model: model, options: o).fit(train: data.dense)
        guard case .diverged(_, _, let detail) = result.stoppingReason else {
            Issue.record("expected divergence, got \(result.stoppingReason)")
            return
        }
        #expect(detail.contains("times that of a uniform guess"), "\(detail)")
    }

    /// Training on a device (OpenCL: PoCL in CI) reaches the CPU's weights for every
    /// optimizer, with dropout, batch and layer normalisation, on sparse and dense rows; and
    /// twice on one device with one seed gives the same bits.
    @Test(
        .enabled(if: Device.available.contains { !$0.isHost }, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"),
        arguments: Device.available.filter { !$0.isHost })
    func trainingOnADeviceMatchesTheCPU(device: Device) throws {
        let data = separableData(rows: 96, classes: 3)
        for optimizer in OptimizerKind.allCases {
            let configurations: [(String, (Device) -> any Classifier)] = [
                ("logistic regression", { LogisticRegression(features: 8, classes: 3, device: $0, seed: 3) }),
                ("MLP, dropout", { MLP(features: 8, hidden: [6], classes: 3, dropout: 0.3, device: $0, seed: 3) }),
                ("MLP, batch norm", { MLP(features: 8, hidden: [6, 5], classes: 3, dropout: 0.2, normalization: .batch, device: $0, seed: 3) }),
                ("MLP, layer norm", { MLP(features: 8, hidden: [6], classes: 3, activation: .tanh, normalization: .layer, device: $0, seed: 3) }),
            ]
            for (name, make) in configurations {
                for (kind, dataset) in [("sparse", data.sparse), ("dense", data.dense)] {
                    func train(on device: Device) throws -> [String: Tensor] {
                        let model = make(device)
                        try Trainer(model: model, options: options(optimizer, lr: 0.02, epochs: 2)).fit(train: dataset)
                        return model.stateDictionary()
                    }
                    let (cpu, first, second) = (try train(on: .cpu), try train(on: device), try train(on: device))
                    #expect(Set(cpu.keys) == Set(first.keys))
                    // The bias of a Linear layer that feeds a batch norm has a zero gradient in
                    // exact arithmetic (the norm subtracts the batch mean); its rounding noise,
                    // which differs between devices, Adam, AdamW, Adagrad and RMSprop scale to
                    // steps of ±lr. That bias and the norm's running mean are compared as the
                    // output they give instead (below).
                    let layers = make(.cpu).layers
                    let unsteered = Set(layers.indices.filter { layers[$0] is BatchNorm1d }.flatMap { ["layers.\($0 - 1).bias", "layers.\($0).running_mean"] })
                    for (key, expected) in cpu where !unsteered.contains(key) {
                        let values = try #require(first[key]).scalars
                        #expect(values == second[key]?.scalars, "\(device) \(optimizer) \(name) \(kind) \(key): not reproducible")
                        let want = expected.scalars
                        if let index = values.indices.first(where: { abs(values[$0] - want[$0]) > 1e-4 * max(1, abs(want[$0])) }) {
                            Issue.record("\(device) \(optimizer) \(name) \(kind) \(key)[\(index)]: \(values[index]) vs \(want[index]) on cpu")
                        }
                    }
                    for key in unsteered { #expect(first[key]?.scalars == second[key]?.scalars, "\(device) \(name) \(key): not reproducible") }
                    // The trained networks agree on what they compute from a batch, where the
                    // norm uses the batch's own mean (the same dropout masks on both: fresh
                    // generators of one seed).
                    let (cpuModel, deviceModel) = (make(.cpu), make(device))
                    try cpuModel.loadStateDictionary(cpu, source: "cpu")
                    try deviceModel.loadStateDictionary(first, source: device.description)
                    let (p, q) = (
                        try cpuModel.forward(layerInput(dataset.features)).scalars, try deviceModel.forward(layerInput(dataset.features)).scalars
                    )
                    #expect(zip(p, q).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) }, "\(device) \(optimizer) \(name) \(kind): logits differ by \(zip(p, q).map { abs($0 - $1) }.max() ?? 0)")
                }
            }
        }
    }

    @Test func overfitBatchesDrivesLossToZero() throws {
        let data = separableData(rows: 200, classes: 3)
        var o = options(.adam, lr: 0.05, epochs: 150)
        o.overfitBatches = 1
        o.batchSize = 8
        let model = MLP(features: 8, hidden: [32], classes: 3, seed: 4)
        let trainer = Trainer(model: model, options: o)
        var steps = 0
        trainer.onStep = { _ in steps += 1 }
        let result = try trainer.fit(train: data.dense)
        #expect(steps == 150)
        #expect(result.history.last!.trainLoss < 0.01)
    }

    @Test func cancellationAndStepLog() throws {
        let data = separableData(rows: 64, classes: 3)
        var o = options(epochs: 5)
        o.logEvery = 2
        let trainer = Trainer(model: LogisticRegression(features: 8, classes: 3, seed: 1), options: o)
        var lines: [String] = []
        trainer.onLog = { lines.append($0) }
        trainer.onStep = { progress in if progress.globalStep == 6 { trainer.shouldStop = true } }
        let result = try trainer.fit(train: data.sparse)
        #expect(result.stoppingReason == .cancelled(epoch: 2, step: 2))
        #expect(lines.first?.hasPrefix("step 2: mean training loss ") == true)
        #expect(lines.count == 3)
    }

    /// Whether this processor has a mode to flush subnormal floats (x86-64 and AArch64 do).
    static let canFlushSubnormals: Bool = {
        let was = CPUBackend.flushesSubnormals
        defer { CPUBackend.flushesSubnormals = was }
        CPUBackend.flushesSubnormals = true
        return CPUBackend.flushesSubnormals
    }()

    @Test(.enabled(if: canFlushSubnormals, "this processor has no flush-to-zero mode; skipped"))
    func trainingFlushesSubnormalsAndRestoresTheSetting() throws {
        let data = separableData(rows: 32, classes: 2)
        let trainer = Trainer(model: LogisticRegression(features: 8, classes: 2, seed: 2), options: options(epochs: 2))
        var during: [Bool] = []
        trainer.onStep = { _ in during.append(CPUBackend.flushesSubnormals) }
        let was = CPUBackend.flushesSubnormals
        defer { CPUBackend.flushesSubnormals = was }
        CPUBackend.flushesSubnormals = false
        try trainer.fit(train: data.sparse)
        #expect(!during.isEmpty && during.allSatisfy { $0 }, "every step ran with subnormals flushed")
        #expect(!CPUBackend.flushesSubnormals, "the thread's setting is back after training")
    }

    @Test func balancedClassWeights() {
        #expect(ClassWeighting.balanced.weights(labels: [0, 0, 0, 1], classes: 2) == [Float(4.0 / 6), 2])
    }
}
