import Foundation
import Testing
import TextClfTestSupport
import TextClfText

@Suite("SnowballStemmer")
struct SnowballStemmerTests {
    /// (word, NLTK 3.10.4 `SnowballStemmer("english")` stem) for every fixture row.
    static func loadRows() throws -> [(word: String, expected: String)] {
        let url = SharedData.fixture("stemmers/words.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        // Split by scalar, not by Character, so that no word can merge with a
        // neighbouring tab or line ending into one grapheme.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0) }
        if lines.last == "" { lines.removeLast() }
        let data = lines.filter { !$0.hasPrefix("#") }
        guard let header = data.first else { return [] }
        let column = try #require(fields(header).firstIndex(of: "snowball"), "no snowball column")
        return try data.dropFirst().map { line in
            let row = fields(line)
            try #require(row.count > column, "short row \(line.debugDescription)")
            return (row[0], row[column])
        }
    }

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

    @Test("matches NLTK on every fixture word")
    func matchesFixture() throws {
        let rows = try Self.loadRows()
        #expect(rows.count > 7000, "fixture has only \(rows.count) rows")
        let stemmer = SnowballStemmer()
        var mismatches: [String] = []
        var mismatchCount = 0
        for (word, expected) in rows {
            let got = stemmer.stem(word)
            if !Self.sameScalars(got, expected) {
                mismatchCount += 1
                if mismatches.count < 20 {
                    mismatches.append(
                        "word \(word.debugDescription): expected \(expected.debugDescription), "
                            + "got \(got.debugDescription)")
                }
            }
        }
        let report = mismatches.joined(separator: "\n")
        #expect(
            mismatchCount == 0,
            "\(mismatchCount) of \(rows.count) words differ from NLTK:\n\(report)")
    }

    /// Classic Porter2 cases and NLTK quirks, each checked against NLTK 3.10.4.
    static let classicCases: [(String, String)] = [
        ("generously", "generous"), ("generate", "generat"), ("generation", "generat"),
        ("communism", "communism"), ("arsenal", "arsenal"),
        ("dying", "die"), ("lying", "lie"), ("tying", "tie"), ("skies", "sky"), ("skis", "ski"),
        ("news", "news"), ("sky", "sky"), ("innings", "inning"), ("proceeded", "proceed"),
        ("succeeding", "succeed"), ("early", "earli"), ("only", "onli"), ("gently", "gentl"),
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("ied", "ie"),
        ("cats", "cat"), ("feed", "feed"), ("agreed", "agre"), ("hopping", "hop"),
        ("hoping", "hope"), ("tanned", "tan"), ("falling", "fall"), ("fizzed", "fizz"),
        ("filing", "file"), ("happy", "happi"), ("cried", "cri"), ("relational", "relat"),
        ("conditional", "condit"), ("vietnamization", "vietnam"), ("hopefulness", "hope"),
        ("controll", "control"), ("roll", "roll"), ("yes", "yes"), ("yyy", "yyy"),
        ("saying", "say"), ("Youth", "youth"), ("McDonald's", "mcdonald"), ("don't", "don't"),
        ("\u{2019}tis", "tis"), ("it\u{2019}s", "it"), ("'hello'", "hello"),
        ("ΟΔΟΣ", "οδος"), ("İstanbul", "i\u{307}stanbul"), ("naïve", "naïv"), ("IS", "is"),
    ]

    @Test("classic Porter2 cases and NLTK quirks")
    func classicCases() {
        let stemmer = SnowballStemmer()
        for (word, expected) in Self.classicCases {
            let got = stemmer.stem(word)
            let wanted = expected.debugDescription
            #expect(
                Self.sameScalars(got, expected),
                "\(word.debugDescription): expected \(wanted), got \(got.debugDescription)")
        }
    }

    @Test("is usable as a Stemmer existential")
    func existential() {
        let stemmer: any Stemmer = SnowballStemmer()
        #expect(stemmer.stem("Generously") == "generous")
        #expect(stemmer.stem("") == "")
    }
}
