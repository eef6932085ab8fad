import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("Folder per label")
struct FolderTests {
    @Test("sorted labels and files, hidden entries skipped, latin-1")
    func layout() throws {
        let dir = try TempDir()
        try dir.write("corpus/b/2.txt", "b two")
        try dir.write("corpus/b/10.txt", "b ten")
        try dir.write("corpus/a/x", [0x63, 0x61, 0x66, 0xE9, 0x0A])
        try dir.write("corpus/a/.hidden", "no")
        try dir.write("corpus/.git/config", "no")
        try dir.write("corpus/README", "not a label folder")
        try dir.write("corpus/a/sub/deeper", "nested folders are skipped")
        let root = dir.path("corpus")
        let reader = try CorpusReader(path: root, options: .init(encoding: .latin1))
        #expect(reader.format == .folder)
        let docs = try reader.readAll()
        #expect(docs.map(\.label) == ["a", "b", "b"])
        #expect(docs.map(\.text) == ["caf\u{e9}\n", "b ten", "b two"])
        #expect(docs[1].source == DocumentSource(path: root + "/b/10.txt"))

        let strict = try #require(corpusError(root))
        #expect(strict.kind == .invalidEncoding)
        #expect(strict.path == root + "/a/x")
        #expect(strict.line == 1)
        #expect(strict.byteOffset == 3)
    }

    @Test("links that leave the corpus folder are skipped with one warning; links inside it and loops are harmless")
    func links() throws {
        let dir = try TempDir()
        let files = FileManager.default
        try dir.write("outside/secret.txt", "secret")
        try dir.write("corpus/a/1.txt", "one")
        try dir.write("corpus/d/2.txt", "two")
        let root = dir.path("corpus")
        func link(_ name: String, to target: String) throws {
            try files.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }
        try link("a/alias.txt", to: "1.txt")
        try link("a/leak.txt", to: "../../outside/secret.txt")
        try link("a/abs.txt", to: dir.path("outside/secret.txt"))
        try link("a/loop", to: "loop")
        try link("a/x", to: "y")
        try link("a/y", to: "x")
        try link("b", to: "../outside")
        try link("c", to: "d")
        try link("e", to: "..")
        try link("f", to: ".")
        try files.createSymbolicLink(atPath: dir.path("corpus-link"), withDestinationPath: "corpus")

        for path in [root, dir.path("corpus-link")] {
            var warnings: [String] = []
            let docs = try CorpusReader(path: path).readAll(warn: { warnings.append($0) })
            #expect(docs.map(\.label) == ["a", "a", "c", "d"])
            #expect(docs.map(\.text) == ["one", "one", "two", "two"])
            #expect(warnings == ["\(path): skipped 4 links that leave the folder (first: \(path)/a/abs.txt)"])
        }
        var warnings: [String] = []
        _ = try CorpusReader(path: dir.path("outside/..")).readAll(warn: { warnings.append($0) })
        #expect(warnings == [], "every link stays inside the parent folder")
    }

    @Test("folder errors")
    func errors() throws {
        let dir = try TempDir()
        try dir.write("flat/file.txt", "no label folders")
        #expect(corpusError(dir.path("flat"))?.kind == .noLabelFolders)
        try FileManager.default.createDirectory(atPath: dir.path("empty/a"), withIntermediateDirectories: true)
        #expect(corpusError(dir.path("empty"))?.kind == .emptyCorpus)
        let forced = #expect(throws: CorpusError.self) {
            try CorpusReader(path: dir.path("flat"), options: .init(format: .tsv))
        }
        #expect(forced?.kind == .unknownFormat)
    }
}
