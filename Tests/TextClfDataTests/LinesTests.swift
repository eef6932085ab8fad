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

/// `CorpusReader.boundedMemory` drops the mapped pages as it goes and reads what a plain
/// reading reads, across many release points, in every mapped format.
@Suite("Reading with bounded memory")
struct BoundedMemoryReadingTests {
    @Test(arguments: ["jsonl", "tsv", "csv", "txt"])
    func readsWhatAPlainReadingReads(format: String) throws {
        let count = CorpusReader.documentsPerRelease * 3 + 17
        let lines = (0..<count).map { index -> String in
            let text = "document \(index) " + String(repeating: "word\(index % 7) ", count: index % 40)
            switch format {
            case "jsonl": return "{\"text\": \"\(text)\", \"label\": \"\(index % 3)\"}"
            case "tsv": return "\(text)\t\(index % 3)"
            case "csv": return "\"\(text)\",\(index % 3)"
            default: return text
            }
        }
        let header = format == "tsv" ? "text\tlabel\n" : format == "csv" ? "text,label\n" : ""
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString).\(format)")
        defer { try? FileManager.default.removeItem(at: url) }
        try (header + lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let options = CorpusOptions(labelRequired: format != "txt")
        let plain = try CorpusReader(path: url.path, options: options).readAll()
        var reader = try CorpusReader(path: url.path, options: options)
        reader.boundedMemory = true
        let bounded = try reader.readAll()
        #expect(plain.count == count)
        #expect(bounded == plain)
        // An empty file reads as in a plain reading; a file gone since is an error naming it.
        let empty = url.deletingLastPathComponent().appendingPathComponent("empty-\(UUID().uuidString).\(format)")
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data().write(to: empty)
        var emptyReader = try CorpusReader(path: empty.path, options: options)
        emptyReader.boundedMemory = true
        #expect((try? emptyReader.readAll().count) == (try? CorpusReader(path: empty.path, options: options).readAll().count))
        var missing = emptyReader
        try FileManager.default.removeItem(at: empty)
        missing.boundedMemory = true
        #expect { try missing.readAll() } throws: { "\($0)".contains(empty.path) && "\($0)".contains("no such file") }
    }
}
