import Foundation

/// A list of stop words for the `stopwords` stage.
///
/// The default is scikit-learn's `ENGLISH_STOP_WORDS` (318 words). A file holds one
/// word per line (lines ending in `\n`, `\r\n` or `\r`); surrounding whitespace is trimmed, and blank lines and lines
/// starting with `#` are ignored. Tokens are compared byte for byte, so put the
/// stage after the normalisers whose output the words should match.
public struct StopWordList: Sendable, Hashable {
    /// The words, sorted by code point.
    public let words: [String]
    /// The file the words came from, or `nil` for the built-in English list.
    public let source: String?
    let table: ByteStringTable

    /// Creates a list from `words`; `source` names where they came from.
    public init<S: Sequence>(words: S, source: String? = nil) where S.Element == String {
        let unique = Array(Set(words.map { Array($0.utf8) })).sorted { $0.lexicographicallyPrecedes($1) }
        self.words = unique.map { String(decoding: $0, as: UTF8.self) }
        self.source = source
        var table = ByteStringTable(capacity: unique.count)
        for word in unique { word.withUnsafeBufferPointer { _ = table.insert($0) } }
        self.table = table
    }

    /// Reads one stop word per line from the file at `path`; lines end in `\n`, `\r\n` or
    /// `\r` (``LineBreaks``).
    /// - Throws: ``TextStageError/stopWordFile(path:reason:)`` if the file cannot be read
    ///   or is not UTF-8.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextStageError.stopWordFile(path: path, reason: "no such file or not readable")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw TextStageError.stopWordFile(path: path, reason: "not valid UTF-8")
        }
        let words = LineBreaks.lines(of: text)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        self.init(words: words, source: path)
    }

    /// Whether `token` is in the list.
    public func contains(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        table.id(of: token) != nil
    }

    /// scikit-learn's `ENGLISH_STOP_WORDS`.
    public static let english = StopWordList(words: englishWords)

    public static func == (lhs: StopWordList, rhs: StopWordList) -> Bool {
        lhs.source == rhs.source && lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(words)
    }

    /// scikit-learn 1.x `sklearn.feature_extraction.text.ENGLISH_STOP_WORDS`, sorted.
    static let englishWords: [String] = [
        "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
        "alone", "along", "already", "also", "although", "always", "am", "among", "amongst",
        "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything",
        "anyway", "anywhere", "are", "around", "as", "at", "back", "be", "became", "because",
        "become", "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "below",
        "beside", "besides", "between", "beyond", "bill", "both", "bottom", "but", "by", "call",
        "can", "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de", "describe", "detail",
        "do", "done", "down", "due", "during", "each", "eg", "eight", "either", "eleven", "else",
        "elsewhere", "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything",
        "everywhere", "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five",
        "for", "former", "formerly", "forty", "found", "four", "from", "front", "full", "further",
        "get", "give", "go", "had", "has", "hasnt", "have", "he", "hence", "her", "here",
        "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself", "his",
        "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed", "interest", "into",
        "is", "it", "its", "itself", "keep", "last", "latter", "latterly", "least", "less", "ltd",
        "made", "many", "may", "me", "meanwhile", "might", "mill", "mine", "more", "moreover",
        "most", "mostly", "move", "much", "must", "my", "myself", "name", "namely", "neither",
        "never", "nevertheless", "next", "nine", "no", "nobody", "none", "noone", "nor", "not",
        "nothing", "now", "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto",
        "or", "other", "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own",
        "part", "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed",
        "seeming", "seems", "serious", "several", "she", "should", "show", "side", "since",
        "sincere", "six", "sixty", "so", "some", "somehow", "someone", "something", "sometime",
        "sometimes", "somewhere", "still", "such", "system", "take", "ten", "than", "that", "the",
        "their", "them", "themselves", "then", "thence", "there", "thereafter", "thereby",
        "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this",
        "those", "though", "three", "through", "throughout", "thru", "thus", "to", "together",
        "too", "top", "toward", "towards", "twelve", "twenty", "two", "un", "under", "until", "up",
        "upon", "us", "very", "via", "was", "we", "well", "were", "what", "whatever", "when",
        "whence", "whenever", "where", "whereafter", "whereas", "whereby", "wherein", "whereupon",
        "wherever", "whether", "which", "while", "whither", "who", "whoever", "whole", "whom",
        "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours",
        "yourself", "yourselves",
    ]
}
