import Foundation
import TextClfFeatures
import TextClfIO
import TextClfNN
import TextClfTensor

/// The contents of `model.json`.
public struct ModelDocument: Sendable, Codable {
    /// Always ``ModelFile/format``.
    public var format: String
    /// The layout version, ``ModelFile/version``.
    public var version: Int
    /// The model's layers.
    public var architecture: ModelArchitecture
    /// The label names in class-index order.
    public var classes: [String]
    /// The training settings, if trained here.
    public var options: TrainingOptions?
    /// Per-epoch records.
    public var history: [EpochRecord]
    /// The 1-based best epoch, if known.
    public var bestEpoch: Int?
    /// Why training ended, as a sentence.
    public var stoppingReason: String?
    /// The vectorizer file in the same directory (`vectorizer.json`), if saved.
    public var vectorizer: String?
    /// The standardizer file in the same directory (`standardizer.json`), if saved.
    public var standardizer: String?
    /// The resumable training state (`nil` for a finished model).
    public var training: TrainingState?
    /// How `model.safetensors` lays out weights, for readers in other languages.
    public var weightLayout: String
    /// The command-line arguments that define the run (`textclf train`'s, without the model
    /// folder and output settings; paths absolute), which `train --resume` restores; `nil`
    /// for a model made otherwise.
    public var arguments: [String]?
    /// The weight files saved beside `model.json`, each with the CRC-32 of its bytes
    /// (``Safetensors/checksum(_:)``), checked when read; `nil` for a folder written without.
    public var files: [String: String]?

    /// Creates a document.
    public init(
        architecture: ModelArchitecture, classes: [String], options: TrainingOptions? = nil, history: [EpochRecord] = [],
        bestEpoch: Int? = nil, stoppingReason: String? = nil, vectorizer: String? = nil, standardizer: String? = nil,
        training: TrainingState? = nil
    ) {
        format = ModelFile.format
        version = ModelFile.version
        weightLayout = ModelFile.weightLayout
        self.architecture = architecture
        self.classes = classes
        self.options = options
        self.history = history
        self.bestEpoch = bestEpoch
        self.stoppingReason = stoppingReason
        self.vectorizer = vectorizer
        self.standardizer = standardizer
        self.training = training
    }
}

/// A model directory: `model.safetensors` (weights and buffers), `model.json` (everything
/// else), and optionally `vectorizer.json` (``FittedFeatures/encodedFile(labels:)``),
/// `standardizer.json` and, for a resumable checkpoint, `best.safetensors` (the best
/// epoch's weights).
///
/// **Weight layout.** Tensors are named as the model's parameters and buffers
/// (`layers.0.weight`, `layers.0.bias`, `layers.1.running_mean`, …) and stored exactly as
/// held: `Linear` weights are `[in, out]` (`y = x · W + b`), the transpose of PyTorch's
/// `nn.Linear.weight`. One layout only, so the file never disagrees with itself; a PyTorch
/// loader transposes: `state[k] = torch.from_numpy(v.T) if k.endswith("weight") and v.ndim == 2`.
///
/// Every file is written atomically (temporary file, then rename).
public enum ModelFile {
    /// The `format` of `model.json`.
    public static let format = "textclf-model"
    /// The `version` this build reads and writes.
    public static let version = 1
    /// The sentence stored in `model.json`'s `weightLayout`.
    public static let weightLayout = "Linear weights are [in, out] (y = x @ W + b), the transpose of PyTorch's nn.Linear.weight"

