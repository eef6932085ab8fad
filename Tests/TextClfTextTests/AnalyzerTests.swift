import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfText

/// Hand-written strings with Python's and scikit-learn's results.
struct StringCase: Decodable, CustomTestStringConvertible {
    let input: String
    let lower: String
    let casefold: String
    let NFC: String
    let NFD: String
    let NFKC: String
    let NFKD: String
    let strip_accents_unicode: String
    let strip_accents_ascii: String
    let split: [String]
    let words: [String]
    let punct: [String]
    let sklearn: [String]
    let analyzer_default: [String]
    let analyzer_rich: [String]

    var testDescription: String { input.debugDescription }

    static let all: [StringCase] = {
        struct File: Decodable { let cases: [StringCase] }
        let data = try! Data(contentsOf: SharedData.fixture("text/strings.json"))
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()
}

/// Compares code points, not canonical equivalence (Swift's `String ==`).
func scalars(_ string: String) -> [UInt32] { string.unicodeScalars.map(\.value) }
func scalars(_ strings: [String]) -> [[UInt32]] { strings.map(scalars) }

@Suite("Normalisers and tokenizers against Python on hand-written strings")
struct StringCaseTests {
    @Test func fixtureIsLoaded() { #expect(StringCase.all.count > 50) }

    @Test(arguments: StringCase.all)
    func normalisers(_ example: StringCase) {
        #expect(scalars(PythonString.lower(example.input)) == scalars(example.lower))
        #expect(scalars(PythonString.casefold(example.input)) == scalars(example.casefold))
        #expect(scalars(PythonString.normalize(example.input, form: .nfc)) == scalars(example.NFC))
        #expect(scalars(PythonString.normalize(example.input, form: .nfd)) == scalars(example.NFD))
        #expect(scalars(PythonString.normalize(example.input, form: .nfkc)) == scalars(example.NFKC))
        #expect(scalars(PythonString.normalize(example.input, form: .nfkd)) == scalars(example.NFKD))
        #expect(
            scalars(PythonString.stripAccentsUnicode(example.input))
                == scalars(example.strip_accents_unicode))
        #expect(
            scalars(PythonString.stripAccentsASCII(example.input)) == scalars(example.strip_accents_ascii))
        #expect(scalars(PythonString.splitWhitespace(example.input)) == scalars(example.split))
    }

    @Test(arguments: StringCase.all)
    func analyzers(_ example: StringCase) throws {
        func run(_ stages: String) throws -> [[UInt32]] {
            scalars(try Analyzer(parsing: stages).analyze(example.input))
        }
        #expect(try run("whitespace") == scalars(example.split))
        #expect(try run("words") == scalars(example.words))
        #expect(try run("punct") == scalars(example.punct))
        #expect(try run("sklearn") == scalars(example.sklearn))
        #expect(try run("lowercase,sklearn") == scalars(example.analyzer_default))
        #expect(
            try run("lowercase,strip-accents,sklearn,stopwords,ngrams=1..2")
                == scalars(example.analyzer_rich))
        // The normaliser stages are the PythonString functions.
        #expect(try run("casefold") == scalars([example.casefold]))
        #expect(try run("nfkd") == scalars([example.NFKD]))
        #expect(try run("strip-accents=ascii") == scalars([example.strip_accents_ascii]))
    }
}

@Suite("Analyzer stages")
struct AnalyzerStageTests {
    @Test func stagesApplyInTheOrderWritten() throws {
        // Lower-casing after tokenizing still lower-cases; splitting re-splits earlier tokens.
        #expect(try Analyzer(parsing: "whitespace,lowercase").analyze("Hello, World!") == ["hello,", "world!"])
        #expect(try Analyzer(parsing: "whitespace,punct").analyze("Hello, World!") == ["Hello", ",", "World", "!"])
        #expect(try Analyzer(parsing: "sklearn").analyze("Hello, World! a") == ["Hello", "World"])
    }

    @Test func ngramsFollowScikitLearnOrder() throws {
        let analyzer = try Analyzer(parsing: "whitespace,ngrams=1..3")
        #expect(analyzer.analyze("a b c") == ["a", "b", "c", "a b", "b c", "a b c"])
        #expect(try Analyzer(parsing: "whitespace,ngrams=2..2").analyze("a b c") == ["a b", "b c"])
        #expect(try Analyzer(parsing: "whitespace,ngrams=2..3").analyze("a") == [])
        #expect(try Analyzer(parsing: "whitespace,ngrams=3").analyze("a b c d") == ["a b c", "b c d"])
    }

