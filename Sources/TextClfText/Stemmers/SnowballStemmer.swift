/// The Snowball English ("Porter2") stemmer, identical to NLTK 3.10.4's
/// `SnowballStemmer("english")` (class `EnglishStemmer`, `ignore_stopwords=False`).
///
/// This is a port of NLTK's code, not of the reference Snowball algorithm, because
/// the two differ and models trained in Python must see the same stems. NLTK's
/// quirks are kept on purpose, among them:
/// - the word is lower-cased with Python's `str.lower()` first, and words of at
///   most two code points (counted after lower-casing, before any apostrophe
///   handling) come back lower-cased but otherwise unchanged;
/// - the exceptional forms (`skies` → `sky`, `news`, `proceeding` → `proceed`, …)
///   are looked up before the apostrophe characters U+2018, U+2019 and U+201B
///   become `'`, and only one leading `'` is dropped;
/// - R1 and R2 are shrunk and grown alongside the word as NLTK does, so the
///   Step 1b "short word" test is NLTK's `r1 == ""` and Step 2's `ational`
///   leaves an R2 of `"e"` where the suffix reached outside R2.
///
/// NLTK's `ignore_stopwords=True` option is not offered: it reads the English
/// stop-word list from `nltk_data`, which is not part of NLTK itself, so there is
/// no pinned list to reproduce.
///
/// Lengths and positions count Unicode code points, as Python does; only ASCII
/// letters take part in the rules, and any other code point is a non-vowel.
public struct SnowballStemmer: Stemmer {
    /// Creates the English stemmer, the one `SnowballStemmer("english")` builds in NLTK.
    public init() {}

    /// Returns NLTK's Snowball English stem of `word`, which includes lower-casing it.
    public func stem(_ word: String) -> String {
        var word = word
        let asciiResult: String? = word.withUTF8 { utf8 -> String? in
            guard PythonString.isASCII(utf8) else { return nil }
            // A stack buffer keeps the common case free of heap allocations; the
            // result of at most 15 bytes is a small string, also allocation-free.
            let capacity = utf8.count + 1
            return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { buffer in
                for index in 0..<utf8.count {
                    let byte = utf8[index]
                    buffer[index] = UInt32(byte &- 0x41 < 26 ? byte | 0x20 : byte)
                }
                return Self.stem(buffer, count: utf8.count, ascii: true)
            }
        }
        if let asciiResult { return asciiResult }
        var scalars = PythonString.lower(word).unicodeScalars.map(\.value)
        let count = scalars.count
        scalars.append(0)
        return scalars.withUnsafeMutableBufferPointer { buffer in
            Self.stem(buffer, count: count, ascii: false)
        }
    }

    // MARK: - Driver

    /// Stems the lower-cased word in `buffer[0..<count]`; the buffer has room for
    /// one more code point.
    static func stem(
        _ buffer: UnsafeMutableBufferPointer<UInt32>, count: Int, ascii: Bool
    ) -> String {
        if count <= 2 { return makeString(buffer, start: 0, count: count, ascii: ascii) }
        if let special = specialWord(buffer, count: count) { return special }

        for index in 0..<count {
            let scalar = buffer[index]
            if scalar == 0x2019 || scalar == 0x2018 || scalar == 0x201B { buffer[index] = 0x27 }
        }
        var start = 0
        if buffer[0] == 0x27 { start = 1 }
        var state = State(
            word: UnsafeMutableBufferPointer(rebasing: buffer[start...]), count: count - start)
        state.run()
        return makeString(buffer, start: start, count: state.count, ascii: ascii)
    }

    /// Builds the result, turning the `Y` markers back into `y` as NLTK does last.
    static func makeString(
        _ buffer: UnsafeMutableBufferPointer<UInt32>, start: Int, count: Int, ascii: Bool
    ) -> String {
        if ascii {
            return String(unsafeUninitializedCapacity: count) { output in
                for index in 0..<count {
                    let scalar = buffer[start + index]
                    output[index] = UInt8(truncatingIfNeeded: scalar == Letter.upperY ? Letter.y : scalar)
                }
                return count
            }
        }
        var view = String.UnicodeScalarView()
        for index in start..<(start + count) {
            let scalar = buffer[index] == Letter.upperY ? Letter.y : buffer[index]
            // Every code point came from a String or is ASCII, so it is valid.
            view.append(Unicode.Scalar(scalar)!)
        }
        return String(view)
    }

