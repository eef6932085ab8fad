/// The Porter stemming algorithm, matching NLTK 3.10.4's
/// `nltk.stem.porter.PorterStemmer` word for word in each of its modes.
///
/// NLTK's implementation is the reference, quirks included, because models
/// trained in Python must see the same vocabulary here. Notable ones:
/// - The word is lower-cased with Python's `str.lower()` first, but the
///   "too short to stem" test (`len(word) <= 2`) looks at the *original*
///   word, so `"İs"` (2 code points, 3 once lowered) is returned unstemmed.
/// - Lengths and positions count Unicode code points, as Python does; only
///   ASCII `a e i o u` are vowels, so every other code point is a consonant.
/// - In step 1b NLTK's rule list contains the pseudo-suffix `"*d"`; when the
///   stem does not end in a double consonant NLTK falls back to testing the
///   literal suffix `*d`, so `"xa*ded"` stems to `"xad"`. That is reproduced.
///
/// The stemmer is a value type with no mutable state, so one instance can be
/// shared freely across threads.
public struct PorterStemmer: Stemmer {
    /// The rule set to follow, named as NLTK names its mode constants.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// NLTK's default: Martin Porter's extensions plus NLTK's own
        /// refinements and a small table of irregular forms.
        case nltkExtensions = "NLTK_EXTENSIONS"
        /// The algorithm exactly as published in 1980 (deprecated by its author).
        case original = "ORIGINAL_ALGORITHM"
        /// The algorithm as in Martin Porter's reference implementations.
        case martinExtensions = "MARTIN_EXTENSIONS"
    }

    /// The rule set this stemmer follows.
    public let mode: Mode

    /// Creates a Porter stemmer.
    ///
    /// - Parameter mode: The rule set to follow; defaults to NLTK's default,
    ///   ``Mode/nltkExtensions``.
    public init(mode: Mode = .nltkExtensions) {
        self.mode = mode
    }

    /// Returns the Porter stem of `word`, identical to NLTK's
    /// `PorterStemmer(mode).stem(word)`.
    ///
    /// - Parameter word: The word to stem, in any case; it is lower-cased as
    ///   Python's `str.lower()` would.
    /// - Returns: The lower-cased stem.
    public func stem(_ word: String) -> String {
        var originalLength = 0
        var w: [UInt32] = []
        // Most tokens are ASCII: lower-case them byte by byte and skip the
        // general Unicode path (and the String round trip it needs).
        let handledASCII: Bool =
            word.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                for byte in bytes where byte >= 0x80 { return false }
                originalLength = bytes.count
                w.reserveCapacity(bytes.count + 4)
                for byte in bytes {
                    let lowered = (byte &- 65) < 26 ? byte | 0x20 : byte
                    w.append(UInt32(lowered))
                }
                return true
            } ?? false
        if !handledASCII {
            originalLength = word.unicodeScalars.count
            let lowered = PythonString.lower(word).unicodeScalars
            w.removeAll(keepingCapacity: true)
            w.reserveCapacity(lowered.count + 4)
            for scalar in lowered { w.append(scalar.value) }
        }

        if mode == .nltkExtensions, let irregular = Self.irregularStem(w) {
            return irregular
        }
        // NLTK compares the original word's length here, not the lowered one.
        if mode != .original && originalLength <= 2 {
            return Self.makeString(w)
        }
        step1a(&w)
        step1b(&w)
        step1c(&w)
        step2(&w)
        Self.applyRules(&w, Self.step3Rules)
        Self.applyRules(&w, Self.step4Rules)
        step5a(&w)
        step5b(&w)
        return Self.makeString(w)
    }
}

// MARK: - Tables

extension PorterStemmer {
    /// What a suffix rule requires of the stem left once the suffix is removed.
    fileprivate enum Condition {
        case always
        /// m > 0.
        case measureAboveZero
        /// m > 1.
        case measureAboveOne
        /// m > 1 and the stem ends in `s` or `t` (step 4's `ION`).
        case measureAboveOneEndingSOrT
        /// m > 0 of the stem *plus one letter*: NLTK keeps the `l` of `logi`
        /// with the stem so that `geo`/`theo` behave like `archaeo`/`philo`.
        case measureAboveZeroWithNextLetter
    }

