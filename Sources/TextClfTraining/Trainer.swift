import Foundation
import TextClfDataset
import TextClfIO
import TextClfMetrics
import TextClfNN
import TextClfTensor

/// The record of one epoch.
public struct EpochRecord: Sendable, Hashable, Codable {
    /// The 1-based epoch number (continuing across a resume).
    public var epoch: Int
    /// The mean training loss over the epoch's batches (weighted by batch size).
    public var trainLoss: Double
    /// The accuracy of the training predictions made during the epoch (in training mode).
    public var trainAccuracy: Double
    /// The macro-F1 of the same training predictions, or `nil` in records written before it
    /// was kept.
    public var trainMacroF1: Double?
    /// The validation loss, or `nil` without validation data.
    public var validationLoss: Double?
    /// The validation accuracy, or `nil`.
    public var validationAccuracy: Double?
    /// The validation macro-F1, or `nil`.
    public var validationMacroF1: Double?
    /// The learning rate used in the epoch.
    public var learningRate: Float
    /// Wall-clock seconds of the epoch.
    public var seconds: Double

    /// Creates a record.
    public init(
        epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double? = nil, validationAccuracy: Double? = nil,
        validationMacroF1: Double? = nil, learningRate: Float, seconds: Double
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.validationMacroF1 = validationMacroF1
        self.learningRate = learningRate
        self.seconds = seconds
    }
}

/// Why training ended.
public enum StoppingReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// All requested epochs ran.
    case completed
    /// Early stopping: no improvement of the monitor for `patience` epochs.
    case earlyStopping(epoch: Int, bestEpoch: Int)
    /// The loss, a gradient or a weight became NaN or infinite at `step` of `epoch`, or the
    /// epoch's mean training loss grew beyond ``Trainer/divergenceLossFactor`` times that of
    /// a uniform guess.
    case diverged(epoch: Int, step: Int, detail: String)
    /// ``Trainer/shouldStop`` was set (e.g. by SIGINT) after `step` of `epoch`.
    case cancelled(epoch: Int, step: Int)

    /// A sentence for logs and `model.json`.
    public var description: String {
        switch self {
        case .completed: return "completed all epochs"
        case .earlyStopping(let epoch, let best):
            return "early stopping after epoch \(epoch): no improvement since epoch \(best)"
        case .diverged(let epoch, let step, let detail):
            return "diverged at epoch \(epoch), step \(step): \(detail)"
        case .cancelled(let epoch, let step): return "cancelled during epoch \(epoch) after step \(step)"
        }
    }
}

/// Progress after one optimizer step, for a progress bar.
public struct StepProgress: Sendable, Hashable {
    /// The 1-based epoch.
    public var epoch: Int
    /// The 1-based step within the epoch.
    public var step: Int
    /// Steps in the epoch.
    public var stepsPerEpoch: Int
    /// The 1-based step counted over the whole run.
    public var globalStep: Int
    /// This batch's loss.
    public var loss: Double
}

/// The state that lets a run continue: everything but the model weights (which live in the
/// model, or in `model.safetensors` of a checkpoint directory).
///
/// **What resume restores**: the epoch count, the history, the early-stopping counters and
/// the best epoch's weights (``bestState``), the optimizer's learning rate (through the
/// schedule, which is a function of the epoch) and the random streams: every random
/// draw is derived from ``TrainingOptions/seed`` and the epoch number (shuffling via
/// `DataLoader.batches(epoch:)`, dropout via ``Classifier/prepareEpoch(_:seed:)``), so the
/// "RNG position" is the epoch count; and the optimizer's internal state (moments, momentum
/// buffers, step counts: ``optimizerState``), so that a resumed run continues bit-identically.
/// A run cancelled inside an epoch also keeps that epoch's place (``partialEpoch``): the
/// resumed run takes the epoch's remaining batches, and its weights, history and optimizer
/// state are those of a run that was never interrupted.
public struct TrainingState: Sendable, Codable {
    /// Epochs fully completed.
    public var epochsCompleted: Int
    /// Their records.
    public var history: [EpochRecord]
    /// The early-stopping rule with its counters.
    public var earlyStopping: EarlyStopping
    /// The best epoch's tensors by name, or `nil` (not encoded in JSON; saved as a safetensors file).
    public var bestState: [String: Tensor]?
    /// Optimizer steps taken.
    public var globalStep: Int
    /// The optimizer's per-parameter state, or `nil` (not encoded in JSON; saved as a
    /// safetensors file).
    public var optimizerState: [String: OptimizerParameterState]?
    /// The weights to continue from, when the model holds the best epoch's instead: those
    /// after the last completed epoch, or at the interruption of a cancelled one (not encoded
    /// in JSON; saved as `last.safetensors`). Resuming starts from these.
    public var lastState: [String: Tensor]?
    /// The epoch a cancelled run stopped in, with everything needed to finish it as an
    /// uninterrupted run would; `nil` when the run stopped between epochs.
    public var partialEpoch: PartialEpoch?