    /// NLTK's exceptional forms, looked up by the lower-cased word before any other rule.
    static func specialWord(_ buffer: UnsafeMutableBufferPointer<UInt32>, count: Int) -> String? {
        guard count <= 12 else { return nil }
        var key: UInt64 = 0
        for index in 0..<count {
            let letter = buffer[index] &- 0x60
            guard letter >= 1, letter <= 26 else { return nil }
            key = key << 5 | UInt64(letter)
        }
        return specialWords[key]
    }

    /// The exceptional forms keyed by their letters packed five bits each, which
    /// is exact for lower-case ASCII words of up to 12 letters and avoids hashing
    /// a `String` (whose equality is canonical equivalence, not Python's).
    static let specialWords: [UInt64: String] = {
        let table: KeyValuePairs<String, String> = [
            "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
            "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
            "singly": "singl", "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
            "cosmos": "cosmos", "bias": "bias", "andes": "andes", "inning": "inning",
            "innings": "inning", "outing": "outing", "outings": "outing", "canning": "canning",
            "cannings": "canning", "herring": "herring", "herrings": "herring",
            "earring": "earring", "earrings": "earring", "proceed": "proceed",
            "proceeds": "proceed", "proceeded": "proceed", "proceeding": "proceed",
            "exceed": "exceed", "exceeds": "exceed", "exceeded": "exceed",
            "exceeding": "exceed", "succeed": "succeed", "succeeds": "succeed",
            "succeeded": "succeed", "succeeding": "succeed",
        ]
        var result: [UInt64: String] = [:]
        for (word, stem) in table {
            var key: UInt64 = 0
            for byte in word.utf8 { key = key << 5 | UInt64(byte - 0x60) }
            result[key] = stem
        }
        return result
    }()

    // MARK: - Tables

    /// An ASCII suffix packed into an integer, last character in the low byte, so
    /// matching compares from the end and rejects most candidates at once.
    struct Suffix {
        let length: Int
        let packed: UInt64

        init(_ text: String) {
            var packed: UInt64 = 0
            var length = 0
            for byte in text.utf8.reversed() {
                packed |= UInt64(byte) << (8 * UInt64(length))
                length += 1
            }
            self.length = length
            self.packed = packed
        }

