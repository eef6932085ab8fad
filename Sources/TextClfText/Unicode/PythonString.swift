import CUtf8proc
import Foundation

/// String transformations that behave exactly like Python's `str` methods and
/// `unicodedata`, which scikit-learn and NLTK rely on.
///
/// Each transformation has a `String` form for convenience and a UTF-8 form that
/// appends to a caller-owned byte buffer, used by the analyzer's hot loop. Pure
/// ASCII input takes a fast path that never decodes.
public enum PythonString {
    /// Python's `str.lower()`: full Unicode lower-case mapping, including
    /// `İ` → `i̇` and the final-sigma rule for `Σ`.
    public static func lower(_ string: String) -> String {
        transform(string) { lower(utf8: $0, into: &$1) }
    }

    /// Python's `str.casefold()`: full Unicode case folding (`ß` → `ss`).
    public static func casefold(_ string: String) -> String {
        transform(string) { casefold(utf8: $0, into: &$1) }
    }

    /// Python's `unicodedata.normalize(form, string)`.
    public static func normalize(_ string: String, form: NormalizationForm) -> String {
        transform(string) { normalize(utf8: $0, form: form, into: &$1) }
    }

    /// scikit-learn's `strip_accents_unicode`: NFKD, then drop combining characters.
    public static func stripAccentsUnicode(_ string: String) -> String {
        transform(string) { stripAccents(utf8: $0, asciiOnly: false, into: &$1) }
    }

    /// scikit-learn's `strip_accents_ascii`: NFKD, then keep ASCII characters only.
    public static func stripAccentsASCII(_ string: String) -> String {
        transform(string) { stripAccents(utf8: $0, asciiOnly: true, into: &$1) }
    }

