import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfTraining

/// Exact t-SNE and trustworthiness against scikit-learn (scripts/fixtures/make_tsne_fixture.py).
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
}
