import Foundation
import Testing
import TextClfIO
import TextClfTensor
import TextClfTestSupport
import TextClfText

@testable import TextClfFeatures

/// Three 2-d words: a = (1, 2), b = (3, 4), c = (-2, 0); tokens by whitespace.
private let tiny = InMemoryWordVectors(words: ["a", "b", "c"], dimension: 2, vectors: [1, 2, 3, 4, -2, 0])
private let whitespace = try! Analyzer(parsing: "whitespace")

private func average(
    _ documents: [String], _ weighting: EmbeddingAverager.Weighting = .mean,
    _ unknown: EmbeddingAverager.UnknownWords = .skip, fit: [String]? = nil, threads: Int? = 1
) throws -> ([Float], AveragingReport) {
    let averager = EmbeddingAverager(analyzer: whitespace, weighting: weighting, unknownWords: unknown, threads: threads)
    let frequencies = fit.map { averager.fitDocumentFrequencies($0, vectors: tiny) }
    let result = try averager.transform(documents, vectors: tiny, frequencies: frequencies)
    return (result.values, result.report)
}

private func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

@Suite struct AveragingTests {
    @Test func meanSkipsUnknownWords() throws {
        let (rows, report) = try average(["a b", "a a c zz", "b"])
        #expect(close(rows, [2, 3, 0, 4.0 / 3, 3, 4]))
        #expect(report == AveragingReport(documents: 3, emptyDocuments: 0, tokens: 7, unknownTokens: 1))
    }

    @Test func sumAddsVectors() throws {
        let (rows, _) = try average(["a b c", "a a zz"], .sum)
        #expect(close(rows, [2, 6, 2, 4]))
    }

    @Test func zeroPolicyCountsUnknownWordsInTheDenominator() throws {
        let (rows, report) = try average(["a b zz yy"], .mean, .zero)
        #expect(close(rows, [1, 1.5]))
        #expect(report.unknownTokens == 2)
    }

    @Test func unkPolicyUsesOneSeededVector() throws {
        let unk = EmbeddingAverager.unknownVector(seed: 7, dimension: 2)
        #expect(unk == EmbeddingAverager.unknownVector(seed: 7, dimension: 2))
        #expect(unk != EmbeddingAverager.unknownVector(seed: 8, dimension: 2))
        #expect(unk.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
        let (rows, _) = try average(["a xx yy"], .mean, .unk(seed: 7))
        #expect(close(rows, [(1 + 2 * unk[0]) / 3, (2 + 2 * unk[1]) / 3]))
    }

    @Test func emptyDocumentsGetZeroRows() throws {
        for policy: EmbeddingAverager.UnknownWords in [.skip, .zero, .unk(seed: 1)] {
            let (rows, report) = try average(["", "zz yy", "b"], .mean, policy)
            #expect(close(rows, [0, 0, 0, 0, 3, 4]))
            #expect(report == AveragingReport(documents: 3, emptyDocuments: 2, tokens: 3, unknownTokens: 2))
        }
    }

    @Test func tfidfWeightsByIdfTimesCount() throws {
        // df over 4 training documents: a 3, b 1, c 0, unknown 1.
        let training = ["a", "a b", "a zz", "q"]
        let averager = EmbeddingAverager(analyzer: whitespace, weighting: .tfidf)
        let frequencies = averager.fitDocumentFrequencies(training, vectors: tiny)
        #expect(frequencies == DocumentFrequencies(documents: 4, counts: [3, 1, 0, 2]))
        let idf = { (df: Double) in log(5 / (df + 1)) + 1 }
        let (rows, _) = try average(["a a b", "c zz"], .tfidf, .skip, fit: training)
        let wa = 2 * idf(3), wb = idf(1)
        #expect(close(rows, [Float((wa * 1 + wb * 3) / (wa + wb)), Float((wa * 2 + wb * 4) / (wa + wb)), -2, 0]))
        // The zero policy puts the shared unknown idf in the denominator.
        let (zero, _) = try average(["c zz"], .tfidf, .zero, fit: training)
        #expect(close(zero, [Float(-2 * idf(0) / (idf(0) + idf(2))), 0]))
        #expect(throws: AveragingError.missingFrequencies) { try average(["a"], .tfidf) }
    }