    @Test func lengthFiltersCountCodePoints() throws {
        let analyzer = try Analyzer(parsing: "whitespace,min-length=3,max-length=4")
        #expect(analyzer.analyze("ab abc abcd abcde éé ééé") == ["abc", "abcd", "ééé"])
    }

    @Test func stopWordsUseScikitLearnsList() throws {
        #expect(StopWordList.english.words.count == 318)
        let analyzer = try Analyzer(parsing: "lowercase,sklearn,stopwords")
        #expect(analyzer.analyze("The cat sat on THE mat, without ANY doubt") == ["cat", "sat", "mat", "doubt"])
    }

    @Test func stopWordsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID()).txt")
        try "# mine\ncat\n\n  mat  \n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let analyzer = try Analyzer(parsing: "whitespace,stopwords=\(url.path)")
        #expect(analyzer.analyze("the cat sat on the mat") == ["the", "sat", "on", "the"])
        #expect(throws: TextStageError.self) { try Analyzer(parsing: "whitespace,stopwords=/nonexistent/stop.txt") }
    }

    @Test func stemmersAreStages() throws {
        #expect(try Analyzer(parsing: "whitespace,porter").analyze("Caresses ponies generously") == ["caress", "poni", "gener"])
        #expect(try Analyzer(parsing: "whitespace,snowball").analyze("Caresses ponies generously") == ["caress", "poni", "generous"])
        // The stem cache returns the same stems on a second pass.
        let worker = try Analyzer(parsing: "whitespace,porter").makeWorker()
        #expect(worker.analyze("running runs ran running") == ["run", "run", "ran", "run"])
        #expect(worker.analyze("running runs ran running") == ["run", "run", "ran", "run"])
    }

    @Test func seedRecipeFirstRows() throws {
        // ../shared/data/README.md: the first stemmed SST-2 rows.
        let analyzer = try Analyzer(parsing: "whitespace,porter")
        #expect(analyzer.analyze("hide new secretions from the parental units ").joined(separator: " ") == "hide new secret from the parent unit")
        #expect(analyzer.analyze("contains no wit , only labored gags ").joined(separator: " ") == "contain no wit , onli labor gag")
    }

    @Test func stageNamesRoundTrip() throws {
        let text = "lowercase,casefold,nfc,nfd,nfkc,nfkd,strip-accents,strip-accents=ascii,whitespace,sklearn,words,punct,stopwords,min-length=2,max-length=15,porter,porter-original,porter-martin,snowball,ngrams=1..2"
        let stages = try TextStage.parseList(text)
        #expect(stages.count == 20)
        #expect(stages.stageNames == text)
        let encoded = try JSONEncoder().encode(try Analyzer(stages))
        #expect(try JSONDecoder().decode(Analyzer.self, from: encoded).stages == stages)
    }

    @Test(arguments: [
        ("frobnicate", "unknown text stage 'frobnicate'"),
        ("ngrams=2..1", "text stage 'ngrams': bad argument '2..1'"),
        ("ngrams=0..1", "text stage 'ngrams': bad argument '0..1'"),
        ("ngrams", "text stage 'ngrams': bad argument ''"),
        ("min-length=x", "text stage 'min-length': bad argument 'x'"),
        ("porter=1", "text stage 'porter' takes no argument"),
        ("strip-accents=greek", "text stage 'strip-accents': bad argument 'greek'"),
        (" , ", "the list of text stages is empty"),
    ])
    func badStageNamesAreNamedInTheError(text: String, message: String) {
        do {
            _ = try Analyzer(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect("\(error)".hasPrefix(message), "got: \(error)")
        }
    }

    @Test func emptyAndWhitespaceDocuments() throws {
        let analyzer = try Analyzer(parsing: "lowercase,sklearn")
        #expect(analyzer.analyze("") == [])
        #expect(analyzer.analyze(" \n\t ") == [])
        #expect(try Analyzer(parsing: "lowercase").analyze("") == [""])
    }
}
