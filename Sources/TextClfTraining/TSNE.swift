import Foundation
import TextClfTensor

/// t-distributed stochastic neighbour embedding to two dimensions with scikit-learn's `TSNE`
/// defaults: perplexity 30, early exaggeration 12 for the first 250 of 1,000 iterations, the
/// learning rate `max(n / 12 / 4, 50)`, momentum 0.5 then 0.8, the delta-bar-delta gains, and
/// the PCA initialisation scaled to a standard deviation of 1e-4. Nothing is drawn at random
/// and nothing runs in parallel, so one input gives one embedding, bit for bit.
///
/// Two gradients share that optimiser (see ``Method``): the exact one, over every pair of
/// points, whose time per iteration and memory are quadratic in the points; and Barnes–Hut's,
/// as scikit-learn's `method="barnes_hut"` computes it, with input affinities over each
/// point's `3 · perplexity` nearest neighbours only and the repulsion between embedded points
/// approximated through a quadtree, in memory linear in the points and time `O(n log n)` per
/// iteration (after a nearest-neighbour search of time `O(n² · columns)`).
public struct TSNE: Sendable {
    /// How the gradient of the embedding is computed.
    public enum Method: String, Sendable, Hashable, CaseIterable {
        /// Over every pair of points: memory and time per iteration quadratic in the points.
        case exact
        /// Sparse input affinities over each point's nearest neighbours and the repulsion
        /// through a quadtree, with the Barnes–Hut criterion at ``TSNE/angle``.
        case barnesHut
        /// ``exact`` up to ``TSNE/automaticExactLimit`` points, ``barnesHut`` above.
        case automatic
    }

    /// The perplexity of each point's conditional distribution over the others: about the
    /// number of neighbours it keeps.
    public var perplexity: Double = 30
    /// The gradient steps; the first 250 exaggerate the input affinities.
    public var iterations: Int = 1000
    /// The factor of the input affinities in the first 250 steps.
    public var earlyExaggeration: Double = 12
    /// How the gradient is computed; ``Method/automatic`` by default.
    public var method: Method = .automatic
    /// Barnes–Hut's θ: a quadtree cell acts on a point as one body at its centre of mass when
    /// its widest side is below θ times their distance (0 makes the repulsion exact; 0.5 is
    /// scikit-learn's default).
    public var angle: Double = 0.5

    /// The most points ``Method/automatic`` embeds exactly: a few seconds for 1,000 iterations
    /// and 16 MB for the two `n × n` matrices. Above it the exact method's time and memory grow
    /// quadratically (several times Barnes–Hut's time at 2,000 points), while Barnes–Hut,
    /// scikit-learn's default method at any size, keeps neighbourhoods as well.
    public static let automaticExactLimit = 1000

    /// Where the descent starts.
    public enum Initialization: Sendable, Hashable {
        /// The two leading principal components, scaled to a standard deviation of 1e-4 (the
        /// default, as scikit-learn's `init="pca"`): nothing is drawn.
        case pca
        /// Independent normal coordinates of standard deviation 1e-4 drawn from `seed`, as
        /// scikit-learn's `init="random"` draws them from its `random_state`.
        case random(seed: UInt64)
    }

    /// Where the descent starts; ``Initialization/pca`` by default.
    public var initialization: Initialization = .pca

    public init(
        perplexity: Double = 30, iterations: Int = 1000, method: Method = .automatic, angle: Double = 0.5,
        initialization: Initialization = .pca
    ) {
        self.perplexity = perplexity
        self.iterations = iterations
        self.method = method
        self.angle = angle
        self.initialization = initialization
    }

    /// Whether `rows` points are embedded with the exact gradient.
    public func usesExactGradient(rows: Int) -> Bool {
        switch method {
        case .exact: return true
        case .barnesHut: return false
        case .automatic: return rows <= Self.automaticExactLimit
        }
    }

