import TextClfTensor

/// z-score standardisation of dense features, `(x − mean) / scale` per column, with
/// statistics from the training set only (so validation and test rows are transformed
/// exactly as new data will be).
///
/// Matches scikit-learn's `StandardScaler` with its defaults: `scale` is the *population*
/// standard deviation (divisor *n*, not *n* − 1), and a column whose standard deviation is
/// zero (a constant column) gets scale 1, so it maps to 0 instead of dividing by zero.
/// Statistics are accumulated in `Double` to avoid the cancellation of single-precision sums
/// over many rows. `Codable`: saved with the model.
public struct Standardizer: Sendable, Equatable, Codable {
    /// The mean of each column.
    public let mean: [Float]
    /// The divisor of each column: the population standard deviation, or 1 where that is 0.
    public let scale: [Float]

    /// Fits the column statistics of a `[rows, columns]` tensor.
    /// - Throws: ``StandardizerError/notAMatrix(shape:)`` for a tensor that is not rank 2,
    ///   ``StandardizerError/noRows`` for zero rows.
    /// - Complexity: O(rows × columns).
    public init(fitting features: Tensor) throws {
        guard features.rank == 2 else { throw StandardizerError.notAMatrix(shape: features.shape) }
        let (rows, columns) = (features.shape[0], features.shape[1])
        guard rows > 0 else { throw StandardizerError.noRows }
        var sums = [Double](repeating: 0, count: columns)
        var squares = [Double](repeating: 0, count: columns)
        features.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                for column in 0..<columns { sums[column] += Double(values[row * columns + column]) }
            }
            // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which
            // loses all precision when the mean is large relative to the spread.
            for row in 0..<rows {
                for column in 0..<columns {
                    let deviation = Double(values[row * columns + column]) - sums[column] / Double(rows)
                    squares[column] += deviation * deviation
                }
            }
        }
        mean = sums.map { Float($0 / Double(rows)) }
        scale = squares.map { square in
            let std = (square / Double(rows)).squareRoot()
            return std == 0 ? 1 : Float(std)
        }
    }

    /// Restores a standardizer from saved statistics.
    /// - Throws: ``StandardizerError/columnCountMismatch(expected:got:)`` when the lengths
    ///   differ, ``StandardizerError/invalidScale(column:value:)`` for a scale that is not
    ///   positive and finite.
    public init(mean: [Float], scale: [Float]) throws {
        guard mean.count == scale.count else {
            throw StandardizerError.columnCountMismatch(expected: mean.count, got: scale.count)
        }
        if let column = scale.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw StandardizerError.invalidScale(column: column, value: scale[column])
        }
        self.mean = mean
        self.scale = scale
    }

    /// The number of columns the statistics describe.
    public var columnCount: Int { mean.count }

    /// Standardises each column of a `[rows, columns]` tensor; the result stays on its device.
    /// - Throws: ``StandardizerError/notAMatrix(shape:)`` or
    ///   ``StandardizerError/columnCountMismatch(expected:got:)`` when the column count differs
    ///   from the fitted one.
    /// - Complexity: O(rows × columns).
    public func transform(_ features: Tensor) throws -> Tensor {
        guard features.rank == 2 else { throw StandardizerError.notAMatrix(shape: features.shape) }
        let (rows, columns) = (features.shape[0], features.shape[1])
        guard columns == mean.count else {
            throw StandardizerError.columnCountMismatch(expected: mean.count, got: columns)
        }
        // Multiplying by the reciprocal would differ from scikit-learn's division in the last bit.
        var result = [Float](repeating: 0, count: rows * columns)
        features.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                for column in 0..<columns {
                    let index = row * columns + column
                    result[index] = (values[index] - mean[column]) / scale[column]
                }
            }
        }
        return try Tensor(shape: features.shape, values: result, device: features.device)
    }

    /// Decodes `{"mean": [...], "scale": [...]}`, validating it as ``init(mean:scale:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                mean: container.decode([Float].self, forKey: .mean), scale: container.decode([Float].self, forKey: .scale))
        } catch let error as StandardizerError {
            throw DecodingError.dataCorruptedError(forKey: .scale, in: container, debugDescription: error.description)
        }
    }

    private enum CodingKeys: String, CodingKey { case mean, scale }
}

/// An error fitting or applying a ``Standardizer``.
public enum StandardizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Features that are not a `[rows, columns]` tensor.
    case notAMatrix(shape: [Int])
    /// Fitting on zero rows.
    case noRows
    /// Features whose column count differs from the fitted one.
    case columnCountMismatch(expected: Int, got: Int)
    /// A saved scale that is zero, negative or not finite.
    case invalidScale(column: Int, value: Float)

    public var description: String {
        switch self {
        case .notAMatrix(let shape):
            return "standardisation needs a [rows, columns] tensor, got shape \(shape)"
        case .noRows:
            return "cannot fit standardisation statistics on zero rows"
        case .columnCountMismatch(let expected, let got):
            return "the standardizer was fitted on \(expected) columns but the features have \(got)"
        case .invalidScale(let column, let value):
            return "standardizer scale of column \(column) is \(value); scales must be positive and finite"
        }
    }
}