    enum CodingKeys: String, CodingKey { case epochsCompleted, history, earlyStopping, globalStep, partialEpoch }

    /// Creates a state.
    public init(epochsCompleted: Int, history: [EpochRecord], earlyStopping: EarlyStopping, bestState: [String: Tensor]?, globalStep: Int) {
        self.epochsCompleted = epochsCompleted
        self.history = history
        self.earlyStopping = earlyStopping
        self.bestState = bestState
        self.globalStep = globalStep
    }
}

/// An epoch stopped after some of its steps (Ctrl-C): where it stood, so that a resumed run
/// takes the same remaining batches with the same dropout draws and ends the epoch with the
/// same record as an uninterrupted run. The weights and optimizer state of that moment are
/// saved beside it (``TrainingState/lastState``, ``TrainingState/optimizerState``).
public struct PartialEpoch: Sendable, Hashable, Codable {
    /// The 1-based epoch.
    public var epoch: Int
    /// Its steps taken (the loader's batches `0..<steps` of the epoch).
    public var steps: Int
    /// The sum of the batches' losses, each times its rows.
    public var lossSum: Double
    /// Training predictions that were right.
    public var correct: Int
    /// Rows trained on.
    public var seen: Int
    /// The training confusion counts so far, row-major (rows: true class).
    public var confusion: [Int]
    /// The losses since the last `--log-every` line, and their count.
    public var windowLoss: Double
    /// The steps since the last `--log-every` line.
    public var windowSteps: Int
    /// Wall-clock seconds the epoch has run.
    public var seconds: Double
    /// Each dropout layer's generator (first to last) as ``RandomGenerator/checkpoint`` writes it.
    public var dropoutGenerators: [String]

    /// What makes this state unusable for `model`, or `nil` when it fits: counts that cannot
    /// be, a confusion matrix of another size, generators that do not parse or are not one
    /// per dropout layer.
    public func problem(for model: any Classifier) -> String? {
        let classes = model.architecture.classes
        let dropouts = model.layers.filter { $0 is Dropout }.count
        if steps < 1 || seen < 0 || correct < 0 || correct > seen || windowSteps < 0 {
            return "the interrupted epoch \(epoch)'s counts are impossible"
        }
        if confusion.count != classes * classes || confusion.contains(where: { $0 < 0 }) {
            return "the interrupted epoch \(epoch)'s confusion counts are not \(classes) × \(classes) counts"
        }
        if dropoutGenerators.count != dropouts || dropoutGenerators.contains(where: { RandomGenerator(checkpoint: $0) == nil }) {
            return "the interrupted epoch \(epoch) needs \(dropouts) dropout generator\(dropouts == 1 ? "" : "s") of 64 hex digits"
        }
        return nil
    }
}

/// Thread-safe cancellation flag, settable from a signal handler's dispatch source or another thread.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    /// Creates an unset flag.
    public init() {}
    /// Whether cancellation was requested.
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    /// Requests (or clears) cancellation.
    public func set(_ newValue: Bool = true) { lock.lock(); value = newValue; lock.unlock() }
}