    /// The 2-D embedding of the rows of a dense row-major `rows × columns` matrix.
    /// - Precondition: `2 <= rows`, `0 < perplexity < rows`, `0 <= angle`.
    public func embed(_ values: [Float], rows n: Int, columns: Int) -> [[Double]] {
        precondition(n >= 2 && values.count == n * columns && perplexity > 0 && perplexity < Double(n) && angle >= 0)
        var y: [Double]
        switch initialization {
        case .pca: y = Self.initialEmbedding(values, rows: n, columns: columns)
        case .random(let seed):
            var generator = RandomGenerator(seed: seed)
            y = (0..<(2 * n)).map { _ in Double(Float(1e-4 * Double(generator.nextNormal()))) }
        }
        if usesExactGradient(rows: n) {
            var gradient = ExactGradient(affinities: Self.exactAffinities(values, rows: n, columns: columns, perplexity: perplexity), rows: n)
            descend(&y, gradient: &gradient)
        } else {
            let affinities = Self.neighbourAffinities(values, rows: n, columns: columns, perplexity: perplexity)
            var gradient = BarnesHutGradient(affinities: affinities, angle: angle)
            descend(&y, gradient: &gradient)
        }
        return (0..<n).map { [y[2 * $0], y[2 * $0 + 1]] }
    }

    /// The PCA initialisation, row-major `n × 2`, scaled so that the first coordinate's standard
    /// deviation is 1e-4 and rounded to `Float`, as scikit-learn's float32 initialisation is.
    static func initialEmbedding(_ values: [Float], rows n: Int, columns: Int) -> [Double] {
        let pca = PCA(dense: values, rows: n, columns: columns)
        let y = pca.project(dense: values, rows: n).flatMap { $0 }
        let firstMean = stride(from: 0, to: 2 * n, by: 2).reduce(0.0) { $0 + y[$1] } / Double(n)
        let firstDeviation = (stride(from: 0, to: 2 * n, by: 2).reduce(0.0) { $0 + (y[$1] - firstMean) * (y[$1] - firstMean) } / Double(n)).squareRoot()
        let scale = firstDeviation > 0 ? 1e-4 / firstDeviation : 1
        return y.map { Float($0 * scale) }.map(Double.init)
    }

    /// Gradient descent from `y` (row-major `n × 2`), whichever the gradient: the input
    /// affinities exaggerated and momentum 0.5 for the first 250 iterations, then momentum 0.8,
    /// with the delta-bar-delta gains (+0.2 where the gradient keeps the sign it had at the
    /// last step, ×0.8 otherwise, at least 0.01).
    private func descend<Gradient: TSNEGradient>(_ y: inout [Double], gradient: inout Gradient) {
        let n = y.count / 2
        let rate = max(Double(n) / earlyExaggeration / 4, 50)
        var update = [Double](repeating: 0, count: 2 * n), gains = [Double](repeating: 1, count: 2 * n)
        var g = [Double](repeating: 0, count: 2 * n)
        for iteration in 0..<iterations {
            let exaggeration = iteration < 250 ? earlyExaggeration : 1
            let momentum = iteration < 250 ? 0.5 : 0.8
            y.withUnsafeBufferPointer { y in
                g.withUnsafeMutableBufferPointer { g in gradient.compute(at: y, exaggeration: exaggeration, into: g) }
            }
            for index in 0..<(2 * n) {
                gains[index] = update[index] * g[index] < 0 ? gains[index] + 0.2 : max(gains[index] * 0.8, 0.01)
                update[index] = momentum * update[index] - rate * gains[index] * g[index]
                y[index] += update[index]
            }
        }
    }

    // MARK: Input affinities

