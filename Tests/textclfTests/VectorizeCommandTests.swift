import Foundation
import Testing
import TextClf
import TextClfTestSupport

@Suite("textclf vectorize, end to end")
struct VectorizeCommandTests {
    static let train = "text\tlabel\nThe cat sat\tpets\nA dog barked at the cat\tpets\nStocks fell sharply\tmarkets\n"
    static let dev = "text\tlabel\nthe dog and the zebra\tpets\nstocks rose\tmarkets\n"

    @Test func writesEveryOutputWhole() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.train)
        let dev = try folder.write("dev.tsv", Self.dev)
        let out = folder.url.appendingPathComponent("out").path
        let result = try TextClfBinary.run(["vectorize", train, "--apply", dev, "--out", out, "--svmlight"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("train: 3 × 9, 11 stored"))  // scikit-learn: (3, 9), nnz 11
        #expect(result.standardOutput.contains("dev: 2 × 9, 3 stored"))  // scikit-learn: (2, 9), nnz 3

        let vocabulary = try String(contentsOfFile: out + "/vocabulary.txt", encoding: .utf8)
        #expect(vocabulary == "at\nbarked\ncat\ndog\nfell\nsat\nsharply\nstocks\nthe\n")
        #expect(try String(contentsOfFile: out + "/dev.labels.txt", encoding: .utf8) == "pets\nmarkets\n")
        let matrix = try CSRMatrix(npzAt: out + "/dev.npz")
        #expect(matrix.rowCount == 2 && matrix.columnCount == 9)
        #expect(matrix.value(row: 0, column: 8) == 2)  // "the" twice; "zebra" is unseen and dropped
        let (svm, labels) = try CSRMatrix.readSVMLight(path: out + "/dev.svm", columnCount: 9)
        #expect(svm == matrix)
        #expect(labels == [1, 0])  // classes in code-point order: markets = 0, pets = 1
        let (features, classes) = try FittedFeatures.load(path: out + "/vectorizer.json")
        #expect(classes == ["markets", "pets"])
        #expect(features.vocabulary?.count == 9)
        // No temporary files are left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["dev.labels.txt", "dev.npz", "dev.svm", "train.labels.txt", "train.npz", "train.svm", "vectorizer.json", "vocabulary.txt"])
    }

    @Test func tfidfAndHashingOptions() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.train)
        let out = folder.url.appendingPathComponent("out").path
        let tfidf = try TextClfBinary.run(["vectorize", train, "--out", out, "--features", "tfidf", "--ngram", "1..2", "--quiet"])
        #expect(tfidf.status == 0, "\(tfidf.standardError)")
        #expect(tfidf.standardOutput.isEmpty && tfidf.standardError.isEmpty)
        let matrix = try CSRMatrix(npzAt: out + "/train.npz")
        for row in 0..<matrix.rowCount {
            let norm = matrix.entries(ofRow: row).reduce(0) { $0 + Double(matrix.values[$1] * matrix.values[$1]) }
            #expect(abs(norm - 1) < 1e-6)
        }
        let hashing = try TextClfBinary.run(["vectorize", train, "--out", out, "--features", "hashing", "--hash-features", "32"])
        #expect(hashing.status == 0, "\(hashing.standardError)")
        #expect(try CSRMatrix(npzAt: out + "/train.npz").columnCount == 32)
        // Hashed features have no vocabulary: the earlier vocabulary.txt is not rewritten.
        let (features, _) = try FittedFeatures.load(path: out + "/vectorizer.json")
        #expect(features.kind == .hashing)
    }

    /// Each bad input is a clear error, and the outputs of an earlier run stay as they were.
    @Test(arguments: [
        ("header only", "text\tlabel\n", [], "holds no documents"),
        ("every document empty after analysis", "text\tlabel\n! ?\tx\n. ,\ty\n", [], "empty vocabulary"),
        ("only stop words", "text\tlabel\nthe and\tx\nof it\ty\n", ["--text", "lowercase,sklearn,stopwords"], "empty vocabulary"),
        ("pruning leaves nothing", "text\tlabel\naa bb\tx\ncc dd\ty\n", ["--min-df", "2"], "no terms remain"),
        ("max below min", "text\tlabel\naa bb\tx\naa dd\ty\n", ["--min-df", "2", "--max-df", "1"], "--max-df allows at most 1"),
        ("bad n-gram range", "text\tlabel\naa bb\tx\n", ["--ngram", "2..1"], "--ngram"),
        ("bad document frequency", "text\tlabel\naa bb\tx\n", ["--min-df", "1.5"], "neither a count"),
    ])
    func badInputLeavesEarlierOutputAlone(name: String, corpus: String, options: [String], message: String) throws {
        let folder = try TemporaryFolder()
        let good = try folder.write("good.tsv", Self.train)
        let out = folder.url.appendingPathComponent("out").path
        #expect(try TextClfBinary.run(["vectorize", good, "--out", out, "--quiet"]).status == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        let snapshot = try before.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }

        // Same output name as the good run, so a partial write would overwrite it.
        let bad = try folder.write("bad/good.tsv", corpus)
        let result = try TextClfBinary.run(["vectorize", bad, "--out", out] + options)
        #expect(result.status != 0, "\(name) was accepted")
        #expect(result.standardError.contains(message), "\(name): \(result.standardError)")
        let after = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(after == before, "\(name): the output folder changed")
        #expect(try after.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) } == snapshot)
    }

    @Test func applyFileOfAnotherFormatIsRefused() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.train)
        let other = try folder.write("dev.jsonl", "{\"text\": \"the cat\", \"label\": \"pets\"}\n")
        let out = folder.url.appendingPathComponent("out").path
        let result = try TextClfBinary.run(["vectorize", train, "--apply", other, "--out", out])
        #expect(result.status != 0)
        #expect(result.standardError.contains("dev.jsonl is jsonl but the training corpus is tsv"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func sameOutputNameTwiceIsRefused() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("a/data.tsv", Self.train)
        let other = try folder.write("b/data.tsv", Self.dev)
        let result = try TextClfBinary.run(["vectorize", train, "--apply", other, "--out", folder.url.appendingPathComponent("out").path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("'data.npz'"))
    }

    @Test func unknownLabelInAnApplyFileIsNamedForSvmlight() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", Self.train)
        let dev = try folder.write("dev.tsv", "text\tlabel\nthe cat\tweather\n")
        let result = try TextClfBinary.run(["vectorize", train, "--apply", dev, "--out", folder.url.appendingPathComponent("out").path, "--svmlight"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("'weather'"), "\(result.standardError)")
    }
}
