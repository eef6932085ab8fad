import ArgumentParser
import Foundation
import Testing
import TextClf
@testable import textclf

@Suite("Help and pipeline messages name what the tool accepts")
struct HelpTruthTests {
    @Test func helpNamesEveryFeatureKindAndActivation() throws {
        let help = try TextClfBinary.run(["help", "train"]).standardOutput.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "  +", with: " ", options: .regularExpression)
        for kind in FeatureKind.allCases { #expect(help.contains(kind.rawValue), "--features help lacks \(kind.rawValue)") }
        let activation = try #require(help.range(of: "--activation <activation>")).upperBound
        let line = help[activation...].prefix { $0 != "." }
        for kind in ActivationKind.allCases { #expect(line.contains(kind.rawValue), "--activation help lacks \(kind.rawValue): \(line)") }
        // The sentence of --features's help itself, not ArgumentParser's list of values after it.
        let features = try #require(help.range(of: "--features <features>")).upperBound
        let sentence = help[features...].prefix { $0 != "." }
        #expect(sentence.contains("glove"), "\(sentence)")
    }

    @Test func aPipelineWhoseSharedDataIsMissingNamesTheVariable() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(
            "p.yaml", "data:\n  train: ${TEXTCLF_SHARED_DATA:-no-shared-data}/sst2/train.tsv\ntraining:\n  epochs: 1\n")
        let result = try TextClfBinary.run(
            ["train", "--pipeline", path, "--out", folder.url.appendingPathComponent("m").path, "--no-run-log"],
            environment: ["TEXTCLF_SHARED_DATA": ""])
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("\(path):2: data.train"), "\(result.standardError)")
        #expect(result.standardError.contains("TEXTCLF_SHARED_DATA"), "\(result.standardError)")
        #expect(!result.standardError.contains("Usage:"))
    }
}

@Suite("textclf info: OpenBLAS kernels and subnormal floats")
struct InfoCommandTests {
    @Test func kernelChoiceFollowsTheCPUsInstructions() {
        // OpenBLAS's generic kernels on CPUs with AVX-512 or AVX2: the better ones.
        #expect(BLASCore.better(than: "Prescott", cpu: .avx512) == "SkylakeX")
        #expect(BLASCore.better(than: "Haswell", cpu: .avx512) == "SkylakeX")
        #expect(BLASCore.better(than: "Prescott", cpu: .avx2) == "Haswell")
        #expect(BLASCore.better(than: "Sandybridge", cpu: .avx2) == "Haswell")
        // Kernels made for what the CPU has, or more, stay.
        for (core, cpu) in [("SkylakeX", BLASCore.Level.avx512), ("Cooperlake", .avx512), ("Zen", .avx2), ("Haswell", .avx2),
                            ("SkylakeX", .avx2), ("Prescott", .avx), ("Prescott", .baseline)] {
            #expect(BLASCore.better(than: core, cpu: cpu) == nil, "\(core) on \(cpu)")
        }
        #expect(BLASCore.level(ofCore: "skylakex") == .avx512 && BLASCore.level(ofCore: "ZEN") == .avx2)
    }

    @Test func infoNamesTheKernelsAndWhy() throws {
        let result = try TextClfBinary.run(["info"])
        #expect(result.status == 0, "\(result.standardError)")
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("OpenBLAS kernels: ") })
        let core = String(line.dropFirst("OpenBLAS kernels: ".count).prefix { $0 != " " })
        // Unless the environment names a core: what runs is never made for less than the CPU
        // has, where a better core exists.
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            #expect(BLASCore.better(than: core, cpu: BLASCore.cpuLevel) == nil, "\(line)")
        }
        #expect(line.contains("the CPU has \(BLASCore.cpuLevel)"), "\(line)")
        #expect(result.standardOutput.contains("subnormal floats: flushed to zero") || BLASCore.cpuLevel == .baseline, "\(result.standardOutput)")
        // A core named in the environment wins and is said to be.
        let forced = try TextClfBinary.run(["info"], environment: ["OPENBLAS_CORETYPE": core])
        #expect(forced.standardOutput.contains("OpenBLAS kernels: \(core) (OPENBLAS_CORETYPE=\(core) in the environment"), "\(forced.standardOutput)")
    }

    @Test func infoListsOpenCLDevicesOrSaysWhatToInstall() throws {
        let result = try TextClfBinary.run(["info"])
        #expect(result.status == 0, "\(result.standardError)")
        let listed = result.standardOutput.contains("OpenCL devices:\n  opencl:0  ")
        let none = result.standardOutput.contains("OpenCL devices: none (")
        #expect(listed != none, "\(result.standardOutput)")
        // CUDA devices, NVRTC and cuBLAS each have a line: what was found, or what to install.
        for line in ["\nCUDA devices:", "\nNVRTC: ", "\ncuBLAS: "] {
            #expect(result.standardOutput.contains(line), "\(line) in \(result.standardOutput)")
        }
        // The ICD loader with no vendor files: no platform, and what to install.
        let folder = try TemporaryFolder()
        let empty = try TextClfBinary.run(["info"], environment: ["OCL_ICD_VENDORS": folder.url.path])
        #expect(empty.status == 0, "\(empty.standardError)")
        #expect(empty.standardOutput.contains("OpenCL devices: none ("), "\(empty.standardOutput)")
        #expect(empty.standardOutput.contains("install pocl-opencl-icd (and ocl-icd-libopencl1) for CPUs, or your GPU vendor's OpenCL driver"), "\(empty.standardOutput)")
    }
}