    /// The conditional probabilities `p(j|i) ∝ exp(−β · distances[j])` of one point's
    /// neighbours at the given squared distances, with the precision β found by bisection
    /// (from 1, at most 100 steps) until their entropy is within 1e-5 of `target`, the
    /// logarithm of the perplexity: scikit-learn's `_binary_search_perplexity` for one row.
    static func conditionalProbabilities(distances: UnsafeBufferPointer<Double>, target: Double, into p: UnsafeMutableBufferPointer<Double>) {
        var beta = 1.0, low = -Double.infinity, high = Double.infinity
        for _ in 0..<100 {
            var sum = 0.0, weighted = 0.0
            for j in distances.indices {
                let value = exp(-distances[j] * beta)
                p[j] = value
                sum += value
            }
            sum = max(sum, 1e-300)
            for j in distances.indices {
                p[j] /= sum
                weighted += distances[j] * p[j]
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

    /// The exact method's joint probabilities, a dense `n × n` matrix: each row's conditional
    /// probabilities over all the other points, symmetrised and scaled to sum to 1.
    static func exactAffinities(_ values: [Float], rows n: Int, columns: Int, perplexity: Double) -> [Double] {
        let distances = SquaredDistances(values, rows: n, columns: columns)
        var p = [Double](repeating: 0, count: n * n)
        var row = [Double](repeating: 0, count: n), others = [Double](repeating: 0, count: n - 1)
        var conditional = [Double](repeating: 0, count: n - 1)
        for i in 0..<n {
            row.withUnsafeMutableBufferPointer { distances.fromRow(i, into: $0) }
            for j in 0..<n where j != i { others[j < i ? j : j - 1] = row[j] }
            others.withUnsafeBufferPointer { others in
                conditional.withUnsafeMutableBufferPointer { Self.conditionalProbabilities(distances: others, target: log(perplexity), into: $0) }
            }
            for j in 0..<n where j != i { p[i * n + j] = conditional[j < i ? j : j - 1] }
        }
        var total = 0.0
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { let s = p[i * n + j] + p[j * n + i]; p[i * n + j] = s; p[j * n + i] = s; total += 2 * s } }
        total = max(total, Double.ulpOfOne)
        for index in p.indices { p[index] /= total }
        return p
    }

    /// Barnes–Hut's joint probabilities, sparse: the conditional probabilities of each point
    /// over its `min(n − 1, ⌊3 · perplexity + 1⌋)` nearest neighbours (as scikit-learn takes
    /// them), `P + Pᵀ`, scaled to sum to 1 (by `2n` when every row sums to 1).
    static func neighbourAffinities(_ values: [Float], rows n: Int, columns: Int, perplexity: Double) -> SparseAffinities {
        let k = min(n - 1, Int(3 * perplexity + 1))
        let (neighbours, squaredDistances) = nearestNeighbours(values, rows: n, columns: columns, count: k)
        var conditional = [Double](repeating: 0, count: n * k)
        squaredDistances.withUnsafeBufferPointer { distances in
            conditional.withUnsafeMutableBufferPointer { conditional in
                for i in 0..<n {
                    Self.conditionalProbabilities(
                        distances: UnsafeBufferPointer(rebasing: distances[(i * k)..<(i * k + k)]), target: log(perplexity),
                        into: UnsafeMutableBufferPointer(rebasing: conditional[(i * k)..<(i * k + k)]))
                }
            }
        }
        return SparseAffinities(rows: n, neighbours: neighbours, conditional: conditional, count: k)
    }

    /// The `count` nearest neighbours of each row (itself left out), row-major `n × count`,
    /// nearest first, with their squared Euclidean distances; equal distances in index order.
    /// No `n × n` matrix is made: each row's distances are taken in turn.
    static func nearestNeighbours(_ values: [Float], rows n: Int, columns: Int, count k: Int) -> (indices: [Int32], squaredDistances: [Double]) {
        precondition(0 < k && k < n)
        let distances = SquaredDistances(values, rows: n, columns: columns)
        var indices = [Int32](repeating: 0, count: n * k), squared = [Double](repeating: 0, count: n * k)
        var row = [Double](repeating: 0, count: n)
        var nearest = NearestList(capacity: k)
        for i in 0..<n {
            row.withUnsafeMutableBufferPointer { distances.fromRow(i, into: $0) }
            nearest.removeAll()
            row.withUnsafeBufferPointer { row in
                for j in 0..<n where j != i { nearest.offer(row[j], j) }
            }
            for (position, (distance, j)) in nearest.sorted().enumerated() {
                indices[i * k + position] = Int32(j)
                squared[i * k + position] = distance
            }
        }
        return (indices, squared)
    }

    // MARK: Trustworthiness

    /// scikit-learn's `trustworthiness`: how far the embedding's `neighbours` nearest
    /// neighbours of each point are, in rank, from its nearest neighbours in the input
    /// (1 when every embedded neighbourhood is an input neighbourhood). Equal distances rank
    /// in index order. Memory is linear in the points: each point's distances are taken in turn.
    public static func trustworthiness(input values: [Float], columns: Int, embedding: [[Double]], neighbours k: Int = 10) -> Double {
        let n = embedding.count
        precondition(2 * k < n, "trustworthiness needs fewer neighbours than half the rows")
        precondition(k > 0 && values.count == n * columns)
        let distances = SquaredDistances(values, rows: n, columns: columns)
        var input = [Double](repeating: 0, count: n)
        var nearestInput = NearestList(capacity: k), nearestEmbedded = NearestList(capacity: k)
        var penalty = 0.0
        for i in 0..<n {
            input.withUnsafeMutableBufferPointer { distances.fromRow(i, into: $0) }
            nearestInput.removeAll()
            nearestEmbedded.removeAll()
            for j in 0..<n where j != i {
                nearestInput.offer(input[j], j)
                let ex = embedding[i][0] - embedding[j][0], ey = embedding[i][1] - embedding[j][1]
                nearestEmbedded.offer(ex * ex + ey * ey, j)
            }
            // The input's k-th neighbour: embedded neighbours up to it rank within k.
            let last = nearestInput.largest
            for (_, j) in nearestEmbedded.sorted() where !NearestList.precedes(input[j], j, last.distance, last.index) && j != last.index {
                var rank = 1
                for other in 0..<n where other != i && NearestList.precedes(input[other], other, input[j], j) { rank += 1 }
                penalty += Double(rank - k)
            }
        }
        return 1 - penalty * 2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1))
    }
}

