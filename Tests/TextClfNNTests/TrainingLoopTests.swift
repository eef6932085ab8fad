import Testing
import TextClfTensor

@testable import TextClfNN

@Suite("A small training loop, as in the README")
struct TrainingLoopTests {
    /// Two classes of sparse rows told apart by which half of the columns they use: a
    /// sparse MLP trained with Adam must fit them.
    @Test(arguments: [Device.cpu, Device.reference])
    func sparseModelLearnsASeparableProblem(device: Device) throws {
        var generator = RandomGenerator(seed: 3)
        let columns = 200
        var pointers = [0]
        var indices: [Int32] = []
        var labels: [Int] = []
        for _ in 0..<256 {
            let label = generator.nextInt(below: 2)
            let picked = Set((0..<6).map { _ in generator.nextInt(below: columns / 2) + label * columns / 2 }).sorted()
            indices += picked.map { Int32($0) }
            pointers.append(indices.count)
            labels.append(label)
        }
        let rows = try CSRMatrix(
            rowCount: 256, columnCount: columns, rowPointers: pointers, columnIndices: indices,
            values: [Float](repeating: 1, count: indices.count))
        let model = Sequential([
            Linear(columns, 16, device: device, generator: &generator), Activation(.relu),
            Dropout(probability: 0.2, seed: 1), Linear(16, 2, device: device, generator: &generator),
        ])
        let optimizer = Adam(learningRate: 0.01)
        let loss = CrossEntropy()
        var losses: [Float] = []
        for epoch in 0..<30 {
            for start in stride(from: 0, to: 256, by: 32) {
                let batch = rows.rows(in: start..<(start + 32))
                model.zeroGradients()
                let result = try loss(try model.forward(.sparse(batch)), Array(labels[start..<(start + 32)]))
                #expect(try model.backward(result.gradient, needsInputGradient: false) == nil)
                try optimizer.step(model.parameters)
                if start == 0 { losses.append(result.value) }
            }
            _ = epoch
        }
        model.isTraining = false
        let predictions = device.backend.argmaxRows(try model.forward(.sparse(rows)))
        let accuracy = Double(zip(predictions, labels).filter { $0 == $1 }.count) / 256
        #expect(losses.last! < losses.first! / 4, "loss went from \(losses.first!) to \(losses.last!)")
        #expect(accuracy > 0.95, "training accuracy \(accuracy)")
    }
}