/// The outcome of ``Trainer/fit(train:validation:)``.
public struct TrainingResult: Sendable {
    /// Every epoch's record (including those before a resume).
    public var history: [EpochRecord]
    /// The 1-based best epoch by the monitor, or `nil`.
    public var bestEpoch: Int?
    /// Why training ended.
    public var stoppingReason: StoppingReason
    /// Whether the best epoch's weights were restored into the model.
    public var restoredBest: Bool
}

/// Trains a ``Classifier``: epochs of mini-batches with the configured optimizer, schedule,
/// clipping, class weights, early stopping and divergence checks.
///
/// No I/O happens in the loop: the best model is kept as an in-memory copy of its tensors.
/// Progress goes to ``onStep``, ``onEpoch`` and ``onLog``; the CLI draws from them.
public final class Trainer {
    /// The model being trained.
    public let model: any Classifier
    /// The settings.
    public let options: TrainingOptions
    /// The optimizer (built from ``options``).
    public let optimizer: any Optimizer
    /// The state (epochs done, history, early stopping, best weights).
    public private(set) var state: TrainingState
    /// Why the last ``fit(train:validation:)`` ended, or `nil` before one.
    public private(set) var stoppingReason: StoppingReason?
    /// Called after every optimizer step.
    public var onStep: ((StepProgress) -> Void)?
    /// The processes of a data-parallel run (MPI), or `nil` for one process. Each rank
    /// trains on its slice of every batch (of a dataset, or of a ``BatchSource`` every rank
    /// gives alike; a source that is the rank's own, ``BatchSource/isRankLocal``, is not
    /// sliced), the
    /// ranks average their gradients after each step, so every rank applies the same update,
    /// and validation is split over the ranks and its metrics summed. After each epoch the
    /// ranks compare a checksum of their weights; a difference is an error.
    public var collective: (any Collective)?
    /// Called after every epoch.
    public var onEpoch: ((EpochRecord) -> Void)?
    /// Receives log lines (`step 500: mean training loss 0.41`, every ``TrainingOptions/logEvery`` steps).
    public var onLog: ((String) -> Void)?
    /// Checked after each batch; set it (from any thread) to stop with a resumable state.
    public let cancellation = CancellationFlag()

    /// Whether a stop was requested; setting it requests one.
    public var shouldStop: Bool {
        get { cancellation.isSet }
        set { cancellation.set(newValue) }
    }

    /// Creates a trainer for a fresh run, or one continuing `resuming` (the model must already
    /// hold the resumed weights). A resumed run's early stopping waits `options.patience`
    /// epochs, which may differ from the saved run's.
    public init(model: any Classifier, options: TrainingOptions, resuming: TrainingState? = nil) {
        self.model = model
        self.options = options
        optimizer = options.makeOptimizer()
        if var resumed = resuming {
            resumed.earlyStopping.patience = options.patience
            state = resumed
            return
        }
        state = TrainingState(
            epochsCompleted: 0, history: [],
            earlyStopping: EarlyStopping(patience: options.patience, minDelta: options.minDelta, higherIsBetter: options.monitor.higherIsBetter),
            bestState: nil, globalStep: 0)
    }

    /// The learning rate of 0-based epoch `epoch`.
    public func learningRate(epoch: Int) -> Float {
        options.schedule?.makeSchedule(learningRate: options.learningRate).learningRate(at: epoch) ?? options.learningRate
    }

    /// Trains until ``TrainingOptions/epochs`` epochs are complete, early stopping, divergence
    /// or cancellation. The best epoch's weights are restored at the end when known.
    ///
    /// The calling thread flushes subnormal floats to zero while it trains
    /// (``CPUBackend/withSubnormalsFlushed(_:)``), and gets its own setting back afterwards.
    /// - Throws: errors other than divergence (bad labels, shape mismatches).
    @discardableResult
    public func fit(train: Dataset, validation: Dataset? = nil) throws -> TrainingResult {
        try CPUBackend.withSubnormalsFlushed { try fitFlushed(train: train, validation: validation) }
    }