    /// Writes `model` and `document` (plus optional vectorizer and standardizer JSON) into
    /// `directory`, creating it if needed. The document's architecture is the model's.
    ///
    /// The files go through one ``AtomicFile/Batch``: all are written and flushed before any
    /// is moved into place, `model.json` last. Temporary files that a killed save left in the
    /// folder are removed first (see ``TemporaryFile``). Files a caller added to `batch` first (say, a
    /// feature description) are committed with them, before them.
    /// - Throws: file-system errors (``TensorFileError``) or encoding errors; files not yet
    ///   moved into place are removed, and the targets keep their old contents.
    public static func save(
        _ model: any Classifier, document: ModelDocument, to directory: String, vectorizer: FittedFeatures? = nil,
        standardizerJSON: Data? = nil, batch: AtomicFile.Batch = AtomicFile.Batch()
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Temporary files of an earlier save that was killed; this save's own are held.
        TemporaryFile.removeStale(in: directory)
        var document = document
        document.architecture = model.architecture
        document.format = format
        document.version = version
        if let vectorizer {
            try batch.add(try vectorizer.encodedFile(labels: document.classes), to: path(directory, "vectorizer.json"))
            document.vectorizer = "vectorizer.json"
        }
        if let standardizerJSON {
            try batch.add(standardizerJSON, to: path(directory, "standardizer.json"))
            document.standardizer = "standardizer.json"
        }
        var files: [String: String] = [:]
        func add(_ bytes: [UInt8], _ name: String) throws {
            files[name] = Safetensors.checksum(bytes)
            try batch.add(bytes, to: path(directory, name))
        }
        if let best = document.training?.bestState {
            try add(try Safetensors.encode(best, metadata: ["format": "pt"]), "best.safetensors")
        }
        if let last = document.training?.lastState {
            try add(try Safetensors.encode(last, metadata: ["format": "pt"]), "last.safetensors")
        } else {
            _ = unlink(path(directory, "last.safetensors"))  // an earlier run's; none is fine
        }
        if let optimizerState = document.training?.optimizerState {
            // Tensor `<parameter>/<i>` is the parameter's i-th state tensor; metadata `step:<parameter>`
            // its step count.
            var tensors: [String: Tensor] = [:]
            var metadata: [String: String] = ["format": "textclf-optimizer-state"]
            for (name, entry) in optimizerState {
                metadata["step:" + name] = String(entry.step)
                for (index, tensor) in entry.tensors.enumerated() { tensors["\(name)/\(index)"] = tensor }
            }
            try add(try Safetensors.encode(tensors, metadata: metadata), "optimizer.safetensors")
        }
        try add(try Safetensors.encode(model.stateDictionary(), metadata: ["format": "pt"]), "model.safetensors")
        document.files = files
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // model.json last: its presence marks a complete directory.
        try batch.add(try encoder.encode(document), to: path(directory, "model.json"))
        try batch.commit()
    }