    /// Python's `str.split()` with no argument: runs of whitespace separate words.
    public static func splitWhitespace(_ string: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            if UnicodeClass.isSpace(scalar.value) {
                if !current.isEmpty { words.append(String(current)); current = .init() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Unicode normalisation forms, as named by `unicodedata.normalize`.
    public enum NormalizationForm: String, Sendable, CaseIterable, Codable {
        case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"

        var options: utf8proc_option_t {
            let composition = self == .nfc || self == .nfkc ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE
            let compatibility = self == .nfkc || self == .nfkd ? UTF8PROC_COMPAT.rawValue : 0
            return utf8proc_option_t(UTF8PROC_STABLE.rawValue | composition.rawValue | compatibility)
        }
    }

    // MARK: - UTF-8 forms

    /// Appends the Python `str.lower()` of valid UTF-8 `input` to `output`.
    public static func lower(utf8 input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        if isASCII(input) {
            for byte in input { output.append(asciiLower[Int(byte)]) }
            return
        }
        let scalars = decode(input)
        for index in scalars.indices {
            let scalar = scalars[index]
            if scalar < 0x80 {
                output.append(asciiLower[Int(scalar)])
            } else if scalar == 0x130 {
                appendScalar(0x69, to: &output)
                appendScalar(0x307, to: &output)
            } else if scalar == 0x3A3 {
                appendScalar(isFinalSigma(scalars, at: index) ? 0x3C2 : 0x3C3, to: &output)
            } else {
                appendScalar(UInt32(utf8proc_tolower(utf8proc_int32_t(scalar))), to: &output)
            }
        }
    }

    /// Appends the Python `str.casefold()` of valid UTF-8 `input` to `output`.
    public static func casefold(utf8 input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        // ASCII folds as it lowers.
        if isASCII(input) { return lower(utf8: input, into: &output) }
        var folded = [utf8proc_int32_t](repeating: 0, count: 8)
        var boundClass: Int32 = 0
        for scalar in decode(input) {
            if scalar < 0x80 {
                output.append(asciiLower[Int(scalar)])
                continue
            }
            let count = folded.withUnsafeMutableBufferPointer { buffer in
                utf8proc_decompose_char(
                    utf8proc_int32_t(scalar), buffer.baseAddress, buffer.count,
                    UTF8PROC_CASEFOLD, &boundClass)
            }
            if count <= 0 || count > folded.count {
                appendScalar(scalar, to: &output)
            } else {
                for i in 0..<count { appendScalar(UInt32(folded[i]), to: &output) }
            }
        }
    }

    /// Appends `unicodedata.normalize(form, input)` to `output`.
    public static func normalize(
        utf8 input: UnsafeBufferPointer<UInt8>, form: NormalizationForm, into output: inout [UInt8]
    ) {
        if isASCII(input) {
            output.append(contentsOf: input)
            return
        }
        guard let base = input.baseAddress else { return }
        var result: UnsafeMutablePointer<utf8proc_uint8_t>? = nil
        let length = utf8proc_map(base, utf8proc_ssize_t(input.count), &result, form.options)
        defer { free(result) }
        if length < 0 || result == nil {
            // Only invalid UTF-8 fails, and callers pass valid UTF-8; keep the text as is.
            output.append(contentsOf: input)
            return
        }
        output.append(contentsOf: UnsafeBufferPointer(start: result, count: Int(length)))
    }

    /// Appends scikit-learn's `strip_accents_unicode` (or `_ascii`) of `input`.
    public static func stripAccents(
        utf8 input: UnsafeBufferPointer<UInt8>, asciiOnly: Bool, into output: inout [UInt8]
    ) {
        if isASCII(input) {
            output.append(contentsOf: input)
            return
        }
        var decomposed: [UInt8] = []
        decomposed.reserveCapacity(input.count * 2)
        normalize(utf8: input, form: .nfkd, into: &decomposed)
        decomposed.withUnsafeBufferPointer { buffer in
            for scalar in decode(buffer) {
                if asciiOnly {
                    if scalar < 0x80 { output.append(UInt8(scalar)) }
                } else if !UnicodeClass.isCombining(scalar) {
                    appendScalar(scalar, to: &output)
                }
            }
        }
    }

    // MARK: - Helpers

    /// The final-sigma context of Unicode's SpecialCasing, as CPython tests it:
    /// a cased letter before (skipping case-ignorables) and none after.
    static func isFinalSigma(_ scalars: [UInt32], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, UnicodeClass.isCaseIgnorable(scalars[before]) { before -= 1 }
        guard before >= 0, UnicodeClass.isCased(scalars[before]) else { return false }
        var after = index + 1
        while after < scalars.count, UnicodeClass.isCaseIgnorable(scalars[after]) { after += 1 }
        return after == scalars.count || !UnicodeClass.isCased(scalars[after])
    }

    static let asciiLower: [UInt8] = (0..<256).map { byte in
        (0x41...0x5A).contains(byte) ? UInt8(byte + 0x20) : UInt8(byte)
    }

    @inline(__always) static func isASCII(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var accumulated: UInt8 = 0
        for byte in input { accumulated |= byte }
        return accumulated < 0x80
    }

    /// Decodes valid UTF-8 into code points.
    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let (scalar, length) = decodeScalar(input, at: index)
            scalars.append(scalar)
            index += length
        }
        return scalars
    }

    /// Decodes the scalar starting at `index` of valid UTF-8 and returns it with its length.
    @inline(__always)
    static func decodeScalar(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(input[index])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 {
            return (((lead & 0x1F) << 6) | (UInt32(input[index + 1]) & 0x3F), 2)
        }
        if lead < 0xF0 {
            return (
                ((lead & 0x0F) << 12) | ((UInt32(input[index + 1]) & 0x3F) << 6)
                    | (UInt32(input[index + 2]) & 0x3F), 3
            )
        }
        return (
            ((lead & 0x07) << 18) | ((UInt32(input[index + 1]) & 0x3F) << 12)
                | ((UInt32(input[index + 2]) & 0x3F) << 6) | (UInt32(input[index + 3]) & 0x3F), 4
        )
    }

    /// Appends the UTF-8 encoding of `scalar`.
    @inline(__always)
    package static func appendScalar(_ scalar: UInt32, to output: inout [UInt8]) {
        if scalar < 0x80 {
            output.append(UInt8(scalar))
        } else if scalar < 0x800 {
            output.append(UInt8(0xC0 | (scalar >> 6)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        } else if scalar < 0x10000 {
            output.append(UInt8(0xE0 | (scalar >> 12)))
            output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        } else {
            output.append(UInt8(0xF0 | (scalar >> 18)))
            output.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    static func transform(
        _ string: String, _ body: (UnsafeBufferPointer<UInt8>, inout [UInt8]) -> Void
    ) -> String {
        var copy = string
        var output: [UInt8] = []
        copy.withUTF8 { input in
            output.reserveCapacity(input.count)
            body(input, &output)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
