import Testing

@testable import TextClfTensor

@Suite("CSR × dense products")
struct ProductTests {
    static let shapes: [(rows: Int, columns: Int, width: Int)] = [
        (0, 5, 3), (5, 0, 3), (4, 6, 0), (1, 1, 1), (7, 9, 1), (12, 20, 8), (10, 33, 13), (25, 40, 17), (3, 4, 64),
    ]

    @Test("X · W and Xᵀ · G match the dense reference", arguments: 0..<shapes.count)
    func againstReference(shapeIndex: Int) {
        let shape = Self.shapes[shapeIndex]
        var generator = SplitMix64(seed: UInt64(shapeIndex) &+ 1000)
        for density in [0.0, 0.1, 0.5] {
            let matrix = randomMatrix(rows: shape.rows, columns: shape.columns, density: density, using: &generator)
            let dense = matrix.denseArray()
            let w = randomDense(shape.columns * shape.width, using: &generator)
            let product = matrix.multiply(w, columns: shape.width)
            #expect(product.count == shape.rows * shape.width)
            #expect(maxDifference(product, naiveProduct(dense, w, n: shape.rows, k: shape.columns, m: shape.width)) < 1e-5)

            let g = randomDense(shape.rows * shape.width, using: &generator)
            let gradient = matrix.multiplyTransposed(g, columns: shape.width)
            let reference = naiveProduct(
                naiveTranspose(dense, rows: shape.rows, columns: shape.columns), g,
                n: shape.columns, k: shape.rows, m: shape.width)
            #expect(gradient.count == shape.columns * shape.width)
            #expect(maxDifference(gradient, reference) < 1e-5)
            #expect(maxDifference(gradient, matrix.transposed().multiply(g, columns: shape.width)) < 1e-5)
        }
    }

    @Test("buffer kernels overwrite or accumulate")
    func accumulate() {
        var generator = SplitMix64(seed: 99)
        let matrix = randomMatrix(rows: 6, columns: 10, density: 0.3, using: &generator)
        let w = randomDense(10 * 5, using: &generator)
        let expected = matrix.multiply(w, columns: 5)
        var output = [Float](repeating: 7, count: 6 * 5)
        w.withUnsafeBufferPointer { w in
            output.withUnsafeMutableBufferPointer { matrix.multiply(w, columns: 5, into: $0) }
        }
        #expect(output == expected)
        w.withUnsafeBufferPointer { w in
            output.withUnsafeMutableBufferPointer { matrix.multiply(w, columns: 5, into: $0, accumulate: true) }
        }
        #expect(maxDifference(output, expected.map { $0 * 2 }) < 1e-6)

        let g = randomDense(6 * 5, using: &generator)
        var gradient = [Float](repeating: 1, count: 10 * 5)
        g.withUnsafeBufferPointer { g in
            gradient.withUnsafeMutableBufferPointer { matrix.multiplyTransposed(g, columns: 5, into: $0, accumulate: true) }
        }
        #expect(maxDifference(gradient, matrix.multiplyTransposed(g, columns: 5).map { $0 + 1 }) < 1e-6)
    }

    @Test("rows outside touchedColumns() of Xᵀ · G are zero")
    func touchedRows() {
        var generator = SplitMix64(seed: 5)
        let matrix = randomMatrix(rows: 4, columns: 50, density: 0.05, using: &generator)
        let gradient = matrix.multiplyTransposed(randomDense(4 * 3, using: &generator), columns: 3)
        let touched = Set(matrix.touchedColumns().map(Int.init))
        for column in 0..<50 where !touched.contains(column) {
            #expect(gradient[(column * 3)..<(column * 3 + 3)].allSatisfy { $0 == 0 })
        }
    }

    @Test("checked variants throw shape mismatches naming both shapes")
    func checked() throws {
        let matrix = CSRMatrix(dense: [1, 0, 2, 0, 3, 0], rowCount: 2, columnCount: 3)
        #expect(try matrix.checkedMultiply([1, 1, 1, 1, 1, 1], columns: 2) == [3, 3, 3, 3])
        #expect(try matrix.checkedMultiplyTransposed([1, 2], columns: 1) == [1, 6, 2])
        do {
            _ = try matrix.checkedMultiply([1, 2, 3, 4], columns: 2)
            Issue.record("expected a shape mismatch")
        } catch let error as CSRMatrixError {
            guard case .shapeMismatch(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("2 × 3") && message.contains("2 × 2") && message.contains("expected 3 × 2"))
        }
        #expect(throws: CSRMatrixError.self) { try matrix.checkedMultiplyTransposed([1, 2, 3], columns: 1) }
    }
}
