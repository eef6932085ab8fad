import Foundation
import TextClfTensor

/// Principal component analysis of the rows of a matrix, as scikit-learn's `PCA` computes it
/// (the rows centred; components up to sign), by subspace iteration with Rayleigh–Ritz
/// steps, so that a sparse matrix is never densified: only products with the centred
/// covariance are taken.
public struct PCA: Sendable {
    /// The leading principal axes, `components × columns`, each of unit length.
    public let axes: [[Double]]
    /// The column means that were subtracted.
    public let mean: [Double]
    /// The variance along each axis (scikit-learn's `explained_variance_`).
    public let variances: [Double]

    /// Fits `components` axes to the rows of a dense row-major `rows × columns` matrix.
    public init(dense values: [Float], rows: Int, columns: Int, components: Int = 2) {
        precondition(values.count == rows * columns && rows >= 2)
        var mean = [Double](repeating: 0, count: columns)
        for row in 0..<rows { for column in 0..<columns { mean[column] += Double(values[row * columns + column]) } }
        mean = mean.map { $0 / Double(rows) }
        self.init(rows: rows, columns: columns, mean: mean, components: components) { vector in
            // Xᵀ(X v) over centred rows.
            var result = [Double](repeating: 0, count: columns)
            for row in 0..<rows {
                var dot = 0.0
                for column in 0..<columns { dot += (Double(values[row * columns + column]) - mean[column]) * vector[column] }
                for column in 0..<columns { result[column] += (Double(values[row * columns + column]) - mean[column]) * dot }
            }
            return result
        }
    }

    /// Fits `components` axes to the rows of a sparse matrix, centring implicitly.
    public init(sparse matrix: CSRMatrix, components: Int = 2) {
        precondition(matrix.rowCount >= 2)
        var mean = [Double](repeating: 0, count: matrix.columnCount)
        for (column, value) in zip(matrix.columnIndices, matrix.values) { mean[Int(column)] += Double(value) }
        mean = mean.map { $0 / Double(matrix.rowCount) }
        self.init(rows: matrix.rowCount, columns: matrix.columnCount, mean: mean, components: components) { vector in
            // Xᵀ(X v) − n μ (μ·v): the centred product without a dense centred matrix.
            var result = [Double](repeating: 0, count: matrix.columnCount)
            for row in 0..<matrix.rowCount {
                var dot = 0.0
                for entry in matrix.entries(ofRow: row) { dot += Double(matrix.values[entry]) * vector[Int(matrix.columnIndices[entry])] }
                for entry in matrix.entries(ofRow: row) { result[Int(matrix.columnIndices[entry])] += Double(matrix.values[entry]) * dot }
            }
            let meanDot = zip(mean, vector).reduce(0) { $0 + $1.0 * $1.1 }
            let n = Double(matrix.rowCount)
            for column in result.indices { result[column] -= n * mean[column] * meanDot }
            return result
        }
    }

    /// Subspace iteration on `scatter` (the centred `XᵀX`), starting from a seeded block a few
    /// vectors wider than asked, until the leading values settle.
    private init(rows: Int, columns: Int, mean: [Double], components: Int, scatter: ([Double]) -> [Double]) {
        let width = min(columns, components + 8)
        var generator = RandomGenerator(seed: 20_251_205)
        var block = (0..<width).map { _ in (0..<columns).map { _ in Double(generator.nextFloat()) - 0.5 } }
        var values = [Double](repeating: 0, count: width)
        for iteration in 0..<1000 {
            block = Self.orthonormalised(block.map(scatter))
            // Rayleigh–Ritz: the small projected matrix's eigenvectors rotate the block.
            let images = block.map(scatter)
            var small = [[Double]](repeating: [Double](repeating: 0, count: width), count: width)
            for i in 0..<width { for j in 0..<width { small[i][j] = zip(block[i], images[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
            let (eigenvalues, eigenvectors) = Self.symmetricEigen(small)
            block = eigenvectors.map { vector in
                (0..<columns).map { column in (0..<width).reduce(0.0) { $0 + vector[$1] * block[$1][column] } }
            }
            let settled = iteration > 2 && (0..<components).allSatisfy { abs(eigenvalues[$0] - values[$0]) <= 1e-13 * max(1, abs(eigenvalues[$0])) }
            values = eigenvalues
            if settled { break }
        }
        axes = Array(block.prefix(components))
        self.mean = mean
        variances = values.prefix(components).map { $0 / Double(rows - 1) }
    }

    /// The rows of a dense row-major matrix on the axes.
    public func project(dense values: [Float], rows: Int) -> [[Double]] {
        let columns = mean.count
        return (0..<rows).map { row in
            axes.map { axis in (0..<columns).reduce(0.0) { $0 + (Double(values[row * columns + $1]) - mean[$1]) * axis[$1] } }
        }
    }

    /// The rows of a sparse matrix on the axes.
    public func project(sparse matrix: CSRMatrix) -> [[Double]] {
        let offsets = axes.map { axis in zip(axis, mean).reduce(0) { $0 + $1.0 * $1.1 } }
        return (0..<matrix.rowCount).map { row in
            axes.indices.map { index in
                matrix.entries(ofRow: row).reduce(0.0) { $0 + Double(matrix.values[$1]) * axes[index][Int(matrix.columnIndices[$1])] } - offsets[index]
            }
        }
    }

    /// The vectors made orthonormal in order (modified Gram–Schmidt, twice for accuracy). A
    /// vector that (almost) lies in the span of those before it, as when the matrix has
    /// fewer directions than the block, is replaced by a seeded random one, so the block
    /// stays orthonormal.
    static func orthonormalised(_ vectors: [[Double]]) -> [[Double]] {
        var result: [[Double]] = []
        var generator = RandomGenerator(seed: 31)
        for vector in vectors {
            var v = vector
            let before = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for attempt in 0..<4 {
                for _ in 0..<2 {
                    for basis in result {
                        let dot = zip(v, basis).reduce(0) { $0 + $1.0 * $1.1 }
                        for index in v.indices { v[index] -= dot * basis[index] }
                    }
                }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-8 * max(before, 1e-300) || attempt == 3 {
                    result.append(v.map { $0 / max(norm, 1e-300) })
                    break
                }
                v = v.indices.map { _ in Double(generator.nextFloat()) - 0.5 }
            }
        }
        return result
    }

    /// The eigenvalues (largest first) and unit eigenvectors of a small symmetric matrix, by
    /// cyclic Jacobi rotations.
    static func symmetricEigen(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        let n = matrix.count
        var a = matrix
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k][p], a[k][q])
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p][k], a[q][k])
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k][p], v[k][q])
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0][$0] > a[$1][$1] }
        return (order.map { a[$0][$0] }, order.map { column in (0..<n).map { v[$0][column] } })
    }
}
