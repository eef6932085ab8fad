import Foundation
import Testing
import TextClfIO
import TextClfTensor
import TextClfTestSupport
@testable import TextClfTraining

@Suite struct ModelFileTests {
    func trainedModel() throws -> (any Classifier, Trainer) {
        let data = separableData(rows: 60, classes: 3)
        var o = TrainingOptions()
        o.epochs = 3
        o.learningRate = 0.05
        let model = MLP(features: 8, hidden: [6], classes: 3, dropout: 0.1, normalization: .batch, seed: 1)
        let trainer = Trainer(model: model, options: o)
        try trainer.fit(train: data.sparse, validation: data.sparse)
        return (model, trainer)
    }

    @Test func roundTripPredictsIdentically() throws {
        let (model, trainer) = try trainedModel()
        let directory = temporaryDirectory()
        let document = ModelDocument(
            architecture: model.architecture, classes: ["x", "y", "z"], options: trainer.options, history: trainer.state.history,
            bestEpoch: trainer.state.earlyStopping.bestEpoch, stoppingReason: trainer.stoppingReason?.description)
        try ModelFile.save(model, document: document, to: directory)
        let (loaded, read) = try ModelFile.load(from: directory)
        #expect(read.classes == ["x", "y", "z"])
        #expect(read.history == trainer.state.history)
        #expect(loaded.architecture == model.architecture)
        let data = separableData(rows: 30, classes: 3, seed: 99)
        #expect(try loaded.probabilities(layerInput(data.sparse.features)) == model.probabilities(layerInput(data.sparse.features)))
        #expect(loaded.stateDictionary()["layers.1.running_mean"] == model.stateDictionary()["layers.1.running_mean"])
    }

