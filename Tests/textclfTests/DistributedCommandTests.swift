import Foundation
import Testing
import TextClf
import TextClfTestSupport

/// `mpirun -np 2 textclf train`: Open MPI from Debian (`scripts/install-deps.sh` installs it),
/// two ranks on this machine.
@Suite("textclf train under mpirun")
struct DistributedCommandTests {
    /// `mpirun`, when installed.
    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Two ranks, as root too (CI runs as root), however many cores.
    static var twoRanks: [String] { [mpirun ?? "mpirun", "--oversubscribe", "-np", "2"] }
    static let rootAllowed = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    /// Every tensor of a model.safetensors file, by name.
    static func weights(_ folder: String) throws -> [String: [Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
        let headerSize = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerSize))) as! [String: Any]
        var tensors: [String: [Float]] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let offsets = (entry as! [String: Any])["data_offsets"] as! [Int]
            let bytes = data.subdata(in: (8 + headerSize + offsets[0])..<(8 + headerSize + offsets[1]))
            tensors[name] = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        return tensors
    }

    /// Two ranks train the one-process model (every weight within 1e-5), in memory and
    /// streamed, for logistic regression and an MLP; rank 0 alone prints and writes.
    @Test(.enabled(if: mpirun != nil, "no mpirun (scripts/install-deps.sh installs openmpi-bin); skipped"))
    func twoRanksTrainTheOneProcessModel() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(403, seed: 31))
        let test = try folder.write("test.tsv", TrainCommandTests.corpus(100, seed: 32))
        for (name, extra) in [
            ("logreg", ["--features", "tfidf"]), ("stream", ["--features", "tfidf", "--stream", "--shuffle-buffer", "64"]),
            ("mlp", ["--model", "mlp", "--hidden", "8", "--validation-fraction", "0.2"]),
        ] {
            let arguments = ["train", train, "--test", test, "--epochs", "2", "--batch-size", "16", "--seed", "3", "--no-run-log"] + extra
            let one = folder.url.appendingPathComponent("\(name)-1").path, two = folder.url.appendingPathComponent("\(name)-2").path
            let single = try TextClfBinary.run(arguments + ["--out", one])
            #expect(single.status == 0, "\(single.standardError)")
            let parallel = try TextClfBinary.run(arguments + ["--out", two], environment: Self.rootAllowed, launcher: Self.twoRanks)
            #expect(parallel.status == 0, "\(name): \(parallel.standardError)")
            #expect(parallel.standardOutput.components(separatedBy: "saved \(two) in").count == 2, "\(name): one rank prints\n\(parallel.standardOutput)")
            #expect(parallel.standardError.contains("data-parallel: rank 0 of 2 (MPI)"), "\(parallel.standardError)")
            // The features fitted from every rank's counts are the one-process features.
            #expect(try Data(contentsOf: URL(fileURLWithPath: one + "/vectorizer.json")) == Data(contentsOf: URL(fileURLWithPath: two + "/vectorizer.json")))
            func accuracy(_ output: String) -> Double? {
                output.split(separator: "\n").first { $0.hasPrefix("test: accuracy ") }.flatMap { Double($0.dropFirst("test: accuracy ".count).prefix(6)) }
            }
            let (a, b) = (try Self.weights(one), try Self.weights(two))
            #expect(a.keys.sorted() == b.keys.sorted())
            if name == "stream" {
                // Each rank streams and shuffles its own share: another order, close accuracy.
                let (x, y) = (try #require(accuracy(single.standardOutput)), try #require(accuracy(parallel.standardOutput)))
                #expect(abs(x - y) <= 0.05 && y > 0.9, "\(x) one process, \(y) two ranks")
                continue
            }
            for (tensor, values) in a {
                let worst = zip(values, b[tensor] ?? []).map { abs($0 - $1) }.max() ?? 0
                #expect(b[tensor]?.count == values.count && worst <= 1e-5, "\(name) \(tensor): \(worst)")
            }
            #expect(accuracy(single.standardOutput) == accuracy(parallel.standardOutput), "\(name)")
        }
    }

    /// `--distributed mpi` without Open MPI says what to install.
    @Test func mpiThatCannotBeLoadedSaysWhatToInstall() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(40, seed: 3))
        let out = folder.url.appendingPathComponent("m").path
        let result = try TextClfBinary.run(
            ["train", train, "--distributed", "mpi", "--out", out, "--no-run-log"], environment: ["TEXTCLF_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("no MPI: cannot load /nonexistent/libmpi.so.40") && result.standardError.contains("install Open MPI"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let wrong = try TextClfBinary.run(["train", train, "--distributed", "nccl", "--out", out, "--no-run-log"])
        #expect(wrong.status == 64 && wrong.standardError.contains("--distributed: mpi"), "\(wrong.standardError)")
    }

    /// Killing one rank ends the whole run (mpirun says which rank), and the model trained
    /// earlier into the folder is left as it was.
    @Test(.enabled(if: mpirun != nil, "no mpirun (scripts/install-deps.sh installs openmpi-bin); skipped"))
    func killingOneRankEndsTheRunAndKeepsTheEarlierModel() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(4000, seed: 41))
        let out = folder.url.appendingPathComponent("model").path
        let first = try TextClfBinary.run(["train", train, "--epochs", "1", "--out", out, "--no-run-log", "--quiet"])
        #expect(first.status == 0, "\(first.standardError)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
        // A long run over the same folder; rank 1 is killed once it trains.
        let killer = Thread {
            for _ in 0..<600 {
                Thread.sleep(forTimeInterval: 0.05)
                if let rank1 = Self.process(rank: 1, argument: out) {
                    Thread.sleep(forTimeInterval: 0.5)
                    kill(rank1, SIGKILL)
                    return
                }
            }
        }
        killer.start()
        let result = try TextClfBinary.run(
            ["train", train, "--model", "mlp", "--hidden", "32", "--epochs", "60", "--overwrite", "--out", out, "--no-run-log", "--quiet"],
            environment: Self.rootAllowed, launcher: Self.twoRanks)
        #expect(result.status != 0)
        #expect(result.standardError.contains("rank 1") && result.standardError.contains("signal 9"), "\(result.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")) == before)
    }

    /// The process of MPI rank `rank` whose command line holds `argument`.
    static func process(rank: Int, argument: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: commandLine, as: UTF8.self).contains(argument),
                let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
