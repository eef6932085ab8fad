import Foundation
import Testing
import TextClf
import TextClfTestSupport

/// scikit-learn's vectorizers on the shared corpora, pinned by
/// `scripts/fixtures/make_vectorizer_fixtures.py`.
struct VectorizerFixture: Decodable {
    let cases: [String: Case]

    struct Case: Decodable {
        let corpus: String
        let arguments: [String]
        let train: Matrix
        let apply: Matrix
        let vocabulary: String?
        let columns: Int?
    }

    struct Matrix: Decodable {
        let shape: [Int]
        let nnz: Int
        let structure: String
        let data: String?
        let sums: [[Double]]?
    }

    static func load() throws -> VectorizerFixture {
        let data = try Data(contentsOf: SharedData.fixture("features/vectorizers.json"))
        return try JSONDecoder().decode(VectorizerFixture.self, from: data)
    }

    static let corpusFiles: [String: (train: String, apply: String)] = [
        "sst2": ("sst2/train.tsv", "sst2/dev.tsv"),
        "imdb": ("imdb/train.jsonl", "imdb/test.jsonl"),
        "20news": ("20news/train", "20news/test"),
    ]
}

func fnvInt64(_ values: some Sequence<Int>, _ seed: UInt64) -> UInt64 {
    var hash = seed
    for value in values {
        var little = Int64(value).littleEndian
        withUnsafeBytes(of: &little) { hash = fnv1a($0, hash) }
    }
    return hash
}

/// Compares a matrix read back from textclf's `.npz` with scikit-learn's pinned description.
func expectMatches(_ matrix: CSRMatrix, _ expected: VectorizerFixture.Matrix, _ label: String) {
    #expect([matrix.rowCount, matrix.columnCount] == expected.shape, "\(label): shape")
    #expect(matrix.storedCount == expected.nnz, "\(label): stored entries")
    let structure = fnvInt64(matrix.columnIndices.map(Int.init), fnvInt64(matrix.rowPointers, 0xCBF2_9CE4_8422_2325))
    #expect(hex(structure) == expected.structure, "\(label): row pointers or column indices differ")
    if let data = expected.data {
        #expect(hex(fnvInt64(matrix.values.map { Int($0) }, 0xCBF2_9CE4_8422_2325)) == data, "\(label): counts differ")
    }
    if let sums = expected.sums {
        var chunks: [[Double]] = []
        for start in stride(from: 0, to: matrix.rowCount, by: 1000) {
            var chunk = [0.0, 0.0, 0.0]
            for entry in matrix.rowPointers[start]..<matrix.rowPointers[min(start + 1000, matrix.rowCount)] {
                let value = Double(matrix.values[entry])
                chunk[0] += value
                chunk[1] += value * value
                chunk[2] += value * Double(Int(matrix.columnIndices[entry]) % 7 + 1)
            }
            chunks.append(chunk)
        }
        #expect(chunks.count == sums.count, "\(label): row chunks")
        let differing = zip(chunks, sums).enumerated().filter { _, pair in
            zip(pair.0, pair.1).contains { abs($0 - $1) > 1e-5 * max(1, abs($1)) }
        }.map { "rows \($0.offset * 1000)-\($0.offset * 1000 + 999): \($0.element.0) vs \($0.element.1)" }
        #expect(differing.isEmpty, "\(label): values differ from scikit-learn in \(differing.prefix(3))")
    }
}

@Suite("textclf vectorize against scikit-learn", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
struct VectorizeParityTests {
    static let caseNames: [String] = (try? VectorizerFixture.load().cases.keys.sorted()) ?? []

    @Test(arguments: caseNames)
    func vectorizeMatchesScikitLearn(name: String) throws {
        let fixture = try #require(try VectorizerFixture.load().cases[name])
        let files = try #require(VectorizerFixture.corpusFiles[fixture.corpus])
        let folder = try TemporaryFolder()
        let out = folder.url.appendingPathComponent("out").path
        let train = try #require(SharedData.url(files.train)).path
        let apply = try #require(SharedData.url(files.apply)).path
        let result = try TextClfBinary.run(["vectorize", train, "--apply", apply, "--out", out, "--quiet"] + fixture.arguments)
        #expect(result.status == 0, "\(result.standardError)")
        let trainName = Vectorize_outputName(files.train)
        let applyName = Vectorize_outputName(files.apply)
        let trainMatrix = try CSRMatrix(npzAt: "\(out)/\(trainName).npz")
        let applyMatrix = try CSRMatrix(npzAt: "\(out)/\(applyName).npz")
        expectMatches(trainMatrix, fixture.train, "\(name) train")
        expectMatches(applyMatrix, fixture.apply, "\(name) apply")
        if name == "sst2-seed-tfidf" { try Self.expectSeedRecipeTfidfValues(applyMatrix) }
        if let vocabularyHash = fixture.vocabulary {
            let vocabulary = try Data(contentsOf: URL(fileURLWithPath: "\(out)/vocabulary.txt"))
            #expect(hex(fnv1a(vocabulary)) == vocabularyHash, "\(name): vocabulary.txt differs from get_feature_names_out()")
            #expect(trainMatrix.columnCount == fixture.columns)
        }
    }

    /// Every value of the SST-2 dev TF-IDF matrix (the seed recipe, fitted on train), to
    /// float32 precision: at most one unit in the last place from scikit-learn's float64 value.
    static func expectSeedRecipeTfidfValues(_ dev: CSRMatrix) throws {
        struct Values: Decodable {
            let indptr: [Int]
            let indices: [Int]
            let data: [Float]
        }
        let expected = try JSONDecoder().decode(
            Values.self, from: Data(contentsOf: SharedData.fixture("features/sst2-dev-tfidf.json")))
        #expect(dev.rowPointers == expected.indptr)
        #expect(dev.columnIndices.map(Int.init) == expected.indices)
        #expect(dev.values.count == expected.data.count)
        let far = zip(dev.values, expected.data).enumerated().filter { abs($0.element.0 - $0.element.1) > $0.element.1.ulp }
        #expect(far.isEmpty, "\(far.count) values differ by more than one float32 ulp, e.g. \(far.prefix(3))")
    }
}

/// The output name `textclf vectorize` gives an input: its file or folder name without extension.
func Vectorize_outputName(_ relativePath: String) -> String {
    let name = URL(fileURLWithPath: relativePath).lastPathComponent
    return name.contains(".") ? URL(fileURLWithPath: relativePath).deletingPathExtension().lastPathComponent : name
}