    /// Trains on batches from `source` (batches streamed from disk, say) as
    /// ``fit(train:validation:)`` does on a dataset, validating on `validation`.
    @discardableResult
    public func fit(source: any BatchSource, validation: (any EvaluationData)? = nil) throws -> TrainingResult {
        try CPUBackend.withSubnormalsFlushed { try fitFlushed(source: source, validation: validation) }
    }

    /// The seed of the training order: stream 2 of the run's seed (stream 0: weights,
    /// 1: dropout). A ``BatchSource`` other than a ``DataLoader`` shuffles with it too.
    public var shuffleSeed: UInt64 {
        var shuffleStream = RandomGenerator(seed: options.seed).fork(stream: 2)
        return shuffleStream.nextUInt64()
    }

    /// ``fit(train:validation:)`` once subnormals are flushed.
    private func fitFlushed(train: Dataset, validation: Dataset?) throws -> TrainingResult {
        let loader = try DataLoader(
            dataset: train, batchSize: options.batchSize, shuffle: options.shuffle && options.overfitBatches == nil,
            seed: shuffleSeed, dropLast: options.dropLast, balanced: options.balancedSampling, prefetch: false)
        return try fitFlushed(source: loader, validation: validation)
    }

    /// ``fit(source:validation:)`` once subnormals are flushed; with several ranks, each
    /// trains on its slice of every batch of `source` (every rank gives the same source),
    /// unless the source is the rank's own (``BatchSource/isRankLocal``).
    private func fitFlushed(source: any BatchSource, validation: (any EvaluationData)?) throws -> TrainingResult {
        if let collective, collective.size > 1, !(source is ShardedBatches), !source.isRankLocal {
            return try fitFlushed(source: ShardedBatches(source: source, rank: collective.rank, size: collective.size), validation: validation)
        }
        let classes = model.classCount
        let classWeights = options.classWeights?.weights(labels: source.labels, classes: classes)
        let stepsPerEpoch = min(source.batchesPerEpoch, options.overfitBatches ?? Int.max)
        var reason: StoppingReason = .completed
        if let saved = state.optimizerState {
            try optimizer.loadStateDictionary(saved, for: model.parameters)
        }
        defer { state.optimizerState = optimizer.stateDictionary(for: model.parameters) }
        epochs: while state.epochsCompleted < options.epochs {
            let epochIndex = state.epochsCompleted
            let epoch = epochIndex + 1
            let start = Date()
            let rate = learningRate(epoch: epochIndex)
            optimizer.learningRate = rate
            model.prepareEpoch(epochIndex, seed: options.seed)
            model.isTraining = true
            // The layers (and so the parameter list) are fixed for the epoch.
            let parameters = model.parameters
            let classCount = model.architecture.classes
            var lossSum = 0.0, correct = 0, seen = 0, windowLoss = 0.0, windowSteps = 0, earlierSeconds = 0.0
            var step = 0
            // Rows: true class; columns: predicted class (for the training macro-F1).
            var confusion = [Int](repeating: 0, count: classCount * classCount)
            if let partial = state.partialEpoch, partial.epoch == epoch {
                try resume(partial)
                (step, lossSum, correct, seen, confusion) = (partial.steps, partial.lossSum, partial.correct, partial.seen, partial.confusion)
                (windowLoss, windowSteps, earlierSeconds) = (partial.windowLoss, partial.windowSteps, partial.seconds)
            }
            state.partialEpoch = nil
            var batches = try source.epochBatches(epochIndex, from: step)
            while step < stepsPerEpoch, let batch = try batches.nextBatch() {
                step += 1
                var stopAll = false
                do {
                    let rows = batch.count
                    for parameter in parameters { parameter.zeroGradient() }
                    var lossValue: Float = 0
                    var predictions: [Int] = []
                    if rows > 0 || collective == nil {
                        let logits = try model.forward(input(batch.features))
                        let loss = try model.loss(logits: logits, labels: batch.labels, classWeights: classWeights)
                        lossValue = loss.value
                        if collective == nil {
                            guard lossValue.isFinite else { throw TensorError.nonFinite(what: "training loss", index: 0) }
                        }
                        _ = try model.backward(loss.gradient, needsInputGradient: false)
                        predictions = LogisticRegression.predictionsOf(logits)
                    }
                    if let collective {
                        // Every rank leaves the step together: on a non-finite loss anywhere, or a stop anywhere.
                        let step = try exchangeGradients(parameters, rows: rows, loss: lossValue, stop: shouldStop, collective)
                        guard step.finite else { throw TensorError.nonFinite(what: "training loss", index: 0) }
                        stopAll = step.stop
                    }
                    if let clip = options.clipNorm { try clipGradientNorm(parameters, maxNorm: clip) }
                    try optimizer.step(parameters)
                    for (p, t) in zip(predictions, batch.labels) {
                        if p == t { correct += 1 }
                        if p >= 0 && p < classCount && t >= 0 && t < classCount { confusion[t * classCount + p] += 1 }
                    }
                    lossSum += Double(lossValue) * Double(rows)
                    seen += rows
                    windowLoss += Double(lossValue)
                    windowSteps += 1
                    state.globalStep += 1
                    onStep?(StepProgress(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, globalStep: state.globalStep, loss: Double(lossValue)))
                    if let every = options.logEvery, every > 0, state.globalStep % every == 0 {
                        onLog?("step \(state.globalStep): mean training loss \(String(format: "%.4g", windowLoss / Double(windowSteps)))")
                        windowLoss = 0
                        windowSteps = 0
                    }
                } catch let error as TensorError {
                    guard case .nonFinite = error else { throw error }
                    reason = .diverged(epoch: epoch, step: step, detail: "\(error)")
                    break epochs
                }
                if collective == nil ? shouldStop : stopAll {
                    reason = .cancelled(epoch: epoch, step: step)
                    state.partialEpoch = PartialEpoch(
                        epoch: epoch, steps: step, lossSum: lossSum, correct: correct, seen: seen, confusion: confusion,
                        windowLoss: windowLoss, windowSteps: windowSteps, seconds: earlierSeconds + Date().timeIntervalSince(start),
                        dropoutGenerators: model.layers.compactMap { ($0 as? Dropout)?.maskGenerator.checkpoint })
                    break epochs
                }
            }
            if let collective {
                // The epoch's figures over every rank's rows, and the same weights everywhere.
                let totals = try collective.sum([lossSum, Double(correct), Double(seen)] + confusion.map(Double.init))
                (lossSum, correct, seen) = (totals[0], Int(totals[1]), Int(totals[2]))
                confusion = totals.dropFirst(3).map { Int($0) }
                try checkSameWeights(parameters, collective)
            }
            if let problem = divergence(parameters, meanLoss: seen > 0 ? lossSum / Double(seen) : 0, classWeights: classWeights) {
                reason = .diverged(epoch: epoch, step: step, detail: problem)
                break
            }
            var record = EpochRecord(
                epoch: epoch, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : 0, learningRate: rate, seconds: 0)
            if seen > 0 {
                let rows = (0..<classCount).map { Array(confusion[($0 * classCount)..<(($0 + 1) * classCount)]) }
                record.trainMacroF1 = ClassificationMetrics(confusion: rows).macro.f1
            }
            if let validation {
                let evaluation = try evaluateFlushed(validation, classWeights: classWeights)
                record.validationLoss = evaluation.loss
                record.validationAccuracy = evaluation.metrics.accuracy
                record.validationMacroF1 = evaluation.metrics.macro.f1
            }
            record.seconds = earlierSeconds + Date().timeIntervalSince(start)
            state.history.append(record)
            state.epochsCompleted = epoch
            onEpoch?(record)
            let monitored = monitoredValue(record)
            if !monitored.isFinite && options.monitor == .valLoss {
                reason = .diverged(epoch: epoch, step: step, detail: "validation loss is \(monitored)")
                break
            }
            switch state.earlyStopping.update(monitored, epoch: epoch) {
            case .improved: state.bestState = model.stateDictionary()
            case .noImprovement: break
            case .stop:
                reason = .earlyStopping(epoch: epoch, bestEpoch: state.earlyStopping.bestEpoch ?? epoch)
                break epochs
            }
        }
        model.isTraining = false
        var restored = false
        state.lastState = nil
        if case .cancelled = reason {
            // The weights of the interruption are what a resumed run continues from; the
            // model (and so `model.safetensors`) holds the best epoch's, when there is one.
            if let best = state.bestState {
                state.lastState = model.stateDictionary()
                try model.loadStateDictionary(best, source: "best epoch in memory")
                restored = true
            }
        } else if options.restoreBest || isDivergence(reason), let best = state.bestState {
            if !isDivergence(reason) { state.lastState = model.stateDictionary() }
            try model.loadStateDictionary(best, source: "best epoch in memory")
            restored = true
        }
        stoppingReason = reason
        return TrainingResult(history: state.history, bestEpoch: state.earlyStopping.bestEpoch, stoppingReason: reason, restoredBest: restored)
    }

