/// An ordered chain of ``TextStage``s that turns a document into tokens.
///
/// The analyzer is an immutable description; the work happens in an
/// ``AnalyzerWorker``, which owns the buffers and the stemming caches, so that
/// analyzing a document does not allocate once the buffers have grown. Use one
/// worker per thread.
///
/// ```swift
/// let analyzer = try Analyzer(parsing: "whitespace,porter,sklearn")
/// let worker = analyzer.makeWorker()
/// worker.analyze("Hiding new secrets") // ["hide", "new", "secret"]
/// ```
public struct Analyzer: Sendable, Hashable, Codable {
    /// The stages, applied in this order.
    public let stages: [TextStage]

    /// scikit-learn's `CountVectorizer()` default: `lowercase,sklearn`.
    public static let sklearnDefault = Analyzer(validated: TextStage.sklearnDefault)

    /// Creates an analyzer from stages in the order they apply.
    /// - Throws: ``TextStageError`` for an invalid n-gram range or length bound.
    public init(_ stages: [TextStage]) throws {
        for stage in stages {
            switch stage {
            case .ngrams(let low, let high) where low < 1 || high < low:
                throw TextStageError.badArgument(
                    stage: "ngrams", argument: "\(low)..\(high)", expected: "1 <= MIN <= MAX")
            case .minLength(let length) where length < 0, .maxLength(let length) where length < 0:
                throw TextStageError.badArgument(
                    stage: stage.name, argument: "\(length)", expected: "a non-negative integer")
            default: continue
            }
        }
        self.stages = stages
    }

    /// Creates an analyzer from comma-separated stage names, e.g. `lowercase,sklearn`.
    /// - Throws: ``TextStageError`` naming the bad stage.
    public init(parsing text: String) throws {
        try self.init(TextStage.parseList(text))
    }

    private init(validated stages: [TextStage]) { self.stages = stages }

    /// A new worker with its own buffers and caches.
    public func makeWorker() -> AnalyzerWorker { AnalyzerWorker(self) }

    /// The tokens of `text`. Convenient for a few documents; use a worker for many.
    public func analyze(_ text: String) -> [String] { makeWorker().analyze(text) }

    /// The comma-separated stage names.
    public var description: String { stages.stageNames }

    /// Reads the comma-separated stage names (or a list of names).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let names = try? container.decode(String.self) {
            try self.init(parsing: names)
        } else {
            try self.init(try container.decode([TextStage].self))
        }
    }

    /// Saved as the comma-separated stage names, the syntax of `textclf --text`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(stages.stageNames)
    }
}

/// Runs an ``Analyzer`` over documents, reusing its buffers and stem caches.
///
/// Not thread-safe: give each thread its own worker.
public final class AnalyzerWorker {
    /// The analyzer this worker runs.
    public let analyzer: Analyzer
    private let operations: [Operation]
    private var current = TokenList()
    private var next = TokenList()
    private var caches: [StemCache]
    private let classes: [UInt8] = UnicodeClass.table

    /// A stage compiled for execution; stemmers carry an index into `caches`.
    private enum Operation {
        case lowercase, casefold
        case normalize(PythonString.NormalizationForm)
        case stripAccents(asciiOnly: Bool)
        case split(Splitter)
        case stopwords(StopWordList)
        case length(min: Int, max: Int)
        case stem(cache: Int)
        case ngrams(min: Int, max: Int)
    }

    enum Splitter { case whitespace, words(minimumLength: Int), punct }

    init(_ analyzer: Analyzer) {
        self.analyzer = analyzer
        var caches: [StemCache] = []
        operations = analyzer.stages.map { stage -> Operation in
            switch stage {
            case .lowercase: return .lowercase
            case .casefold: return .casefold
            case .normalize(let form): return .normalize(form)
            case .stripAccents(let kind): return .stripAccents(asciiOnly: kind == .ascii)
            case .whitespace: return .split(.whitespace)
            case .sklearn: return .split(.words(minimumLength: 2))
            case .words: return .split(.words(minimumLength: 1))
            case .punct: return .split(.punct)
            case .stopwords(let list): return .stopwords(list)
            case .minLength(let length): return .length(min: length, max: .max)
            case .maxLength(let length): return .length(min: 0, max: length)
            case .porter(let mode):
                caches.append(StemCache(stemmer: PorterStemmer(mode: mode)))
                return .stem(cache: caches.count - 1)
            case .snowball:
                caches.append(StemCache(stemmer: SnowballStemmer()))
                return .stem(cache: caches.count - 1)
            case .ngrams(let low, let high): return .ngrams(min: low, max: high)
            }
        }
        self.caches = caches
    }

    /// The tokens of `text`.
    public func analyze(_ text: String) -> [String] {
        withTokens(of: text) { $0.strings }
    }

    /// Analyzes `text` and passes its tokens to `body`, as ``withTokens(utf8:_:)`` does.
    public func withTokens<Result>(
        of text: String, _ body: (TokenList) throws -> Result
    ) rethrows -> Result {
        var text = text
        return try text.withUTF8 { try withTokens(utf8: $0, body) }
    }

    /// Analyzes the valid UTF-8 `document` and passes its tokens to `body`.
    ///
    /// The token list is borrowed: it is valid only inside `body`, and its storage
    /// is reused by the next call.
    public func withTokens<Result>(
        utf8 document: UnsafeBufferPointer<UInt8>, _ body: (TokenList) throws -> Result
    ) rethrows -> Result {
        // Work on locals: class properties would pay an exclusivity check per token.
        var current = self.current
        var next = self.next
        var caches = self.caches
        self.current = TokenList()
        self.next = TokenList()
        self.caches = []
        defer {
            self.current = current
            self.next = next
            self.caches = caches
        }
        current.setSingleToken(document)
        for operation in operations {
            next.removeAll()
            run(operation, from: current, into: &next, caches: &caches)
            swap(&current, &next)
        }
        return try body(current)
    }

