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