    /// Sets the dropout layers' generators to where a cancelled run left them in `partial`'s
    /// epoch (after ``Classifier/prepareEpoch(_:seed:)`` for that epoch).
    /// - Throws: ``ModelFileError`` when the state does not fit this model and run.
    private func resume(_ partial: PartialEpoch) throws {
        if let problem = partial.problem(for: model) { throw ModelFileError(path: "the resumed training state", message: problem) }
        let dropouts = model.layers.compactMap { $0 as? Dropout }
        let generators = partial.dropoutGenerators.compactMap(RandomGenerator.init(checkpoint:))
        for (dropout, generator) in zip(dropouts, generators) { dropout.maskGenerator = generator }
    }

    /// How many times the loss of a uniform guess (ln K, times the largest class weight) an
    /// epoch's mean training loss may reach before training counts as diverged.
    public static let divergenceLossFactor = 100.0

    /// Why the epoch just trained diverged although every step's loss was finite, or `nil`:
    /// a weight that is NaN or infinite (a decay or update can make one without any loss
    /// showing it yet), or a mean training loss over ``divergenceLossFactor`` times that of a
    /// uniform guess, which no converging run reaches.
    private func divergence(_ parameters: [Parameter], meanLoss: Double, classWeights: [Float]?) -> String? {
        for parameter in parameters {
            if let index = parameter.value.firstNonFiniteIndex() {
                return "weight \(parameter.name) holds \(parameter.value.scalars[index]) at index \(index)"
            }
        }
        let uniform = log(Double(max(model.classCount, 2))) * Double(classWeights?.max() ?? 1)
        if meanLoss > Self.divergenceLossFactor * uniform {
            return String(
                format: "mean training loss %.4g is over %.0f times that of a uniform guess (%.4g)", meanLoss,
                Self.divergenceLossFactor, uniform)
        }
        return nil
    }

