/// One step of a text analyzer.
///
/// An ``Analyzer`` applies its stages in the order given. A document enters as a
/// single token; normalisers rewrite each token, tokenizers split each token
/// (so a tokenizer can also re-split the tokens of an earlier one), filters drop
/// tokens, stemmers rewrite them, and `ngrams` joins them.
///
/// Every stage has a textual name, used by `textclf --text` and in saved files:
/// `lowercase`, `casefold`, `nfc`, `nfd`, `nfkc`, `nfkd`, `strip-accents`
/// (= `strip-accents=unicode`), `strip-accents=ascii`, `whitespace`, `sklearn`,
/// `words`, `punct`, `stopwords` (= `stopwords=english`), `stopwords=FILE`,
/// `min-length=N`, `max-length=N`, `porter`, `porter-original`, `porter-martin`,
/// `snowball`, and `ngrams=MIN..MAX` (or `ngrams=N`).
public enum TextStage: Sendable, Hashable {
    /// Python's `str.lower()` (what scikit-learn's `lowercase=True` does).
    case lowercase
    /// Python's `str.casefold()`: full Unicode case folding.
    case casefold
    /// Unicode normalisation to one of NFC, NFD, NFKC, NFKD.
    case normalize(PythonString.NormalizationForm)
    /// scikit-learn's `strip_accents`.
    case stripAccents(AccentStripping)
    /// Python's `str.split()`: runs of Unicode whitespace separate tokens.
    case whitespace
    /// scikit-learn's default `token_pattern`, `(?u)\b\w\w+\b`: runs of two or more word characters.
    case sklearn
    /// Runs of word characters of any length.
    case words
    /// Runs of word characters, and each other non-space character as a token of its own.
    case punct
    /// Removes the tokens in a stop-word list.
    case stopwords(StopWordList)
    /// Removes tokens shorter than this many code points.
    case minLength(Int)
    /// Removes tokens longer than this many code points.
    case maxLength(Int)
    /// NLTK's `PorterStemmer` in the given mode.
    case porter(PorterStemmer.Mode)
    /// NLTK's `SnowballStemmer("english")` (Porter2).
    case snowball
    /// Word n-grams of the tokens, in scikit-learn's order: all `min`-grams, then all `min+1`-grams, ….
    case ngrams(min: Int, max: Int)

    /// The two meanings of scikit-learn's `strip_accents`.
    public enum AccentStripping: String, Sendable, Hashable, CaseIterable {
        /// NFKD, then drop combining characters (`strip_accents="unicode"`).
        case unicode
        /// NFKD, then drop every non-ASCII character (`strip_accents="ascii"`).
        case ascii
    }

    /// The stages scikit-learn's `CountVectorizer()` applies by default.
    public static let sklearnDefault: [TextStage] = [.lowercase, .sklearn]

