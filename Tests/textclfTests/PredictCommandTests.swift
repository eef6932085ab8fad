import Foundation
import Testing
import TextClfTensor

@Suite("textclf predict: one line per document")
struct PredictCommandTests {
    /// A model whose labels hold `=` and spaces, trained on a small corpus.
    static func trainModel(in folder: TemporaryFolder) throws -> String {
        let corpus = TrainCommandTests.corpus(120, seed: 5)
            .replacingOccurrences(of: "\tpos\n", with: "\tgood = yes\n")
            .replacingOccurrences(of: "\tneg\n", with: "\tnot good\n")
        let train = try folder.write("train.tsv", corpus)
        let model = folder.url.appendingPathComponent("model").path
        let result = try TextClfBinary.run([
            "train", train, "--out", model, "--epochs", "3", "--lr", "0.1", "--seed", "1", "--quiet", "--no-run-log",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        return model
    }

    @Test func standardInputAndTextFilesGiveOneLinePerLineBlankLinesIncluded() throws {
        let folder = try TemporaryFolder()
        let model = try Self.trainModel(in: folder)
        // \n, \r\n and \r all end a line; the blank line is an empty document.
        let input = "great superb film\n\nawful, dull\r\nboring plot\rfunny, moving\n"
        let piped = try TextClfBinary.run(["predict", "--model", model, "-"], standardInput: input)
        #expect(piped.status == 0, "\(piped.standardError)")
        #expect(piped.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).count == 6, "\(piped.standardOutput)")

        let text = try folder.write("docs.txt", input)
        let file = try TextClfBinary.run(["predict", "--model", model, text])
        #expect(file.status == 0, "\(file.standardError)")
        #expect(file.standardOutput == piped.standardOutput)

        let forced = try folder.write("docs.dat", "a\tb, c\n\nd\n")
        let lines = try TextClfBinary.run(["predict", "--model", model, forced, "--format", "lines"])
        #expect(lines.status == 0, "\(lines.standardError)")
        #expect(lines.standardOutput.split(separator: "\n").count == 3, "\(lines.standardOutput)")
    }

    @Test func jsonCarriesTheInputLine() throws {
        let folder = try TemporaryFolder()
        let model = try Self.trainModel(in: folder)
        let piped = try TextClfBinary.run(["predict", "--model", model, "-", "--json"], standardInput: "great\n\ndull\n")
        #expect(piped.status == 0, "\(piped.standardError)")
        let objects = try piped.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["line"] as? Int } == [1, 2, 3])

        let tsv = try folder.write("dev.tsv", "text\tlabel\ngreat film\tx\n\nawful film\ty\n")
        let file = try TextClfBinary.run(["predict", "--model", model, tsv, "--json"])
        let fileObjects = try file.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(fileObjects.map { $0["line"] as? Int } == [2, 4], "\(file.standardOutput)")
    }

    @Test func probabilitiesStayUnambiguousForLabelsWithEqualsSignsAndSpaces() throws {
        let folder = try TemporaryFolder()
        let model = try Self.trainModel(in: folder)
        let result = try TextClfBinary.run(["predict", "--model", model, "-", "--proba"], standardInput: "great superb\n")
        #expect(result.status == 0, "\(result.standardError)")
        let fields = result.standardOutput.dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        // best, then CLASS=PROBABILITY per class; a label with '=' or spaces is a JSON string.
        #expect(fields.count == 3, "\(result.standardOutput)")
        #expect(fields.first == "\"good = yes\"", "\(result.standardOutput)")
        #expect(Array(fields.dropFirst()).map { $0.components(separatedBy: "\"=").first ?? "" } == ["\"good = yes", "\"not good"])
        let probabilities = fields.dropFirst().compactMap { Double($0.components(separatedBy: "\"=").last ?? "") }
        #expect(probabilities.count == 2 && abs(probabilities.reduce(0, +) - 1) < 1e-4, "\(result.standardOutput)")

        // report reads the quoted labels back.
        let predicted = try folder.write("predicted.txt", result.standardOutput)
        let truth = try folder.write("truth.txt", "good = yes\n")
        let report = try TextClfBinary.run(["report", "--predictions", predicted, "--truth", truth])
        #expect(report.status == 0, "\(report.standardError)")
        #expect(report.standardOutput.contains("accuracy"), "\(report.standardOutput)")
        #expect(report.standardOutput.contains("1.00"), "\(report.standardOutput)")

        let help = try TextClfBinary.run(["predict", "--help"])
        #expect(help.standardOutput.contains("JSON string"), "\(help.standardOutput)")
    }

