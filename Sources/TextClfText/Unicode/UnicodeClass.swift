import CUtf8proc

/// Character classes with Python's semantics, looked up in tables built once.
///
/// Python's `re` module treats a character as a word character (`\w`) when
/// `str.isalnum()` holds or it is `_`; over the whole code space that is exactly
/// the general categories `L*` and `N*` plus `_`. `str.isspace()` is a fixed list.
/// `Cased` and `Case_Ignorable` (used by `str.lower()` for the final sigma) are
/// the letter categories plus the short `Other_Lowercase`/`Other_Uppercase` and
/// word-break lists below. Categories come from utf8proc; the tests compare every
/// code point against Python.
public enum UnicodeClass {
    /// Bit flags per code point.
    @usableFromInline static let word: UInt8 = 1
    @usableFromInline static let space: UInt8 = 2
    @usableFromInline static let cased: UInt8 = 4
    @usableFromInline static let caseIgnorable: UInt8 = 8
    @usableFromInline static let combining: UInt8 = 16

    /// One byte of flags per code point (1.1 MB), built on first use.
    @usableFromInline static let table: [UInt8] = buildTable()

    /// Whether `scalar` matches Python's `\w` (Unicode patterns).
    @inlinable public static func isWord(_ scalar: UInt32) -> Bool {
        scalar < 0x110000 && table[Int(scalar)] & word != 0
    }

    /// Whether `scalar` is whitespace for Python's `str.isspace()` / `str.split()`.
    @inlinable public static func isSpace(_ scalar: UInt32) -> Bool {
        scalar < 0x110000 && table[Int(scalar)] & space != 0
    }

    /// Whether `scalar` has the Unicode `Cased` property.
    @inlinable public static func isCased(_ scalar: UInt32) -> Bool {
        scalar < 0x110000 && table[Int(scalar)] & cased != 0
    }

    /// Whether `scalar` has the Unicode `Case_Ignorable` property.
    @inlinable public static func isCaseIgnorable(_ scalar: UInt32) -> Bool {
        scalar < 0x110000 && table[Int(scalar)] & caseIgnorable != 0
    }

    /// Whether `scalar` has a non-zero canonical combining class
    /// (Python's `unicodedata.combining(c) != 0`).
    @inlinable public static func isCombining(_ scalar: UInt32) -> Bool {
        scalar < 0x110000 && table[Int(scalar)] & combining != 0
    }

    static let spaces: [UInt32] = [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
        0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    /// `Other_Lowercase` and `Other_Uppercase`: cased characters outside Lu, Ll, Lt.
    static let otherCased: [ClosedRange<UInt32>] = [
        0xAA...0xAA, 0xBA...0xBA, 0x2B0...0x2B8, 0x2C0...0x2C1, 0x2E0...0x2E4,
        0x345...0x345, 0x37A...0x37A, 0x1D2C...0x1D6A, 0x1D78...0x1D78, 0x1D9B...0x1DBF,
        0x2071...0x2071, 0x207F...0x207F, 0x2090...0x209C, 0x2160...0x217F,
        0x24B6...0x24E9, 0x2C7C...0x2C7D, 0xA69C...0xA69D, 0xA770...0xA770,
        0xA7F8...0xA7F9, 0xAB5C...0xAB5F, 0x10780...0x10780, 0x10783...0x10785,
        0x10787...0x107B0, 0x107B2...0x107BA, 0x1F130...0x1F149, 0x1F150...0x1F169,
        0x1F170...0x1F189,
    ]

    /// Word_Break MidLetter, MidNumLet and Single_Quote: case-ignorable beyond
    /// the categories Mn, Me, Cf, Lm and Sk.
    static let otherCaseIgnorable: [UInt32] = [
        0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
        0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A,
    ]

    static func buildTable() -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 0x110000)
        for codePoint in 0..<0x110000 {
            let category = utf8proc_category(utf8proc_int32_t(codePoint))
            var flags: UInt8 = 0
            switch category {
            case UTF8PROC_CATEGORY_LU, UTF8PROC_CATEGORY_LL, UTF8PROC_CATEGORY_LT:
                flags = word | cased
            case UTF8PROC_CATEGORY_LM:
                flags = word | caseIgnorable
            case UTF8PROC_CATEGORY_LO, UTF8PROC_CATEGORY_ND, UTF8PROC_CATEGORY_NL,
                UTF8PROC_CATEGORY_NO:
                flags = word
            case UTF8PROC_CATEGORY_MN, UTF8PROC_CATEGORY_ME, UTF8PROC_CATEGORY_CF,
                UTF8PROC_CATEGORY_SK:
                flags = caseIgnorable
            default:
                flags = 0
            }
            if codePoint < 0xD800 || codePoint > 0xDFFF,
                let property = utf8proc_get_property(utf8proc_int32_t(codePoint)),
                property.pointee.combining_class != 0
            {
                flags |= combining
            }
            table[codePoint] = flags
        }
        table[0x5F] |= word
        for codePoint in spaces { table[Int(codePoint)] |= space }
        for range in otherCased { for codePoint in range { table[Int(codePoint)] |= cased } }
        for codePoint in otherCaseIgnorable { table[Int(codePoint)] |= caseIgnorable }
        return table
    }
}
