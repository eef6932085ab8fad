import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfTraining

/// Exact and Barnes–Hut t-SNE and trustworthiness against scikit-learn
/// (scripts/fixtures/make_tsne_fixture.py and make_tsne_bh_fixture.py).
@Suite("t-SNE against scikit-learn")
struct TSNETests {
    struct Fixture: Decodable {
        var rows: Int
        var columns: Int
        var values: [Float]
        var sklearnTrustworthiness: Double
        var randomEmbedding: [[Double]]
        var randomTrustworthiness: Double
    }

    static let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: SharedData.fixture("training/tsne.json")))

    @Test func trustworthinessIsScikitLearns() {
        let f = Self.fixture
        let value = TSNE.trustworthiness(input: f.values, columns: f.columns, embedding: f.randomEmbedding, neighbours: 10)
        #expect(abs(value - f.randomTrustworthiness) < 1e-12, "\(value) vs \(f.randomTrustworthiness)")
    }

    /// The embedding keeps neighbourhoods as well as scikit-learn's (within 0.02), is the
    /// same twice, and separates the three clusters.
    @Test func embeddingKeepsNeighbourhoodsAsScikitLearnDoes() {
        let f = Self.fixture
        let embedding = TSNE().embed(f.values, rows: f.rows, columns: f.columns)
        let value = TSNE.trustworthiness(input: f.values, columns: f.columns, embedding: embedding, neighbours: 10)
        #expect(value >= f.sklearnTrustworthiness - 0.02, "\(value) vs scikit-learn's \(f.sklearnTrustworthiness)")
        #expect(embedding == TSNE().embed(f.values, rows: f.rows, columns: f.columns))
        // Each point's nearest embedded neighbour is from its own cluster.
        let cluster = (0..<f.rows).map { $0 / 60 }
        for i in 0..<f.rows {
            let nearest = (0..<f.rows).filter { $0 != i }.min {
                hypot(embedding[$0][0] - embedding[i][0], embedding[$0][1] - embedding[i][1])
                    < hypot(embedding[$1][0] - embedding[i][0], embedding[$1][1] - embedding[i][1])
            }!
            #expect(cluster[nearest] == cluster[i])
        }
    }

    /// The generated points of tsne-bh.json (see make_tsne_bh_fixture.py) and scikit-learn's
    /// Barnes–Hut trustworthiness of them.
    struct BarnesHutFixture: Decodable {
        var seed: UInt64
        var clusters: Int
        var size: Int
        var columns: Int
        var spread: Double
        var firstValues: [Float]
        var sum: Double
        var sklearnTrustworthiness: Double

        /// SplitMix64 uniforms of 24 bits; normals as the sum of 12 uniforms less 6.
        struct SplitMix64 {
            var state: UInt64
            mutating func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            mutating func uniform() -> Double { Double(next() >> 40) * 0x1p-24 }
            mutating func normal() -> Double {
                var total = 0.0
                for _ in 0..<12 { total += uniform() }
                return total - 6
            }
        }

        var rows: Int { clusters * size }

        var values: [Float] {
            var generator = SplitMix64(state: seed)
            let centres = (0..<clusters).map { _ in (0..<columns).map { _ in spread * (2 * generator.uniform() - 1) } }
            let scales = (0..<clusters).map { _ in 0.5 + generator.uniform() }
            var values: [Float] = []
            for cluster in 0..<clusters {
                for _ in 0..<size { for k in 0..<columns { values.append(Float(centres[cluster][k] + scales[cluster] * generator.normal())) } }
            }
            return values
        }
    }

    static let barnesHutFixture = try! JSONDecoder().decode(
        BarnesHutFixture.self, from: Data(contentsOf: SharedData.fixture("training/tsne-bh.json")))

    /// Above ``TSNE/automaticExactLimit`` points the automatic method is Barnes–Hut's, and its
    /// embedding keeps neighbourhoods as well as scikit-learn's Barnes–Hut t-SNE (within 0.02).
    @Test func barnesHutKeepsNeighbourhoodsAsScikitLearnDoes() {
        let f = Self.barnesHutFixture
        let values = f.values
        #expect(Array(values.prefix(f.firstValues.count)) == f.firstValues)
        #expect(values.reduce(0.0) { $0 + Double($1) } == f.sum)
        #expect(f.rows > TSNE.automaticExactLimit && !TSNE().usesExactGradient(rows: f.rows))
        let embedding = TSNE().embed(values, rows: f.rows, columns: f.columns)
        let value = TSNE.trustworthiness(input: values, columns: f.columns, embedding: embedding, neighbours: 10)
        #expect(value >= f.sklearnTrustworthiness - 0.02, "\(value) vs scikit-learn's \(f.sklearnTrustworthiness)")
    }

    /// Up to the limit the automatic method is the exact one; Barnes–Hut's embedding is the
    /// same twice.
    @Test func methodsAreChosenAndDeterministic() {
        let f = Self.fixture
        #expect(TSNE().usesExactGradient(rows: TSNE.automaticExactLimit))
        #expect(!TSNE().usesExactGradient(rows: TSNE.automaticExactLimit + 1))
        #expect(TSNE(method: .exact).usesExactGradient(rows: 1_000_000) && !TSNE(method: .barnesHut).usesExactGradient(rows: 10))
        #expect(TSNE(iterations: 60).embed(f.values, rows: f.rows, columns: f.columns)
            == TSNE(iterations: 60, method: .exact).embed(f.values, rows: f.rows, columns: f.columns))
        let barnesHut = TSNE(iterations: 300, method: .barnesHut)
        let embedding = barnesHut.embed(f.values, rows: f.rows, columns: f.columns)
        #expect(embedding == barnesHut.embed(f.values, rows: f.rows, columns: f.columns))
        #expect(embedding != TSNE(iterations: 300, method: .exact).embed(f.values, rows: f.rows, columns: f.columns))
    }

    /// The nearest neighbours are the first of each row's distances sorted (ties by index).
    @Test func nearestNeighboursAreTheSortedDistances() {
        // Rows on a small integer grid, so that many distances tie.
        let rows = 40, columns = 3
        let values = (0..<(rows * columns)).map { Float(($0 * 7 + $0 / 5) % 4) }
        let k = 9
        let (indices, squared) = TSNE.nearestNeighbours(values, rows: rows, columns: columns, count: k)
        for i in 0..<rows {
            var pairs: [(distance: Double, index: Int)] = []
            for j in 0..<rows where j != i {
                var distance = 0.0
                for c in 0..<columns {
                    let difference = Double(values[i * columns + c]) - Double(values[j * columns + c])
                    distance += difference * difference
                }
                pairs.append((distance, j))
            }
            pairs.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
            let expectedIndices: [Int] = pairs.prefix(k).map { $0.index }
            let expectedDistances: [Double] = pairs.prefix(k).map { $0.distance }
            #expect(indices[(i * k)..<(i * k + k)].map { Int($0) } == expectedIndices)
            #expect(Array(squared[(i * k)..<(i * k + k)]) == expectedDistances)
        }
    }

    /// The sparse affinities are symmetric and sum to 1; Barnes–Hut's gradient with angle 0
    /// is the exact gradient of the same affinities (duplicate points included), and with the
    /// default angle 0.5 it is close to it.
    @Test func barnesHutGradientApproximatesTheExactOne() {
        let f = Self.fixture
        let n = f.rows
        let affinities = TSNE.neighbourAffinities(f.values, rows: n, columns: f.columns, perplexity: 30)
        var dense = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for entry in affinities.rowStarts[i]..<affinities.rowStarts[i + 1] { dense[i * n + Int(affinities.columns[entry])] = affinities.values[entry] }
        }
        #expect(abs(dense.reduce(0, +) - 1) < 1e-12)
        #expect((0..<n).allSatisfy { i in (0..<n).allSatisfy { j in dense[i * n + j] == dense[j * n + i] } })
        // Spread-out points, the last ten duplicating the first ten.
        var y = TSNE.initialEmbedding(f.values, rows: n, columns: f.columns).map { $0 * 1e5 }
        for i in 0..<10 { (y[2 * (n - 1 - i)], y[2 * (n - 1 - i) + 1]) = (y[2 * i], y[2 * i + 1]) }
        func gradient(_ g: inout some TSNEGradient) -> [Double] {
            var result = [Double](repeating: 0, count: 2 * n)
            y.withUnsafeBufferPointer { y in result.withUnsafeMutableBufferPointer { g.compute(at: y, exaggeration: 12, into: $0) } }
            return result
        }
        var exact = ExactGradient(affinities: dense, rows: n)
        var zeroAngle = BarnesHutGradient(affinities: affinities, angle: 0)
        var defaultAngle = BarnesHutGradient(affinities: affinities, angle: 0.5)
        let reference = gradient(&exact), approximation = gradient(&defaultAngle)
        let norm = reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(zip(reference, gradient(&zeroAngle)).allSatisfy { abs($0 - $1) <= 1e-12 * norm })
        let error = zip(reference, approximation).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(error > 0 && error < 0.01 * norm, "relative error \(error / norm)")
    }
}