    private func isDivergence(_ reason: StoppingReason) -> Bool {
        if case .diverged = reason { return true }
        return false
    }

    /// The value early stopping watches: validation metrics when present, else training ones.
    private func monitoredValue(_ record: EpochRecord) -> Double {
        switch options.monitor {
        case .valLoss: return record.validationLoss ?? record.trainLoss
        case .valAccuracy: return record.validationAccuracy ?? record.trainAccuracy
        case .valF1: return record.validationMacroF1 ?? record.trainAccuracy
        }
    }

    /// The mean loss (weighted by class weights as in training) and metrics of the model on
    /// `dataset`, in evaluation mode, in batches of ``TrainingOptions/batchSize`` rows or 256, whichever is more.
    public func evaluate(_ data: any EvaluationData, classWeights: [Float]? = nil) throws -> (loss: Double, metrics: ClassificationMetrics) {
        try CPUBackend.withSubnormalsFlushed { try evaluateFlushed(data, classWeights: classWeights) }
    }

    /// ``evaluate(_:classWeights:)`` once subnormals are flushed.
    private func evaluateFlushed(_ data: any EvaluationData, classWeights: [Float]?) throws -> (loss: Double, metrics: ClassificationMetrics) {
        let wasTraining = model.isTraining
        model.isTraining = false
        defer { model.isTraining = wasTraining }
        var predictions: [Int] = [], truth: [Int] = []
        var lossSum = 0.0, weightSum = 0.0
        // Batches of at least 256 rows: fewer, larger products than training's batches.
        var batchIndex = -1
        let (rank, ranks) = (collective?.rank ?? 0, collective?.size ?? 1)
        try data.forEachBatch(size: max(options.batchSize, 256)) { features, labels in
            // With several ranks, each evaluates every ranks-th batch; the sums are combined below.
            batchIndex += 1
            guard batchIndex % ranks == rank else { return }
            let logits = try model.forward(input(features))
            predictions += LogisticRegression.predictionsOf(logits)
            truth += labels
            let batchWeight = classWeights.map { w in labels.reduce(0.0) { $0 + Double(w[$1]) } } ?? Double(labels.count)
            do {
                let loss = try model.loss(logits: logits, labels: labels, classWeights: classWeights)
                lossSum += Double(loss.value) * batchWeight
            } catch let error as TensorError {
                guard case .nonFinite = error else { throw error }
                lossSum = .nan
            }
            weightSum += batchWeight
        }
        if let collective, collective.size > 1 {
            let classes = model.classCount
            var counts = [Double](repeating: 0, count: classes * classes)
            for (p, t) in zip(predictions, truth) where p >= 0 && p < classes && t >= 0 && t < classes { counts[t * classes + p] += 1 }
            let totals = try collective.sum([lossSum, weightSum] + counts)
            let confusion = (0..<classes).map { row in totals[(2 + row * classes)..<(2 + (row + 1) * classes)].map { Int($0) } }
            return (totals[1] > 0 ? totals[0] / totals[1] : .nan, ClassificationMetrics(confusion: confusion))
        }
        let metrics = ClassificationMetrics(predictions: predictions, truth: truth, classCount: model.classCount)
        return (weightSum > 0 ? lossSum / weightSum : .nan, metrics)
    }
}

