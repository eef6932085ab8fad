/// An error building or applying features.
public enum FeatureError: Error, Equatable, CustomStringConvertible {
    /// The corpus has no documents.
    case emptyCorpus
    /// No document produced a single term.
    case emptyVocabulary
    /// Pruning by document frequency or count left no term.
    case noTermsAfterPruning(minDocuments: Double, maxDocuments: Double, maxFeatures: Int?)
    /// `maxDF` allows fewer documents than `minDF`.
    case maxBelowMin(minDocuments: Double, maxDocuments: Double)
    /// An option value is out of range.
    case invalidOption(String)
    /// A term appears twice in a vocabulary.
    case duplicateTerm(String)
    /// A saved vectorizer could not be read.
    case badVectorizerFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyCorpus: return "the corpus holds no documents"
        case .emptyVocabulary:
            return "empty vocabulary: every document is empty after the text stages (only stop words, or no tokens)"
        case .noTermsAfterPruning(let low, let high, let limit):
            return "after pruning, no terms remain (documents per term between \(low.formatted) and \(high.formatted)"
                + (limit.map { ", at most \($0) features" } ?? "") + "); try a lower --min-df or a higher --max-df"
        case .maxBelowMin(let low, let high):
            return "--max-df allows at most \(high.formatted) documents per term, fewer than --min-df's \(low.formatted)"
        case .invalidOption(let message): return message
        case .duplicateTerm(let term): return "the term '\(term)' appears twice in the vocabulary"
        case .badVectorizerFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}

extension Double {
    /// `5` for whole numbers, `5.5` otherwise.
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
