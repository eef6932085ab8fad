import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("JSON Lines")
struct JSONLTests {
    @Test("escapes, surrogate pairs, blank lines, field names")
    func basics() throws {
        let dir = try TempDir()
        let lines = [
            #"{"id": 1, "text": "a\nb\tc \"q\" \\ \/ \b\f\r", "label": "pos"}"#,
            "",
            #"  {"label": "1", "nested": {"a": [1, 2.5e-3, {"b": null}], "c": "\u00e9"}, "text": "\u00e9\ud83d\ude00 caf\u00E9"}  "#,
            #"{"text": "bool", "label": "true"}"#,
            #"{"text": "raw é ☃ 😀", "label": "-2.5"}"#,
            #"{"te\u0078t": "escaped key", "label": "x", "text2": 3}"#,
            #"{"text": "lone \ud800 surrogate", "label": "x"}"#,
        ]
        let path = try dir.write("d.jsonl", lines.joined(separator: "\n") + "\r\n\n")
        let docs = try CorpusReader(path: path).readAll()
        #expect(docs.map(\.text) == [
            "a\nb\tc \"q\" \\ / \u{8}\u{c}\r", "\u{e9}\u{1F600} caf\u{e9}", "bool", "raw é ☃ 😀", "escaped key",
            "lone \u{FFFD} surrogate",
        ])
        #expect(docs.map(\.label) == ["pos", "1", "true", "-2.5", "x", "x"])
        #expect(docs.map(\.source.line) == [1, 3, 4, 5, 6, 7])

        let other = try dir.write("o.ndjson", #"{"body": "hello", "y": "a"}"# + "\n")
        let named = try CorpusReader(path: other, options: .init(textColumn: .name("body"), labelColumn: .name("y"))).readAll()
        #expect(named == [LabeledDocument(text: "hello", label: "a", source: DocumentSource(path: other, line: 1))])
        let unlabeled = try CorpusReader(path: other, options: .init(textColumn: .name("body"), labelRequired: false)).readAll()
        #expect(unlabeled[0].label == nil)
    }

    @Test("labels all of one JSON type keep their JSON text; a label of another type is refused")
    func labelTypes() throws {
        let dir = try TempDir()
        func file(_ name: String, _ labels: [String]) throws -> String {
            try dir.write(name, labels.enumerated().map { #"{"text": "d\#($0.offset)", "y": \#($0.element)}"# }.joined(separator: "\n"))
        }
        let options = CorpusOptions(labelColumn: .name("y"))
        let numbers = try file("n.jsonl", ["1", "1.0", "-2.5", "0", "1e3"])
        #expect(try CorpusReader.readAll(path: numbers, options: options).map(\.label) == ["1", "1.0", "-2.5", "0", "1e3"])
        let bools = try file("b.jsonl", ["true", "false", "true"])
        #expect(try CorpusReader.readAll(path: bools, options: options).map(\.label) == ["true", "false", "true"])
        let missing = try file("m.jsonl", ["null", "1", "null", "\"\"", "2"])
        let unlabelled = CorpusOptions(labelColumn: .name("y"), labelRequired: false)
        #expect(try CorpusReader.readAll(path: missing, options: unlabelled).map(\.label) == [nil, "1", nil, nil, "2"])

        let cases: [([String], Int, String)] = [
            (["\"pos\"", "\"neg\"", "1"], 3, "a number (1) among string labels (the first on line 1)"),
            (["null", "1", "2", "\"pos\""], 4, #"a string ("pos") among number labels (the first on line 2)"#),
            (["\"pos\"", "true"], 2, "a boolean (true) among string labels (the first on line 1)"),
            (["false", "0"], 2, "a number (0) among boolean labels (the first on line 1)"),
        ]
        for (index, (labels, line, message)) in cases.enumerated() {
            let path = try file("mixed\(index).jsonl", labels)
            let error = try #require(corpusError(path, unlabelled))
            #expect(error.kind == .invalidValue)
            #expect(error.line == line)
            #expect(error.fieldName == "y")
            #expect(error.description == "\(path):\(line): field y: \(message); write every label as a string")
        }
    }

    @Test("malformed JSON names file, line and column")
    func malformed() throws {
        let dir = try TempDir()
        let cases: [(String, CorpusError.Kind)] = [
            (#"{"text": "a", "label": "b""#, .malformedJSON),
            (#"{"text": "a" "label": "b"}"#, .malformedJSON),
            (#"{"text": "a\q", "label": "b"}"#, .malformedJSON),
            (#"{"text": "a", "label": tru}"#, .malformedJSON),
            (#"{"text": "a", "label": 01}"#, .malformedJSON),
            (#"{"text": "a", "label": "b"} x"#, .malformedJSON),
            ("{\"text\": \"a\tb\", \"label\": \"b\"}", .malformedJSON),
            (#"["text", "a"]"#, .malformedJSON),
            (#"{"text": "unterminated, "label": "b"}"#, .malformedJSON),
            (#"{"txt": "a", "label": "b"}"#, .missingText),
            (#"{"text": 5, "label": "b"}"#, .invalidValue),
            (#"{"text": "a", "label": [1]}"#, .invalidValue),
            (#"{"text": "a", "label": null}"#, .missingLabel),
            (#"{"text": "a", "label": ""}"#, .missingLabel),
            (#"{"text": "a"}"#, .missingLabel),
        ]
        for (index, (line, kind)) in cases.enumerated() {
            let path = try dir.write("m\(index).jsonl", #"{"text": "ok", "label": "1"}"# + "\n\n" + line + "\n")
            let error = try #require(corpusError(path))
            #expect(error.kind == kind, "\(line)")
            #expect(error.line == 3, "\(line)")
            #expect(error.path == path)
            #expect(error.description.hasPrefix("\(path):3: "))
        }
        let path = try dir.write("bad.jsonl", [0x7B] + Array(#""text": "a"#.utf8) + [0xFF] + Array(#"", "label": "b"}"#.utf8))
        let error = try #require(corpusError(path))
        #expect(error.kind == .invalidEncoding)
        #expect(error.byteOffset == 11)
        let replaced = try CorpusReader(path: path, options: .init(decodeErrors: .replace)).readAll()
        #expect(replaced[0].text == "a\u{FFFD}")
    }
}
