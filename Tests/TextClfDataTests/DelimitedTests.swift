import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("TSV and CSV")
struct DelimitedTests {
    @Test("CSV quoting matches Python's csv module")
    func csvMatchesPython() throws {
        let path = SharedData.fixture("data/readers_tricky.csv").path
        let expected = try JSONDecoder().decode(
            [[String]].self, from: Data(contentsOf: SharedData.fixture("data/readers_tricky_csv.json")))
        let reader = try CorpusReader(path: path)
        #expect(reader.format == .csv)
        let docs = try reader.readAll()
        #expect(docs.map(\.text) == expected.dropFirst().map { $0[0] })
        #expect(docs.map(\.label) == expected.dropFirst().map { $0[1] })
        #expect(docs.map(\.source.line) == [2, 3, 4, 6, 7, 8, 9, 10])
        #expect(docs[0].source.path == path)
    }

    @Test("TSV keeps quotes and trailing spaces byte for byte; CRLF line ends")
    func tsvRaw() throws {
        let dir = try TempDir()
        let path = try dir.write("a.tsv", "sentence \tlabel\r\n\"quoted\" start \t1\r\n\r\nit 's \"fine\" \t0\r\n")
        let docs = try CorpusReader(path: path).readAll()
        #expect(docs.map(\.text) == ["\"quoted\" start ", "it 's \"fine\" "])
        #expect(docs.map(\.label) == ["1", "0"])
        #expect(docs.map(\.source.line) == [2, 4])

        let quoted = try dir.write("q.tsv", "text\tlabel\n\"a\ttab\nand newline\"\tx\n\"say \"\"hi\"\"\"\ty\n")
        let raw = try CorpusReader(path: quoted).readAll()
        #expect(raw.map(\.text) == ["\"a", "and newline\"", "\"say \"\"hi\"\"\""])
        #expect(raw.map(\.label) == ["tab", "x", "y"])
        let docs2 = try CorpusReader(path: quoted, options: .init(tsvQuoting: true)).readAll()
        #expect(docs2.map(\.text) == ["a\ttab\nand newline", "say \"hi\""])
        #expect(docs2.map(\.source.line) == [2, 4])
    }

    @Test("header detection and columns by name or index")
    func columns() throws {
        let dir = try TempDir()
        let path = try dir.write("h.csv", "id,Review,Sentiment\n1,great film,pos\n2,bad film,neg\n")
        let docs = try CorpusReader(path: path).readAll()
        #expect(docs.map(\.text) == ["great film", "bad film"])
        #expect(docs.map(\.label) == ["pos", "neg"])

        let byIndex = try CorpusReader(path: path, options: .init(textColumn: .index(2), labelColumn: .index(1))).readAll()
        #expect(byIndex.map(\.label) == ["1", "2"])
        let byName = try CorpusReader(path: path, options: .init(textColumn: .name("review"), labelColumn: .name("id"))).readAll()
        #expect(byName.map(\.label) == ["1", "2"])

        // Header present but no label-like name, labels optional: label is nil.
        let nolabel = try dir.write("n.csv", "id,text\n1,hello\n2,world\n")
        let unlabeled = try CorpusReader(path: nolabel, options: .init(labelRequired: false)).readAll()
        #expect(unlabeled.map(\.text) == ["hello", "world"])
        #expect(unlabeled.allSatisfy { $0.label == nil })

        // Forced header absent: the header row is data.
        let absent = try CorpusReader(path: path, options: .init(header: .absent, textColumn: .index(2), labelColumn: .index(3))).readAll()
        #expect(absent.count == 3)
        #expect(absent[0].text == "Review")
    }

    @Test("headerless column heuristic: longest text, fewest distinct labels")
    func heuristic() throws {
        let dir = try TempDir()
        let path = try dir.write(
            "SMSLike", "ham\tGo until jurong point, crazy..\t7\nspam\tFree entry in 2 a wkly comp\t8\nham\tOk lar...\t9\n")
        let reader = try CorpusReader(path: path)
        #expect(reader.format == .tsv)
        let docs = try reader.readAll()
        #expect(docs.map(\.label) == ["ham", "spam", "ham"])
        #expect(docs[2].text == "Ok lar...")
        #expect(docs[0].source.line == 1)

        let single = try dir.write("single.tsv", "only text\nmore text\n")
        let error = try #require(corpusError(single))
        #expect(error.kind == .missingLabel)
        let texts = try CorpusReader(path: single, options: .init(labelRequired: false)).readAll()
        #expect(texts.map(\.text) == ["only text", "more text"])
    }

    @Test("streaming forEach stops at the body's error")
    func streaming() throws {
        struct Stop: Error {}
        let dir = try TempDir()
        let path = try dir.write("s.tsv", "text\tlabel\na\t1\nb\t2\nc\t3\n")
        var seen: [String] = []
        #expect(throws: Stop.self) {
            try CorpusReader(path: path).forEach { doc in
                seen.append(doc.text)
                if seen.count == 2 { throw Stop() }
            }
        }
        #expect(seen == ["a", "b"])
        #expect(try CorpusReader.readAll(path: path).count == 3)
    }
}
