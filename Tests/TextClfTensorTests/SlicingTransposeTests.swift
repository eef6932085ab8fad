import Testing

@testable import TextClfTensor

@Suite("CSR slicing and transpose")
struct SlicingTransposeTests {
    @Test("contiguous row ranges match the dense rows", arguments: [0, 1, 2, 3])
    func rowRanges(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let matrix = randomMatrix(rows: 13, columns: 7, density: 0.3, using: &generator)
        let dense = matrix.denseArray()
        for lower in 0...13 {
            for upper in lower...13 {
                let slice = matrix.rows(in: lower..<upper)
                #expect(slice.invariantViolation() == nil)
                #expect(slice.rowCount == upper - lower && slice.columnCount == 7)
                #expect(slice.denseArray() == Array(dense[(lower * 7)..<(upper * 7)]))
            }
        }
    }

    @Test("gathered rows: any order, repeats, empty list")
    func gather() {
        var generator = SplitMix64(seed: 42)
        let matrix = randomMatrix(rows: 9, columns: 5, density: 0.4, using: &generator)
        let dense = matrix.denseArray()
        for indices in [[], [3], [8, 0, 8, 2, 2, 5], Array((0..<9).reversed())] {
            let picked = matrix.rows(indices)
            #expect(picked.invariantViolation() == nil)
            #expect(picked.rowCount == indices.count)
            #expect(picked.denseArray() == indices.flatMap { dense[($0 * 5)..<($0 * 5 + 5)] })
        }
    }

    @Test("transpose matches the dense transpose and is canonical", arguments: [(0, 0), (0, 4), (4, 0), (1, 1), (17, 11), (30, 3)])
    func transpose(shape: (Int, Int)) {
        var generator = SplitMix64(seed: UInt64(shape.0 * 100 + shape.1))
        let matrix = randomMatrix(rows: shape.0, columns: shape.1, density: 0.25, using: &generator)
        let transposed = matrix.transposed()
        #expect(transposed.invariantViolation() == nil)
        #expect(transposed.rowCount == shape.1 && transposed.columnCount == shape.0)
        #expect(transposed.denseArray() == naiveTranspose(matrix.denseArray(), rows: shape.0, columns: shape.1))
        #expect(transposed.transposed() == matrix)
    }

    @Test("touched columns: sorted and distinct, on both strategies")
    func touched() {
        var generator = SplitMix64(seed: 7)
        for (rows, columns, density) in [(20, 10, 0.2), (5, 2000, 0.002), (0, 10, 0.5), (3, 0, 0.5)] {
            let matrix = randomMatrix(rows: rows, columns: columns, density: density, using: &generator)
            let expected = Set(matrix.columnIndices).sorted()
            #expect(matrix.touchedColumns() == expected)
        }
    }
}
