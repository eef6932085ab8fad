import Foundation

/// t-distributed stochastic neighbour embedding to two dimensions, exact (every pair), with
/// scikit-learn's `TSNE` defaults: perplexity 30, early exaggeration 12 for the first 250 of
/// 1,000 iterations, the learning rate `max(n / 12 / 4, 50)`, momentum 0.5 then 0.8, the
/// delta-bar-delta gains, and the PCA initialisation scaled to a standard deviation of 1e-4.
/// The initialisation is deterministic, so one input gives one embedding.
///
/// Exact t-SNE takes time and memory quadratic in the points; ``maximumPoints`` bounds it.
public struct TSNE: Sendable {
    public var perplexity: Double = 30
    public var iterations: Int = 1000
    public var earlyExaggeration: Double = 12
    /// The most points the exact method takes.
    public static let maximumPoints = 5000

    public init(perplexity: Double = 30, iterations: Int = 1000) {
        self.perplexity = perplexity
        self.iterations = iterations
    }

    /// The 2-D embedding of the rows of a dense row-major `rows × columns` matrix.
    /// - Precondition: `perplexity < rows`, `rows <= maximumPoints`.
    public func embed(_ values: [Float], rows n: Int, columns: Int) -> [[Double]] {
        precondition(n >= 2 && n <= Self.maximumPoints && perplexity < Double(n))
        // Squared distances of the inputs.
        var distances = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                var sum = 0.0
                for k in 0..<columns {
                    let d = Double(values[i * columns + k]) - Double(values[j * columns + k])
                    sum += d * d
                }
                distances[i * n + j] = sum
                distances[j * n + i] = sum
            }
        }
        // Conditional probabilities of each row at the perplexity, by bisection on the precision.
        var p = [Double](repeating: 0, count: n * n)
        let target = log(perplexity)
        for i in 0..<n {
            var beta = 1.0, low = -Double.infinity, high = Double.infinity
            for _ in 0..<100 {
                var sum = 0.0, weighted = 0.0
                for j in 0..<n where j != i {
                    let value = exp(-distances[i * n + j] * beta)
                    p[i * n + j] = value
                    sum += value
                }
                sum = max(sum, 1e-300)
                for j in 0..<n where j != i {
                    p[i * n + j] /= sum
                    weighted += distances[i * n + j] * p[i * n + j]
                }
                let entropy = log(sum) + beta * weighted
                let difference = entropy - target
                if abs(difference) <= 1e-5 { break }
                if difference > 0 {
                    low = beta
                    beta = high == .infinity ? beta * 2 : (beta + high) / 2
                } else {
                    high = beta
                    beta = low == -.infinity ? beta / 2 : (beta + low) / 2
                }
            }
        }
        // Joint probabilities, symmetric, summing to 1.
        var total = 0.0
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { let s = p[i * n + j] + p[j * n + i]; p[i * n + j] = s; p[j * n + i] = s; total += 2 * s } }
        total = max(total, Double.ulpOfOne)
        for index in p.indices { p[index] /= total }

        // The PCA initialisation, scaled so the first coordinate's standard deviation is 1e-4.
        let pca = PCA(dense: values, rows: n, columns: columns)
        var y = pca.project(dense: values, rows: n).flatMap { $0 }
        let firstMean = stride(from: 0, to: 2 * n, by: 2).reduce(0.0) { $0 + y[$1] } / Double(n)
        let firstDeviation = (stride(from: 0, to: 2 * n, by: 2).reduce(0.0) { $0 + (y[$1] - firstMean) * (y[$1] - firstMean) } / Double(n)).squareRoot()
        let scale = firstDeviation > 0 ? 1e-4 / firstDeviation : 1
        y = y.map { Float($0 * scale) }.map(Double.init)

        let rate = max(Double(n) / earlyExaggeration / 4, 50)
        var update = [Double](repeating: 0, count: 2 * n), gains = [Double](repeating: 1, count: 2 * n)
        var q = [Double](repeating: 0, count: n * n), gradient = [Double](repeating: 0, count: 2 * n)
        for iteration in 0..<iterations {
            let exaggeration = iteration < 250 ? earlyExaggeration : 1
            let momentum = iteration < 250 ? 0.5 : 0.8
            // Student-t similarities (one degree of freedom) and their sum.
            var sum = 0.0
            for i in 0..<n {
                for j in (i + 1)..<max(n, i + 1) {
                    let dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1]
                    let value = 1 / (1 + dx * dx + dy * dy)
                    q[i * n + j] = value
                    q[j * n + i] = value
                    sum += 2 * value
                }
            }
            sum = max(sum, Double.ulpOfOne)
            for i in 0..<n {
                var gx = 0.0, gy = 0.0
                for j in 0..<n where j != i {
                    let weight = (exaggeration * p[i * n + j] - q[i * n + j] / sum) * q[i * n + j]
                    gx += weight * (y[2 * i] - y[2 * j])
                    gy += weight * (y[2 * i + 1] - y[2 * j + 1])
                }
                gradient[2 * i] = 4 * gx
                gradient[2 * i + 1] = 4 * gy
            }
            for index in 0..<(2 * n) {
                gains[index] = update[index] * gradient[index] < 0 ? gains[index] + 0.2 : max(gains[index] * 0.8, 0.01)
                update[index] = momentum * update[index] - rate * gains[index] * gradient[index]
                y[index] += update[index]
            }
        }
        return (0..<n).map { [y[2 * $0], y[2 * $0 + 1]] }
    }

    /// scikit-learn's `trustworthiness`: how far the embedding's `neighbours` nearest
    /// neighbours of each point are, in rank, from its nearest neighbours in the input
    /// (1 when every embedded neighbourhood is an input neighbourhood).
    public static func trustworthiness(input values: [Float], columns: Int, embedding: [[Double]], neighbours k: Int = 10) -> Double {
        let n = embedding.count
        precondition(2 * k < n, "trustworthiness needs fewer neighbours than half the rows")
        var penalty = 0.0
        for i in 0..<n {
            var input = [(Double, Int)](), embedded = [(Double, Int)]()
            for j in 0..<n where j != i {
                var d = 0.0
                for c in 0..<columns { let e = Double(values[i * columns + c]) - Double(values[j * columns + c]); d += e * e }
                input.append((d, j))
                let ex = embedding[i][0] - embedding[j][0], ey = embedding[i][1] - embedding[j][1]
                embedded.append((ex * ex + ey * ey, j))
            }
            input.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            embedded.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            var rank = [Int](repeating: 0, count: n)
            for (position, pair) in input.enumerated() { rank[pair.1] = position + 1 }
            for pair in embedded.prefix(k) where rank[pair.1] > k { penalty += Double(rank[pair.1] - k) }
        }
        return 1 - penalty * 2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1))
    }
}
