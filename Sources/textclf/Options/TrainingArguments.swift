import ArgumentParser
import Foundation
import TextClf

/// The optimizer, the training loop and the MLP: the "Training" options of `train`, `cv` and `search`.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Optimizer: sgd, adam, adamw, adagrad or rmsprop.")
    var optimizer: OptimizerKind = .adam
    @Option(help: "Learning rate.")
    var lr: Float = 0.01
    @Option(help: "Momentum (sgd and rmsprop only).")
    var momentum: Float = 0
    @Flag(help: "Nesterov momentum (sgd only, with --momentum).")
    var nesterov = false
    @Option(help: "Weight decay (decoupled for adamw, as L2 otherwise), on weights only.")
    var weightDecay: Float = 0
    @Option(help: "L1 penalty strength on weights.")
    var l1: Float = 0
    @Option(help: "L2 penalty strength on weights.")
    var l2: Float = 0
    @Option(help: "Learning-rate schedule per epoch: none, step, exponential, cosine, inverse-time or warmup.")
    var schedule: String = "none"
    @Option(help: "Schedule factor (step, exponential) or decay (inverse-time).")
    var gamma: Float = 0.5
    @Option(help: "Epochs per step (step), or the period (cosine, warmup).")
    var stepSize: Int = 1
    @Option(help: "Epochs.")
    var epochs: Int = 10
    @Option(help: "Mini-batch size.")
    var batchSize: Int = 32
    @Option(help: "Stop after this many epochs without improvement of --monitor (needs validation data).")
    var patience: Int?
    @Option(help: "What early stopping and the best model watch: val-loss, val-accuracy or val-f1.")
    var monitor: String = "val-loss"
    @Option(help: "The smallest change that counts as an improvement.")
    var minDelta: Double = 0
    @Option(help: ArgumentHelp("MLP hidden layer sizes, comma-separated (default: 64).", valueName: "sizes"))
    var hidden: String?
    @Option(help: "MLP activation: \(HelpText.choices(of: ActivationKind.self)).")
    var activation: ActivationKind = .relu
    @Option(help: "MLP dropout probability after each hidden layer.")
    var dropout: Float = 0
    @Flag(help: "MLP batch normalisation after each hidden layer.")
    var batchNorm = false
    @Flag(help: "MLP layer normalisation after each hidden layer.")
    var layerNorm = false
    @Option(help: "Weight initialiser: pytorch, xavier-uniform, xavier-normal, kaiming-uniform, kaiming-normal or zeros.")
    var initializer: InitializerKind = .pytorchDefault
    @Option(help: "Class weights in the loss: none or balanced.")
    var classWeight: String = "none"
    @Flag(help: "Sample training rows so that every class is equally likely (with replacement).")
    var balancedSampling = false
    @Option(help: "Clip the gradients' total norm to this value.")
    var clipNorm: Float?
    @Option(help: "Seed for initialisation, shuffling and dropout.")
    var seed: UInt64 = 0
    @Option(help: "BLAS threads (default: the cores).")
    var threads: Int?
    @Option(help: "Device: cpu, reference, opencl[:N] (an OpenCL device) or cuda[:N] (an NVIDIA GPU); see 'textclf info'.")
    var device: String = "cpu"
    @Option(help: "Log the mean training loss every N steps.")
    var logEvery: Int?
    @Option(help: "Train on the first N batches only, to check that the loss goes to about 0.")
    var overfitBatches: Int?

    func check() throws {
        guard epochs >= 1, batchSize >= 1 else { throw ValidationError("--epochs and --batch-size must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr))") }
        for (name, value) in [("--momentum", momentum), ("--weight-decay", weightDecay), ("--l1", l1), ("--l2", l2)] {
            guard value >= 0, value.isFinite else { throw ValidationError("\(name) must be a number, 0 or more (got \(value))") }
        }
        guard gamma >= 0, gamma.isFinite else { throw ValidationError("--gamma must be a number, 0 or more (got \(gamma))") }
        guard minDelta >= 0, minDelta.isFinite else { throw ValidationError("--min-delta must be a number, 0 or more (got \(minDelta))") }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) {
            throw ValidationError("--clip-norm must be a positive number (got \(clipNorm))")
        }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1) (got \(dropout))") }
        // Options that would do nothing are refused rather than ignored.
        if momentum != 0 && ![.sgd, .rmsprop].contains(optimizer) {
            throw ValidationError("--momentum applies to --optimizer sgd or rmsprop, not \(optimizer.rawValue)")
        }
        if nesterov && optimizer != .sgd {
            throw ValidationError("--nesterov applies to --optimizer sgd, not \(optimizer.rawValue)")
        }
        if nesterov && momentum <= 0 {
            throw ValidationError("--nesterov needs a positive --momentum (got \(momentum))")
        }
        if batchNorm && layerNorm { throw ValidationError("give --batch-norm or --layer-norm, not both") }
        _ = try hiddenSizesChecked()
        _ = try monitorValue()
        _ = try scheduleOptions()
        guard ["none", "balanced"].contains(classWeight) else { throw ValidationError("--class-weight: none or balanced") }
        _ = try Device(parsing: device)
    }

    func hiddenSizesChecked() throws -> [Int] {
        guard let hidden else { return [64] }
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--hidden: expected positive sizes separated by commas, e.g. 64,32 (got '\(hidden)')")
        }
        return sizes.map { $0! }
    }

    var hiddenSizes: [Int] { (try? hiddenSizesChecked()) ?? [64] }
    var normalization: NormalizationKind { batchNorm ? .batch : (layerNorm ? .layer : .none) }

    func monitorValue() throws -> Monitor {
        switch monitor {
        case "val-loss": return .valLoss
        case "val-accuracy": return .valAccuracy
        case "val-f1": return .valF1
        default: throw ValidationError("--monitor: val-loss, val-accuracy or val-f1 (got '\(monitor)')")
        }
    }

    func scheduleOptions() throws -> ScheduleOptions? {
        if schedule == "none" { return nil }
        guard let kind = ScheduleOptions.Kind(rawValue: schedule) else {
            throw ValidationError("--schedule: none, \(ScheduleOptions.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(schedule)')")
        }
        return ScheduleOptions(kind: kind, stepSize: stepSize, gamma: gamma, period: stepSize, decay: gamma)
    }

    func options() -> TrainingOptions {
        var options = TrainingOptions()
        options.optimizer = optimizer
        options.learningRate = lr
        options.momentum = momentum
        options.nesterov = nesterov
        options.weightDecay = weightDecay
        options.l1 = l1
        options.l2 = l2
        options.schedule = try? scheduleOptions()
        options.clipNorm = clipNorm
        options.classWeights = classWeight == "balanced" ? .balanced : nil
        options.patience = patience
        options.monitor = (try? monitorValue()) ?? .valLoss
        options.minDelta = minDelta
        options.overfitBatches = overfitBatches
        options.seed = seed
        options.logEvery = logEvery
        options.epochs = epochs
        options.batchSize = batchSize
        options.balancedSampling = balancedSampling
        return options
    }
}

extension OptimizerKind: ExpressibleByArgument {}
extension ActivationKind: ExpressibleByArgument {}
extension InitializerKind: ExpressibleByArgument {}
