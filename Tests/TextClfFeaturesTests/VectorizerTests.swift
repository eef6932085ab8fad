import Foundation
import Testing
import TextClfTensor
import TextClfTestSupport
import TextClfText

@testable import TextClfFeatures

/// scikit-learn on a small corpus, pinned by `scripts/fixtures/make_feature_unit_fixtures.py`.
struct SmallFixture: Decodable {
    let train: [String]
    let apply: [String]
    let cases: [Case]

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let options: Options
        let vocabulary: [String]?
        let train: [[Double]]
        let apply: [[Double]]
        let train_nnz: Int
        let apply_nnz: Int
        var testDescription: String { name }
    }

    struct Options: Decodable {
        var stages: String?
        var kind: String?
        var binary: Bool?
        var ngram: [Int]?
        var min_df: String?
        var max_df: String?
        var max_features: Int?
        var norm: String?
        var sublinear_tf: Bool?
        var smooth_idf: Bool?
        var use_idf: Bool?
        var features: Int?
        var alternate_sign: Bool?
    }

    static let shared: SmallFixture = {
        let data = try! Data(contentsOf: SharedData.fixture("features/small.json"))
        return try! JSONDecoder().decode(SmallFixture.self, from: data)
    }()
}

func specification(_ options: SmallFixture.Options) throws -> FeatureSpecification {
    var stages = try TextStage.parseList(options.stages ?? "lowercase,sklearn")
    if let ngram = options.ngram, ngram[1] > 1 { stages.append(.ngrams(min: ngram[0], max: ngram[1])) }
    return FeatureSpecification(
        kind: FeatureKind(rawValue: options.kind ?? "counts")!,
        counts: CountVectorizer(
            analyzer: try Analyzer(stages), binary: options.binary ?? false,
            minDF: try options.min_df.map(DocumentFrequencyBound.init(parsing:)) ?? .count(1),
            maxDF: try options.max_df.map(DocumentFrequencyBound.init(parsing:)) ?? .fraction(1),
            maxFeatures: options.max_features),
        tfidf: TfidfTransformer(
            norm: TfidfTransformer.Norm(rawValue: options.norm ?? "l2")!, useIDF: options.use_idf ?? true,
            smoothIDF: options.smooth_idf ?? true, sublinearTF: options.sublinear_tf ?? false),
        hashFeatures: options.features ?? 1 << 20, alternateSign: options.alternate_sign ?? true)
}

func dense(_ matrix: CSRMatrix) -> [[Double]] {
    (0..<matrix.rowCount).map { row in
        (0..<matrix.columnCount).map { Double(matrix.value(row: row, column: $0)) }
    }
}

func close(_ a: [[Double]], _ b: [[Double]]) -> Bool {
    a.count == b.count
        && zip(a, b).allSatisfy { rowA, rowB in
            rowA.count == rowB.count && zip(rowA, rowB).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
        }
}

@Suite("Vectorizers against scikit-learn on a small corpus")
struct VectorizerTests {
    @Test(arguments: SmallFixture.shared.cases)
    func matchesScikitLearn(_ example: SmallFixture.Case) throws {
        let fixture = SmallFixture.shared
        let spec = try specification(example.options)
        let (fitted, train) = try spec.fitTransform(fixture.train)
        let apply = try fitted.transform(fixture.apply)
        #expect(fitted.vocabulary?.terms == example.vocabulary)
        #expect(train.storedCount == example.train_nnz)
        #expect(apply.storedCount == example.apply_nnz)
        #expect(close(dense(train), example.train), "train: \(dense(train)) vs \(example.train)")
        #expect(close(dense(apply), example.apply), "apply: \(dense(apply)) vs \(example.apply)")
        #expect(train.invariantViolation() == nil)
        #expect(apply.invariantViolation() == nil)

        // The saved vectorizer transforms new text identically.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vectorizer-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try fitted.encodedFile(labels: ["a", "b"]).write(to: url)
        let (loaded, labels) = try FittedFeatures.load(path: url.path)
        #expect(loaded == fitted)
        #expect(labels == ["a", "b"])
        #expect(try loaded.transform(fixture.apply) == apply)

        // Fitting without the matrix (as --stream does) learns the same features.
        #expect(try spec.fit { add in fixture.train.forEach(add) } == fitted)
    }

