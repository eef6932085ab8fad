import CTextClfKernels
import Dispatch
import Foundation
import TextClfData
import TextClfNN
import TextClfTensor

/// Training steps of an ``MLP`` on dense input on the CPU, computed on memory the steps own
/// instead of through the layers' tensors: the same kernels on the same values in the same
/// order, so the weights, the optimizer's state, the losses and the predictions are the bits
/// of the layer-by-layer step (the tests compare them).
///
/// A step of a small model is mostly bookkeeping when it goes through the layers: a new
/// tensor for every intermediate result, reference counting, the optimizer's per-parameter
/// lookups. Here every buffer is allocated once, for the largest batch, the batch's rows are
/// gathered straight from the training set in the loader's order, and the step calls the
/// backend's host kernels directly: the affine maps and products
/// (``CPUBackend/affine(_:rows:inner:_:columns:bias:into:)``,
/// ``CPUBackend/product(transposeA:transposeB:m:n:k:_:leading:_:leading:betaZero:into:)``),
/// ReLU and its gradient, the dropout masks (``Dropout/drawMask(into:)``, from the layers'
/// own generators), softmax cross-entropy, the bias gradients' column sums, and the
/// optimizer's ``ElementwiseKernel``.
///
/// An epoch's dropout masks depend only on its generators (``MLP/dropoutGenerators(epoch:seed:)``)
/// and its batch sizes, so they are drawn for the whole epoch at once and, when
/// ``CPUBackend/threads`` allows more than one thread, the later epochs' on another core, one
/// after another, while the earlier ones train: the same draws from the same streams, and each
/// layer's generator is left where the batch-by-batch draws would leave it after every step.
///
/// ``Trainer`` uses it when ``init(model:optimizer:options:classWeights:train:)`` accepts the
/// run: an ``MLP`` with ReLU and no normalisation on the CPU, dense features, ``Adam`` or
/// ``AdamW`` without L1/L2 penalties, no gradient clipping, and labels that are all class
/// indices. Anything else trains through the layers. Errors are the layer-by-layer step's: a
/// non-finite logit or gradient throws the same ``TensorError`` at the same point.
///
/// The optimizer's state is read at creation and written back by ``finish()``; the
/// parameters' values are updated in place (``beginEpoch(loader:batchCount:epoch:seed:epochs:)`` takes their
/// addresses again, as copies of them, such as the best epoch's weights, may have been taken
/// in between).
final class DenseMLPSteps {
    /// One `Linear` with the layers that follow it up to the next one.
    private final class Stage {
        let linear: Linear
        let inputs: Int
        let outputs: Int
        /// The index of the dropout layer after the ReLU in ``MLP/layers``, if any.
        let dropoutIndex: Int?
        /// The dropout layer of the current epoch.
        var dropout: Dropout?
        /// The stage's place among the stages with dropout (its masks in ``EpochMasks``).
        var maskSlot: Int?
        /// The mask of the current batch: the floats in ``mask``, or bits in the epoch's
        /// ``EpochMasks`` with the value they stand for.
        var currentMask: CurrentMask?
        /// The affine map's output (the last stage's: the logits).
        let affine: UnsafeMutablePointer<Float>
        /// ReLU's output, the dropout mask and the masked output (hidden stages).
        let activated: UnsafeMutablePointer<Float>?
        let mask: UnsafeMutablePointer<Float>?
        let dropped: UnsafeMutablePointer<Float>?
        /// The gradient with respect to the affine map's output.
        let outputGradient: UnsafeMutablePointer<Float>
        /// The gradient arriving from the next stage, and after the dropout mask (hidden stages).
        let incomingGradient: UnsafeMutablePointer<Float>?
        let maskedGradient: UnsafeMutablePointer<Float>?
        /// The weight's and the bias's gradients.
        let weightGradient: UnsafeMutablePointer<Float>
        let biasGradient: UnsafeMutablePointer<Float>

        /// The stage's output: the next stage's input.
        var output: UnsafeMutablePointer<Float> { dropped ?? activated ?? affine }

        /// - Parameter hidden: whether a ReLU follows (every stage but the last).
        init(linear: Linear, hidden: Bool, dropoutIndex: Int?, rows: Int) {
            self.linear = linear
            inputs = linear.inputDimensions
            outputs = linear.outputDimensions
            self.dropoutIndex = dropoutIndex
            let values = rows * outputs
            func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
                let memory = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
                memory.initialize(repeating: 0, count: max(count, 1))
                return memory
            }
            affine = buffer(values)
            activated = hidden ? buffer(values) : nil
            mask = dropoutIndex != nil ? buffer(values) : nil
            dropped = dropoutIndex != nil ? buffer(values) : nil
            outputGradient = buffer(values)
            incomingGradient = hidden ? buffer(values) : nil
            maskedGradient = dropoutIndex != nil ? buffer(values) : nil
            weightGradient = buffer(inputs * outputs)
            biasGradient = buffer(outputs)
        }

