import TextClfTensor

/// Labelled examples: one feature row and one class index per example.
public struct Dataset: Sendable {
    /// The feature rows.
    public let features: Features
    /// The class index of each row (see ``LabelEncoder``).
    public let labels: [Int]

    /// Pairs feature rows with labels.
    /// - Throws: ``DatasetError/rowCountMismatch(features:labels:)`` when the counts differ,
    ///   ``DatasetError/notAMatrix(shape:)`` for a dense tensor that is not `[rows, columns]`,
    ///   ``DatasetError/negativeLabel(row:label:)`` for a label below 0 (labels are class indices).
    /// - Complexity: O(*n*) for *n* labels (the label check).
    public init(features: Features, labels: [Int]) throws {
        if case .dense(let tensor) = features, tensor.rank != 2 {
            throw DatasetError.notAMatrix(shape: tensor.shape)
        }
        guard features.rowCount == labels.count else {
            throw DatasetError.rowCountMismatch(features: features.rowCount, labels: labels.count)
        }
        if let row = labels.firstIndex(where: { $0 < 0 }) {
            throw DatasetError.negativeLabel(row: row, label: labels[row])
        }
        self.features = features
        self.labels = labels
    }

    /// Internal, for subsets whose invariants hold by construction.
    init(uncheckedFeatures features: Features, labels: [Int]) {
        self.features = features
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The examples at `indices`, in that order (repeats allowed).
    /// - Precondition: every index is in `0..<count`.
    /// - Complexity: O(`indices.count` + entries of those rows) for sparse features,
    ///   O(`indices.count` × columns) for dense ones.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(uncheckedFeatures: features.rows(indices), labels: indices.map { labels[$0] })
    }
}

/// One mini-batch: a few rows of a dataset.
public struct Batch: Sendable {
    /// The batch's feature rows (a CSR slice or gather for sparse features; never densified).
    public let features: Features
    /// The class index of each row.
    public let labels: [Int]
    /// Each row's index in the dataset (for per-example bookkeeping such as error analysis).
    public let indices: [Int]

    /// Creates a batch; `features.rowCount`, `labels.count` and `indices.count` should agree.
    public init(features: Features, labels: [Int], indices: [Int]) {
        precondition(
            features.rowCount == labels.count && labels.count == indices.count,
            "batch of \(features.rowCount) rows, \(labels.count) labels and \(indices.count) indices")
        self.features = features
        self.labels = labels
        self.indices = indices
    }

    /// The number of rows.
    public var count: Int { labels.count }
}

/// An error building a ``Dataset``.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The features and labels have different row counts.
    case rowCountMismatch(features: Int, labels: Int)
    /// Dense features that are not a rank-2 `[rows, columns]` tensor.
    case notAMatrix(shape: [Int])
    /// A label below zero.
    case negativeLabel(row: Int, label: Int)

    public var description: String {
        switch self {
        case .rowCountMismatch(let features, let labels):
            return "the features have \(features) rows but there are \(labels) labels; each example needs exactly one label"
        case .notAMatrix(let shape):
            return "dense features must be a [rows, columns] tensor, got shape \(shape)"
        case .negativeLabel(let row, let label):
            return "label \(label) of row \(row) is negative; labels must be class indices 0, 1, …"
        }
    }
}
