import ArgumentParser
import Foundation
import Testing
import TextClf
@testable import textclf

@Suite("runs show spells options as the command line does; cache clear creates nothing")
struct RunsAndCacheTruthTests {
    @Test func recordedOptionsAreSpelledAsTheCommandLineSpellsThem() throws {
        let train = try Train.parse(["data.tsv", "--out", "m", "--max-df", "0.5", "--min-df", "2", "--text", "whitespace"])
        let values = RunOptionValues.of(train)
        #expect(values["max-df"] == "0.5")
        #expect(values["min-df"] == "2")
        #expect(values["text"] == "whitespace")
        #expect(values["sublinear-tf"] == "false")
        try expectDeclaredNames(Train.self, ["data.tsv", "--out", "m"])
        try expectDeclaredNames(CrossValidate.self, ["data.tsv"])
        try expectDeclaredNames(Search.self, ["data.tsv", "--space", "lr=0.1|0.2", "--folds", "2"])
    }

    /// Every name `RunOptionValues` records for `command` is one the command declares.
    func expectDeclaredNames<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) throws {
        let declared = CommandArguments(describing: command)
        let names = Set(declared.names.values).union(declared.positionals)
        let recorded = RunOptionValues.of(try Command.parse(arguments))
        let unknown = recorded.keys.filter { !names.contains($0) }.sorted()
        #expect(unknown.isEmpty, "\(command): recorded names the command line does not have: \(unknown)")
    }

    @Test func cacheClearOnAMissingFolderCreatesNothing() throws {
        let folder = try TemporaryFolder()
        let missing = folder.url.appendingPathComponent("no/such/cache").path
        let result = try TextClfBinary.run(["cache", "clear", "--cache-dir", missing])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("no").path))
        #expect(result.standardOutput.contains(missing), "\(result.standardOutput)")
    }
}