        deinit {
            for memory in [affine, activated, mask, dropped, outputGradient, incomingGradient, maskedGradient, weightGradient, biasGradient] {
                memory?.deallocate()
            }
        }
    }

    /// A batch's dropout mask: floats, or bits standing for `value` (set) and 0 (clear).
    private enum CurrentMask {
        case values(UnsafePointer<Float>)
        case bits(UnsafePointer<UInt16>, value: Float)

        /// `out = x · mask`, `count` values.
        func multiply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
            switch self {
            case .values(let mask): textclf_multiply(out, x, mask, count)
            case .bits(let bits, let value): textclf_multiply_mask_bits(out, x, bits, count, value)
            }
        }
    }

    /// An epoch's dropout masks, batch after batch, drawn in one go: a function of the
    /// epoch's generators, the layers' probabilities and widths, and the batch sizes only.
    /// The masks are kept as bits (``Dropout/drawMaskBits(probability:generator:into:count:)``),
    /// each batch's from a word of its own: a 32nd of the floats, which another core writes.
    private final class EpochMasks: @unchecked Sendable {
        /// Per stage with dropout: the generator at the epoch's start, the probability, the width.
        let starts: [RandomGenerator]
        let probabilities: [Float]
        let widths: [Int]
        /// The rows of each batch, in order.
        let batchRows: [Int]
        /// Per stage with dropout: each batch's bits, one batch after another.
        let masks: [UnsafeMutablePointer<UInt16>]
        /// Per stage with dropout: where each batch's bits start in ``masks``, in words.
        let offsets: [[Int]]
        /// Per stage with dropout: the generator after each batch's mask.
        private(set) var ends: [[RandomGenerator]] = []

        init(starts: [RandomGenerator], probabilities: [Float], widths: [Int], batchRows: [Int]) {
            self.starts = starts
            self.probabilities = probabilities
            self.widths = widths
            self.batchRows = batchRows
            var offsets: [[Int]] = []
            var masks: [UnsafeMutablePointer<UInt16>] = []
            for width in widths {
                var stageOffsets: [Int] = []
                var words = 0
                for rows in batchRows {
                    stageOffsets.append(words)
                    words += (rows * width + 15) / 16
                }
                offsets.append(stageOffsets)
                masks.append(.allocate(capacity: max(words, 1)))
            }
            self.offsets = offsets
            self.masks = masks
        }

        deinit {
            for memory in masks { memory.deallocate() }
        }

        /// The number of mask values an epoch of `batchRows` needs for `widths`.
        static func values(batchRows: [Int], widths: [Int]) -> Int { batchRows.reduce(0, +) * widths.reduce(0, +) }

        /// Draws every batch's mask as ``Dropout/drawMask(into:)`` would, batch by batch.
        func draw() {
            ends = starts.indices.map { slot in
                var generator = starts[slot]
                var ends: [RandomGenerator] = []
                ends.reserveCapacity(batchRows.count)
                for (batch, rows) in batchRows.enumerated() {
                    Dropout.drawMaskBits(
                        probability: probabilities[slot], generator: &generator, into: masks[slot] + offsets[slot][batch],
                        count: rows * widths[slot])
                    ends.append(generator)
                }
                return ends
            }
        }

        /// Batch `batch`'s mask for the stage with dropout `slot`.
        func mask(slot: Int, batch: Int) -> CurrentMask {
            .bits(UnsafePointer(masks[slot] + offsets[slot][batch]), value: Dropout.maskValue(probability: probabilities[slot]))
        }

        /// Whether these are the masks of an epoch with these generators, layers and batches.
        func matches(starts: [RandomGenerator], probabilities: [Float], widths: [Int], batchRows: [Int]) -> Bool {
            self.starts == starts && self.probabilities == probabilities && self.widths == widths && self.batchRows == batchRows
        }
    }

    /// What the epochs after the current one need that depends on nothing but the epoch —
    /// the loader's row order, and the dropout masks when they are drawn ahead — made in order
    /// on another core (one worker for the rest of the run). ``take()`` gives them epoch by
    /// epoch; the worker stays at most `ahead` epochs ahead, and is let go on in steps of half
    /// that, so that it is woken once every few epochs rather than after each (a wake-up costs
    /// the waking thread tens of microseconds here) and reuses the memory of epochs taken.
    private final class EpochPipeline: @unchecked Sendable {
        /// One epoch's order and masks.
        struct Epoch {
            let order: [Int]
            let masks: EpochMasks?
        }

        /// How the masks are drawn, the same for every epoch; `nil` when they are not drawn ahead.
        struct MaskShape {
            let probabilities: [Float]
            let widths: [Int]
            let batchRows: [Int]
        }

        /// The first epoch made, and each epoch's generators from there on (when masked).
        let first: Int
        private let count: Int
        private let loader: DataLoader
        private let shape: MaskShape?
        private let starts: [[RandomGenerator]]
        /// Made and not yet taken, by epoch.
        private var made: [Int: Epoch] = [:]
        private var cancelled = false
        private let lock = NSLock()
        private let ready = DispatchSemaphore(value: 0)
        private let space: DispatchSemaphore
        /// How many epochs ``take()`` lets the worker make at once.
        private let step: Int
        /// The next epoch ``take()`` gives.
        private(set) var next: Int

        /// - Precondition: `starts` has `count` entries when `shape` is given.
        init(first: Int, count: Int, loader: DataLoader, shape: MaskShape?, starts: [[RandomGenerator]], ahead: Int) {
            precondition(shape == nil || starts.count == count, "EpochPipeline: generators for \(starts.count) of \(count) epochs")
            self.first = first
            self.count = count
            self.loader = loader
            self.shape = shape
            self.starts = starts
            // Counted up from 0: a semaphore released below its initial value traps.
            space = DispatchSemaphore(value: 0)
            for _ in 0..<max(ahead, 1) { space.signal() }
            step = max(ahead / 2, 1)
            next = first
        }

        /// Whether `epoch` is the one ``take()`` gives next.
        func covers(_ epoch: Int) -> Bool { next == epoch && epoch < first + count }

        /// Starts the worker.
        func start() {
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                for offset in 0..<count {
                    space.wait()
                    if lock.withLock({ cancelled }) { return }
                    let order = loader.order(epoch: first + offset)
                    let masks = shape.map { shape in
                        let masks = EpochMasks(
                            starts: starts[offset], probabilities: shape.probabilities, widths: shape.widths, batchRows: shape.batchRows)
                        masks.draw()
                        return masks
                    }
                    lock.withLock { made[first + offset] = Epoch(order: order, masks: masks) }
                    ready.signal()
                }
            }
        }

        /// Epoch ``next``'s order and masks, once made.
        func take() -> Epoch {
            precondition(next < first + count, "EpochPipeline: epoch \(next) was not made")
            ready.wait()
            let epoch = lock.withLock { made.removeValue(forKey: next)! }
            next += 1
            if (next - first) % step == 0 {
                for _ in 0..<step { space.signal() }
            }
            return epoch
        }

        /// Stops the worker after the epoch it is making.
        func cancel() {
            lock.withLock { cancelled = true }
            space.signal()
        }
    }

    /// A parameter with its gradient's memory and its optimizer state.
    private struct Slot {
        let parameter: Parameter
        let gradient: UnsafeMutablePointer<Float>
        let count: Int
        /// The optimizer's auxiliary tensors (Adam's moments).
        var tensors: [Tensor]
        /// The addresses of ``parameter``'s value and of ``tensors``, valid for an epoch.
        var value: UnsafeMutablePointer<Float>?
        var auxiliary: [UnsafeMutablePointer<Float>] = []
    }

    private let model: MLP
    private let adam: Adam
    private let classWeights: [Float]?
    private let stages: [Stage]
    private var slots: [Slot]
    private let classes: Int
    /// Per-row target weights and softmax scratch.
    private let rowWeights: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    /// The optimizer's operands for each slot in turn (`[param, grad, state…]`, ``operandCount``
    /// each), set at the start of an epoch; each slot's step count and whether it is
    /// penalised. Kept apart from ``slots`` so that an update touches no reference counts.
    private let operands: UnsafeMutableBufferPointer<UnsafeMutableBufferPointer<Float>>
    private let operandCount: Int
    private let steps: UnsafeMutablePointer<Int>
    private let penalized: [Bool]
    /// The optimizer's hyperparameters, read at the start of each epoch (when the trainer sets
    /// the epoch's learning rate), so that a step does not go through the class's properties.
    private var hyperparameters: Adam.Hyperparameters
    /// The predicted class of each row of the last step's batch.
    let predictions: UnsafeMutablePointer<Int>
    /// The training features (kept, so that their address stays valid) and labels.
    private let features: Tensor
    private let featureAddress: UnsafePointer<Float>
    private let labels: UnsafeMutablePointer<Int>
    /// The epoch's row order, and the rows and labels of the batch trained on.
    private let order: UnsafeMutablePointer<Int>
    private let batchInput: UnsafeMutablePointer<Float>
    private let batchLabelBuffer: UnsafeMutablePointer<Int>
    private let batchSize: Int
    private var batchCount = 0
    private var orderCount = 0
    /// The next batch of the epoch.
    private var nextBatch = 0
    /// The rows of the batch trained on last.
    private(set) var batchRows = 0
    private var stepped = false
    /// Whether the last step computed gradients (a non-finite loss stops it before).
    private var hasGradients = false
    /// The current batch's index in the epoch.
    private var batchIndex = 0
    /// The current epoch's dropout masks (`nil` when each batch's is drawn at its step), and
    /// the worker making the later epochs' orders and masks.
    private var epochMasks: EpochMasks?
    private var pipeline: EpochPipeline?
    /// The most mask values an epoch's masks are drawn ahead for (64 Mi, 8 MiB of bits); larger
    /// epochs draw each batch's mask at its step. The pipeline keeps at most eight epochs (and
    /// 16 MiB) of orders and masks ahead.
    var epochMaskLimit = 1 << 26
    /// Whether the later epochs' orders and masks are made on another core (default: when
    /// ``CPUBackend/threads`` is above 1).
    var drawsAhead: Bool?

    /// Prepares the steps for `model` trained by `optimizer` with `options` on `train`, or
    /// returns `nil` when the run needs the layer-by-layer step (see the type's description).
    /// - Parameters:
    ///   - classWeights: the loss's class weights, or `nil`.
    ///   - train: the training set: dense features and labels that are all class indices.
    init?(model: any Classifier, optimizer: any Optimizer, options: TrainingOptions, classWeights: [Float]?, train: Dataset) {
        guard case .dense(let features) = train.features, features.rank == 2, features.shape[0] == train.count else { return nil }
        let labels = train.labels
        guard let mlp = model as? MLP, let adam = optimizer as? Adam, type(of: adam) == Adam.self || type(of: adam) == AdamW.self,
            adam.l1 == 0, adam.l2 == 0, options.clipNorm == nil, options.batchSize > 0,
            mlp.architecture.normalization == .none, mlp.architecture.activation == .relu
        else { return nil }
        let classes = mlp.architecture.classes
        guard classes >= 2, classWeights.map({ $0.count == classes }) ?? true, labels.allSatisfy({ (0..<classes).contains($0) })
        else { return nil }
        let parameters = mlp.parameters
        guard parameters.allSatisfy({ $0.value.device == .cpu }) else { return nil }

        // The layers must be Linear (→ ReLU (→ Dropout)?)* → Linear.
        let layers = mlp.layers
        var stages: [Stage] = []
        // Room for a training batch and for an evaluation batch (see ``Trainer/evaluate(_:classWeights:)``).
        let rows = Self.evaluationRows(batchSize: options.batchSize)
        var index = 0
        while index < layers.count {
            guard let linear = layers[index] as? Linear, linear.bias != nil else { return nil }
            index += 1
            if index == layers.count {
                guard linear.outputDimensions == classes else { return nil }
                stages.append(Stage(linear: linear, hidden: false, dropoutIndex: nil, rows: rows))
                break
            }
            guard let activation = layers[index] as? Activation, activation.function == .relu else { return nil }
            index += 1
            var dropoutIndex: Int?
            if index < layers.count, layers[index] is Dropout {
                dropoutIndex = index
                index += 1
            }
            stages.append(Stage(linear: linear, hidden: true, dropoutIndex: dropoutIndex, rows: rows))
        }
        guard let first = stages.first, first.inputs == mlp.architecture.features, features.shape[1] == first.inputs else { return nil }
        for (previous, next) in zip(stages, stages.dropFirst()) where previous.outputs != next.inputs { return nil }

        // The parameters in the model's order, each with its gradient's memory.
        var slots: [Slot] = []
        var initialSteps: [Int] = []
        let saved = adam.stateDictionary(for: parameters)
        for parameter in parameters {
            guard let stage = stages.first(where: { $0.linear.weight === parameter || $0.linear.bias === parameter }) else { return nil }
            let isWeight = stage.linear.weight === parameter
            let count = parameter.value.count
            var tensors = saved[parameter.name]?.tensors ?? []
            guard tensors.allSatisfy({ $0.shape == parameter.value.shape }) else { return nil }
            while tensors.count < adam.slotCount { tensors.append(Tensor.zeros(parameter.value.shape, device: .cpu)) }
            slots.append(
                Slot(
                    parameter: parameter, gradient: isWeight ? stage.weightGradient : stage.biasGradient, count: count,
                    tensors: tensors))
            initialSteps.append(saved[parameter.name]?.step ?? 0)
        }
        guard slots.count == 2 * stages.count else { return nil }

        self.model = mlp
        self.adam = adam
        self.classWeights = classWeights
        self.stages = stages
        self.slots = slots
        self.classes = classes
        rowWeights = .allocate(capacity: rows)
        rowWeights.initialize(repeating: 1, count: rows)
        scratch = .allocate(capacity: rows * classes + 3 * rows)
        scratch.initialize(repeating: 0, count: rows * classes + 3 * rows)
        operandCount = 2 + adam.slotCount
        operands = .allocate(capacity: slots.count * operandCount)
        operands.initialize(repeating: UnsafeMutableBufferPointer(start: nil, count: 0))
        steps = .allocate(capacity: slots.count)
        steps.initialize(from: initialSteps, count: slots.count)
        penalized = slots.map(\.parameter.isPenalized)
        hyperparameters = adam.hyperparameters
        predictions = .allocate(capacity: rows)
        predictions.initialize(repeating: 0, count: rows)
        self.features = features
        featureAddress = features.withUnsafeBufferPointer { UnsafePointer($0.baseAddress ?? UnsafePointer(bitPattern: 1)!) }
        self.labels = .allocate(capacity: max(labels.count, 1))
        self.labels.initialize(from: labels, count: labels.count)
        order = .allocate(capacity: max(labels.count, 1))
        order.initialize(repeating: 0, count: max(labels.count, 1))
        batchSize = options.batchSize
        batchInput = .allocate(capacity: options.batchSize * first.inputs)
        batchInput.initialize(repeating: 0, count: options.batchSize * first.inputs)
        batchLabelBuffer = .allocate(capacity: options.batchSize)
        batchLabelBuffer.initialize(repeating: 0, count: options.batchSize)
    }

    deinit {
        pipeline?.cancel()
        labels.deallocate()
        order.deallocate()
        batchInput.deallocate()
        batchLabelBuffer.deallocate()
        rowWeights.deallocate()
        scratch.deallocate()
        operands.deallocate()
        steps.deallocate()
        predictions.deallocate()
    }

    /// The rows of an evaluation batch: ``Trainer/evaluate(_:classWeights:)``'s.
    static func evaluationRows(batchSize: Int) -> Int { max(batchSize, 256) }

    /// Starts epoch `epoch`, whose batches take the rows of `loader`'s order for it in turn,
    /// ``batchSize`` at a time (the last one shorter), `batchCount` of them: takes the order,
    /// the epoch's dropout layers (``MLP/prepareEpoch(_:seed:)`` replaces them) and their masks
    /// for the epoch, the addresses of the parameters and the optimizer's state, making each
    /// unshared first, and the optimizer's hyperparameters. When ``CPUBackend/threads`` is
    /// above 1 and `epoch + 1` is below `epochs`, the orders and masks of the epochs up to
    /// `epochs` (for the same batches, from `seed`'s generators) are made on another core,
    /// unless they are being made already.
    /// - Precondition: `loader` is the training set's, its order long enough for `batchCount`
    ///   batches.
    func beginEpoch(loader: DataLoader, batchCount: Int, epoch: Int, seed: UInt64, epochs: Int) {
        let ahead: EpochPipeline.Epoch? = pipeline.flatMap { $0.covers(epoch) ? $0.take() : nil }
        let order = ahead?.order ?? loader.order(epoch: epoch)
        precondition(order.count <= features.shape[0] && (batchCount - 1) * batchSize < max(order.count, 1))
        precondition(order.allSatisfy { (0..<features.shape[0]).contains($0) }, "DenseMLPSteps: a row outside the training set")
        self.order.update(from: order, count: order.count)
        orderCount = order.count
        self.batchCount = batchCount
        nextBatch = 0
        var slot = 0
        for stage in stages {
            stage.dropout = stage.dropoutIndex.map { model.layers[$0] as! Dropout }
            stage.maskSlot = stage.dropout != nil ? slot : nil
            if stage.dropout != nil { slot += 1 }
        }
        let shape = maskShape()
        let starts = stages.compactMap { $0.dropout?.maskGenerator }
        epochMasks = nil
        var restart = ahead == nil
        if let shape {
            if let masks = ahead?.masks,
                masks.matches(starts: starts, probabilities: shape.probabilities, widths: shape.widths, batchRows: shape.batchRows)
            {
                epochMasks = masks
            } else {
                let masks = EpochMasks(starts: starts, probabilities: shape.probabilities, widths: shape.widths, batchRows: shape.batchRows)
                masks.draw()
                epochMasks = masks
                restart = true
            }
        }
        if restart { startPipeline(after: epoch, loader: loader, shape: shape, seed: seed, epochs: epochs) }
        hyperparameters = adam.hyperparameters
        for index in slots.indices {
            slots[index].value = slots[index].parameter.value.uniqueValues()
            slots[index].auxiliary = slots[index].tensors.indices.map { slots[index].tensors[$0].uniqueValues() }
            let slot = slots[index], first = index * operandCount
            operands[first] = UnsafeMutableBufferPointer(start: slot.value, count: slot.count)
            operands[first + 1] = UnsafeMutableBufferPointer(start: slot.gradient, count: slot.count)
            for position in 0..<(operandCount - 2) {
                operands[first + 2 + position] = UnsafeMutableBufferPointer(start: slot.auxiliary[position], count: slot.count)
            }
        }
    }

    /// How this epoch's masks are drawn ahead: `nil` without dropout, or when they would take
    /// more than ``epochMaskLimit`` values (each batch's mask is then drawn at its step).
    private func maskShape() -> EpochPipeline.MaskShape? {
        let masked = stages.filter { $0.dropout != nil }
        guard !masked.isEmpty else { return nil }
        let batchRows = (0..<batchCount).map { min(batchSize, orderCount - $0 * batchSize) }
        let widths = masked.map(\.outputs)
        guard EpochMasks.values(batchRows: batchRows, widths: widths) <= epochMaskLimit else { return nil }
        return .init(probabilities: masked.map { $0.dropout!.probability }, widths: widths, batchRows: batchRows)
    }

    /// Replaces the pipeline with one for the epochs after `epoch`, when another core may work.
    private func startPipeline(after epoch: Int, loader: DataLoader, shape: EpochPipeline.MaskShape?, seed: UInt64, epochs: Int) {
        pipeline?.cancel()
        pipeline = nil
        guard epoch + 1 < epochs, drawsAhead ?? (CPUBackend.threads > 1) else { return }
        let masked = stages.filter { $0.dropout != nil }
        var starts: [[RandomGenerator]] = []
        if shape != nil {
            for next in (epoch + 1)..<epochs {
                let generators = Dictionary(model.dropoutGenerators(epoch: next, seed: seed), uniquingKeysWith: { first, _ in first })
                let nextStarts = masked.compactMap { $0.dropoutIndex.flatMap { generators[$0] } }
                guard nextStarts.count == masked.count else { return }
                starts.append(nextStarts)
            }
        }
        // Eight epochs ahead, or fewer to keep to 16 MiB of orders and masks.
        let bytes = orderCount * MemoryLayout<Int>.stride + (shape.map { EpochMasks.values(batchRows: $0.batchRows, widths: $0.widths) } ?? 0) / 8
        let ahead = min(8, max(1, (16 << 20) / max(bytes, 1)))
        let pipeline = EpochPipeline(first: epoch + 1, count: epochs - epoch - 1, loader: loader, shape: shape, starts: starts, ahead: ahead)
        pipeline.start()
        self.pipeline = pipeline
    }

    /// Adds the last batch's (label, prediction) pairs to `confusion` (row-major, one row per
    /// label) and returns how many were right.
    func tally(into confusion: inout [Int]) -> Int {
        precondition(
            confusion.count == classes * classes, "DenseMLPSteps: a confusion matrix of \(confusion.count) cells for \(classes) classes")
        return confusion.withUnsafeMutableBufferPointer { counts in
            textclf_tally(counts.baseAddress!, batchLabelBuffer, predictions, batchRows, classes)
        }
    }

    /// One step on the epoch's next batch: its rows and labels gathered, forward, loss,
    /// backward and the optimizer's update. The predicted classes are left in
    /// ``predictions``; ``tally(into:)`` counts them against the batch's labels.
    /// - Returns: the batch's loss (the caller checks that it is finite, as for any step).
    /// - Throws: ``TensorError/nonFinite(what:index:)`` for a non-finite logit (before any
    ///   update) or gradient (after updating the parameters before it), as the layers do;
    ///   ``TensorError/invalid(_:)`` for invalid hyperparameters.
    func step() throws -> Float {
        let index = nextBatch
        precondition(index < batchCount, "DenseMLPSteps: step \(index + 1) of an epoch of \(batchCount)")
        nextBatch = index + 1
        let start = index * batchSize
        let rows = min(batchSize, orderCount - start)
        batchRows = rows
        batchIndex = index
        let rowIndices = order + start
        textclf_gather_rows(batchInput, featureAddress, rowIndices, rows, stages[0].inputs)
        for row in 0..<rows { batchLabelBuffer[row] = labels[rowIndices[row]] }
        stepped = true
        hasGradients = false
        let x = UnsafePointer(batchInput)
        forward(x, rows: rows)
        let logits = stages[stages.count - 1].affine
        let bad = textclf_first_nonfinite(logits, rows * classes)
        if bad >= 0 { throw TensorError.nonFinite(what: "CrossEntropy logits", index: bad) }
        let divisor = targetWeights(batchLabelBuffer, rows: rows)
        let loss = CPUBackend.softmaxCrossEntropy(
            logits, rows: rows, classes: classes, targets: batchLabelBuffer, weights: rowWeights, divisor: divisor,
            gradient: stages[stages.count - 1].outputGradient, scratch: scratch, argmax: predictions)
        guard loss.isFinite else { return loss }
        backward(x, rows: rows)
        hasGradients = true
        try update()
        return loss
    }

    /// The mean loss and the predictions of the model in evaluation mode (no dropout) on
    /// `dataset`, in batches of ``evaluationRows(batchSize:)``: what the layers compute for
    /// ``Trainer/evaluate(_:classWeights:)``, whose loss is NaN when a batch's logits are not
    /// finite. Call within an epoch (after ``beginEpoch(loader:batchCount:epoch:seed:epochs:)``).
    /// - Precondition: dense features of the model's width, and labels that are class indices.
    func evaluate(_ dataset: Dataset, batchSize: Int) -> (loss: Double, predictions: [Int]) {
        guard case .dense(let features) = dataset.features, features.rank == 2, features.shape[1] == stages[0].inputs else {
            preconditionFailure("DenseMLPSteps.evaluate: dense features of \(stages[0].inputs) columns")
        }
        let size = Self.evaluationRows(batchSize: batchSize)
        var predictions = [Int](repeating: 0, count: dataset.count)
        var lossSum = 0.0, weightSum = 0.0
        features.withUnsafeBufferPointer { x in
            dataset.labels.withUnsafeBufferPointer { labels in
                predictions.withUnsafeMutableBufferPointer { predictions in
                    var start = 0
                    while start < dataset.count {
                        let rows = min(size, dataset.count - start)
                        let input = x.baseAddress! + start * stages[0].inputs
                        forward(input, rows: rows, training: false)
                        let logits = stages[stages.count - 1].affine
                        let batchPredictions = predictions.baseAddress! + start
                        let batchLabels = labels.baseAddress! + start
                        var batchWeight = Double(rows)
                        if let classWeights {
                            batchWeight = 0
                            for row in 0..<rows { batchWeight += Double(classWeights[batchLabels[row]]) }
                        }
                        if textclf_first_nonfinite(logits, rows * classes) >= 0 {
                            CPUBackend.argmaxRows(logits, rows: rows, columns: classes, into: batchPredictions)
                            lossSum = .nan
                        } else {
                            let divisor = targetWeights(batchLabels, rows: rows)
                            let loss = CPUBackend.softmaxCrossEntropy(
                                logits, rows: rows, classes: classes, targets: batchLabels, weights: rowWeights, divisor: divisor,
                                gradient: stages[stages.count - 1].outputGradient, scratch: scratch, argmax: batchPredictions)
                            lossSum += Double(loss) * batchWeight
                        }
                        weightSum += batchWeight
                        start += rows
                    }
                }
            }
        }
        return (weightSum > 0 ? lossSum / weightSum : .nan, predictions)
    }

    /// Writes each row's target weight into ``rowWeights`` (ones without class weights) and
    /// returns their total: the loss's divisor.
    private func targetWeights(_ labels: UnsafePointer<Int>, rows: Int) -> Float {
        guard let classWeights else {
            // As the loss: adding up ones gives the count exactly.
            return Float(rows)
        }
        var total: Float = 0
        for row in 0..<rows {
            rowWeights[row] = classWeights[labels[row]]
            total += rowWeights[row]
        }
        return total
    }

    /// The affine maps, ReLUs and (in training) dropout masks, first stage to last.
    private func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool = true) {
        var input = x
        for (position, stage) in stages.enumerated() {
            let weight = slots[2 * position].value!, bias = slots[2 * position + 1].value!
            CPUBackend.affine(input, rows: rows, inner: stage.inputs, weight, columns: stage.outputs, bias: bias, into: stage.affine)
            let count = rows * stage.outputs
            if let activated = stage.activated {
                textclf_relu(activated, stage.affine, count)
                guard training else {
                    input = UnsafePointer(activated)
                    continue
                }
                if let dropout = stage.dropout, let buffer = stage.mask, let dropped = stage.dropped {
                    let mask: CurrentMask
                    if let masks = epochMasks, let slot = stage.maskSlot {
                        mask = masks.mask(slot: slot, batch: batchIndex)
                        dropout.maskGenerator = masks.ends[slot][batchIndex]
                    } else {
                        dropout.drawMask(into: UnsafeMutableBufferPointer(start: buffer, count: count))
                        mask = .values(UnsafePointer(buffer))
                    }
                    stage.currentMask = mask
                    mask.multiply(dropped, activated, count: count)
                }
            }
            input = UnsafePointer(stage.output)
        }
    }

    /// The gradients, last stage to first: each bias's column sums, each weight's `xᵀ · g`,
    /// and `g · Wᵀ` through the dropout mask and ReLU's gradient to the stage before.
    private func backward(_ x: UnsafePointer<Float>, rows: Int) {
        for position in stages.indices.reversed() {
            let stage = stages[position]
            let gradient = stage.outputGradient
            textclf_sum_columns(stage.biasGradient, gradient, rows, stage.outputs)
            let input = position == 0 ? x : UnsafePointer(stages[position - 1].output)
            CPUBackend.product(
                transposeA: true, transposeB: false, m: stage.inputs, n: stage.outputs, k: rows, input, leading: stage.inputs,
                gradient, leading: stage.outputs, betaZero: true, into: stage.weightGradient)
            guard position > 0 else { break }
            let previous = stages[position - 1]
            guard let incoming = previous.incomingGradient else { preconditionFailure("a stage before another is hidden") }
            CPUBackend.product(
                transposeA: false, transposeB: true, m: rows, n: stage.inputs, k: stage.outputs, gradient, leading: stage.outputs,
                slots[2 * position].value!, leading: stage.outputs, betaZero: true, into: incoming)
            let count = rows * previous.outputs
            var reaching = UnsafePointer(incoming)
            if let mask = previous.currentMask, let masked = previous.maskedGradient {
                mask.multiply(masked, incoming, count: count)
                reaching = UnsafePointer(masked)
            }
            textclf_relu_backward(previous.outputGradient, previous.affine, reaching, count)
        }
    }

    /// The optimizer's update of every parameter, in the model's order, each after checking
    /// its gradient.
    private func update() throws {
        try hyperparameters.check()
        for index in 0..<penalized.count {
            let list = UnsafeBufferPointer(rebasing: operands[(index * operandCount)..<((index + 1) * operandCount)])
            let gradient = list[1]
            let bad = textclf_first_nonfinite(gradient.baseAddress, gradient.count)
            if bad >= 0 { throw TensorError.nonFinite(what: "gradient of \(slots[index].parameter.name)", index: bad) }
            let step = steps[index] + 1
            hyperparameters.kernel(penalized: penalized[index], step: step).run(onBuffers: list)
            steps[index] = step
        }
    }

    /// Hands the optimizer its state back and leaves the last step's gradients in the
    /// parameters, as the layer-by-layer steps do. Does nothing when no step ran since the
    /// last call.
    func finish() throws {
        guard stepped else { return }
        stepped = false
        var state: [String: OptimizerParameterState] = [:]
        for (index, slot) in slots.enumerated() {
            state[slot.parameter.name] = OptimizerParameterState(step: steps[index], tensors: slot.tensors)
            slot.parameter.zeroGradient()
            if hasGradients {
                slot.parameter.gradient = try Tensor(
                    shape: slot.parameter.value.shape, values: Array(UnsafeBufferPointer(start: slot.gradient, count: slot.count)),
                    device: .cpu)
            }
        }
        try adam.loadStateDictionary(state, for: slots.map(\.parameter))
    }
}