// MARK: - Gradients

/// The gradient of t-SNE's Kullback–Leibler divergence with respect to the embedded points.
protocol TSNEGradient {
    /// Writes the gradient at the row-major `n × 2` points `y`, with the input affinities
    /// multiplied by `exaggeration`, into `gradient` (row-major `n × 2`).
    mutating func compute(at y: UnsafeBufferPointer<Double>, exaggeration: Double, into gradient: UnsafeMutableBufferPointer<Double>)
}

/// The exact gradient `4 Σⱼ (pᵢⱼ − qᵢⱼ / Z) qᵢⱼ (yᵢ − yⱼ)` over every pair, with the Student-t
/// similarities `qᵢⱼ = (1 + |yᵢ − yⱼ|²)⁻¹` (one degree of freedom) and `Z = Σₖ≠ₗ qₖₗ`: the
/// joint probabilities `p` in a dense `n × n` matrix and the similarities in a second one.
struct ExactGradient: TSNEGradient {
    let rows: Int
    let p: [Double]
    var q: [Double]

    init(affinities: [Double], rows n: Int) {
        rows = n
        p = affinities
        q = [Double](repeating: 0, count: n * n)
    }

    mutating func compute(at y: UnsafeBufferPointer<Double>, exaggeration: Double, into gradient: UnsafeMutableBufferPointer<Double>) {
        let n = rows
        q.withUnsafeMutableBufferPointer { q in
            p.withUnsafeBufferPointer { p in
                // Student-t similarities and their sum.
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
            }
        }
    }
}

/// Symmetric joint probabilities in compressed rows: row `i`'s columns (ascending) and values
/// are at `rowStarts[i]..<rowStarts[i + 1]`; all the values sum to 1.
struct SparseAffinities: Sendable {
    let rowStarts: [Int]
    let columns: [Int32]
    let values: [Double]

    /// `P + Pᵀ` scaled to sum to 1, from the conditional probabilities `conditional[i · count + m]`
    /// of each row `i` over its neighbours `neighbours[i · count + m]`.
    init(rows n: Int, neighbours: [Int32], conditional: [Double], count k: Int) {
        // Each row holds its own neighbours and the rows it is a neighbour of.
        var starts = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            starts[i + 1] += k
            for m in 0..<k { starts[Int(neighbours[i * k + m]) + 1] += 1 }
        }
        for i in 0..<n { starts[i + 1] += starts[i] }
        var fill = Array(starts.prefix(n))
        var entries = [(column: Int32, value: Double)](repeating: (0, 0), count: starts[n])
        for i in 0..<n {
            for m in 0..<k {
                let j = Int(neighbours[i * k + m]), value = conditional[i * k + m]
                entries[fill[i]] = (Int32(j), value)
                fill[i] += 1
                entries[fill[j]] = (Int32(i), value)
                fill[j] += 1
            }
        }
        // Each row by column, pᵢⱼ and pⱼᵢ added where both are there.
        var rowStarts = [0], columns = [Int32](), values = [Double]()
        columns.reserveCapacity(starts[n])
        values.reserveCapacity(starts[n])
        for i in 0..<n {
            let row = entries[starts[i]..<starts[i + 1]].sorted { $0.column < $1.column }
            for entry in row {
                if columns.count > rowStarts[i], columns[columns.count - 1] == entry.column {
                    values[values.count - 1] += entry.value
                } else {
                    columns.append(entry.column)
                    values.append(entry.value)
                }
            }
            rowStarts.append(columns.count)
        }
        let total = max(values.reduce(0, +), Double.ulpOfOne)
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values.map { $0 / total }
    }
}