        /// The character `offset` places from the end (0 is the last).
        @inline(__always) func character(fromEnd offset: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: packed >> (8 * UInt64(offset))) & 0xFF
        }
    }

    /// What a matched suffix does to the word in Steps 2 to 4.
    enum Action {
        /// Drop this many characters.
        case delete(Int)
        /// Replace the suffix; R2 becomes `r2Fallback` characters when it was
        /// shorter than the suffix.
        case replace(Suffix, r2Fallback: Int)
        /// `enci`/`anci`/`abli`: the last character becomes `e`.
        case lastToE
        /// `ogi`: drop the `i` after an `l`.
        case ogi
        /// `li`: dropped after a valid li-ending.
        case li
        /// Step 3 `ative`: dropped only when also in R2.
        case ative
        /// Step 4 `ion`: dropped after `s` or `t`.
        case ion
    }

    struct Rule {
        let suffix: Suffix
        let action: Action
    }

    static let step0: [Suffix] = ["'s'", "'s", "'"].map(Suffix.init)
    static let step1a: [Suffix] = ["sses", "ied", "ies", "us", "ss", "s"].map(Suffix.init)
    static let step1b: [Suffix] = ["eedly", "ingly", "edly", "eed", "ing", "ed"].map(Suffix.init)
    static let step1bLengthen: [Suffix] = ["at", "bl", "iz"].map(Suffix.init)
    static let ee = Suffix("ee")

    /// NLTK's order matters: the first suffix the word ends with is the only one tried.
    static let step2 = rules([
        ("ization", .replace(Suffix("ize"), r2Fallback: 0)),
        ("ational", .replace(Suffix("ate"), r2Fallback: 1)),
        ("fulness", .delete(4)),
        ("ousness", .replace(Suffix("ous"), r2Fallback: 0)),
        ("iveness", .replace(Suffix("ive"), r2Fallback: 1)),
        ("tional", .delete(2)),
        ("biliti", .replace(Suffix("ble"), r2Fallback: 0)),
        ("lessli", .delete(2)),
        ("entli", .delete(2)),
        ("ation", .replace(Suffix("ate"), r2Fallback: 1)),
        ("alism", .replace(Suffix("al"), r2Fallback: 0)),
        ("aliti", .replace(Suffix("al"), r2Fallback: 0)),
        ("ousli", .replace(Suffix("ous"), r2Fallback: 0)),
        ("iviti", .replace(Suffix("ive"), r2Fallback: 1)),
        ("fulli", .delete(2)),
        ("enci", .lastToE),
        ("anci", .lastToE),
        ("abli", .lastToE),
        ("izer", .replace(Suffix("ize"), r2Fallback: 0)),
        ("ator", .replace(Suffix("ate"), r2Fallback: 1)),
        ("alli", .replace(Suffix("al"), r2Fallback: 0)),
        ("bli", .replace(Suffix("ble"), r2Fallback: 0)),
        ("ogi", .ogi),
        ("li", .li),
    ])

    static let step3 = rules([
        ("ational", .replace(Suffix("ate"), r2Fallback: 0)),
        ("tional", .delete(2)),
        ("alize", .delete(3)),
        ("icate", .replace(Suffix("ic"), r2Fallback: 0)),
        ("iciti", .replace(Suffix("ic"), r2Fallback: 0)),
        ("ative", .ative),
        ("ical", .replace(Suffix("ic"), r2Fallback: 0)),
        ("ness", .delete(4)),
        ("ful", .delete(3)),
    ])

    static func rules(_ list: [(suffix: String, action: Action)]) -> [Rule] {
        list.map { Rule(suffix: Suffix($0.suffix), action: $0.action) }
    }

    static let step4: [Rule] = [
        "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti",
        "ous", "ive", "ize", "ion", "al", "er", "ic",
    ].map { text in
        let suffix = Suffix(text)
        return Rule(suffix: suffix, action: text == "ion" ? .ion : .delete(suffix.length))
    }

    enum Letter {
        static let y: UInt32 = 0x79
        static let upperY: UInt32 = 0x59
        static let e: UInt32 = 0x65
        static let i: UInt32 = 0x69
        static let l: UInt32 = 0x6C
        static let s: UInt32 = 0x73
        static let t: UInt32 = 0x74
        static let w: UInt32 = 0x77
        static let x: UInt32 = 0x78
    }

    // MARK: - Algorithm

    /// The word being stemmed with NLTK's R1 and R2 strings, kept as lengths: each
    /// of NLTK's updates leaves them suffixes of the word (an R2 not extended in
    /// Step 1b is then empty), so a length says all there is to say.
    struct State {
        let word: UnsafeMutableBufferPointer<UInt32>
        var count: Int
        var r1 = 0
        var r2 = 0

        @inline(__always) static func isVowel(_ scalar: UInt32) -> Bool {
            // Bits for a, e, i, o, u and y, counted from `a`; upper-case `Y` is not a vowel.
            let offset = scalar &- 0x61
            return offset < 26 && (0x110_4111 as UInt32) >> offset & 1 == 1
        }

        /// `word[-offset]` in Python, or nil where Python would raise `IndexError`.
        @inline(__always) func fromEnd(_ offset: Int) -> UInt32? {
            offset <= count ? word[count - offset] : nil
        }

        @inline(__always) func endsWith(_ suffix: Suffix) -> Bool {
            guard suffix.length <= count else { return false }
            for offset in 0..<suffix.length
            where word[count - 1 - offset] != suffix.character(fromEnd: offset) {
                return false
            }
            return true
        }

        @inline(__always) func vowel(before end: Int) -> Bool {
            var index = 0
            while index < end {
                if Self.isVowel(word[index]) { return true }
                index += 1
            }
            return false
        }

        /// `word = word[:-k]` with `r1 = r1[:-k]` and `r2 = r2[:-k]`.
        @inline(__always) mutating func drop(_ k: Int) {
            count -= k
            r1 = max(0, r1 - k)
            r2 = max(0, r2 - k)
        }

        /// NLTK's `suffix_replace` on the word, R1 and R2 together.
        mutating func replace(_ length: Int, with replacement: Suffix, r2Fallback: Int) {
            count -= length
            for offset in stride(from: replacement.length - 1, through: 0, by: -1) {
                word[count] = replacement.character(fromEnd: offset)
                count += 1
            }
            let delta = replacement.length - length
            r1 = r1 >= length ? r1 + delta : 0
            r2 = r2 >= length ? r2 + delta : r2Fallback
        }

        /// Appends `e`, growing R1 (and R2 when `growR2`) with it.
        @inline(__always) mutating func appendE(growR1: Bool, growR2: Bool) {
            word[count] = Letter.e
            count += 1
            if growR1 { r1 += 1 }
            if growR2 { r2 += 1 }
        }

        mutating func run() {
            markY()
            computeRegions()
            step0()
            step1a()
            step1b()
            step1c()
            applyFirst(SnowballStemmer.step2, regionLength: r1)
            applyFirst(SnowballStemmer.step3, regionLength: r1)
            applyFirst(SnowballStemmer.step4, regionLength: r2)
            step5()
        }

        /// An initial `y`, and any `y` after a vowel, become the consonant marker `Y`.
        /// The scan reads the already marked previous letter, so `ayy` gives `aYy`.
        mutating func markY() {
            guard count > 0 else { return }
            if word[0] == Letter.y { word[0] = Letter.upperY }
            var index = 1
            while index < count {
                if word[index] == Letter.y && Self.isVowel(word[index - 1]) {
                    word[index] = Letter.upperY
                }
                index += 1
            }
        }

        /// `_r1r2_standard`, with the English override for `gener`, `commun` and `arsen`.
        mutating func computeRegions() {
            var r1Start = count
            if startsWith("gener") || startsWith("arsen") {
                r1Start = 5
            } else if startsWith("commun") {
                r1Start = 6
            } else {
                var index = 1
                while index < count {
                    if !Self.isVowel(word[index]) && Self.isVowel(word[index - 1]) {
                        r1Start = index + 1
                        break
                    }
                    index += 1
                }
            }
            r1 = count - r1Start
            // R2 is searched within R1 as its own string, so R1's first letter
            // cannot close a syllable.
            var index = r1Start + 1
            while index < count {
                if !Self.isVowel(word[index]) && Self.isVowel(word[index - 1]) {
                    r2 = count - (index + 1)
                    return
                }
                index += 1
            }
            r2 = 0
        }

        func startsWith(_ prefix: StaticString) -> Bool {
            guard prefix.utf8CodeUnitCount <= count else { return false }
            let bytes = prefix.utf8Start
            for index in 0..<prefix.utf8CodeUnitCount where word[index] != UInt32(bytes[index]) {
                return false
            }
            return true
        }

        mutating func step0() {
            for suffix in SnowballStemmer.step0 where endsWith(suffix) {
                drop(suffix.length)
                return
            }
        }

        mutating func step1a() {
            for (index, suffix) in SnowballStemmer.step1a.enumerated() where endsWith(suffix) {
                switch index {
                case 0:  // sses
                    drop(2)
                case 1, 2:  // ied, ies
                    drop(count - suffix.length > 1 ? 2 : 1)
                case 5:  // s: needs a vowel before the letter preceding it
                    if vowel(before: count - 2) { drop(1) }
                default:  // us, ss
                    break
                }
                return
            }
        }

        mutating func step1b() {
            for (index, suffix) in SnowballStemmer.step1b.enumerated() where endsWith(suffix) {
                let length = suffix.length
                if index == 0 || index == 3 {  // eedly, eed
                    if r1 >= length {
                        replace(length, with: SnowballStemmer.ee, r2Fallback: 0)
                    }
                    return
                }
                guard vowel(before: count - length) else { return }
                drop(length)
                if SnowballStemmer.step1bLengthen.contains(where: { endsWith($0) }) {
                    // NLTK's own condition for also growing R2, kept as is.
                    appendE(growR1: true, growR2: count + 1 > 5 || r1 + 1 >= 3)
                } else if endsWithDoubleConsonant() {
                    drop(1)
                } else if r1 == 0 && endsWithShortSyllable() {
                    appendE(growR1: r1 > 0, growR2: r2 > 0)
                }
                return
            }
        }

        func endsWithDoubleConsonant() -> Bool {
            guard count >= 2, word[count - 1] == word[count - 2] else { return false }
            switch word[count - 1] {
            // b d f g m n p r t
            case 0x62, 0x64, 0x66, 0x67, 0x6D, 0x6E, 0x70, 0x72, 0x74: return true
            default: return false
            }
        }

        /// NLTK's short-syllable test (its caller also requires an empty R1).
        func endsWithShortSyllable() -> Bool {
            if count >= 3 {
                let last = word[count - 1]
                return !Self.isVowel(last) && last != Letter.w && last != Letter.x
                    && last != Letter.upperY && Self.isVowel(word[count - 2])
                    && !Self.isVowel(word[count - 3])
            }
            return count == 2 && Self.isVowel(word[0]) && !Self.isVowel(word[1])
        }

        mutating func step1c() {
            guard count > 2 else { return }
            let last = word[count - 1]
            if (last == Letter.y || last == Letter.upperY) && !Self.isVowel(word[count - 2]) {
                word[count - 1] = Letter.i
            }
        }

        /// Steps 2 to 4: the first suffix the word ends with is applied when the
        /// region (R1, or R2 in Step 4) also ends with it.
        mutating func applyFirst(_ rules: [Rule], regionLength: Int) {
            for rule in rules where endsWith(rule.suffix) {
                let length = rule.suffix.length
                guard regionLength >= length else { return }
                switch rule.action {
                case .delete(let k):
                    drop(k)
                case .replace(let replacement, let r2Fallback):
                    replace(length, with: replacement, r2Fallback: r2Fallback)
                case .lastToE:
                    word[count - 1] = Letter.e
                case .ogi:
                    if fromEnd(4) == Letter.l { drop(1) }
                case .li:
                    if let before = fromEnd(3), Self.isLiEnding(before) { drop(2) }
                case .ative:
                    if r2 >= 5 { drop(5) }
                case .ion:
                    if let before = fromEnd(4), before == Letter.s || before == Letter.t { drop(3) }
                }
                return
            }
        }

        static func isLiEnding(_ scalar: UInt32) -> Bool {
            switch scalar {
            // c d e g h k m n r t
            case 0x63, 0x64, 0x65, 0x67, 0x68, 0x6B, 0x6D, 0x6E, 0x72, 0x74: return true
            default: return false
            }
        }

        mutating func step5() {
            guard count > 0 else { return }
            let last = word[count - 1]
            if r2 >= 1 && last == Letter.l && fromEnd(2) == Letter.l {
                count -= 1
            } else if r2 >= 1 && last == Letter.e {
                count -= 1
            } else if r1 >= 1 && last == Letter.e && count >= 4 {
                let second = word[count - 2]
                if Self.isVowel(second) || second == Letter.w || second == Letter.x
                    || second == Letter.upperY || !Self.isVowel(word[count - 3])
                    || Self.isVowel(word[count - 4])
                {
                    count -= 1
                }
            }
        }
    }
}
