/// A word-level stemmer: maps one word to its stem.
///
/// Conforming types are immutable values, safe to share across threads. The
/// analyzer's stemming stage memoises results per worker, so `stem(_:)` only
/// needs to be correct; it is called once per distinct token.
public protocol Stemmer: Sendable {
    /// Returns the stem of `word`.
    ///
    /// Implementations that mirror NLTK lower-case the word first with
    /// ``PythonString/lower(_:)``, exactly as NLTK does with `str.lower()`.
    func stem(_ word: String) -> String
}