    fileprivate struct Rule {
        let suffix: [UInt32]
        let replacement: [UInt32]
        let condition: Condition

        init(_ suffix: String, _ replacement: String, _ condition: Condition) {
            self.suffix = suffix.unicodeScalars.map(\.value)
            self.replacement = replacement.unicodeScalars.map(\.value)
            self.condition = condition
        }
    }

    private static func step2Rules(for mode: Mode) -> [Rule] {
        var rules: [Rule] = [
            Rule("ational", "ate", .measureAboveZero),
            Rule("tional", "tion", .measureAboveZero),
            Rule("enci", "ence", .measureAboveZero),
            Rule("anci", "ance", .measureAboveZero),
            Rule("izer", "ize", .measureAboveZero),
            mode == .original
                ? Rule("abli", "able", .measureAboveZero) : Rule("bli", "ble", .measureAboveZero),
            Rule("alli", "al", .measureAboveZero),
            Rule("entli", "ent", .measureAboveZero),
            Rule("eli", "e", .measureAboveZero),
            Rule("ousli", "ous", .measureAboveZero),
            Rule("ization", "ize", .measureAboveZero),
            Rule("ation", "ate", .measureAboveZero),
            Rule("ator", "ate", .measureAboveZero),
            Rule("alism", "al", .measureAboveZero),
            Rule("iveness", "ive", .measureAboveZero),
            Rule("fulness", "ful", .measureAboveZero),
            Rule("ousness", "ous", .measureAboveZero),
            Rule("aliti", "al", .measureAboveZero),
            Rule("iviti", "ive", .measureAboveZero),
            Rule("biliti", "ble", .measureAboveZero),
        ]
        switch mode {
        case .nltkExtensions:
            rules.append(Rule("fulli", "ful", .measureAboveZero))
            rules.append(Rule("logi", "log", .measureAboveZeroWithNextLetter))
        case .martinExtensions:
            rules.append(Rule("logi", "log", .measureAboveZero))
        case .original:
            break
        }
        return rules
    }

    fileprivate static let step2NLTK = step2Rules(for: .nltkExtensions)
    fileprivate static let step2Original = step2Rules(for: .original)
    fileprivate static let step2Martin = step2Rules(for: .martinExtensions)

    fileprivate static let step3Rules: [Rule] = [
        Rule("icate", "ic", .measureAboveZero),
        Rule("ative", "", .measureAboveZero),
        Rule("alize", "al", .measureAboveZero),
        Rule("iciti", "ic", .measureAboveZero),
        Rule("ical", "ic", .measureAboveZero),
        Rule("ful", "", .measureAboveZero),
        Rule("ness", "", .measureAboveZero),
    ]

    fileprivate static let step4Rules: [Rule] = [
        Rule("al", "", .measureAboveOne),
        Rule("ance", "", .measureAboveOne),
        Rule("ence", "", .measureAboveOne),
        Rule("er", "", .measureAboveOne),
        Rule("ic", "", .measureAboveOne),
        Rule("able", "", .measureAboveOne),
        Rule("ible", "", .measureAboveOne),
        Rule("ant", "", .measureAboveOne),
        Rule("ement", "", .measureAboveOne),
        Rule("ment", "", .measureAboveOne),
        Rule("ent", "", .measureAboveOne),
        Rule("ion", "", .measureAboveOneEndingSOrT),
        Rule("ou", "", .measureAboveOne),
        Rule("ism", "", .measureAboveOne),
        Rule("ate", "", .measureAboveOne),
        Rule("iti", "", .measureAboveOne),
        Rule("ous", "", .measureAboveOne),
        Rule("ive", "", .measureAboveOne),
        Rule("ize", "", .measureAboveOne),
    ]

