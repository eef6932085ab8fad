import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfData

/// Reads the shared corpora and compares counts and pinned documents with Python's reading
/// (`scripts/fixtures/make_readers_fixtures.py` → `readers_shared_pins.json`).
@Suite("Shared corpora", .serialized)
struct SharedCorpusTests {
    struct Pin: Decodable {
        var label: String
        var length: Int
        var prefix: String
        var sha256: String
        var file: String?
    }

    struct CorpusPins: Decodable {
        var count: Int
        var labels: Int?
        var rows: [String: Pin]
        var first_line: [String: Int]?
    }

    static func pins(_ name: String) throws -> CorpusPins {
        let data = try Data(contentsOf: SharedData.fixture("data/readers_shared_pins.json"))
        let all = try JSONDecoder().decode([String: CorpusPins].self, from: data)
        return try #require(all[name])
    }

    static func read(_ relative: String, _ options: CorpusOptions = .init()) throws -> (CorpusReader, [LabeledDocument]) {
        let url = try #require(SharedData.url(relative))
        let reader = try CorpusReader(path: url.path, options: options)
        return (reader, try reader.readAll())
    }

    static func counts(_ docs: [LabeledDocument]) -> [String: Int] {
        docs.reduce(into: [:]) { $0[$1.label ?? "<nil>", default: 0] += 1 }
    }

    static func checkPins(_ name: String, _ docs: [LabeledDocument], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let pins = try pins(name)
        #expect(docs.count == pins.count, sourceLocation: sourceLocation)
        for (key, pin) in pins.rows {
            let doc = docs[Int(key)!]
            #expect(doc.label == pin.label, "\(name) #\(key)", sourceLocation: sourceLocation)
            #expect(doc.text.unicodeScalars.count == pin.length, "\(name) #\(key)", sourceLocation: sourceLocation)
            #expect(String(String.UnicodeScalarView(doc.text.unicodeScalars.prefix(60))) == pin.prefix, "\(name) #\(key)", sourceLocation: sourceLocation)
            #expect(sha256Hex(Array(doc.text.utf8)) == pin.sha256, "\(name) #\(key)", sourceLocation: sourceLocation)
            if let file = pin.file {
                #expect(doc.source.path.hasSuffix("/\(pin.label)/\(file)"), sourceLocation: sourceLocation)
            }
            if let line = pins.first_line?[key] {
                #expect(doc.source.line == line, sourceLocation: sourceLocation)
            }
        }
    }

    @Test("SST-2 train and dev", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func sst2() throws {
        let (reader, train) = try Self.read("sst2/train.tsv")
        #expect(reader.format == .tsv)
        #expect(train.count == 67_349)
        #expect(Self.counts(train) == ["0": 29_780, "1": 37_569])
        #expect(train[0].text == "hide new secretions from the parental units ")
        try Self.checkPins("sst2/train.tsv", train)
        let (_, dev) = try Self.read("sst2/dev.tsv")
        #expect(Self.counts(dev) == ["0": 428, "1": 444])
        try Self.checkPins("sst2/dev.tsv", dev)
    }

    @Test("SMS Spam Collection, headerless, detected", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func sms() throws {
        let (reader, docs) = try Self.read("sms/SMSSpamCollection")
        #expect(reader.format == .tsv)
        #expect(Self.counts(docs) == ["ham": 4_827, "spam": 747])
        #expect(docs[0].source.line == 1)
        try Self.checkPins("sms/SMSSpamCollection", docs)
    }

    @Test("IMDB JSON Lines", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func imdb() throws {
        for name in ["imdb/train.jsonl", "imdb/test.jsonl"] {
            let (reader, docs) = try Self.read(name)
            #expect(reader.format == .jsonl)
            #expect(Self.counts(docs) == ["pos": 12_500, "neg": 12_500])
            try Self.checkPins(name, docs)
        }
    }

    @Test("20 Newsgroups folders as latin-1", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func newsgroups() throws {
        for (name, count) in [("20news/train", 11_314), ("20news/test", 7_532)] {
            let (reader, docs) = try Self.read(name, .init(encoding: .latin1))
            #expect(reader.format == .folder)
            #expect(docs.count == count)
            #expect(Set(docs.compactMap(\.label)).count == 20)
            try Self.checkPins(name, docs)
        }
    }
}