/// Barnes–Hut's gradient `4 Σⱼ pᵢⱼ qᵢⱼ (yᵢ − yⱼ) − 4 Σⱼ qᵢⱼ² (yᵢ − yⱼ) / Z`, with
/// `qᵢⱼ = (1 + |yᵢ − yⱼ|²)⁻¹` and `Z = Σₖ≠ₗ qₖₗ`: the attraction over the entries of the sparse
/// joint probabilities only, the repulsion and `Z` through a quadtree of the embedded points
/// (``QuadTree``), rebuilt at each step.
struct BarnesHutGradient: TSNEGradient {
    let affinities: SparseAffinities
    let squaredAngle: Double
    var tree = QuadTree()
    var repulsion: [Double] = []

    init(affinities: SparseAffinities, angle: Double) {
        self.affinities = affinities
        squaredAngle = angle * angle
    }

    mutating func compute(at y: UnsafeBufferPointer<Double>, exaggeration: Double, into gradient: UnsafeMutableBufferPointer<Double>) {
        let n = y.count / 2
        tree.build(y)
        if repulsion.count != 2 * n { repulsion = [Double](repeating: 0, count: 2 * n) }
        var z = repulsion.withUnsafeMutableBufferPointer { tree.repulsion(squaredAngle: squaredAngle, into: $0) }
        z = max(z, Double.ulpOfOne)
        affinities.rowStarts.withUnsafeBufferPointer { starts in
            affinities.columns.withUnsafeBufferPointer { columns in
                affinities.values.withUnsafeBufferPointer { p in
                    repulsion.withUnsafeBufferPointer { repulsion in
                        for i in 0..<n {
                            let xi = y[2 * i], yi = y[2 * i + 1]
                            var ax = 0.0, ay = 0.0
                            for entry in starts[i]..<starts[i + 1] {
                                let j = Int(columns[entry])
                                let dx = xi - y[2 * j], dy = yi - y[2 * j + 1]
                                let weight = p[entry] / (1 + dx * dx + dy * dy)
                                ax += weight * dx
                                ay += weight * dy
                            }
                            gradient[2 * i] = 4 * (exaggeration * ax - repulsion[2 * i] / z)
                            gradient[2 * i + 1] = 4 * (exaggeration * ay - repulsion[2 * i + 1] / z)
                        }
                    }
                }
            }
        }
    }
}

/// A quadtree of 2-D points for Barnes–Hut sums: the root is the points' bounding box, each
/// cell is split at its middle into its non-empty quarters, down to cells of one point, or to
/// ``maximumDepth`` levels, where the points left (within 2⁻⁴⁸ of the root's width of one
/// another) share a leaf. Each cell keeps its centre of mass, its point count and its widest
/// side. The arrays are kept from one build to the next.
struct QuadTree {
    struct Cell {
        /// The centre of mass.
        var x: Double, y: Double
        /// The square of the widest side.
        var squaredWidth: Double
        /// The cell's points: `order[start..<start + count]`.
        var start: Int32, count: Int32
        /// The children: `cells[firstChild..<firstChild + childCount]`; none for a leaf.
        var firstChild: Int32, childCount: Int32
    }

    /// The deepest level; a cell there is a leaf whatever its points.
    static let maximumDepth = 48

    private(set) var cells: [Cell] = []
    /// The point indices, each cell's points contiguous, and their coordinates in that order.
    private(set) var order: [Int32] = []
    private var xs: [Double] = [], ys: [Double] = []
    /// The leaf of each point.
    private var leaves: [Int32] = []

