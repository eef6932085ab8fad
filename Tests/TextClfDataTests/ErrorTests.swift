import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("Bad input")
struct ErrorTests {
    @Test("delimited-file errors name file, line and field")
    func delimited() throws {
        let dir = try TempDir()
        func check(
            _ name: String, _ text: String, _ kind: CorpusError.Kind, line: Int?, field: Int? = nil,
            options: CorpusOptions = .init(), sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> CorpusError? {
            let path = try dir.write(name, text)
            guard let error = corpusError(path, options, sourceLocation: sourceLocation) else { return nil }
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
            #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == path, sourceLocation: sourceLocation)
            return error
        }
        _ = try check("fields.tsv", "sentence\tlabel\na\t1\nb\n", .wrongFieldCount, line: 3)
        _ = try check("fields2.csv", "text,label\na,1\nb,2,3\n", .wrongFieldCount, line: 3)
        _ = try check("headerless.tsv", "1\taaaa\n0\tbbbb\tc\n", .wrongFieldCount, line: 2)
        let missing = try check("label.tsv", "sentence\tlabel\na\t1\nb\t\n", .missingLabel, line: 3, field: 2)
        #expect(missing?.description.hasSuffix("label.tsv:3: field 2 (label): missing label") == true)
        _ = try check(
            "quote.csv", "text,label\na,1\n\"open\nstill open,2\nmore\n", .unterminatedQuote, line: 3, field: 1)
        _ = try check("empty.tsv", "", .emptyCorpus, line: nil)
        _ = try check("blank.csv", "\n\r\n\n", .emptyCorpus, line: nil)
        _ = try check("onlyheader.tsv", "sentence\tlabel\n", .emptyCorpus, line: nil)
        let unknown = try check(
            "unknown.tsv", "sentence\tlabel\na\t1\n", .unknownColumn, line: 1,
            options: .init(textColumn: .name("body")))
        #expect(unknown?.message.contains("'sentence', 'label'") == true)
        _ = try check(
            "range.tsv", "sentence\tlabel\na\t1\n", .columnOutOfRange, line: 1, options: .init(labelColumn: .index(3)))
        _ = try check(
            "noheader.tsv", "a\t1\n", .unknownColumn, line: 1,
            options: .init(header: .absent, textColumn: .name("text")))
        _ = try check("weird", "no delimiter here\n", .unknownFormat, line: 1)
        let nolabel = try check("test.tsv", "index\tsentence\n0\tsome text\n", .missingLabel, line: 1)
        #expect(nolabel?.message.contains("'index', 'sentence'") == true)
        #expect(nolabel?.localizedDescription == nolabel?.description)
        #expect(corpusError(dir.path("does/not/exist.tsv"))?.kind == .fileNotFound)
        #expect(corpusError(dir.path("missing-dir"))?.kind == .fileNotFound)
        let jsonIndex = try dir.write("x.jsonl", #"{"text": "a", "label": 1}"#)
        #expect(corpusError(jsonIndex, .init(textColumn: .index(1)))?.kind == .invalidOption)
    }

    @Test("a label holding a tab, line feed or carriage return is refused in every format")
    func labelSeparators() throws {
        let dir = try TempDir()
        func check(
            _ path: String, line: Int?, field: Int?, fieldName: String?, options: CorpusOptions = .init(),
            sourceLocation: SourceLocation = #_sourceLocation
        ) -> CorpusError? {
            guard let error = corpusError(path, options, sourceLocation: sourceLocation) else { return nil }
            #expect(error.kind == .invalidValue, "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == path, sourceLocation: sourceLocation)
            #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
            #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
            #expect(error.fieldName == fieldName, "\(error)", sourceLocation: sourceLocation)
            return error
        }
        let tsv = try dir.write("q.tsv", "text\tlabel\nfine\tok\nhello\t\"a\tb\"\n")
        let tab = check(tsv, line: 3, field: 2, fieldName: "label", options: .init(tsvQuoting: true))
        #expect(tab?.description == #"\#(tsv):3: field 2 (label): label "a\tb" holds a tab; a label may not hold a tab, line feed or carriage return"#)
        let csv = try dir.write("q.csv", "text,label\nhello,\"a\nb\"\nthere,c\n")
        let newline = check(csv, line: 2, field: 2, fieldName: "label")
        #expect(newline?.message.hasPrefix(#"label "a\nb" holds a line feed;"#) == true)
        let cr = try dir.write("r.csv", "label,text\n\"a\rb\",hello\n")
        #expect(check(cr, line: 2, field: 1, fieldName: "label")?.message.contains("holds a carriage return") == true)
        let jsonl = try dir.write("t.jsonl", #"{"text": "x", "label": "a"}"# + "\n" + #"{"text": "y", "label": "a\tb"}"# + "\n")
        _ = check(jsonl, line: 2, field: nil, fieldName: "label")
        let unlabelled = check(jsonl, line: 2, field: nil, fieldName: "label", options: .init(labelRequired: false))
        #expect(unlabelled?.message.contains("holds a tab") == true)
        let arff = try dir.write(
            "t.arff", "@relation r\n@attribute text string\n@attribute class {'a\\tb', c}\n@data\n'x',c\n'y','a\\tb'\n")
        _ = check(arff, line: 6, field: 2, fieldName: "class")
        try dir.write("folder/a\tb/1.txt", "text")
        try dir.write("folder/c/1.txt", "text")
        let folderError = corpusError(dir.path("folder"))
        #expect(folderError?.kind == .invalidValue)
        #expect(folderError?.path == dir.path("folder/a\tb"))
        #expect(folderError?.line == nil)
        #expect(folderError?.description == #"\#(dir.path("folder/a\tb")): label "a\tb" holds a tab; a label may not hold a tab, line feed or carriage return"#)
    }

    @Test("format detection by extension, sniffing and forcing")
    func detection() throws {
        let dir = try TempDir()
        #expect(try CorpusReader.detectFormat(path: dir.write("a.TSV", "x\ty\n")) == .tsv)
        #expect(try CorpusReader.detectFormat(path: dir.write("a.json", "{}\n")) == .jsonl)
        #expect(try CorpusReader.detectFormat(path: dir.write("a.ndjson", "{}\n")) == .jsonl)
        #expect(try CorpusReader.detectFormat(path: dir.write("plain1", "\n{\"text\": 1}\n")) == .jsonl)
        #expect(try CorpusReader.detectFormat(path: dir.write("plain2", "a,b\n")) == .csv)
        #expect(try CorpusReader.detectFormat(path: dir.write("plain3", "a,b\tc\n")) == .tsv)
        #expect(try CorpusReader.detectFormat(path: dir.write("plain4", "%c\n@RELATION x\n")) == .arff)
        #expect(try CorpusReader.detectFormat(path: dir.write("plain5", "a,b\n"), forced: .tsv) == .tsv)
        let options = CorpusOptions(format: .csv, textColumn: .index(1), labelColumn: .name("label"))
        let decoded = try JSONDecoder().decode(CorpusOptions.self, from: JSONEncoder().encode(options))
        #expect(decoded == options)
    }
}
