import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

@Suite("Decoding")
struct DecodingTests {
    struct Case: Decodable {
        var hex: String
        var replace: [UInt32]
        var ignore: [UInt32]
        var latin1: [UInt32]
        var strict_error_offset: Int?
    }

    struct Fixture: Decodable {
        var cases: [Case]
    }

    static func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

    @Test("UTF-8 replace / ignore / strict match Python's bytes.decode")
    func matchesPython() throws {
        let data = try Data(contentsOf: SharedData.fixture("data/readers_decoding.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        #expect(fixture.cases.count > 20)
        for item in fixture.cases {
            let input = bytes(hex: item.hex)
            #expect(Self.scalars(try TextEncoding.utf8.decode(input, errors: .replace)) == item.replace, "\(item.hex)")
            #expect(Self.scalars(try TextEncoding.utf8.decode(input, errors: .ignore)) == item.ignore, "\(item.hex)")
            #expect(Self.scalars(try TextEncoding.latin1.decode(input, errors: .strict)) == item.latin1, "\(item.hex)")
            if let offset = item.strict_error_offset {
                let error = #expect(throws: CorpusError.self) { try TextEncoding.utf8.decode(input, errors: .strict) }
                #expect(error?.byteOffset == offset, "\(item.hex)")
                #expect(error?.kind == .invalidEncoding)
            } else {
                #expect(Self.scalars(try TextEncoding.utf8.decode(input, errors: .strict)) == item.replace)
            }
        }
    }

    @Test("encoding and selector names")
    func names() {
        #expect(TextEncoding(name: "UTF8") == .utf8)
        #expect(TextEncoding(name: "utf-8") == .utf8)
        #expect(TextEncoding(name: "latin1") == .latin1)
        #expect(TextEncoding(name: "ISO-8859-1") == .latin1)
        #expect(TextEncoding(name: "latin_1") == .latin1)
        #expect(TextEncoding(name: "cp1252") == nil)
        #expect(ColumnSelector(parsing: "2") == .index(2))
        #expect(ColumnSelector(parsing: "label") == .name("label"))
        #expect(ColumnSelector(parsing: "0") == .name("0"))
        #expect(CorpusFormat(name: "NDJSON") == .jsonl)
        #expect(CorpusFormat(name: "arff") == .arff)
        #expect(DecodeErrors(rawValue: "replace") == .replace)
    }

    @Test("file-level decoding: BOM, latin-1, replace, ignore, strict with line and offset")
    func fileDecoding() throws {
        let dir = try TempDir()
        let bom = try dir.write("bom.tsv", [0xEF, 0xBB, 0xBF] + Array("text\tlabel\nh\u{e9}llo\tpos\n".utf8))
        let docs = try CorpusReader(path: bom).readAll()
        #expect(docs.map(\.text) == ["h\u{e9}llo"])

        let bad = try dir.write("bad.tsv", Array("text\tlabel\nfine\tpos\nca".utf8) + [0xE9] + Array("\tneg\n".utf8))
        let error = try #require(corpusError(bad))
        #expect(error.kind == .invalidEncoding)
        #expect(error.line == 3)
        #expect(error.byteOffset == 22)
        #expect(error.field == 1)
        #expect(error.description.hasPrefix("\(bad):3: field 1 (text): invalid utf-8 byte 0xE9"))

        let replaced = try CorpusReader(path: bad, options: .init(decodeErrors: .replace)).readAll()
        #expect(replaced.map(\.text) == ["fine", "ca\u{FFFD}"])
        let ignored = try CorpusReader(path: bad, options: .init(decodeErrors: .ignore)).readAll()
        #expect(ignored.map(\.text) == ["fine", "ca"])
        let latin = try CorpusReader(path: bad, options: .init(encoding: .latin1)).readAll()
        #expect(latin.map(\.text) == ["fine", "ca\u{e9}"])
        // latin-1 does not strip a BOM: those are three characters.
        let latinBOM = try CorpusReader(path: bom, options: .init(encoding: .latin1, header: .absent, textColumn: .index(1), labelColumn: .index(2))).readAll()
        #expect(latinBOM.first?.text == "\u{EF}\u{BB}\u{BF}text")
    }
}
