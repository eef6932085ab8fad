import Foundation
import TextClf

/// The parsers and loaders that `scripts/fuzz.sh` drives with generated input, one target per
/// file format a user can hand to textclf.
///
/// Each target writes the input where the format's reader expects a file, reads it as the
/// command line would, and uses what it read once (a model predicts a row, a vectorizer
/// transforms a text). Reading either succeeds or throws an error that names the file; anything
/// else (a crash, a trap, an error that does not say which file) is a fault. The test suite
/// replays the committed seeds and regression inputs under `Fuzz/` through ``run(_:)``, and
/// the fuzzing build (`-D TEXTCLF_FUZZ`, see `scripts/fuzz.sh`) calls it from libFuzzer.
enum FuzzTarget: String, CaseIterable, Sendable {
    case tsv, csv, jsonl, arff
    /// GloVe and word2vec text embeddings, the format detected as `--embeddings` does.
    case embeddingsText = "embeddings-text"
    case word2vecBinary = "word2vec-binary"
    case pipeline
    /// A model folder: `model.json`, then ``modelSeparator``, then `model.safetensors`.
    case model
    case vectorizer, npz, npy, svmlight

    /// What reading an input came to.
    enum Outcome: Equatable {
        /// The input was read and used.
        case accepted
        /// The reader refused the input with this message.
        case refused(String)
    }

    /// Separates `model.json` from `model.safetensors` in a ``model`` input.
    static let modelSeparator = Array("\n--model.safetensors--\n".utf8)

    /// The file name the input is written to (its extension selects the reader).
    var fileName: String {
        switch self {
        case .tsv: "corpus.tsv"
        case .csv: "corpus.csv"
        case .jsonl: "corpus.jsonl"
        case .arff: "corpus.arff"
        case .embeddingsText: "vectors.txt"
        case .word2vecBinary: "vectors.bin"
        case .pipeline: "pipeline.yaml"
        case .model: "model"
        case .vectorizer: "vectorizer.json"
        case .npz: "features.npz"
        case .npy: "features.npy"
        case .svmlight: "features.svm"
        }
    }

    /// Reads `input` in a folder of its own under `directory`.
    /// - Throws: Only when the input cannot be written; a refusal by the reader is an
    ///   ``Outcome/refused(_:)``.
    func run(_ input: [UInt8], in directory: String) throws -> Outcome {
        let path = directory + "/" + fileName
        if self == .model {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let split = input.firstRange(of: Self.modelSeparator)
            try Data(input[..<(split?.lowerBound ?? input.endIndex)]).write(to: URL(fileURLWithPath: path + "/model.json"))
            try Data(split.map { input[$0.upperBound...] } ?? []).write(to: URL(fileURLWithPath: path + "/model.safetensors"))
        } else {
            try Data(input).write(to: URL(fileURLWithPath: path))
        }
        do {
            try read(path)
            return .accepted
        } catch {
            return .refused(String(describing: error))
        }
    }

    private func read(_ path: String) throws {
        switch self {
        case .tsv, .csv, .jsonl, .arff:
            var count = 0
            try CorpusReader(path: path).forEach { document in count += document.text.utf8.count }
        case .embeddingsText, .word2vecBinary:
            _ = try EmbeddingFile.parse(path: path, format: self == .word2vecBinary ? .word2vecBinary : nil)
        case .pipeline:
            _ = try PipelineFile(contentsOf: path, environment: ["HOME": "/home/fuzz"]).arguments
        case .model:
            let (model, _) = try ModelFile.load(from: path)
            let features = model.architecture.features
            let row = try CSRMatrix(
                rowCount: 2, columnCount: features, rowPointers: [0, 0, features > 0 ? 1 : 0],
                columnIndices: features > 0 ? [Int32(features - 1)] : [], values: features > 0 ? [1] : [])
            _ = try model.probabilities(.sparse(row))
        case .vectorizer:
            _ = try FittedFeatures.load(path: path).features.transform(["A short text, a SHORT text: 42 words."])
        case .npz:
            _ = try NPZArchive(contentsOf: path)
            _ = try CSRMatrix(npzAt: path)
        case .npy:
            _ = try NPYArray(contentsOf: path)
        case .svmlight:
            _ = try CSRMatrix.readSVMLight(path: path, zeroBased: nil)
        }
    }
}

#if TEXTCLF_FUZZ
/// libFuzzer's driver, from the runtime that `-sanitize=fuzzer` links.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target named by `TEXTCLF_FUZZ_TARGET` and a scratch folder for its files.
nonisolated(unsafe) private var fuzzing: (target: FuzzTarget, directory: String)!

extension FuzzTarget {
    /// Runs libFuzzer with the process's arguments over the target that `TEXTCLF_FUZZ_TARGET`
    /// names. A refusal that does not name the file is a fault, as a crash is.
    static func runFuzzer() -> CInt {
        let name = ProcessInfo.processInfo.environment["TEXTCLF_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("TEXTCLF_FUZZ_TARGET must be one of: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            return 2
        }
        let directory = NSTemporaryDirectory() + "/textclf-fuzz-\(getpid())"
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        fuzzing = (target, directory)
        // libFuzzer ends the process with exit().
        atexit { try? FileManager.default.removeItem(atPath: fuzzing.directory) }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        return LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            let input = bytes.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
            guard case .refused(let message) = try! fuzzing.target.run(input, in: fuzzing.directory) else { return 0 }
            if !message.contains(fuzzing.target.fileName) {
                fatalError("\(fuzzing.target.rawValue): a refusal that does not name the file: \(message)")
            }
            return 0
        }
    }
}
#endif