    @Test func aVocabularyPassOverManyBatchesLearnsWhatTheFittingPassLearns() throws {
        // Several counting batches, so rows are folded into the totals batch after batch.
        let documents = (0..<7000).map { index in
            SmallFixture.shared.train[index % SmallFixture.shared.train.count] + " w\(index % 997) x\(index % 13) y\(index % 5000)"
        }
        for (binary, minDF, maxDF, maxFeatures) in [
            (false, DocumentFrequencyBound.count(1), DocumentFrequencyBound.fraction(1), nil as Int?), (true, .count(2), .fraction(0.5), nil),
            (false, .count(2), .fraction(0.9), 300), (true, .count(1), .fraction(1), 50),
        ] {
            let vectorizer = CountVectorizer(
                analyzer: try Analyzer(parsing: "lowercase,sklearn,ngrams=1..2"), binary: binary, minDF: minDF, maxDF: maxDF,
                maxFeatures: maxFeatures)
            let (fitted, matrix) = try vectorizer.fitTransform(documents, threads: 2)
            let pass = try vectorizer.makeVocabularyPass(threads: 2)
            documents.forEach(pass.add)
            let (streamed, documentFrequency, count) = try pass.finishVocabulary()
            #expect(streamed == fitted, "binary \(binary), min \(minDF), max \(maxDF), top \(String(describing: maxFeatures))")
            #expect(count == documents.count)
            var expected = [Int](repeating: 0, count: matrix.columnCount)
            for column in matrix.columnIndices { expected[Int(column)] += 1 }
            #expect(documentFrequency == expected)
            let tfidf = TfidfTransformer(sublinearTF: true)
            #expect(tfidf.fit(documentFrequency: documentFrequency, documents: count) == tfidf.fit(matrix))

            // Three shares counted apart, sent as bytes and merged learn the same vocabulary.
            let shares = try (0..<3).map { share -> TermCounts in
                let part = try vectorizer.makeVocabularyPass(threads: 1)
                for (index, document) in documents.enumerated() where index % 3 == share { part.add(document) }
                return try TermCounts(encoded: part.termCounts().encoded)
            }
            let merging = try vectorizer.makeVocabularyPass(threads: 1)
            let merged = try merging.finishVocabulary(merging: TermCounts.merged(shares))
            #expect(merged.vectorizer == fitted && merged.documentFrequency == documentFrequency && merged.documents == count)
        }
        #expect(throws: FeatureError.emptyCorpus) { try CountVectorizer().makeVocabularyPass().finishVocabulary() }
        #expect(throws: FeatureError.emptyCorpus) { try FeatureSpecification(kind: .hashing).fit { _ in } }
        #expect(throws: FeatureError.self) { try TermCounts(encoded: Array(TermCounts(documents: 3).encoded.dropLast())) }
    }

    @Test func resultDoesNotDependOnThreadCount() throws {
        // Enough documents for several batches and for splitting each batch across threads.
        let documents = (0..<5000).map { index in
            SmallFixture.shared.train[index % SmallFixture.shared.train.count] + " w\(index % 997) x\(index % 13)"
        }
        let vectorizer = CountVectorizer(analyzer: try Analyzer(parsing: "lowercase,sklearn,ngrams=1..2"), minDF: .count(2))
        let (serial, serialMatrix) = try vectorizer.fitTransform(documents, threads: 1)
        let (parallel, parallelMatrix) = try vectorizer.fitTransform(documents, threads: 3)
        #expect(serial == parallel)
        #expect(serialMatrix == parallelMatrix)
        #expect(serialMatrix.rowCount == 5000)
        #expect(serial.transform(documents, threads: 1) == parallel.transform(documents, threads: 4))
    }