    /// NLTK_EXTENSIONS' table of irregular forms, as (form, stem) pairs.
    private static let irregularForms: [([UInt32], String)] = {
        let table: [(String, [String])] = [
            ("sky", ["sky", "skies"]),
            ("die", ["dying"]),
            ("lie", ["lying"]),
            ("tie", ["tying"]),
            ("news", ["news"]),
            ("inning", ["innings", "inning"]),
            ("outing", ["outings", "outing"]),
            ("canning", ["cannings", "canning"]),
            ("howe", ["howe"]),
            ("proceed", ["proceed"]),
            ("exceed", ["exceed"]),
            ("succeed", ["succeed"]),
        ]
        return table.flatMap { stem, forms in forms.map { ($0.unicodeScalars.map(\.value), stem) } }
    }()

    private static func irregularStem(_ w: [UInt32]) -> String? {
        // Every form is 3...8 letters; most words are rejected on length alone.
        guard w.count >= 3 && w.count <= 8 else { return nil }
        for (form, stem) in irregularForms where form == w { return stem }
        return nil
    }

    private static func makeString(_ w: [UInt32]) -> String {
        var isASCII = true
        for c in w where c >= 0x80 { isASCII = false; break }
        if isASCII {
            return String(unsafeUninitializedCapacity: w.count) { buffer in
                for i in 0..<w.count { buffer[i] = UInt8(truncatingIfNeeded: w[i]) }
                return w.count
            }
        }
        var scalars = String.UnicodeScalarView()
        for c in w {
            // Every value came from a String's scalars, so it is always valid.
            if let scalar = Unicode.Scalar(c) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}

// MARK: - Letter classes and measures

// ASCII code points used by the rules.
private let letterA: UInt32 = 0x61, letterD: UInt32 = 0x64, letterE: UInt32 = 0x65
private let letterI: UInt32 = 0x69, letterL: UInt32 = 0x6C, letterO: UInt32 = 0x6F
private let letterS: UInt32 = 0x73, letterT: UInt32 = 0x74, letterU: UInt32 = 0x75
private let letterW: UInt32 = 0x77, letterX: UInt32 = 0x78, letterY: UInt32 = 0x79
private let letterZ: UInt32 = 0x7A, asterisk: UInt32 = 0x2A
private let letterG: UInt32 = 0x67, letterN: UInt32 = 0x6E

@inline(__always)
private func isVowelLetter(_ c: UInt32) -> Bool {
    c == letterA || c == letterE || c == letterI || c == letterO || c == letterU
}

extension PorterStemmer {
    /// NLTK's `_is_consonant`: a `y` is a consonant unless the letter before
    /// it is one, resolved by walking back over the run of `y`s.
    @inline(__always)
    fileprivate static func isConsonant(_ w: [UInt32], _ index: Int) -> Bool {
        var i = index
        let c = w[i]
        if isVowelLetter(c) { return false }
        if c != letterY { return true }
        var negate = false
        while i > 0 && w[i] == letterY {
            negate.toggle()
            i -= 1
        }
        return (!isVowelLetter(w[i])) != negate
    }

    /// The measure m of `w[0..<length]`: the number of vowel→consonant
    /// transitions, computed in one left-to-right pass.
    fileprivate static func measure(_ w: [UInt32], _ length: Int) -> Int {
        var count = 0
        var previousConsonant = true
        var previousVowel = false
        for i in 0..<length {
            let c = w[i]
            let consonant: Bool
            if isVowelLetter(c) {
                consonant = false
            } else if c == letterY {
                consonant = i == 0 ? true : !previousConsonant
            } else {
                consonant = true
            }
            if consonant && previousVowel { count += 1 }
            previousConsonant = consonant
            previousVowel = !consonant
        }
        return count
    }

    /// Condition *v*: `w[0..<length]` contains a vowel.
    fileprivate static func containsVowel(_ w: [UInt32], _ length: Int) -> Bool {
        // A 'y' past the start is a vowel whenever no vowel precedes it (its
        // predecessor is then a consonant), so any such 'y' answers yes.
        for i in 0..<length {
            let c = w[i]
            if isVowelLetter(c) || (c == letterY && i > 0) { return true }
        }
        return false
    }

    /// Condition *d: the word ends with a double consonant.
    fileprivate static func endsDoubleConsonant(_ w: [UInt32]) -> Bool {
        let n = w.count
        return n >= 2 && w[n - 1] == w[n - 2] && isConsonant(w, n - 1)
    }

    /// Condition *o on `w[0..<length]`: ends consonant-vowel-consonant with the
    /// last not `w`, `x` or `y`; NLTK mode also accepts a two-letter
    /// vowel-consonant stem.
    fileprivate func endsCVC(_ w: [UInt32], _ length: Int) -> Bool {
        if length >= 3 && Self.isConsonant(w, length - 3) && !Self.isConsonant(w, length - 2)
            && Self.isConsonant(w, length - 1)
        {
            let last = w[length - 1]
            if last != letterW && last != letterX && last != letterY { return true }
        }
        return mode == .nltkExtensions && length == 2 && !Self.isConsonant(w, 0)
            && Self.isConsonant(w, 1)
    }

    @inline(__always)
    fileprivate static func endsWith(_ w: [UInt32], _ suffix: [UInt32]) -> Bool {
        let n = w.count, k = suffix.count
        guard n >= k else { return false }
        var i = k - 1
        while i >= 0 {
            if w[n - k + i] != suffix[i] { return false }
            i -= 1
        }
        return true
    }

    @inline(__always)
    fileprivate static func endsWith(_ w: [UInt32], _ a: UInt32, _ b: UInt32) -> Bool {
        let n = w.count
        return n >= 2 && w[n - 1] == b && w[n - 2] == a
    }

    @inline(__always)
    fileprivate static func endsWith(_ w: [UInt32], _ a: UInt32, _ b: UInt32, _ c: UInt32) -> Bool {
        let n = w.count
        return n >= 3 && w[n - 1] == c && w[n - 2] == b && w[n - 3] == a
    }

    /// NLTK's `_apply_rule_list`: the first rule whose suffix matches decides;
    /// if its condition fails, no later rule is tried.
    fileprivate static func applyRules(_ w: inout [UInt32], _ rules: [Rule]) {
        for rule in rules where endsWith(w, rule.suffix) {
            let stemLength = w.count - rule.suffix.count
            let holds: Bool
            switch rule.condition {
            case .always: holds = true
            case .measureAboveZero: holds = measure(w, stemLength) > 0
            case .measureAboveOne: holds = measure(w, stemLength) > 1
            case .measureAboveOneEndingSOrT:
                holds = measure(w, stemLength) > 1
                    && (w[stemLength - 1] == letterS || w[stemLength - 1] == letterT)
            case .measureAboveZeroWithNextLetter: holds = measure(w, stemLength + 1) > 0
            }
            if holds {
                w.removeLast(rule.suffix.count)
                w.append(contentsOf: rule.replacement)
            }
            return
        }
    }
}

// MARK: - Steps

extension PorterStemmer {
    /// Step 1a: plurals (SSES → SS, IES → I, SS → SS, S → ).
    private func step1a(_ w: inout [UInt32]) {
        guard let last = w.last, last == letterS else { return }
        // NLTK: four-letter "-ies" words keep "ie" ("dies" → "die", but "flies" → "fli").
        if mode == .nltkExtensions && w.count == 4 && Self.endsWith(w, letterI, letterE, letterS) {
            w.removeLast()
            return
        }
        let n = w.count
        if n >= 4 && w[n - 4] == letterS && w[n - 3] == letterS && w[n - 2] == letterE {
            w.removeLast(2)  // sses → ss
        } else if Self.endsWith(w, letterI, letterE, letterS) {
            w.removeLast(2)  // ies → i
        } else if n >= 2 && w[n - 2] == letterS {
            // ss → ss
        } else {
            w.removeLast()  // s →
        }
    }

    /// Step 1b: -EED, -ED, -ING, then tidying of the exposed stem.
    private func step1b(_ w: inout [UInt32]) {
        if mode == .nltkExtensions && Self.endsWith(w, letterI, letterE, letterD) {
            // NLTK: "died" → "die" but "spied" → "spi".
            if w.count == 4 {
                w.removeLast()
            } else {
                w.removeLast(2)
            }
            return
        }
        if Self.endsWith(w, letterE, letterE, letterD) {
            if Self.measure(w, w.count - 3) > 0 { w.removeLast() }
            return
        }
        if Self.endsWith(w, letterE, letterD) && Self.containsVowel(w, w.count - 2) {
            w.removeLast(2)
        } else if Self.endsWith(w, letterI, letterN, letterG) && Self.containsVowel(w, w.count - 3) {
            w.removeLast(3)
        } else {
            return
        }
        // The stem is non-empty here because it contains a vowel.
        if Self.endsWith(w, letterA, letterT) || Self.endsWith(w, 0x62, letterL)
            || Self.endsWith(w, letterI, letterZ)
        {
            w.append(letterE)  // at → ate, bl → ble, iz → ize
            return
        }
        if Self.endsDoubleConsonant(w) {
            let last = w[w.count - 1]
            if last != letterL && last != letterS && last != letterZ { w.removeLast() }
            return
        }
        // NLTK's "*d" pseudo-suffix falls through to a literal suffix test;
        // its replacement is the stem's last letter ("d"), so "*" is dropped.
        if Self.endsWith(w, asterisk, letterD) {
            w.remove(at: w.count - 2)
            return
        }
        if Self.measure(w, w.count) == 1 && endsCVC(w, w.count) {
            w.append(letterE)
        }
    }

    /// Step 1c: Y → I, under a mode-dependent condition.
    private func step1c(_ w: inout [UInt32]) {
        guard let last = w.last, last == letterY else { return }
        let stemLength = w.count - 1
        let holds: Bool
        if mode == .nltkExtensions {
            // NLTK: only after a consonant that is not the whole stem ("happy", not "enjoy" or "by").
            holds = stemLength > 1 && Self.isConsonant(w, stemLength - 1)
        } else {
            holds = Self.containsVowel(w, stemLength)
        }
        if holds { w[stemLength] = letterI }
    }

    /// Step 2: double suffixes to single ones (-ATIONAL → -ATE, …).
    private func step2(_ w: inout [UInt32]) {
        switch mode {
        case .nltkExtensions:
            // NLTK applies ALLI → AL first and re-runs step 2 on the result;
            // the re-run cannot match "alli" again, so it is just the rule list.
            let n = w.count
            if n >= 4 && w[n - 4] == letterA && w[n - 3] == letterL && w[n - 2] == letterL
                && w[n - 1] == letterI && Self.measure(w, n - 4) > 0
            {
                w.removeLast(2)
            }
            Self.applyRules(&w, Self.step2NLTK)
        case .original:
            Self.applyRules(&w, Self.step2Original)
        case .martinExtensions:
            Self.applyRules(&w, Self.step2Martin)
        }
    }

    /// Step 5a: drop a final E when m > 1, or when m = 1 and not *o.
    private func step5a(_ w: inout [UInt32]) {
        guard let last = w.last, last == letterE else { return }
        let stemLength = w.count - 1
        let m = Self.measure(w, stemLength)
        if m > 1 || (m == 1 && !endsCVC(w, stemLength)) { w.removeLast() }
    }

    /// Step 5b: -LL → -L when m > 1 (measured on the word less one letter, as NLTK does).
    private func step5b(_ w: inout [UInt32]) {
        if Self.endsWith(w, letterL, letterL) && Self.measure(w, w.count - 1) > 1 {
            w.removeLast()
        }
    }
}
