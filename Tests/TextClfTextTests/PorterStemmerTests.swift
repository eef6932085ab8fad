import Foundation
import Testing
import TextClfTestSupport
import TextClfText

@Suite("PorterStemmer")
struct PorterStemmerTests {
    /// One fixture row: a word and NLTK 3.10.4's stem of it in each mode.
    struct Row {
        let word: String
        let expected: [PorterStemmer.Mode: String]
    }

    /// Reads `stemmers/words.tsv`, made by `scripts/fixtures/make_stemmer_fixtures.py`.
    static func loadRows() throws -> [Row] {
        let url = SharedData.fixture("stemmers/words.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        // Split on "\n" as a scalar, not as a Character, so that no word can
        // merge with its line ending into one grapheme.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0) }
        if lines.last == "" { lines.removeLast() }
        let data = lines.filter { !$0.hasPrefix("#") }
        guard let header = data.first else { return [] }
        let columns = Self.fields(header)
        let modeColumns: [(PorterStemmer.Mode, Int)] = try [
            (.nltkExtensions, "porter"), (.original, "porter-original"),
            (.martinExtensions, "porter-martin"),
        ].map { mode, name in
            let index = try #require(columns.firstIndex(of: name), "no column \(name)")
            return (mode, index)
        }
        return data.dropFirst().map { line in
            let fields = Self.fields(line)
            var expected: [PorterStemmer.Mode: String] = [:]
            for (mode, index) in modeColumns { expected[mode] = fields[index] }
            return Row(word: fields[0], expected: expected)
        }
    }

    /// Splits on tabs by scalar, keeping empty fields (`"s"` stems to `""` in
    /// ORIGINAL_ALGORITHM mode).
    static func fields(_ line: String) -> [String] {
        line.unicodeScalars.split(separator: "\t", omittingEmptySubsequences: false).map {
            String($0)
        }
    }

    /// Code-point equality: Swift's `==` on strings is canonical equivalence,
    /// which would hide a stem that differs from NLTK's only in normalisation.
    static func sameScalars(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    @Test("matches NLTK on every fixture word", arguments: PorterStemmer.Mode.allCases)
    func matchesFixture(mode: PorterStemmer.Mode) throws {
        let rows = try Self.loadRows()
        #expect(rows.count > 7000, "fixture has only \(rows.count) rows")
        let stemmer = PorterStemmer(mode: mode)
        var mismatches: [String] = []
        var mismatchCount = 0
        for row in rows {
            let expected = try #require(row.expected[mode])
            let got = stemmer.stem(row.word)
            if !Self.sameScalars(got, expected) {
                mismatchCount += 1
                if mismatches.count < 20 {
                    mismatches.append(
                        "word \(row.word.debugDescription): expected \(expected.debugDescription), "
                            + "got \(got.debugDescription) [\(mode.rawValue)]")
                }
            }
        }
        #expect(
            mismatchCount == 0,
            "\(mismatchCount) of \(rows.count) words differ from NLTK:\n\(mismatches.joined(separator: "\n"))")
    }

    /// Classic cases, each checked against NLTK 3.10.4, as (word, NLTK_EXTENSIONS,
    /// ORIGINAL_ALGORITHM, MARTIN_EXTENSIONS).
    static let classics: [(String, String, String, String)] = [
        ("caresses", "caress", "caress", "caress"),
        ("ponies", "poni", "poni", "poni"),
        ("caress", "caress", "caress", "caress"),
        ("cats", "cat", "cat", "cat"),
        ("feed", "feed", "feed", "feed"),
        ("agreed", "agre", "agre", "agre"),
        ("plastered", "plaster", "plaster", "plaster"),
        ("motoring", "motor", "motor", "motor"),
        ("sing", "sing", "sing", "sing"),
        ("hopping", "hop", "hop", "hop"),
        ("falling", "fall", "fall", "fall"),
        ("filing", "file", "file", "file"),
        ("happy", "happi", "happi", "happi"),
        ("generalization", "gener", "gener", "gener"),
        ("controll", "control", "control", "control"),
        // NLTK-only step 1a/1b rules for four-letter -ies/-ied words.
        ("ties", "tie", "ti", "ti"),
        ("dies", "die", "di", "di"),
        ("died", "die", "di", "di"),
        ("flies", "fli", "fli", "fli"),
        ("spied", "spi", "spi", "spi"),
        // Step 1c: NLTK wants a consonant before the y, not merely a vowel in the stem.
        ("enjoy", "enjoy", "enjoi", "enjoi"),
        ("spy", "spi", "spy", "spy"),
        ("cry", "cri", "cry", "cry"),
        // The irregular-form pool (NLTK_EXTENSIONS only), looked up after lower-casing.
        ("dying", "die", "dy", "dy"),
        ("skies", "sky", "ski", "ski"),
        ("news", "news", "new", "new"),
        ("proceed", "proceed", "proce", "proce"),
        ("Sky", "sky", "sky", "sky"),
        // Step 2: logi (NLTK keeps the l with the stem) and NLTK's fulli.
        ("archaeology", "archaeolog", "archaeologi", "archaeolog"),
        ("geology", "geolog", "geologi", "geologi"),
        ("hopefulli", "hope", "hopefulli", "hopefulli"),
        // Short words skip stemming except in ORIGINAL_ALGORITHM.
        ("s", "s", "", "s"),
        ("is", "is", "i", "is"),
        // The length test uses the original word: "İs" is 2 code points, 3 once lowered.
        ("\u{130}s", "i\u{307}s", "i\u{307}", "i\u{307}s"),
        // NLTK's "*d" pseudo-suffix falls back to a literal suffix test.
        ("xa*ded", "xad", "xad", "xad"),
        ("yyyy", "yyyi", "yyyi", "yyyi"),
    ]

    @Test("classic and mode-specific cases")
    func classicCases() {
        let nltk = PorterStemmer()
        let original = PorterStemmer(mode: .original)
        let martin = PorterStemmer(mode: .martinExtensions)
        for (word, n, o, m) in Self.classics {
            #expect(Self.sameScalars(nltk.stem(word), n), "\(word) NLTK_EXTENSIONS")
            #expect(Self.sameScalars(original.stem(word), o), "\(word) ORIGINAL_ALGORITHM")
            #expect(Self.sameScalars(martin.stem(word), m), "\(word) MARTIN_EXTENSIONS")
        }
    }

    @Test("default mode and raw values mirror NLTK's constants")
    func modes() {
        #expect(PorterStemmer().mode == .nltkExtensions)
        #expect(PorterStemmer.Mode.allCases.map(\.rawValue)
            == ["NLTK_EXTENSIONS", "ORIGINAL_ALGORITHM", "MARTIN_EXTENSIONS"])
    }
}
