import Foundation
import Testing
import TextClfTestSupport

@testable import textclf

/// Replays the fuzz targets' committed inputs (`Fuzz/<target>/`, see `scripts/fuzz.sh`)
/// through the same ``FuzzTarget/run(_:in:)`` that the fuzzing build calls.
///
/// Every seed is a valid file of its format and must be read and used. Every regression input
/// is one that once crashed or misbehaved: it must be refused with a message that names the
/// file, unless its name ends in `-accepted` (a valid input that once crashed), when it must be
/// read.
@Suite("Fuzz targets: seeds read, regression inputs refused by name")
struct FuzzRegressionTests {
    static let root = SharedData.repositoryRoot.appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzTarget, _ kind: String) throws -> [URL] {
        let folder = root.appendingPathComponent(target.rawValue).appendingPathComponent(kind)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAreRead(_ target: FuzzTarget) throws {
        let seeds = try Self.inputs(target, "seeds")
        #expect(!seeds.isEmpty, "\(target.rawValue) has no seeds; run Fuzz/make-seeds.sh")
        for seed in seeds {
            let folder = try TemporaryFolder()
            let outcome = try target.run(Array(try Data(contentsOf: seed)), in: folder.url.path)
            #expect(outcome == .accepted, "\(seed.path)")
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionInputsAreRefusedByName(_ target: FuzzTarget) throws {
        for input in try Self.inputs(target, "regressions") {
            let folder = try TemporaryFolder()
            let outcome = try target.run(Array(try Data(contentsOf: input)), in: folder.url.path)
            if input.lastPathComponent.hasSuffix("-accepted") {
                #expect(outcome == .accepted, "\(input.path)")
            } else if case .refused(let message) = outcome {
                #expect(message.contains(target.fileName), "\(input.path): \(message)")
            } else {
                Issue.record("\(input.path) was read; it must be refused (or be named …-accepted)")
            }
        }
    }
}
