import Foundation
import Testing

@testable import TextClfData

/// Every corpus format reads `\n`, `\r\n` and a lone `\r` as line ends (Python's universal
/// newlines): the same documents, labels and line numbers whichever the file uses.
@Suite("Line ends in corpora")
struct LineEndingTests {
    static let newlines = [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")]

    /// Writes `lines` joined by each kind of line end (and ending with one) and reads them back.
    static func read(
        _ lines: [String], name: String, options: CorpusOptions = .init(), in dir: TempDir
    ) throws -> [(kind: String, documents: [LabeledDocument])] {
        try newlines.map { kind, newline in
            let path = try dir.write("\(kind)-\(name)", lines.joined(separator: newline) + newline)
            return (kind, try CorpusReader(path: path, options: options).readAll())
        }
    }

    @Test("TSV: no \\r left in texts or labels, blank lines skipped, lines counted")
    func tsv() throws {
        let dir = try TempDir()
        for (kind, docs) in try Self.read(["sentence\tlabel", "good film\tpos", "", "bad film\tneg"], name: "a.tsv", in: dir) {
            #expect(docs.map(\.text) == ["good film", "bad film"], "\(kind)")
            #expect(docs.map(\.label) == ["pos", "neg"], "\(kind)")
            #expect(docs.map(\.source.line) == [2, 4], "\(kind)")
        }
        let quoting = CorpusOptions(tsvQuoting: true)
        for (kind, docs) in try Self.read(["text\tlabel", "\"one\"\tpos", "two\t\"neg\""], name: "q.tsv", options: quoting, in: dir) {
            #expect(docs.map(\.text) == ["one", "two"], "\(kind)")
            #expect(docs.map(\.label) == ["pos", "neg"], "\(kind)")
        }
    }

    @Test("TSV without a final line end: the last label has no \\r")
    func tsvLastLine() throws {
        let dir = try TempDir()
        for (kind, newline) in Self.newlines {
            let path = try dir.write("\(kind).tsv", "text\tlabel\(newline)a\tx\(newline)b\ty")
            let docs = try CorpusReader(path: path).readAll()
            #expect(docs.map(\.label) == ["x", "y"], "\(kind)")
        }
    }

    @Test("CSV: records end at any line end; quoted fields keep theirs verbatim and count them")
    func csv() throws {
        let dir = try TempDir()
        for (kind, docs) in try Self.read(["text,label", "\"hello, world\",pos", "plain,neg"], name: "a.csv", in: dir) {
            #expect(docs.map(\.text) == ["hello, world", "plain"], "\(kind)")
            #expect(docs.map(\.label) == ["pos", "neg"], "\(kind)")
            #expect(docs.map(\.source.line) == [2, 3], "\(kind)")
        }
        let path = try dir.write("inner.csv", "text,label\r\"a\rb\r\nc\nd\",pos\r\"e\"\"\",neg\rlast,x")
        let docs = try CorpusReader(path: path).readAll()
        #expect(docs.map(\.text) == ["a\rb\r\nc\nd", "e\"", "last"])
        #expect(docs.map(\.label) == ["pos", "neg", "x"])
        #expect(docs.map(\.source.line) == [2, 6, 7])
    }

    @Test("JSON Lines and ARFF read CR and CRLF files as LF ones")
    func jsonlAndARFF() throws {
        let dir = try TempDir()
        let jsonl = [#"{"text": "a", "label": "pos"}"#, "", #"{"text": "b\r", "label": "neg"}"#]
        for (kind, docs) in try Self.read(jsonl, name: "a.jsonl", in: dir) {
            #expect(docs.map(\.text) == ["a", "b\r"], "\(kind)")
            #expect(docs.map(\.label) == ["pos", "neg"], "\(kind)")
            #expect(docs.map(\.source.line) == [1, 3], "\(kind)")
        }
        let arff = ["% comment", "@relation r", "@attribute text string", "@attribute class {pos,neg}", "@data", "'good film',pos", "'bad',neg"]
        for (kind, docs) in try Self.read(arff, name: "a.arff", in: dir) {
            #expect(docs.map(\.text) == ["good film", "bad"], "\(kind)")
            #expect(docs.map(\.label) == ["pos", "neg"], "\(kind)")
            #expect(docs.map(\.source.line) == [6, 7], "\(kind)")
        }
    }

    @Test("the format of a CR-only file is sniffed from its first line")
    func sniffing() throws {
        let dir = try TempDir()
        let tsv = try dir.write("data.dat", "\r\rtext\tlabel\rgood, fine\tpos\r")
        let reader = try CorpusReader(path: tsv)
        #expect(reader.format == .tsv)
        #expect(try reader.readAll().map(\.label) == ["pos"])
        let jsonl = try dir.write("data.log", "% note\r{\"text\": \"a\", \"label\": \"b\"}\r")
        #expect(try CorpusReader(path: jsonl).format == .jsonl)
    }

    @Test("errors in CR and CRLF files name the right line")
    func errorLines() throws {
        let dir = try TempDir()
        for (kind, newline) in Self.newlines {
            let tsv = try dir.write("\(kind)-short.tsv", ["text\tlabel", "a\tx", "b"].joined(separator: newline) + newline)
            #expect(corpusError(tsv)?.line == 3, "\(kind)")
            let bad = try dir.write("\(kind)-bad.tsv", Array(["text\tlabel", "a\tx", "b\ty"].joined(separator: newline).utf8) + [0xFF, 0x09, 0x7A])
            #expect(corpusError(bad)?.line == 3, "\(kind)")
            let jsonl = try dir.write("\(kind)-bad.jsonl", [#"{"text": "a", "label": "x"}"#, "{oops"].joined(separator: newline))
            #expect(corpusError(jsonl)?.line == 2, "\(kind)")
        }
    }
}