    @Test func resultDoesNotDependOnThreads() throws {
        let documents = (0..<1000).map { i in ["a b", "c", "a a zz", "", "b c a"][i % 5] + " a" }
        let one = try average(documents, .mean, .zero, threads: 1)
        let four = try average(documents, .mean, .zero, threads: 4)
        #expect(one.0 == four.0 && one.1 == four.1)
        let tensor = try EmbeddingAverager(analyzer: whitespace).transformTensor(documents, vectors: tiny).tensor
        #expect(tensor.shape == [1000, 2])
    }

    @Test func commonWidthsUseTheSameArithmetic() throws {
        for dimension in [50, 100, 200, 300, 7] {
            let values = (0..<(3 * dimension)).map { Float(($0 * 37) % 101) / 13 - 3 }
            let vectors = InMemoryWordVectors(words: ["x", "y", "z"], dimension: dimension, vectors: values)
            let rows = try EmbeddingAverager(analyzer: whitespace).transform(["x y z y"], vectors: vectors).values
            let expected = (0..<dimension).map {
                Float((Double(values[$0]) + 2 * Double(values[dimension + $0]) + Double(values[2 * dimension + $0])) / 4)
            }
            #expect(rows == expected)
        }
    }
}

/// SST-2 dev averaged with the GloVe subset, against NumPy (`scripts/fixtures/make_averaging_fixtures.py`).
@Suite(.enabled(if: SharedData.isAvailable, SharedData.skipMessage))
struct AveragingSST2Tests {
    struct Fixture: Decodable {
        let report: [String: Int]
        let tfidf_row_sums: [Double]
        let tfidf_rows: [[Float]]
    }

    /// A minimal GloVe text reader: `word v1 … vd` per line.
    static func loadGloVe(_ url: URL) throws -> InMemoryWordVectors {
        let text = try String(contentsOf: url, encoding: .utf8)
        var words: [String] = []
        var values: [Float] = []
        var dimension = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ")
            words.append(String(fields[0]))
            dimension = fields.count - 1
            for field in fields.dropFirst() { values.append(Float(field)!) }
        }
        return InMemoryWordVectors(words: words, dimension: dimension, vectors: values)
    }

    static func devSentences() throws -> [String] {
        let text = try String(contentsOf: SharedData.url("sst2/dev.tsv")!, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            String(line[..<line.lastIndex(of: "\t")!])
        }
    }

    @Test func meanAndTfidfMatchNumPy() throws {
        let vectors = try Self.loadGloVe(SharedData.url("glove/glove.6B.50d.sst2-sms.txt")!)
        #expect(vectors.words.count == 17_874 && vectors.dimension == 50)
        let sentences = try Self.devSentences()
        let fixture = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: SharedData.fixture("embeddings/averaging_sst2_dev.json")))
        let reference = try NPYArray(contentsOf: SharedData.fixture("embeddings/averaging_sst2_dev_mean.npy").path)
        guard case .float32(let expected) = reference.elements else {
            Issue.record("expected float32, found \(reference.dtype)")
            return
        }
        #expect(reference.shape == [872, 50])

        let averager = EmbeddingAverager(analyzer: .sklearnDefault)
        let (rows, report) = try averager.transform(sentences, vectors: vectors)
        #expect(rows.count == expected.count)
        let worst = zip(rows, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "largest difference \(worst)")
        #expect(report.documents == fixture.report["documents"])
        #expect(report.emptyDocuments == fixture.report["emptyDocuments"])
        #expect(report.tokens == fixture.report["tokens"])
        #expect(report.unknownTokens == fixture.report["unknownTokens"])

        let tfidf = EmbeddingAverager(analyzer: .sklearnDefault, weighting: .tfidf)
        let frequencies = tfidf.fitDocumentFrequencies(sentences, vectors: vectors)
        let weighted = try tfidf.transform(sentences, vectors: vectors, frequencies: frequencies).values
        for (d, row) in fixture.tfidf_rows.enumerated() {
            let mine = Array(weighted[(d * 50)..<((d + 1) * 50)])
            #expect(zip(mine, row).allSatisfy { abs($0 - $1) <= 1e-6 }, "tf-idf row \(d)")
        }
        for (d, sum) in fixture.tfidf_row_sums.enumerated() {
            let mine = weighted[(d * 50)..<((d + 1) * 50)].reduce(0.0) { $0 + Double($1) }
            #expect(abs(mine - sum) <= 5e-5, "tf-idf row \(d) sum")
        }
    }
}
