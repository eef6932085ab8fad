import Foundation
import Testing
import TextClf
import TextClfTestSupport

/// The Reuters-21578 ARFF files from Debian's weka package, as liac-arff reads them
/// (`scripts/fixtures/make_reuters_fixture.py`). Runs once `corpora/fetch-reuters.sh`
/// has fetched them (the set-up command does).
@Suite("Reuters ARFF from Debian's weka package")
struct ReutersARFFTests {
    struct Expected: Decodable {
        let documents: Int
        let labels: [String: Int]
        let text_hash: String
    }

    static let folder = SharedData.repositoryRoot.appendingPathComponent("corpora/reuters")
    static let fetched = FileManager.default.fileExists(
        atPath: folder.appendingPathComponent("ReutersCorn-test.arff").path)

    @Test(
        .enabled(if: fetched, "needs corpora/reuters (run: bash corpora/fetch-reuters.sh); skipped"),
        arguments: ["ReutersGrain-train.arff", "ReutersGrain-test.arff", "ReutersCorn-train.arff", "ReutersCorn-test.arff"])
    func readsLikeLiacARFF(file: String) throws {
        let data = try Data(contentsOf: SharedData.fixture("data/reuters.json"))
        let expected = try #require(try JSONDecoder().decode([String: Expected].self, from: data)[file])
        let documents = try CorpusReader.readAll(path: Self.folder.appendingPathComponent(file).path)
        #expect(documents.count == expected.documents)
        var labels: [String: Int] = [:]
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for document in documents {
            labels[document.label ?? "", default: 0] += 1
            hash = fnv1a(document.text.utf8, hash)
            hash = fnv1a(CollectionOfOne(0x0A), hash)
        }
        #expect(labels == expected.labels)
        #expect(hex(hash) == expected.text_hash)
    }
}
