import Testing
import TextClfTensor

@testable import TextClfDataset

/// A small CSR matrix whose row r holds (r % 5 + 1) entries with values r*10 + column.
func sampleCSR(rows: Int, columns: Int = 12) -> CSRMatrix {
    var pointers = [0], indices = [Int32](), values = [Float]()
    for row in 0..<rows {
        for k in 0...(row % 5) {
            let column = (row + 2 * k) % columns
            if !indices[pointers.last!...].contains(Int32(column)) {
                indices.append(Int32(column))
                values.append(Float(row * 10 + column))
            }
        }
        // Canonical CSR: columns increasing within a row.
        let start = pointers.last!
        let sorted = zip(indices[start...], values[start...]).sorted { $0.0 < $1.0 }
        indices.replaceSubrange(start..., with: sorted.map(\.0))
        values.replaceSubrange(start..., with: sorted.map(\.1))
        pointers.append(indices.count)
    }
    return try! CSRMatrix(rowCount: rows, columnCount: columns, rowPointers: pointers, columnIndices: indices, values: values)
}

@Suite("Dataset and Features")
struct DatasetTests {
    @Test("a row-count mismatch throws an error naming both counts")
    func mismatch() throws {
        let features = Features.sparse(sampleCSR(rows: 4))
        #expect(throws: DatasetError.rowCountMismatch(features: 4, labels: 3)) {
            try Dataset(features: features, labels: [0, 1, 0])
        }
        #expect(DatasetError.rowCountMismatch(features: 4, labels: 3).description.contains("4 rows but there are 3 labels"))
        #expect(throws: DatasetError.negativeLabel(row: 1, label: -1)) {
            try Dataset(features: features, labels: [0, -1, 0, 0])
        }
        #expect(throws: DatasetError.notAMatrix(shape: [4])) {
            try Dataset(features: .dense(try Tensor(shape: [4], values: [1, 2, 3, 4])), labels: [0, 0, 0, 0])
        }
    }

    @Test("sparse subsets are the gathered CSR rows, still sparse")
    func sparseSubset() throws {
        let matrix = sampleCSR(rows: 9)
        let dataset = try Dataset(features: .sparse(matrix), labels: (0..<9).map { $0 % 3 })
        let picked = [7, 2, 2, 0]
        let subset = dataset.subset(picked)
        #expect(subset.labels == [1, 2, 2, 0])
        guard case .sparse(let rows) = subset.features else {
            Issue.record("subset of sparse features is not sparse")
            return
        }
        #expect(rows.rowCount == 4 && rows.columnCount == 12)
        #expect(rows.storedCount == picked.map { matrix.entries(ofRow: $0).count }.reduce(0, +))
        for (position, row) in picked.enumerated() {
            for column in 0..<12 { #expect(rows.value(row: position, column: column) == matrix.value(row: row, column: column)) }
        }
        guard case .sparse(let slice) = dataset.features.rows(in: 3..<6) else { Issue.record("not sparse"); return }
        #expect(slice == matrix.rows(in: 3..<6))
    }

    @Test("dense rows gather and slice by row")
    func denseRows() throws {
        let tensor = try Tensor.matrix([[1, 2], [3, 4], [5, 6]])
        let features = Features.dense(tensor)
        #expect(features.rowCount == 3 && features.columnCount == 2)
        guard case .dense(let gathered) = features.rows([2, 0, 2]) else { Issue.record("not dense"); return }
        #expect(gathered.shape == [3, 2])
        #expect(gathered.scalars == [5, 6, 1, 2, 5, 6])
        guard case .dense(let slice) = features.rows(in: 1..<3) else { Issue.record("not dense"); return }
        #expect(slice.shape == [2, 2])
        #expect(slice.scalars == [3, 4, 5, 6])
        guard case .dense(let none) = features.rows(in: 1..<1) else { Issue.record("not dense"); return }
        #expect(none.shape == [0, 2])
    }
}
