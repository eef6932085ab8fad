import Foundation
import TextClfTensor

/// Turns a count matrix into TF-IDF weights, exactly as scikit-learn's `TfidfTransformer`.
///
/// With the defaults, `idf(t) = ln((1 + n) / (1 + df(t))) + 1` and each row is scaled to
/// unit Euclidean length. Arithmetic is in `Double`, as scikit-learn's `float64`; the
/// stored values are rounded to `Float` once at the end.
public struct TfidfTransformer: Sendable, Equatable, Codable {
    /// Row normalisation.
    public enum Norm: String, Sendable, Equatable, Codable, CaseIterable {
        /// Unit Euclidean length (scikit-learn's default).
        case l2
        /// Unit sum of absolute values.
        case l1
        /// No normalisation.
        case none

        /// What a row of `values` is divided by: its Euclidean length (`l2`) or sum of
        /// absolute values (`l1`); 1 for `none` or an all-zero row.
        func divisor<Values: Sequence<Double>>(_ values: Values) -> Double {
            switch self {
            case .l2:
                let total = values.reduce(0) { $0 + $1 * $1 }
                return total > 0 ? sqrt(total) : 1
            case .l1:
                let total = values.reduce(0) { $0 + abs($1) }
                return total > 0 ? total : 1
            case .none:
                return 1
            }
        }
    }

    /// The row normalisation.
    public var norm: Norm
    /// Weight by inverse document frequency.
    public var useIDF: Bool
    /// Add one to every document frequency, as if a document held every term once.
    public var smoothIDF: Bool
    /// Replace a count `tf` by `1 + ln(tf)`.
    public var sublinearTF: Bool

    /// Creates a transformer; the defaults are scikit-learn's.
    public init(norm: Norm = .l2, useIDF: Bool = true, smoothIDF: Bool = true, sublinearTF: Bool = false) {
        self.norm = norm
        self.useIDF = useIDF
        self.smoothIDF = smoothIDF
        self.sublinearTF = sublinearTF
    }

    /// Learns the inverse document frequencies of `counts`.
    /// - Complexity: O(rows + stored entries).
    public func fit(_ counts: CSRMatrix) -> FittedTfidfTransformer {
        var documentFrequency = [Int](repeating: 0, count: counts.columnCount)
        for column in counts.columnIndices {
            documentFrequency[Int(column)] += 1
        }
        return fit(documentFrequency: documentFrequency, documents: counts.rowCount)
    }

    /// Learns the inverse document frequencies from each column's document frequency among
    /// `documents` documents (as a streamed vocabulary pass counts them).
    public func fit(documentFrequency: [Int], documents: Int) -> FittedTfidfTransformer {
        guard useIDF else { return FittedTfidfTransformer(options: self, idf: nil) }
        let smoothing = smoothIDF ? 1.0 : 0.0
        let total = Double(documents) + smoothing
        let idf = documentFrequency.map { log(total / (Double($0) + smoothing)) + 1 }
        return FittedTfidfTransformer(options: self, idf: idf)
    }
}

/// A ``TfidfTransformer`` with its learned inverse document frequencies.
public struct FittedTfidfTransformer: Sendable, Equatable, Codable {
    /// The options.
    public let options: TfidfTransformer
    /// One inverse document frequency per column, or `nil` when ``TfidfTransformer/useIDF`` is off.
    public let idf: [Double]?

    /// Creates a fitted transformer from saved state.
    public init(options: TfidfTransformer, idf: [Double]?) {
        self.options = options
        self.idf = idf
    }

    /// The TF-IDF matrix of `counts`.
    /// - Throws: ``FeatureError/invalidOption(_:)`` if `counts` has a different number of columns than the fit.
    /// - Complexity: O(rows + stored entries).
    public func transform(_ counts: CSRMatrix) throws -> CSRMatrix {
        if let idf, idf.count != counts.columnCount {
            throw FeatureError.invalidOption(
                "TF-IDF was fitted on \(idf.count) columns but the matrix has \(counts.columnCount)")
        }
        var result = counts
        let sublinear = options.sublinearTF
        result.withMutableValues { values in
            var weights = [Double]()
            for row in 0..<counts.rowCount {
                let entries = counts.entries(ofRow: row)
                weights.removeAll(keepingCapacity: true)
                for entry in entries {
                    var weight = Double(counts.values[entry])
                    if sublinear && weight != 0 { weight = log(weight) + 1 }
                    if let idf { weight *= idf[Int(counts.columnIndices[entry])] }
                    weights.append(weight)
                }
                let scale = options.norm.divisor(weights)
                for (offset, entry) in entries.enumerated() { values[entry] = Float(weights[offset] / scale) }
            }
        }
        return result
    }
}