    /// Parses one stage name such as `porter` or `ngrams=1..2`.
    /// - Throws: ``TextStageError`` naming the bad value.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces
        let name: Substring
        let argument: Substring?
        if let equals = trimmed.firstIndex(of: "=") {
            name = trimmed[..<equals]
            argument = trimmed[trimmed.index(after: equals)...]
        } else {
            name = Substring(trimmed)
            argument = nil
        }
        func noArgument(_ stage: TextStage) throws -> TextStage {
            if let argument {
                throw TextStageError.unexpectedArgument(stage: String(name), argument: String(argument))
            }
            return stage
        }
        func integer() throws -> Int {
            guard let argument, let value = Int(argument), value >= 0 else {
                throw TextStageError.badArgument(
                    stage: String(name), argument: argument.map(String.init) ?? "",
                    expected: "a non-negative integer, e.g. \(name)=2")
            }
            return value
        }
        switch name {
        case "lowercase", "lower": self = try noArgument(.lowercase)
        case "casefold": self = try noArgument(.casefold)
        case "nfc", "nfd", "nfkc", "nfkd":
            self = try noArgument(.normalize(PythonString.NormalizationForm(rawValue: name.uppercased())!))
        case "strip-accents":
            switch argument {
            case nil, "unicode": self = .stripAccents(.unicode)
            case "ascii": self = .stripAccents(.ascii)
            case let other?:
                throw TextStageError.badArgument(
                    stage: "strip-accents", argument: String(other), expected: "unicode or ascii")
            }
        case "whitespace": self = try noArgument(.whitespace)
        case "sklearn": self = try noArgument(.sklearn)
        case "words": self = try noArgument(.words)
        case "punct": self = try noArgument(.punct)
        case "stopwords":
            switch argument {
            case nil, "english": self = .stopwords(.english)
            case let path?:
                guard !path.isEmpty else {
                    throw TextStageError.badArgument(
                        stage: "stopwords", argument: "", expected: "english or a file path")
                }
                self = .stopwords(try StopWordList(contentsOfFile: String(path)))
            }
        case "min-length": self = .minLength(try integer())
        case "max-length": self = .maxLength(try integer())
        case "porter": self = try noArgument(.porter(.nltkExtensions))
        case "porter-original": self = try noArgument(.porter(.original))
        case "porter-martin": self = try noArgument(.porter(.martinExtensions))
        case "snowball": self = try noArgument(.snowball)
        case "ngrams":
            guard let argument else {
                throw TextStageError.badArgument(
                    stage: "ngrams", argument: "", expected: "a range such as ngrams=1..2")
            }
            let parts = argument.split(separator: ".", omittingEmptySubsequences: true)
            let bounds = parts.compactMap { Int($0) }
            let valid =
                bounds.count == parts.count && (bounds.count == 1 || bounds.count == 2)
                && (argument.contains("..") || bounds.count == 1)
            guard valid, let low = bounds.first, let high = bounds.last, low >= 1, high >= low else {
                throw TextStageError.badArgument(
                    stage: "ngrams", argument: String(argument),
                    expected: "MIN..MAX with 1 <= MIN <= MAX, e.g. ngrams=1..2")
            }
            self = .ngrams(min: low, max: high)
        default:
            throw TextStageError.unknownStage(String(trimmed))
        }
    }

    /// Parses a comma-separated list of stage names, e.g. `whitespace,porter,sklearn`.
    /// - Throws: ``TextStageError`` naming the bad stage.
    public static func parseList(_ text: String) throws -> [TextStage] {
        let names = text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw TextStageError.emptyList }
        return try names.map(TextStage.init(parsing:))
    }

    /// The stage's textual name, which ``init(parsing:)`` reads back.
    public var name: String {
        switch self {
        case .lowercase: return "lowercase"
        case .casefold: return "casefold"
        case .normalize(let form): return form.rawValue.lowercased()
        case .stripAccents(.unicode): return "strip-accents"
        case .stripAccents(.ascii): return "strip-accents=ascii"
        case .whitespace: return "whitespace"
        case .sklearn: return "sklearn"
        case .words: return "words"
        case .punct: return "punct"
        case .stopwords(let list): return list.source == nil ? "stopwords" : "stopwords=\(list.source!)"
        case .minLength(let length): return "min-length=\(length)"
        case .maxLength(let length): return "max-length=\(length)"
        case .porter(.nltkExtensions): return "porter"
        case .porter(.original): return "porter-original"
        case .porter(.martinExtensions): return "porter-martin"
        case .snowball: return "snowball"
        case .ngrams(let low, let high): return "ngrams=\(low)..\(high)"
        }
    }

    /// Every stage name with a one-line description, for help texts.
    public static let catalogue: [(name: String, summary: String)] = [
        ("lowercase", "Python str.lower() (what scikit-learn does)"),
        ("casefold", "full Unicode case folding (ß → ss)"),
        ("nfc, nfd, nfkc, nfkd", "Unicode normalisation"),
        ("strip-accents[=unicode|ascii]", "scikit-learn's strip_accents"),
        ("whitespace", "split on whitespace (Python str.split())"),
        ("sklearn", "scikit-learn's (?u)\\b\\w\\w+\\b: words of 2+ characters"),
        ("words", "Unicode words of any length"),
        ("punct", "words, and each punctuation mark as a token"),
        ("stopwords[=english|FILE]", "drop stop words (scikit-learn's English list by default)"),
        ("min-length=N, max-length=N", "drop tokens shorter/longer than N characters"),
        ("porter", "NLTK PorterStemmer(), NLTK_EXTENSIONS mode"),
        ("porter-original", "NLTK PorterStemmer, ORIGINAL_ALGORITHM mode"),
        ("porter-martin", "NLTK PorterStemmer, MARTIN_EXTENSIONS mode"),
        ("snowball", "NLTK SnowballStemmer(\"english\") (Porter2)"),
        ("ngrams=MIN..MAX", "word n-grams of the final tokens, joined by spaces"),
    ]
}

/// A stage list as a comma-separated string, e.g. `lowercase,sklearn`.
extension Array where Element == TextStage {
    /// The comma-separated stage names, which ``TextStage/parseList(_:)`` reads back.
    public var stageNames: String { map(\.name).joined(separator: ",") }
}

extension TextStage: Codable {
    /// Stages are saved by name.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try TextStage(parsing: try container.decode(String.self))
    }

    /// Stages are saved by name.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// A stage name or argument that could not be understood.
public enum TextStageError: Error, Equatable, CustomStringConvertible {
    case unknownStage(String)
    case unexpectedArgument(stage: String, argument: String)
    case badArgument(stage: String, argument: String, expected: String)
    case emptyList
    case stopWordFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownStage(let name):
            let names = TextStage.catalogue.map(\.name).joined(separator: ", ")
            return "unknown text stage '\(name)'; known stages: \(names)"
        case .unexpectedArgument(let stage, let argument):
            return "text stage '\(stage)' takes no argument (got '=\(argument)')"
        case .badArgument(let stage, let argument, let expected):
            return "text stage '\(stage)': bad argument '\(argument)', expected \(expected)"
        case .emptyList:
            return "the list of text stages is empty"
        case .stopWordFile(let path, let reason):
            return "\(path): cannot read stop words: \(reason)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