    /// Rebuilds the tree over the row-major `n × 2` points `y`.
    mutating func build(_ y: UnsafeBufferPointer<Double>) {
        let n = y.count / 2
        order = (0..<Int32(n)).map { $0 }
        xs = (0..<n).map { y[2 * $0] }
        ys = (0..<n).map { y[2 * $0 + 1] }
        if leaves.count != n { leaves = [Int32](repeating: 0, count: n) }
        cells.removeAll(keepingCapacity: true)
        cells.reserveCapacity(2 * n + 1)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for index in 0..<n {
            minX = min(minX, xs[index])
            maxX = max(maxX, xs[index])
            minY = min(minY, ys[index])
            maxY = max(maxY, ys[index])
        }
        cells.append(Cell(x: 0, y: 0, squaredWidth: 0, start: 0, count: Int32(n), firstChild: 0, childCount: 0))
        // Cells still to split, with their boxes and depth.
        var pending = [(cell: Int, minX: Double, maxX: Double, minY: Double, maxY: Double, depth: Int)]()
        pending.append((0, minX, maxX, minY, maxY, 0))
        order.withUnsafeMutableBufferPointer { order in
            xs.withUnsafeMutableBufferPointer { xs in
                ys.withUnsafeMutableBufferPointer { ys in
                    /// Moves the points of `start..<end` whose coordinate in `values` is below
                    /// `middle` to the front; returns where the others begin.
                    func partition(_ start: Int, _ end: Int, by values: UnsafeMutableBufferPointer<Double>, below middle: Double) -> Int {
                        var low = start, high = end - 1
                        while true {
                            while low <= high && values[low] < middle { low += 1 }
                            while low <= high && !(values[high] < middle) { high -= 1 }
                            if low >= high { return low }
                            order.swapAt(low, high)
                            xs.swapAt(low, high)
                            ys.swapAt(low, high)
                        }
                    }
                    while let (index, minX, maxX, minY, maxY, depth) = pending.popLast() {
                        let start = Int(cells[index].start), count = Int(cells[index].count), end = start + count
                        var sumX = 0.0, sumY = 0.0
                        for point in start..<end {
                            sumX += xs[point]
                            sumY += ys[point]
                        }
                        let width = max(maxX - minX, maxY - minY)
                        cells[index].x = sumX / Double(count)
                        cells[index].y = sumY / Double(count)
                        cells[index].squaredWidth = width * width
                        guard count > 1 && depth < Self.maximumDepth else {
                            for point in start..<end { leaves[Int(order[point])] = Int32(index) }
                            continue
                        }
                        let middleX = (minX + maxX) / 2, middleY = (minY + maxY) / 2
                        let right = partition(start, end, by: xs, below: middleX)
                        let leftTop = partition(start, right, by: ys, below: middleY)
                        let rightTop = partition(right, end, by: ys, below: middleY)
                        cells[index].firstChild = Int32(cells.count)
                        func addChild(_ low: Int, _ high: Int, _ minX: Double, _ maxX: Double, _ minY: Double, _ maxY: Double) {
                            guard high > low else { return }
                            pending.append((cells.count, minX, maxX, minY, maxY, depth + 1))
                            cells.append(Cell(x: 0, y: 0, squaredWidth: 0, start: Int32(low), count: Int32(high - low), firstChild: 0, childCount: 0))
                        }
                        addChild(start, leftTop, minX, middleX, minY, middleY)
                        addChild(leftTop, right, minX, middleX, middleY, maxY)
                        addChild(right, rightTop, middleX, maxX, minY, middleY)
                        addChild(rightTop, end, middleX, maxX, middleY, maxY)
                        cells[index].childCount = Int32(cells.count) - cells[index].firstChild
                    }
                }
            }
        }
    }

    /// Writes the repulsion on each point `i` (see ``repulsion(on:at:_:squaredAngle:)``) into
    /// `forces[2i]` and `forces[2i + 1]` and returns `Z = Σᵢ≠ⱼ qᵢⱼ`, the points taken in the
    /// tree's order, so that consecutive points visit mostly the same cells.
    func repulsion(squaredAngle: Double, into forces: UnsafeMutableBufferPointer<Double>) -> Double {
        var z = 0.0
        for position in order.indices {
            let i = Int(order[position])
            let (fx, fy, sum) = repulsion(on: i, at: xs[position], ys[position], squaredAngle: squaredAngle)
            forces[2 * i] = fx
            forces[2 * i + 1] = fy
            z += sum
        }
        return z
    }