    /// Every GPU device (`opencl:N`, PoCL in CI, and `cuda:N`) trains, predicts and reports as
    /// the CPU does.
    @Test(.enabled(if: Device.available.contains { !$0.isHost }, "no OpenCL or CUDA device (scripts/install-deps.sh installs PoCL); skipped"))
    func aGPUTrainsPredictsAndReportsAsTheCPU() throws {
        for gpu in Device.available where !gpu.isHost { try trainPredictAndReport(on: "\(gpu)") }
    }

    func trainPredictAndReport(on gpu: String) throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(300, seed: 21))
        var models: [String] = []
        for device in ["cpu", gpu] {
            let model = folder.url.appendingPathComponent("model-\(device.replacingOccurrences(of: ":", with: "-"))").path
            let result = try TextClfBinary.run(
                ["train", train, "--model", "mlp", "--hidden", "8", "--dropout", "0.2", "--validation-fraction", "0.2", "--epochs", "3",
                 "--seed", "4", "--device", device, "--out", model, "--no-run-log"])
            #expect(result.status == 0, "\(result.standardError)")
            models.append(model)
        }
        let texts = "a great film\nan awful film\nfine\n"
        var outputs: [[(label: Substring, probabilities: [Double])]] = []
        for (model, device) in [(models[0], "cpu"), (models[1], "cpu"), (models[1], gpu)] {
            let result = try TextClfBinary.run(["predict", "--model", model, "--proba", "--device", device, "-"], standardInput: texts)
            #expect(result.status == 0, "\(result.standardError)")
            outputs.append(result.standardOutput.split(separator: "\n").map { line in
                let fields = line.split(separator: "\t")
                return (fields[0], fields.dropFirst().map { Double($0.split(separator: "=")[1])! })
            })
        }
        // The model trained on OpenCL, and run there, predicts what the CPU's does.
        for other in outputs.dropFirst() {
            #expect(other.map(\.label) == outputs[0].map(\.label))
            #expect(zip(other, outputs[0]).allSatisfy { a, b in zip(a.probabilities, b.probabilities).allSatisfy { abs($0 - $1) < 1e-4 } })
        }
        let report = try TextClfBinary.run(["report", "--model", models[1], train, "--device", gpu, "--quiet", "--json", folder.url.path + "/r.json"])
        #expect(report.status == 0, "\(report.standardError)")
        let kind = gpu.hasPrefix("cuda") ? "CUDA" : "OpenCL"
        let wrong = try TextClfBinary.run(["predict", "--model", models[1], "--device", "\(gpu.prefix { $0 != ":" }):99", "-"], standardInput: texts)
        #expect(wrong.status == 1 && wrong.standardError.contains("no \(kind) device 99"), "\(wrong.standardError)")
    }

    /// Without an NVIDIA GPU (CI), `--device cuda` is refused before any work, saying what was
    /// looked for and what to install; the output folder is not made.
    @Test(.enabled(if: (try? CUDA.devices()) == nil, "an NVIDIA GPU is present; cuda opens"))
    func cudaWithoutAGPUSaysWhatToInstall() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(40, seed: 3))
        let model = folder.url.appendingPathComponent("model").path
        for device in ["cuda", "cuda:1"] {
            let result = try TextClfBinary.run(["train", train, "--device", device, "--out", model, "--no-run-log"])
            #expect(result.status != 0, "\(result.standardOutput)")
            #expect(result.standardError.contains("libcuda.so.1") && result.standardError.contains("install the NVIDIA driver"), "\(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: model))
        }
    }
}
