import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("ARFF")
struct ARFFTests {
    @Test("the sample fixture: comments, quotes, escapes, missing values")
    func sample() throws {
        let path = SharedData.fixture("data/readers_sample.arff").path
        let reader = try CorpusReader(path: path)
        #expect(reader.format == .arff)
        let docs = try reader.readAll()
        #expect(docs.map(\.text) == [
            "BAHIA COCOA REVIEW Showers continued\nthe Bahia cocoa zone.\n    It's \"dry\".",
            "double \"quoted\" text, with a comma",
            "tab\there, backslash \\ and &#3;",
            "unquoted",
            "missing id",
            "caf\u{e9} \r\n end",
        ])
        #expect(docs.map(\.label) == ["0", "1", "1", "0", "1", "0"])
        #expect(docs.map(\.source.line) == [12, 14, 15, 16, 17, 18])
    }

    @Test("sniffed without extension; columns by name; nominal text values")
    func sniffAndNames() throws {
        let dir = try TempDir()
        let path = try dir.write(
            "weather",
            "% comment first\n@relation w\n@attribute outlook {sunny, 'over cast'}\n@attribute note STRING\n@attribute play {yes,no}\n@data\nsunny,'nice day',yes\n'over cast', \"grey\" ,no\n")
        let reader = try CorpusReader(path: path)
        #expect(reader.format == .arff)
        let docs = try reader.readAll()
        #expect(docs.map(\.text) == ["nice day", "grey"])
        #expect(docs.map(\.label) == ["yes", "no"])
        let byName = try CorpusReader(path: path, options: .init(labelColumn: .name("OUTLOOK"))).readAll()
        #expect(byName.map(\.label) == ["sunny", "over cast"])
        let byIndex = try CorpusReader(path: path, options: .init(textColumn: .index(1), labelColumn: .index(3))).readAll()
        #expect(byIndex.map(\.text) == ["sunny", "over cast"])
    }

    @Test("ARFF errors")
    func errors() throws {
        let dir = try TempDir()
        let header = "@relation r\n@attribute text string\n@attribute class {a,b}\n@data\n"
        let cases: [(String, CorpusError.Kind, Int?)] = [
            (header + "'x',a\n'y',c\n", .undeclaredLabel, 6),
            (header + "'x',?\n", .missingLabel, 5),
            (header + "'x'\n", .wrongFieldCount, 5),
            (header + "'x',a,b\n", .wrongFieldCount, 5),
            (header + "'unterminated,a\n", .unterminatedQuote, 5),
            (header + "{0 'x', 1 a}\n", .malformedARFF, 5),
            (header, .emptyCorpus, nil),
            ("@relation r\n@attribute text string\n@attribute class {a,b}\n'x',a\n", .malformedARFF, 4),
            ("@relation r\n@attribute text string\n@attribute class relational\n@data\n", .malformedARFF, 3),
            ("@relation r\n@attribute n numeric\n@attribute class {a,b}\n@data\n1,a\n", .unknownColumn, nil),
        ]
        for (index, (text, kind, line)) in cases.enumerated() {
            let path = try dir.write("e\(index).arff", text)
            let error = try #require(corpusError(path))
            #expect(error.kind == kind, "case \(index): \(error)")
            #expect(error.line == line, "case \(index): \(error)")
        }
        let path = try dir.write("u.arff", header + "'x',?\n")
        let docs = try CorpusReader(path: path, options: .init(labelRequired: false)).readAll()
        #expect(docs == [LabeledDocument(text: "x", label: nil, source: DocumentSource(path: path, line: 5))])
    }
}
