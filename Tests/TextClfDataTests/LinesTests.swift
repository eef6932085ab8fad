import Foundation
import Testing

@testable import TextClfData

@Suite("Lines: one unlabelled document per line")
struct LinesTests {
    static let unlabelled = CorpusOptions(labelRequired: false)

    @Test func everyLineEndIsALineEndAndBlankLinesAreDocuments() throws {
        let dir = try TempDir()
        let path = try dir.write("docs.txt", "one, two\r\n\nthree\rfour\tfive\nsix")
        #expect(try CorpusReader.detectFormat(path: path) == .lines)
        let documents = try CorpusReader.readAll(path: path, options: Self.unlabelled)
        #expect(documents.map(\.text) == ["one, two", "", "three", "four\tfive", "six"])
        #expect(documents.map(\.source.line) == [1, 2, 3, 4, 5])
        #expect(documents.allSatisfy { $0.label == nil })
    }

    @Test func theFinalLineEndEndsTheLastLineAndAddsNoDocument() throws {
        let dir = try TempDir()
        for (text, expected) in [("a\n", ["a"]), ("a\r\n", ["a"]), ("a\r", ["a"]), ("a\n\n", ["a", ""]), ("", []), ("\n", [""])] {
            let path = try dir.write("d.txt", text)
            #expect(try CorpusReader.readAll(path: path, options: Self.unlabelled).map(\.text) == expected, "\(text.debugDescription)")
            var fromBytes: [String] = []
            try CorpusReader.forEachLine(of: Array(text.utf8), name: "<stdin>") { fromBytes.append($0.text) }
            #expect(fromBytes == expected, "\(text.debugDescription)")
        }
    }

    @Test func theFormatIsForcedByNameAndNeedsNoLabels() throws {
        let dir = try TempDir()
        let path = try dir.write("docs.dat", "a\tb\nc,d\n")
        #expect(CorpusFormat(name: "lines") == .lines && CorpusFormat(name: "TXT") == .lines)
        var options = Self.unlabelled
        options.format = .lines
        #expect(try CorpusReader.readAll(path: path, options: options).map(\.text) == ["a\tb", "c,d"])
        options.labelRequired = true
        #expect(corpusError(path, options)?.kind == .missingLabel)
    }

    @Test func bytesAreDecodedWithTheOptionsAndABOMIsSkipped() throws {
        var texts: [String] = []
        try CorpusReader.forEachLine(of: [0xEF, 0xBB, 0xBF] + Array("héllo\nwörld".utf8), name: "<stdin>") { texts.append($0.text) }
        #expect(texts == ["héllo", "wörld"])
        var latin = CorpusOptions(encoding: .latin1, labelRequired: false)
        latin.format = .lines
        texts = []
        try CorpusReader.forEachLine(of: [0x63, 0x61, 0x66, 0xE9], name: "<stdin>", options: latin) { texts.append($0.text) }
        #expect(texts == ["café"])
        #expect(throws: CorpusError.self) { try CorpusReader.forEachLine(of: [0x61, 0xFF], name: "<stdin>") { _ in } }
    }
}