    @Test func truncatedWeightsAreRefused() throws {
        let (model, _) = try trainedModel()
        let directory = temporaryDirectory()
        try ModelFile.save(model, document: ModelDocument(architecture: model.architecture, classes: ["a", "b", "c"]), to: directory)
        let path = directory + "/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        #expect {
            try ModelFile.load(from: directory)
        } throws: { error in
            let e = error as? ModelFileError
            return e?.path == path && e?.tensor != nil && "\(error)".contains("truncated")
        }
    }

    @Test func wrongVersionIsRefused() throws {
        let (model, _) = try trainedModel()
        let directory = temporaryDirectory()
        try ModelFile.save(model, document: ModelDocument(architecture: model.architecture, classes: ["a", "b", "c"]), to: directory)
        let path = directory + "/model.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 99")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ModelFile.load(from: directory)
        } throws: { error in
            (error as? ModelFileError)?.path == path && "\(error)".contains("version 99")
        }
    }

    @Test func wrongShapeIsRefused() throws {
        let directory = temporaryDirectory()
        let model = LogisticRegression(features: 4, classes: 3, seed: 0)
        try ModelFile.save(model, document: ModelDocument(architecture: model.architecture, classes: ["a", "b", "c"]), to: directory)
        var tensors = model.stateDictionary()
        tensors["layers.0.weight"] = Tensor.zeros([5, 3])
        try Safetensors.write(tensors, to: directory + "/model.safetensors")
        #expect(throws: ModelFileError.self) { try ModelFile.load(from: directory) }
    }

    @Test("impossible values in model.json are errors naming the file and the field, before any layer is built")
    func impossibleArchitectureIsRefused() throws {
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("features is -3", { json in Self.edit(&json, "architecture") { $0["features"] = -3 } }),
            ("classes is 1", { json in Self.edit(&json, "architecture") { $0["classes"] = 1 } }),
            ("2 names for an architecture of 3 classes", { $0["classes"] = ["a", "b"] }),
            ("0 names for an architecture of 3 classes", { $0["classes"] = [String]() }),
            ("'a' appears more than once", { $0["classes"] = ["a", "b", "a"] }),
            ("hidden width 0 (layer 2)", { json in Self.edit(&json, "architecture") { $0["hidden"] = [4, 0] } }),
            ("hidden width -5 (layer 1)", { json in Self.edit(&json, "architecture") { $0["hidden"] = [-5] } }),
            ("dropout is 1.5", { json in Self.edit(&json, "architecture") { $0["dropout"] = 1.5 } }),
            ("more than the weight file", { json in Self.edit(&json, "architecture") { $0["hidden"] = [100_000_000] } }),
            ("the layers' sizes overflow", { json in Self.edit(&json, "architecture") { $0["hidden"] = [Int.max / 2, 4] } }),
            ("epochsCompleted is -1", { json in Self.edit(&json, "training") { $0["epochsCompleted"] = -1 } }),
        ]
        let (model, trainer) = try trainedModel()
        for (message, edit) in edits {
            let directory = temporaryDirectory()
            let document = ModelDocument(
                architecture: model.architecture, classes: ["a", "b", "c"], options: trainer.options, history: trainer.state.history)
            var state = trainer.state
            state.bestState = nil
            var withState = document
            withState.training = state
            try ModelFile.save(model, document: withState, to: directory)
            let path = directory + "/model.json"
            var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
            #expect {
                try ModelFile.load(from: directory)
            } throws: { error in
                (error as? ModelFileError)?.path == path && "\(error)".contains(message)
            }
        }
    }

    /// Applies `change` to the object under `key` of a decoded model.json.
    static func edit(_ json: inout [String: Any], _ key: String, _ change: (inout [String: Any]) -> Void) {
        var inner = json[key] as? [String: Any] ?? [:]
        change(&inner)
        json[key] = inner
    }

    @Test("weight files are checked against model.json's checksums; predicting needs no training file, resuming needs each one listed")
    func checksumsAndTrainingFiles() throws {
        let (model, trainer) = try trainedModel()
        func saved() throws -> String {
            let directory = temporaryDirectory()
            var state = trainer.state
            state.lastState = model.stateDictionary()
            let document = ModelDocument(architecture: model.architecture, classes: ["a", "b", "c"], training: state)
            try ModelFile.save(model, document: document, to: directory)
            return directory
        }
        // A byte of a weight changed in place: the structure still reads, the checksum does not.
        let flipped = try saved()
        let weights = flipped + "/model.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: weights)))
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: weights))
        #expect {
            try ModelFile.load(from: flipped)
        } throws: { error in
            (error as? ModelFileError)?.path == weights && "\(error)".contains("the file changed after it was saved")
        }

        for name in ["optimizer.safetensors", "last.safetensors", "best.safetensors"] {
            // Missing: predicting works, resuming names the file.
            let missing = try saved()
            try FileManager.default.removeItem(atPath: missing + "/" + name)
            _ = try ModelFile.load(from: missing)
            #expect {
                try ModelFile.loadForResuming(from: missing)
            } throws: { error in
                (error as? ModelFileError)?.path == missing + "/" + name && "\(error)".contains("missing; model.json lists it")
            }
            // Damaged: the same.
            let damaged = try saved()
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: damaged + "/" + name))
            _ = try ModelFile.load(from: damaged)
            #expect(throws: ModelFileError.self) { try ModelFile.loadForResuming(from: damaged) }
        }
        let whole = try ModelFile.loadForResuming(from: try saved())
        #expect(whole.document.training?.optimizerState?.isEmpty == false)
        #expect(whole.document.training?.bestState != nil && whole.document.training?.lastState != nil)
    }

    @Test func readsPythonWrittenFile() throws {
        let (tensors, metadata) = try Safetensors.read(path: SharedData.fixture("training/python.safetensors").path)
        #expect(metadata["note"] == "fixture")
        #expect(tensors["layers.0.weight"]?.shape == [3, 3])
        #expect(tensors["layers.0.weight"]?.scalars == (0..<9).map { Float($0) / 4 - 1 })
        #expect(tensors["layers.0.bias"]?.scalars == [0.5, -0.25, 1e-3])
    }

    @Test func pythonReadsOurFile() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import safetensors.numpy, numpy"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { return }  // python3 with safetensors unavailable: skip
        let directory = temporaryDirectory()
        let model = MLP(features: 5, hidden: [4], classes: 3, normalization: .batch, seed: 11)
        try Safetensors.write(model.stateDictionary(), metadata: ["format": "pt"], to: directory + "/m.safetensors")
        let script = """
            import sys
            from safetensors.numpy import load_file
            for k, v in sorted(load_file(sys.argv[1]).items()):
                print(k, "x".join(map(str, v.shape)), ",".join(repr(float(x)) for x in v.ravel()))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory + "/m.safetensors"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let state = model.stateDictionary()
        let lines = output.split(separator: "\n")
        #expect(lines.count == state.count)
        for line in lines {
            let parts = line.split(separator: " ")
            let tensor = try #require(state[String(parts[0])])
            #expect(parts.count == 3)
            #expect(parts[1] == tensor.shape.map(String.init).joined(separator: "x"))
            let values = parts.last!.split(separator: ",").map { Float(Double($0)!) }
            #expect(values == tensor.scalars)
        }
    }
}
