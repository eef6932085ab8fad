import Foundation
import Testing
import TextClfTensor

@testable import TextClfDataset

@Suite("Standardizer")
struct StandardizerTests {
    // Columns: [1, 2, 3, 6] (mean 3, population variance (4+1+0+9)/4 = 3.5),
    // [10, 10, 10, 10] (std 0 → scale 1), [-2, 0, 2, 4] (mean 1, variance (9+1+1+9)/4 = 5).
    let matrix: [[Float]] = [[1, 10, -2], [2, 10, 0], [3, 10, 2], [6, 10, 4]]

    @Test("population mean and std per column, a zero std becomes 1 (as StandardScaler)")
    func fit() throws {
        let standardizer = try Standardizer(fitting: try Tensor.matrix(matrix))
        #expect(standardizer.mean == [3, 10, 1])
        #expect(standardizer.scale == [Float(3.5.squareRoot()), 1, Float(5.0.squareRoot())])
    }

    @Test("transform gives z-scores; the column count must match")
    func transform() throws {
        let standardizer = try Standardizer(fitting: try Tensor.matrix(matrix))
        let result = try standardizer.transform(try Tensor.matrix([[3, 10, 1], [6, 12, -4]]))
        #expect(result.shape == [2, 3])
        let expected: [Float] = [0, 0, 0, 3 / Float(3.5.squareRoot()), 2, -5 / Float(5.0.squareRoot())]
        for (got, want) in zip(result.scalars, expected) { #expect(abs(got - want) < 1e-6) }
        #expect(throws: StandardizerError.columnCountMismatch(expected: 3, got: 2)) {
            try standardizer.transform(try Tensor.matrix([[1, 2]]))
        }
        #expect(throws: StandardizerError.noRows) { try Standardizer(fitting: Tensor.zeros([0, 3])) }
    }

    @Test("a large mean does not swamp a small spread")
    func precision() throws {
        let standardizer = try Standardizer(fitting: try Tensor.matrix([[100_000.5], [100_001.5]]))
        #expect(standardizer.mean == [100_001])
        #expect(standardizer.scale == [0.5])
    }

    @Test("round-trips through JSON and rejects a zero scale")
    func codable() throws {
        let standardizer = try Standardizer(fitting: try Tensor.matrix(matrix))
        let decoded = try JSONDecoder().decode(Standardizer.self, from: try JSONEncoder().encode(standardizer))
        #expect(decoded == standardizer)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Standardizer.self, from: Data(#"{"mean":[1],"scale":[0]}"#.utf8))
        }
    }
}
