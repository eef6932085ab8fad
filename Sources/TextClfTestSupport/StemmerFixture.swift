import Foundation

/// NLTK's stems of a committed word list, `Tests/Fixtures/stemmers/words.tsv`, made by
/// `scripts/fixtures/make_stemmer_fixtures.py`.
public struct StemmerFixture: Sendable {
    /// The words, in file order.
    public let words: [String]
    /// The stems per column name (`porter`, `porter-original`, `porter-martin`, `snowball`),
    /// aligned with ``words``.
    public let stems: [String: [String]]

    /// Reads the fixture. Lines and fields are split by scalar, not by `Character`, so that
    /// no word merges with a tab or line ending into one grapheme; empty fields are kept
    /// (`"s"` stems to `""` in ORIGINAL_ALGORITHM mode).
    public static func load() throws -> StemmerFixture {
        let text = try String(contentsOf: SharedData.fixture("stemmers/words.tsv"), encoding: .utf8)
        // Comment lines come before the header only: a word itself may start with "#".
        let lines = text.unicodeScalars.split(separator: "\n").map(String.init).drop { $0.hasPrefix("#") }
        guard let header = lines.first else { return StemmerFixture(words: [], stems: [:]) }
        let columns = fields(header)
        let rows = lines.dropFirst().map(fields)
        var stems: [String: [String]] = [:]
        for (index, name) in columns.enumerated().dropFirst() {
            stems[name] = rows.map { index < $0.count ? $0[index] : "" }
        }
        return StemmerFixture(words: rows.map { $0[0] }, stems: stems)
    }

    static func fields(_ line: String) -> [String] {
        line.unicodeScalars.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }

    /// The rows where `stem` disagrees with the column `name`, as readable lines, at most `limit`;
    /// and how many disagree in all. Compares code points: Swift's `==` on strings is canonical
    /// equivalence, which would hide a stem that differs from NLTK's only in normalisation.
    public func mismatches(column name: String, limit: Int = 20, _ stem: (String) -> String)
        -> (count: Int, examples: [String])
    {
        let expected = stems[name] ?? []
        var count = 0
        var examples: [String] = []
        for (word, want) in zip(words, expected) {
            let got = stem(word)
            if !got.unicodeScalars.elementsEqual(want.unicodeScalars) {
                count += 1
                if examples.count < limit {
                    examples.append("\(word.debugDescription): NLTK \(want.debugDescription), got \(got.debugDescription)")
                }
            }
        }
        if expected.count != words.count { count += 1 }
        return (count, examples)
    }
}