extension Trainer {
    /// Averages the step's gradients over the ranks: each rank's gradient (of its own rows'
    /// mean loss) weighted by its share of the batch's rows, summed in rank order, so every
    /// rank holds the gradient of the whole batch's mean loss. Row-sparse gradients stay
    /// sparse: the union of the ranks' rows. Returns whether every rank's loss was finite and
    /// whether any rank was asked to stop.
    func exchangeGradients(
        _ parameters: [Parameter], rows: Int, loss: Float, stop: Bool, _ collective: any Collective
    ) throws -> (finite: Bool, stop: Bool) {
        var message = Message()
        message.append([Float(rows), loss.isFinite ? 1 : 0, stop ? 1 : 0])
        for parameter in parameters {
            let dense = parameter.gradient?.scalars ?? []
            message.append(Int64(dense.count))
            message.append(dense)
            let sparse = parameter.sparseGradient
            message.append(Int64(sparse?.rowIndices.count ?? 0))
            message.append((sparse?.rowIndices ?? []).map(Int64.init))
            message.append(sparse?.values.scalars ?? [])
        }
        // One exchange per step: the headers give each rank's rows, and so its share.
        let parts = try collective.allGather(message.bytes)
        var headers: [[Float]] = []
        for part in parts {
            var reader = Message.Reader(bytes: part)
            headers.append(try reader.floats(3))
        }
        let total = headers.reduce(Float(0)) { $0 + $1[0] }
        let finite = headers.allSatisfy { $0[1] == 1 }, stopAll = headers.contains { $0[2] == 1 }
        var dense = [[Float]](repeating: [], count: parameters.count)
        var sparse = [[Int: [Float]]](repeating: [:], count: parameters.count)
        for (part, header) in zip(parts, headers) {
            var reader = Message.Reader(bytes: part)
            _ = try reader.floats(3)
            let share = total > 0 ? header[0] / total : 0
            for (index, parameter) in parameters.enumerated() {
                let values = try reader.floats(Int(try reader.int64())).map { $0 * share }
                if !values.isEmpty {
                    if dense[index].isEmpty { dense[index] = values } else { for i in values.indices { dense[index][i] += values[i] } }
                }
                let count = Int(try reader.int64())
                let rowIndices = try reader.int64s(count)
                let columns = parameter.value.rank == 2 ? parameter.value.columns : 1
                let rowValues = try reader.floats(count * columns).map { $0 * share }
                for (position, row) in rowIndices.enumerated() {
                    let slice = rowValues[(position * columns)..<((position + 1) * columns)]
                    if let existing = sparse[index][Int(row)] {
                        sparse[index][Int(row)] = zip(existing, slice).map { $0 + $1 }
                    } else {
                        sparse[index][Int(row)] = Array(slice)
                    }
                }
            }
        }
        for (index, parameter) in parameters.enumerated() {
            let device = parameter.value.device
            parameter.gradient = dense[index].isEmpty ? nil : try Tensor(shape: parameter.value.shape, values: dense[index], device: device)
            if sparse[index].isEmpty {
                parameter.sparseGradient = nil
            } else {
                let rowIndices = sparse[index].keys.sorted()
                let columns = parameter.value.rank == 2 ? parameter.value.columns : 1
                let values = try Tensor(shape: [rowIndices.count, columns], values: rowIndices.flatMap { sparse[index][$0]! }, device: device)
                parameter.sparseGradient = RowSparseTensor(rowCount: parameter.value.shape[0], rowIndices: rowIndices, values: values)
            }
        }
        return (finite, stopAll)
    }

