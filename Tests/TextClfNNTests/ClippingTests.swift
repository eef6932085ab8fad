import Foundation
import Testing
import TextClfNN
import TextClfTensor

@Suite("Gradient clipping")
struct ClippingTests {
    static let fixture = OptimizerFixture.shared

    @Test("clipGradientNorm and clipGradientValue match torch.nn.utils", arguments: Device.available)
    func matchesTorch(device: Device) throws {
        let fixture = Self.fixture
        for case_ in fixture.clipping {
            let (W, b) = try fixture.parameters(on: device)
            try fixture.computeGradients(W, b)
            if case_.kind == "norm" {
                let total = try clipGradientNorm([W, b], maxNorm: case_.max)
                #expect(mismatch([total], [case_.total!]) == nil, "total norm \(total) != \(case_.total!)")
            } else {
                try clipGradientValue([W, b], maxValue: case_.max)
            }
            #expect(mismatch(W.gradient!.scalars, case_.W) == nil, "\(case_.kind) \(case_.max): W \(mismatch(W.gradient!.scalars, case_.W) ?? "")")
            #expect(mismatch(b.gradient!.scalars, case_.b) == nil, "\(case_.kind) \(case_.max): b")
        }
    }

    @Test("row-sparse gradients are clipped like their dense equivalents")
    func sparse() throws {
        let values = try Tensor(shape: [2, 2], values: [3, 4, 0, 12])
        let sparse = Parameter(name: "e", value: Tensor.zeros([4, 2]))
        sparse.sparseGradient = RowSparseTensor(rowCount: 4, rowIndices: [0, 3], values: values)
        let dense = Parameter(name: "d", value: Tensor.zeros([4, 2]))
        dense.gradient = sparse.sparseGradient!.densified()
        let mixed = Parameter(name: "m", value: Tensor.zeros([4, 2]))
        mixed.gradient = Tensor.full([4, 2], 1)
        mixed.sparseGradient = sparse.sparseGradient
        let t1 = try clipGradientNorm([sparse], maxNorm: 1)
        let t2 = try clipGradientNorm([dense], maxNorm: 1)
        #expect(t1 == 13 && t2 == 13)
        #expect(sparse.sparseGradient!.densified().scalars == dense.gradient!.scalars)
        let merged = mixed.denseGradient().scalars
        let t3 = try clipGradientNorm([mixed], maxNorm: 1)
        #expect(abs(t3 - merged.map { $0 * $0 }.reduce(0, +).squareRoot()) < 1e-5)
        #expect(mixed.sparseGradient == nil)
        try clipGradientValue([sparse], maxValue: 0.1)
        #expect(sparse.sparseGradient!.values.scalars.allSatisfy { abs($0) <= 0.1 })
        // Below the maximum nothing changes.
        let small = Parameter(name: "s", value: Tensor.zeros([2]))
        small.gradient = try Tensor(shape: [2], values: [0.3, 0.4])
        #expect(try clipGradientNorm([small], maxNorm: 1) == 0.5)
        #expect(small.gradient!.scalars == [0.3, 0.4])
    }
}
