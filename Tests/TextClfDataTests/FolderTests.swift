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
