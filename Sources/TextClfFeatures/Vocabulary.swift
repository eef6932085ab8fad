import TextClfText

/// The terms of a fitted vectorizer: column `i` is `terms[i]`.
///
/// Terms are sorted by code point, as scikit-learn's `get_feature_names_out()`. Lookup
/// goes through a ``ByteStringTable`` on UTF-8 bytes, so mapping a token to its column
/// never allocates.
public struct Vocabulary: Sendable, Equatable {
    /// The terms, in column order.
    public let terms: [String]
    let table: ByteStringTable

    /// Creates a vocabulary whose columns are `terms` in the given order.
    /// - Throws: ``FeatureError/duplicateTerm(_:)`` if a term repeats.
    public init(terms: [String]) throws {
        var table = ByteStringTable(capacity: terms.count)
        for term in terms {
            var copy = term
            let inserted = copy.withUTF8 { table.insert($0).inserted }
            guard inserted else { throw FeatureError.duplicateTerm(term) }
        }
        self.terms = terms
        self.table = table
    }

    init(terms: [String], table: ByteStringTable) {
        self.terms = terms
        self.table = table
    }

    /// The number of terms (columns).
    public var count: Int { terms.count }

    /// The column of the term with these UTF-8 bytes, or `nil` if it is not in the vocabulary.
    /// - Complexity: O(term length) expected.
    public func column(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        table.id(of: token)
    }

    /// The column of `term`, or `nil`.
    public func column(of term: String) -> Int? {
        var copy = term
        return copy.withUTF8 { table.id(of: $0) }
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool { lhs.terms == rhs.terms }
}
