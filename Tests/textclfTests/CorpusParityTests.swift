import Foundation
import Testing
import TextClf
import TextClfTestSupport

/// FNV-1a 64, the hash the fixture scripts use.
func fnv1a(_ bytes: some Sequence<UInt8>, _ seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
    var hash = seed
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}

func hex(_ value: UInt64) -> String { String(format: "%016llx", value) }

/// scikit-learn's analyzers on whole corpora, pinned as chunk hashes by
/// `scripts/fixtures/make_text_fixtures.py`.
struct AnalyzerCorporaFixture: Decodable {
    let chunk: Int
    let corpora: [String: [String: AnalyzerCorpusEntry]]

    enum AnalyzerCorpusEntry: Decodable {
        case documents(Int)
        case hashes([String])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let count = try? container.decode(Int.self) { self = .documents(count) } else {
                self = .hashes(try container.decode([String].self))
            }
        }
    }

    static func load() throws -> AnalyzerCorporaFixture {
        let data = try Data(contentsOf: SharedData.fixture("text/corpora.json"))
        return try JSONDecoder().decode(AnalyzerCorporaFixture.self, from: data)
    }
}

@Suite("Whole-corpus parity with scikit-learn and NLTK", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
struct CorpusParityTests {
    static let corpora = ["sst2/train.tsv", "sst2/dev.tsv", "imdb/train.jsonl", "imdb/test.jsonl", "20news/train", "20news/test"]

    @Test("scikit-learn's build_analyzer() on every document", arguments: corpora)
    func analyzerMatchesScikitLearn(corpus: String) throws {
        let fixture = try AnalyzerCorporaFixture.load()
        let entries = try #require(fixture.corpora[corpus])
        guard case .documents(let expectedCount)? = entries["documents"] else {
            Issue.record("fixture lacks a document count for \(corpus)")
            return
        }
        let path = try #require(SharedData.url(corpus)).path
        let options = CorpusOptions(encoding: corpus.hasPrefix("20news") ? .latin1 : .utf8)
        let documents = try CorpusReader(path: path, options: options).readAll()
        #expect(documents.count == expectedCount)
        var checked = 0
        for (stages, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard case .hashes(let expected) = entry else { continue }
            let worker = try Analyzer(parsing: stages).makeWorker()
            var hashes: [String] = []
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for (index, document) in documents.enumerated() {
                worker.withTokens(of: document.text) { tokens in
                    for token in 0..<tokens.count {
                        if token > 0 { hash = fnv1a(CollectionOfOne(0x20), hash) }
                        hash = fnv1a(tokens.bytes[tokens.range(at: token)], hash)
                    }
                    hash = fnv1a(CollectionOfOne(0x0A), hash)
                }
                if (index + 1) % fixture.chunk == 0 || index + 1 == documents.count {
                    hashes.append(hex(hash))
                    hash = 0xCBF2_9CE4_8422_2325
                }
            }
            let differing = zip(hashes, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map {
                "documents \($0.offset * fixture.chunk + 1)-\(($0.offset + 1) * fixture.chunk)"
            }
            #expect(hashes.count == expected.count)
            #expect(differing.isEmpty, "\(corpus) with \(stages) differs from scikit-learn in \(differing.prefix(5))")
            checked += 1
        }
        #expect(checked >= 1)
    }

    /// NLTK's stems of every distinct whitespace token, pinned by
    /// `scripts/fixtures/make_stemmer_fixtures.py`.
    struct StemmerFixture: Decodable {
        let chunk: Int
        let corpora: [String: Entry]
        struct Entry: Decodable {
            let count: Int
            let modes: [String: [String]]
        }
    }

    static func distinctTokens(_ texts: [String]) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        for text in texts {
            for token in PythonString.splitWhitespace(text) { seen.insert(Array(token.utf8)) }
        }
        // Code-point order is UTF-8 byte order.
        return seen.sorted { $0.lexicographicallyPrecedes($1) }
    }

    @Test("NLTK's stemmers on every distinct token of SST-2 and IMDB", arguments: ["sst2-train-dev", "imdb-train-lower"])
    func stemmersMatchNLTK(corpus: String) throws {
        let data = try Data(contentsOf: SharedData.fixture("stemmers/corpora.json"))
        let fixture = try JSONDecoder().decode(StemmerFixture.self, from: data)
        let entry = try #require(fixture.corpora[corpus])
        let texts: [String]
        if corpus == "sst2-train-dev" {
            texts = try ["sst2/train.tsv", "sst2/dev.tsv"].flatMap { name in
                try CorpusReader.readAll(path: try #require(SharedData.url(name)).path).map(\.text)
            }
        } else {
            texts = try CorpusReader.readAll(path: try #require(SharedData.url("imdb/train.jsonl")).path)
                .map { PythonString.lower($0.text) }
        }
        let words = Self.distinctTokens(texts)
        #expect(words.count == entry.count)
        let stemmers: [String: any Stemmer] = [
            "porter": PorterStemmer(mode: .nltkExtensions),
            "porter-original": PorterStemmer(mode: .original),
            "porter-martin": PorterStemmer(mode: .martinExtensions),
            "snowball": SnowballStemmer(),
        ]
        #expect(Set(entry.modes.keys) == Set(stemmers.keys))
        for (mode, expected) in entry.modes.sorted(by: { $0.key < $1.key }) {
            let stemmer = try #require(stemmers[mode])
            var differing: [String] = []
            for (chunkIndex, start) in stride(from: 0, to: words.count, by: fixture.chunk).enumerated() {
                var hash: UInt64 = 0xCBF2_9CE4_8422_2325
                for word in words[start..<min(start + fixture.chunk, words.count)] {
                    hash = fnv1a(stemmer.stem(String(decoding: word, as: UTF8.self)).utf8, hash)
                    hash = fnv1a(CollectionOfOne(0x0A), hash)
                }
                if chunkIndex >= expected.count || hex(hash) != expected[chunkIndex] {
                    differing.append(String(decoding: words[start], as: UTF8.self))
                }
            }
            #expect(differing.isEmpty, "\(mode) differs from NLTK in the chunks starting at \(differing.prefix(5))")
        }
    }
}
