import Foundation
import Testing
import TextClfTensor
import TextClfTestSupport

@testable import TextClfTraining

/// PCA against scikit-learn's `PCA(2)` (pinned by scripts/fixtures/make_pca_fixtures.py), up
/// to the sign of each component.
@Suite("PCA against scikit-learn")
struct PCATests {
    struct Case: Decodable {
        var rows: Int
        var columns: Int
        var values: [Float]
        var indptr: [Int]?
        var indices: [Int32]?
        var components: [[Double]]
        var variances: [Double]
        var projected: [[Double]]
    }

    struct Fixture: Decodable {
        var dense: Case
        var lowRank: Case
        var sparse: Case
    }

    static let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: SharedData.fixture("training/pca.json")))

    /// Expects the fitted axes, variances and projections of `expected`, each component up to sign.
    func expectMatches(_ pca: PCA, _ projected: [[Double]], _ expected: Case, _ name: String) {
        for component in 0..<2 {
            let sign: Double = zip(pca.axes[component], expected.components[component]).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
            let axisError = zip(pca.axes[component], expected.components[component]).map { abs(sign * $0 - $1) }.max() ?? 0
            #expect(axisError < 1e-4, "\(name) axis \(component): \(axisError)")
            #expect(abs(pca.variances[component] - expected.variances[component]) <= 1e-4 * expected.variances[component], "\(name) variance \(component)")
            let rowError = zip(projected, expected.projected).map { abs(sign * $0[component] - $1[component]) }.max() ?? 0
            #expect(rowError < 1e-3, "\(name) projection \(component): \(rowError)")
        }
    }

    @Test func denseRowsMatchScikitLearn() {
        let c = Self.fixture.dense
        let pca = PCA(dense: c.values, rows: c.rows, columns: c.columns)
        expectMatches(pca, pca.project(dense: c.values, rows: c.rows), c, "dense")
    }

    /// Fewer directions than columns (three columns always zero): the iteration's block stays
    /// orthonormal, and the axes are those of scikit-learn.
    @Test func rowsWithFewerDirectionsThanColumnsMatchScikitLearn() {
        let c = Self.fixture.lowRank
        let pca = PCA(dense: c.values, rows: c.rows, columns: c.columns)
        expectMatches(pca, pca.project(dense: c.values, rows: c.rows), c, "low rank")
        #expect(pca.axes.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9 })
    }

    @Test func sparseRowsMatchScikitLearnWithoutDensifying() throws {
        let c = Self.fixture.sparse
        let matrix = try CSRMatrix(
            rowCount: c.rows, columnCount: c.columns, rowPointers: c.indptr!, columnIndices: c.indices!, values: c.values)
        let pca = PCA(sparse: matrix)
        expectMatches(pca, pca.project(sparse: matrix), c, "sparse")
    }
}