    private func run(
        _ operation: Operation, from current: TokenList, into next: inout TokenList,
        caches: inout [StemCache]
    ) {
        if case .ngrams(let low, let high) = operation {
            Self.appendNgrams(min: low, max: high, from: current, into: &next)
            return
        }
        current.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for end in current.ends {
                let token = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end
                switch operation {
                case .lowercase:
                    next.appendToken { PythonString.lower(utf8: token, into: &$0) }
                case .casefold:
                    next.appendToken { PythonString.casefold(utf8: token, into: &$0) }
                case .normalize(let form):
                    next.appendToken { PythonString.normalize(utf8: token, form: form, into: &$0) }
                case .stripAccents(let asciiOnly):
                    next.appendToken {
                        PythonString.stripAccents(utf8: token, asciiOnly: asciiOnly, into: &$0)
                    }
                case .split(let splitter):
                    split(token, splitter, into: &next)
                case .stopwords(let list):
                    if !list.contains(token) { next.appendToken(token) }
                case .length(let low, let high):
                    let length = Self.scalarCount(token)
                    if length >= low && length <= high { next.appendToken(token) }
                case .stem(let index):
                    caches[index].stem(token, into: &next)
                case .ngrams:
                    break
                }
            }
        }
    }

    /// Splits one token into runs of word characters, whitespace-separated
    /// pieces, or words and single punctuation marks.
    private func split(
        _ token: UnsafeBufferPointer<UInt8>, _ splitter: Splitter, into next: inout TokenList
    ) {
        classes.withUnsafeBufferPointer { classes in
            var index = 0
            var runStart = -1
            var runLength = 0
            let minimumRun: Int
            switch splitter {
            case .words(let minimumLength): minimumRun = minimumLength
            case .whitespace, .punct: minimumRun = 1
            }
            while index < token.count {
                let lead = token[index]
                let scalar: UInt32
                let width: Int
                if lead < 0x80 {
                    scalar = UInt32(lead)
                    width = 1
                } else {
                    (scalar, width) = PythonString.decodeScalar(token, at: index)
                }
                let flags = classes[Int(scalar)]
                let inRun: Bool
                switch splitter {
                case .whitespace: inRun = flags & UnicodeClass.space == 0
                case .words, .punct: inRun = flags & UnicodeClass.word != 0
                }
                if inRun {
                    if runStart < 0 {
                        runStart = index
                        runLength = 0
                    }
                    runLength += 1
                } else {
                    if runStart >= 0 {
                        if runLength >= minimumRun {
                            next.appendToken(UnsafeBufferPointer(rebasing: token[runStart..<index]))
                        }
                        runStart = -1
                    }
                    if case .punct = splitter, flags & UnicodeClass.space == 0 {
                        next.appendToken(UnsafeBufferPointer(rebasing: token[index..<index + width]))
                    }
                }
                index += width
            }
            if runStart >= 0 && runLength >= minimumRun {
                next.appendToken(UnsafeBufferPointer(rebasing: token[runStart..<token.count]))
            }
        }
    }

    /// scikit-learn's `_word_ngrams` order: the `min`-grams (all tokens when
    /// `min` is 1), then each larger `n` up to `max`, tokens joined by one space.
    private static func appendNgrams(
        min low: Int, max high: Int, from current: TokenList, into next: inout TokenList
    ) {
        let count = current.count
        current.bytes.withUnsafeBufferPointer { bytes in
            if low == 1 {
                for index in 0..<count {
                    next.appendToken(UnsafeBufferPointer(rebasing: bytes[current.range(at: index)]))
                }
            }
            let first = Swift.max(low, 2)
            guard first <= high else { return }
            for n in first...high where n <= count {
                for start in 0...(count - n) {
                    next.appendToken { output in
                        for index in start..<(start + n) {
                            if index > start { output.append(0x20) }
                            output.append(contentsOf: bytes[current.range(at: index)])
                        }
                    }
                }
            }
        }
    }

    /// Python's `len()`: the number of code points.
    @inline(__always)
    static func scalarCount(_ token: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in token where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }
}

/// Memoises a stemmer per distinct token: the stems of a corpus repeat, and a
/// table lookup costs far less than the stemming rules.
struct StemCache {
    let stemmer: any Stemmer
    private var tokens = ByteStringTable(capacity: 4096)
    private var stems: [UInt8] = []
    private var stemEnds: [Int] = []
    /// Bound on cached tokens, so a stream of unique tokens cannot grow memory without limit.
    static let limit = 2_000_000

    init(stemmer: any Stemmer) { self.stemmer = stemmer }

    mutating func stem(_ token: UnsafeBufferPointer<UInt8>, into output: inout TokenList) {
        if let id = tokens.id(of: token) {
            let start = id == 0 ? 0 : stemEnds[id - 1]
            stems.withUnsafeBufferPointer {
                output.appendToken(UnsafeBufferPointer(rebasing: $0[start..<stemEnds[id]]))
            }
            return
        }
        let stem = stemmer.stem(String(decoding: token, as: UTF8.self))
        if tokens.count >= Self.limit {
            tokens.removeAll()
            stems.removeAll(keepingCapacity: true)
            stemEnds.removeAll(keepingCapacity: true)
        }
        tokens.insert(token)
        stems.append(contentsOf: stem.utf8)
        stemEnds.append(stems.count)
        var copy = stem
        copy.withUTF8 { output.appendToken($0) }
    }
}
