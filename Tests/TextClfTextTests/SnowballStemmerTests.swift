import Foundation
import Testing
import TextClfTestSupport
import TextClfText

@Suite("SnowballStemmer")
struct SnowballStemmerTests {
    @Test("matches NLTK on every fixture word")
    func matchesFixture() throws {
        let fixture = try StemmerFixture.load()
        #expect(fixture.words.count > 7000, "fixture has only \(fixture.words.count) rows")
        let stemmer = SnowballStemmer()
        let (count, examples) = fixture.mismatches(column: "snowball") { stemmer.stem($0) }
        #expect(count == 0, "\(count) words differ from NLTK:\n\(examples.joined(separator: "\n"))")
    }

    /// Code-point equality: Swift's `==` on strings is canonical equivalence.
    static func sameScalars(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
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