    @Test func murmurHashMatchesScikitLearn() {
        // sklearn.utils.murmurhash3_32(..., seed=0) (signed).
        for (text, expected) in [("hello", Int32(613_153_351)), ("abcde", -392_455_434), ("", 0)] {
            var copy = text
            #expect(copy.withUTF8 { MurmurHash3.hash32($0, seed: 0) } == expected, "\(text)")
        }
    }

    @Test func fitOnlyLearnsAndFixedVocabularyKeepsItsOrder() throws {
        let vectorizer = CountVectorizer(fixedVocabulary: ["zebra", "cat", "the"])
        let (fitted, matrix) = try vectorizer.fitTransform(["the cat", "a zebra and the zebra"])
        #expect(fitted.vocabulary.terms == ["zebra", "cat", "the"])
        #expect(dense(matrix) == [[0, 1, 1], [2, 0, 1]])
        #expect(throws: FeatureError.duplicateTerm("cat")) { try CountVectorizer(fixedVocabulary: ["cat", "cat"]).fit(["x"]) }
    }

    @Test func badCorporaAreClearErrors() throws {
        #expect(throws: FeatureError.emptyCorpus) { try CountVectorizer().fit([String]()) }
        #expect(throws: FeatureError.emptyVocabulary) { try CountVectorizer().fit(["a", "", "! ?"]) }
        let stopOnly = CountVectorizer(analyzer: try Analyzer(parsing: "lowercase,sklearn,stopwords"))
        #expect(throws: FeatureError.emptyVocabulary) { try stopOnly.fit(["The and of", "it is"]) }
        #expect(throws: FeatureError.self) { try CountVectorizer(minDF: .count(3)).fit(["a b", "c d"].map { $0 + "x" }) }
        #expect(throws: FeatureError.maxBelowMin(minDocuments: 2, maxDocuments: 1)) {
            try CountVectorizer(minDF: .count(2), maxDF: .count(1)).fit(["aa bb", "aa cc"])
        }
        #expect(throws: FeatureError.self) { try DocumentFrequencyBound(parsing: "1.5") }
        #expect(throws: FeatureError.self) { try DocumentFrequencyBound(parsing: "-1") }
        #expect(try DocumentFrequencyBound(parsing: "0.5") == .fraction(0.5))
        #expect(try DocumentFrequencyBound(parsing: "3") == .count(3))
    }

    @Test func maxFeaturesBreaksTiesByTermOrder() throws {
        // "bb", "aa" and "cc" each occur twice: the first two in term order are kept.
        let (fitted, _) = try CountVectorizer(maxFeatures: 3).fitTransform(["zz zz zz bb cc", "aa bb cc aa"])
        #expect(fitted.vocabulary.terms == ["aa", "bb", "zz"])
    }

    @Test func corruptVectorizerFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vec-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (fitted, _) = try CountVectorizer().fitTransform(["aa bb", "bb cc"])
        let good = String(decoding: try FittedFeatures.counts(fitted).encodedFile(), as: UTF8.self)
        let cases: [(String, String)] = [
            ("{", "not valid JSON"),
            (good.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 99"), "version 99"),
            (good.replacingOccurrences(of: "textclf-vectorizer", with: "other"), "not a textclf vectorizer"),
            (good.replacingOccurrences(of: "\"columns\" : 3", with: "\"columns\" : 4"), "'columns' is 4"),
            (good.replacingOccurrences(of: "\"text\" : \"lowercase,sklearn\"", with: "\"text\" : \"lowercase,bogus\""), "bogus"),
        ]
        for (index, (content, message)) in cases.enumerated() {
            let path = folder.appendingPathComponent("v\(index).json").path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try FittedFeatures.load(path: path)
                Issue.record("case \(index) was accepted")
            } catch {
                #expect("\(error)".contains(path) && "\(error)".contains(message), "\(error)")
            }
        }
        #expect(throws: FeatureError.self) { try FittedFeatures.load(path: folder.appendingPathComponent("missing.json").path) }
    }
}