    /// Reads a model directory: checks `model.json`'s format and version, rebuilds the model
    /// from its architecture and loads `model.safetensors`, checking every tensor's name and
    /// shape, and its checksum when `model.json` records one. The training files (best, last
    /// and optimizer state) are not read: predicting needs none of them.
    /// - Throws: ``ModelFileError`` naming the file (and tensor) at fault.
    public static func load(from directory: String) throws -> (model: any Classifier, document: ModelDocument) {
        let jsonPath = path(directory, "model.json")
        guard let data = FileManager.default.contents(atPath: jsonPath) else {
            throw ModelFileError(path: jsonPath, message: "no such file or not readable")
        }
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw ModelFileError(path: jsonPath, message: "not valid JSON")
        }
        guard header.format == format else {
            throw ModelFileError(path: jsonPath, message: "not a textclf model (format '\(header.format ?? "missing")')")
        }
        guard header.version == version else {
            throw ModelFileError(path: jsonPath, message: "model format version \(header.version.map(String.init) ?? "missing"); this textclf reads version \(version)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var document: ModelDocument
        do {
            document = try decoder.decode(ModelDocument.self, from: data)
        } catch {
            throw ModelFileError(path: jsonPath, message: "bad model description: \(error)")
        }
        let weightsPath = path(directory, "model.safetensors")
        // A missing weight file is reported by the load below.
        let weightBytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath))?[.size] as? Int
        if let problem = document.architecture.problem(classNames: document.classes, storedBytes: weightBytes) {
            throw ModelFileError(path: jsonPath, message: problem)
        }
        if let epochs = document.training?.epochsCompleted, epochs < 0 {
            throw ModelFileError(path: jsonPath, message: "training: epochsCompleted is \(epochs); it must be at least 0")
        }
        let model = document.architecture.makeModel(seed: 0)
        try loadWeights(into: model, path: weightsPath, checksum: document.files?["model.safetensors"])
        if let partial = document.training?.partialEpoch, let problem = partial.problem(for: model) {
            throw ModelFileError(path: jsonPath, message: problem)
        }
        model.isTraining = false
        return (model, document)
    }

    /// Reads a model directory to continue training it: like ``load(from:)``, but the model
    /// holds the weights of the last completed epoch (`last.safetensors`, when the saved model
    /// is the best epoch's), so that the run continues where it stopped, and the document's
    /// training state holds the best weights and the optimizer state. Every training file that
    /// `model.json` lists must be present and unchanged.
    /// - Throws: ``ModelFileError`` naming the file at fault, or when the directory holds no
    ///   resumable state.
    public static func loadForResuming(from directory: String) throws -> (model: any Classifier, document: ModelDocument) {
        var (model, document) = try load(from: directory)
        guard document.training != nil else {
            throw ModelFileError(path: path(directory, "model.json"), message: "holds no training state to resume")
        }
        // The training files: each one model.json lists must be there, unchanged (a folder
        // written without the list has whichever its run saved).
        func read(_ name: String) throws -> (tensors: [String: Tensor], metadata: [String: String])? {
            let file = path(directory, name)
            if let files = document.files {
                guard let checksum = files[name] else { return nil }
                guard FileManager.default.fileExists(atPath: file) else {
                    throw ModelFileError(path: file, message: "missing; model.json lists it, and --resume needs it to continue the run exactly")
                }
                return try Safetensors.read(path: file, checksum: checksum)
            }
            return FileManager.default.fileExists(atPath: file) ? try Safetensors.read(path: file) : nil
        }
        if let best = try read("best.safetensors")?.tensors {
            try check(best, against: model.architecture, path: path(directory, "best.safetensors"))
            document.training?.bestState = best
        }
        if let last = try read("last.safetensors")?.tensors {
            try check(last, against: model.architecture, path: path(directory, "last.safetensors"))
            document.training?.lastState = last
            try model.loadStateDictionary(last, source: path(directory, "last.safetensors"))
        }
        if let optimizer = try read("optimizer.safetensors") {
            document.training?.optimizerState = try optimizerState(optimizer, path: path(directory, "optimizer.safetensors"))
        }
        return (model, document)
    }

    /// The optimizer state in the contents of `optimizer.safetensors` read from `path` (see
    /// ``save(_:document:to:vectorizer:standardizerJSON:batch:)``).
    static func optimizerState(
        _ file: (tensors: [String: Tensor], metadata: [String: String]), path: String
    ) throws -> [String: OptimizerParameterState] {
        let (tensors, metadata) = file
        var state: [String: OptimizerParameterState] = [:]
        for (key, value) in metadata where key.hasPrefix("step:") {
            let name = String(key.dropFirst(5))
            guard let step = Int(value) else {
                throw ModelFileError(path: path, message: "metadata '\(key)' is not a step count ('\(value)')")
            }
            var slots: [Tensor] = []
            while let tensor = tensors["\(name)/\(slots.count)"] { slots.append(tensor) }
            state[name] = OptimizerParameterState(step: step, tensors: slots)
        }
        return state
    }

    /// Loads and checks a weight file into `model`.
    static func loadWeights(into model: any Classifier, path: String, checksum: String? = nil) throws {
        let tensors = try Safetensors.read(path: path, checksum: checksum).tensors
        try check(tensors, against: model.architecture, path: path)
        try model.loadStateDictionary(tensors, source: path)
    }

    /// Checks that `tensors` holds exactly the architecture's tensors with their shapes.
    static func check(_ tensors: [String: Tensor], against architecture: ModelArchitecture, path: String) throws {
        let expected = architecture.tensorShapes()
        for (name, shape) in expected {
            guard let tensor = tensors[name] else { throw ModelFileError(path: path, tensor: name, message: "missing") }
            guard tensor.shape == shape else {
                throw ModelFileError(path: path, tensor: name, message: "shape \(tensor.shape) does not match the architecture's \(shape)")
            }
        }
        let known = Set(expected.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelFileError(path: path, tensor: extra, message: "not part of the \(architecture.kind.rawValue) architecture")
        }
    }

    private static func path(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }
}