    /// The repulsion `Σⱼ qᵢⱼ² (yᵢ − yⱼ)` on point `i` at (`px`, `py`) and its share
    /// `Σⱼ qᵢⱼ` of the normalisation, `qᵢⱼ = (1 + |yᵢ − yⱼ|²)⁻¹`, over the other points. A
    /// leaf, or a cell whose squared widest side is below `squaredAngle` times its squared
    /// distance from the point, counts as its points at its centre of mass; the points that
    /// share point `i`'s leaf count as at its place (`qᵢⱼ = 1`, no force).
    func repulsion(on i: Int, at px: Double, _ py: Double, squaredAngle: Double) -> (x: Double, y: Double, sum: Double) {
        var fx = 0.0, fy = 0.0, z = 0.0
        let own = Int(leaves[i])
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * Self.maximumDepth + 8) { stack in
            cells.withUnsafeBufferPointer { cells in
                let stack = stack.baseAddress!, cells = cells.baseAddress!
                stack[0] = 0
                var top = 1
                while top > 0 {
                    top -= 1
                    let index = Int(stack[top])
                    let cell = cells + index
                    if index == own {
                        z += Double(cell.pointee.count - 1)
                        continue
                    }
                    let dx = px - cell.pointee.x, dy = py - cell.pointee.y
                    let squaredDistance = dx * dx + dy * dy
                    if cell.pointee.childCount == 0 || cell.pointee.squaredWidth < squaredAngle * squaredDistance {
                        let q = 1 / (1 + squaredDistance), count = Double(cell.pointee.count)
                        z += count * q
                        fx += count * q * q * dx
                        fy += count * q * q * dy
                    } else {
                        var child = cell.pointee.firstChild
                        let end = child + cell.pointee.childCount
                        while child < end {
                            stack[top] = child
                            top += 1
                            child += 1
                        }
                    }
                }
            }
        }
        return (fx, fy, z)
    }
}

// MARK: - Neighbour search

/// Squared Euclidean distances from one row of a dense row-major matrix to every row, summed
/// in `Double` over the columns in order; kept column by column, so the inner loop runs along
/// the rows.
struct SquaredDistances {
    let rows: Int, columns: Int
    private let transposed: [Float]

    init(_ values: [Float], rows: Int, columns: Int) {
        precondition(values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        var transposed = [Float](repeating: 0, count: rows * columns)
        for row in 0..<rows { for column in 0..<columns { transposed[column * rows + row] = values[row * columns + column] } }
        self.transposed = transposed
    }

    /// Writes the squared distance from row `i` to each row `j` into `distances[j]`.
    func fromRow(_ i: Int, into distances: UnsafeMutableBufferPointer<Double>) {
        precondition(distances.count == rows)
        guard let out = distances.baseAddress else { return }
        out.update(repeating: 0, count: rows)
        transposed.withUnsafeBufferPointer { transposed in
            for column in 0..<columns {
                let values = transposed.baseAddress! + column * rows
                let value = Double(values[i])
                for j in 0..<rows {
                    let difference = value - Double(values[j])
                    out[j] += difference * difference
                }
            }
        }
    }
}

/// The `capacity` smallest of the (distance, index) pairs offered, ordered by distance and
/// then index: a bounded max-heap.
struct NearestList {
    let capacity: Int
    private var distances: [Double] = [], indices: [Int] = []

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        distances.reserveCapacity(capacity)
        indices.reserveCapacity(capacity)
    }

    /// Whether (`d`, `i`) comes before (`e`, `j`): a smaller distance, or the same and a smaller index.
    @inline(__always)
    static func precedes(_ d: Double, _ i: Int, _ e: Double, _ j: Int) -> Bool {
        d < e || (d == e && i < j)
    }

    mutating func removeAll() {
        distances.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
    }

    /// The largest pair kept.
    var largest: (distance: Double, index: Int) { (distances[0], indices[0]) }

    /// Keeps (`distance`, `index`) if it is among the `capacity` smallest so far.
    mutating func offer(_ distance: Double, _ index: Int) {
        if distances.count < capacity {
            distances.append(distance)
            indices.append(index)
            var child = distances.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.precedes(distances[parent], indices[parent], distance, index) else { break }
                distances[child] = distances[parent]
                indices[child] = indices[parent]
                child = parent
            }
            distances[child] = distance
            indices[child] = index
            return
        }
        guard Self.precedes(distance, index, distances[0], indices[0]) else { return }
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= capacity { break }
            if child + 1 < capacity && Self.precedes(distances[child], indices[child], distances[child + 1], indices[child + 1]) { child += 1 }
            guard Self.precedes(distance, index, distances[child], indices[child]) else { break }
            distances[parent] = distances[child]
            indices[parent] = indices[child]
            parent = child
        }
        distances[parent] = distance
        indices[parent] = index
    }

    /// The pairs kept, smallest first.
    func sorted() -> [(distance: Double, index: Int)] {
        zip(distances, indices).map { (distance: $0, index: $1) }.sorted { Self.precedes($0.distance, $0.index, $1.distance, $1.index) }
    }
}