    /// Throws when the ranks' weights differ (a 64-bit hash of every weight's bits).
    func checkSameWeights(_ parameters: [Parameter], _ collective: any Collective) throws {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for parameter in parameters {
            for value in parameter.value.scalars { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
        }
        let hashes = try collective.allGather([hash]).map { $0[0] }
        if let different = hashes.firstIndex(where: { $0 != hashes[0] }) {
            throw CollectiveError("rank \(different)'s weights differ from rank 0's after an epoch; the ranks must run the same binary on the same data and options")
        }
    }
}

/// Bytes sent in one exchange: values appended in order, read back in the same order.
struct Message {
    var bytes: [UInt8] = []

    mutating func append<Value: BitwiseCopyable>(_ values: [Value]) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int64) { append([value]) }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func values<Value: BitwiseCopyable>(_ count: Int, as _: Value.Type) throws -> [Value] {
            let length = count * MemoryLayout<Value>.stride
            guard count >= 0, offset + length <= bytes.count else {
                throw CollectiveError("a rank sent a short message (\(bytes.count) bytes); the ranks must train the same model")
            }
            defer { offset += length }
            return bytes[offset..<(offset + length)].withUnsafeBytes { raw in
                (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Value>.stride, as: Value.self) }
            }
        }

        mutating func floats(_ count: Int) throws -> [Float] { try values(count, as: Float.self) }
        mutating func int64s(_ count: Int) throws -> [Int64] { try values(count, as: Int64.self) }
        mutating func int64() throws -> Int64 { try values(1, as: Int64.self)[0] }
    }
}

/// A `Features` value as layer input.
func input(_ features: Features) -> LayerInput {
    switch features {
    case .sparse(let matrix): return .sparse(matrix)
    case .dense(let tensor): return .dense(tensor)
    }
}

extension LogisticRegression {
    /// Class indices from logits of any classifier (see ``Classifier/predictions(logits:)``).
    static func predictionsOf(_ logits: Tensor) -> [Int] { predictions(logits: logits) }
}
