import Foundation
import TextClfDataset
import TextClfNN
import TextClfTensor
import TextClfTraining

/// A separable problem: class k has a large value in feature k and noise elsewhere.
func separableData(rows: Int, classes: Int, features: Int = 8, seed: UInt64 = 7) -> (sparse: Dataset, dense: Dataset) {
    var generator = RandomGenerator(seed: seed)
    var labels: [Int] = [], dense: [Float] = []
    var pointers = [0], columns: [Int32] = [], values: [Float] = []
    for row in 0..<rows {
        let label = row % classes
        labels.append(label)
        var rowValues = [Float](repeating: 0, count: features)
        rowValues[label] = 2 + generator.nextFloat()
        let noise = classes + generator.nextInt(below: features - classes)
        rowValues[noise] = generator.nextFloat()
        for (column, value) in rowValues.enumerated() where value != 0 {
            columns.append(Int32(column))
            values.append(value)
        }
        pointers.append(columns.count)
        dense += rowValues
    }
    let matrix = try! CSRMatrix(rowCount: rows, columnCount: features, rowPointers: pointers, columnIndices: columns, values: values)
    return (try! Dataset(features: .sparse(matrix), labels: labels),
            try! Dataset(features: .dense(try! Tensor(shape: [rows, features], values: dense)), labels: labels))
}

func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-train-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func layerInput(_ features: Features) -> LayerInput {
    switch features {
    case .sparse(let m): return .sparse(m)
    case .dense(let t): return .dense(t)
    }
}
