import Foundation
import Testing

@testable import TextClfTensor

/// Every device kernel of ``DeviceKernelSource`` on every OpenCL device (PoCL in CI) against
/// `ReferenceBackend` (and `ElementwiseKernel`'s host definition for the optimizer steps), at
/// the agreement tolerance.
@Suite("Device kernels agree with the reference")
struct DeviceKernelTests {
    static var contexts: [OpenCLContext] {
        ((try? OpenCL.devices()) ?? []).compactMap { try? OpenCLContext.shared(ordinal: $0.ordinal) }
    }
    static let present = !contexts.isEmpty
    let reference = ReferenceBackend.shared

    /// Expects device values within the agreement tolerance of a reference tensor's.
    func expectAgree(
        _ values: [Float], _ expected: [Float], tolerance: Float = 1e-5, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(values.count == expected.count, "\(what): \(values.count) values, \(expected.count) expected", sourceLocation: sourceLocation)
        if let index = values.indices.first(where: { $0 < expected.count && !close(values[$0], expected[$0], tolerance: tolerance) }) {
            Issue.record("\(what): element \(index) is \(values[index]), \(expected[index]) on reference", sourceLocation: sourceLocation)
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func unaryBinaryAndAxpy() throws {
        for context in Self.contexts {
            for (index, shape) in backendShapes.enumerated() {
                let count = shape.reduce(1, *)
                let x = tensorPair(shape, seed: 40 + UInt64(index)).reference
                let positive = tensorPair(shape, low: 0.05, high: 3, seed: 60 + UInt64(index)).reference
                let g = tensorPair(shape, seed: 80 + UInt64(index)).reference
                for operation in allUnaryOperations {
                    let input = [.log, .sqrt].contains(operation) ? positive : x
                    let (code, parameter) = DeviceKernelSource.code(operation)
                    let (xs, ys, gs) = (try context.buffer(input.scalars), try context.buffer(floats: count), try context.buffer(g.scalars))
                    try context.launch("unary_forward", count: count, [.int32(code), .float(parameter), .buffer(xs), .buffer(ys), .int64(count)])
                    let expected = reference.unary(operation, input)
                    expectAgree(try context.read(ys), expected.scalars, "\(operation) \(shape)")
                    let out = try context.buffer(floats: count)
                    try context.launch(
                        "unary_backward", count: count,
                        [.int32(code), .float(parameter), .buffer(xs), .buffer(ys), .buffer(gs), .buffer(out), .int64(count)])
                    let backward = try reference.unaryBackward(operation, input: input, output: expected, gradient: g)
                    expectAgree(try context.read(out), backward.scalars, "\(operation) backward \(shape)")
                }
                let b = tensorPair(shape, low: 0.5, high: 2, seed: 100 + UInt64(index)).reference
                let one = try Tensor(shape: [1], values: [-0.75], device: .reference)
                let row = tensorPair([shape[1]], seed: 120 + UInt64(index)).reference
                for operation in allBinaryOperations {
                    for (mode, operand) in [(Int32(0), b), (1, one), (2, row)] {
                        let out = try context.buffer(floats: count)
                        try context.launch(
                            "binary", count: count,
                            [.int32(DeviceKernelSource.code(operation)), .int32(mode), .int64(shape[1]), .buffer(try context.buffer(x.scalars)),
                             .buffer(try context.buffer(operand.scalars)), .buffer(out), .int64(count)])
                        expectAgree(try context.read(out), try reference.binary(operation, x, operand).scalars, "\(operation) mode \(mode) \(shape)")
                    }
                }
                var y = g
                try reference.axpy(-0.5, x, &y)
                let ys = try context.buffer(g.scalars)
                try context.launch("axpy", count: count, [.float(-0.5), .buffer(try context.buffer(x.scalars)), .buffer(ys), .int64(count)])
                expectAgree(try context.read(ys), y.scalars, "axpy \(shape)")
            }
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func gemm() throws {
        for context in Self.contexts {
            for (m, k, n) in [(1, 1, 1), (7, 5, 3), (33, 64, 17), (4, 0, 3), (0, 3, 2)] {
                for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 2)] {
                        let a = tensorPair(transposeA ? [k, m] : [m, k], seed: 1).reference
                        let b = tensorPair(transposeB ? [n, k] : [k, n], seed: 2).reference
                        var c = tensorPair([m, n], seed: 3).reference
                        let cs = try context.buffer(c.scalars)
                        try context.launch(
                            "gemm", count: m * n,
                            [.int32(transposeA ? 1 : 0), .int32(transposeB ? 1 : 0), .int64(m), .int64(n), .int64(k), .int64(a.shape[1]),
                             .int64(b.shape[1]), .float(alpha), .float(beta), .buffer(try context.buffer(a.scalars)),
                             .buffer(try context.buffer(b.scalars)), .buffer(cs)])
                        try reference.gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: alpha, beta: beta, into: &c)
                        expectAgree(try context.read(cs), c.scalars, tolerance: 1e-4, "gemm \(m)×\(k)×\(n) \(transposeA) \(transposeB) \(alpha) \(beta)")
                    }
                }
            }
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func reductionsAndSoftmax() throws {
        for context in Self.contexts {
            for (index, shape) in backendShapes.enumerated() {
                let x = tensorPair(shape, low: -4, high: 4, seed: 10 + UInt64(index)).reference
                let (rows, columns) = (shape[0], shape[1])
                let xs = try context.buffer(x.scalars)
                func run(_ name: String, count: Int, outputs: Int) throws -> [Float] {
                    let out = try context.buffer(floats: outputs)
                    try context.launch(name, count: count, [.int64(rows), .int64(columns), .buffer(xs), .buffer(out)])
                    return try context.read(out)
                }
                expectAgree(try run("sum_columns", count: columns, outputs: columns), try reference.sum(x, axis: 0).scalars, "sum axis 0 \(shape)")
                expectAgree(try run("sum_rows", count: rows, outputs: rows), try reference.sum(x, axis: 1).scalars, "sum axis 1 \(shape)")
                let total = try context.buffer(floats: 1)
                try context.launch("sum_all", count: 1, [.int64(rows * columns), .buffer(xs), .buffer(total)])
                expectAgree(try context.read(total), try reference.sum(x, axis: nil).scalars, "sum \(shape)")
                expectAgree(try run("softmax_rows", count: rows, outputs: rows * columns), reference.softmaxRows(x).scalars, "softmax \(shape)")
                expectAgree(try run("log_softmax_rows", count: rows, outputs: rows * columns), reference.logSoftmaxRows(x).scalars, "log-softmax \(shape)")
                let best = try context.buffer(bytes: rows * 8)
                try context.launch("argmax_rows", count: rows, [.int64(rows), .int64(columns), .buffer(xs), .buffer(best)])
                if columns > 0 { #expect(try context.read(best, as: Int64.self).map(Int.init) == reference.argmaxRows(x), "argmax \(shape)") }
            }
            // Ties: the first maximum.
            let ties = try Tensor(shape: [2, 3], values: [1, 3, 3, 2, 2, 2], device: .reference)
            let best = try context.buffer(bytes: 16)
            try context.launch("argmax_rows", count: 2, [.int64(2), .int64(3), .buffer(try context.buffer(ties.scalars)), .buffer(best)])
            #expect(try context.read(best, as: Int64.self) == [1, 0])
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func softmaxCrossEntropy() throws {
        for context in Self.contexts {
            for (rows, classes) in [(1, 2), (9, 4), (64, 20)] {
                let logits = tensorPair([rows, classes], low: -6, high: 6, seed: 20).reference
                var generator = SplitMix64(seed: UInt64(rows))
                let targets = (0..<rows).map { _ in Int.random(in: 0..<classes, using: &generator) }
                for weights in [[Float](repeating: 1, count: rows), (0..<rows).map { Float($0 % 3) + 0.5 }] {
                    for divisor in [Float(1), Float(rows)] {
                        let gradient = try context.buffer(floats: rows * classes)
                        let terms = try context.buffer(floats: rows)
                        try context.launch(
                            "softmax_cross_entropy", count: rows,
                            [.int64(rows), .int64(classes), .buffer(try context.buffer(logits.scalars)), .buffer(try context.buffer(targets.map(Int64.init))),
                             .buffer(try context.buffer(weights)), .int32(divisor != 1 ? 1 : 0), .float(1 / divisor), .buffer(gradient), .buffer(terms)])
                        let expected = try reference.softmaxCrossEntropy(logits, targets: targets, weights: weights, divisor: divisor)
                        let value = -(try context.read(terms).reduce(0, +)) / divisor
                        #expect(close(value, expected.value), "loss \(rows)×\(classes): \(value) vs \(expected.value)")
                        expectAgree(try context.read(gradient), expected.gradient.scalars, "gradient \(rows)×\(classes) \(divisor)")
                    }
                }
            }
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func rowsGatheredScatteredAndDensified() throws {
        for context in Self.contexts {
            let x = tensorPair([12, 5], seed: 30).reference
            let indices = [3, 0, 3, 11, 7, 3, 0]
            let out = try context.buffer(floats: indices.count * 5)
            try context.launch(
                "gather_rows", count: indices.count * 5,
                [.int64(indices.count), .int64(5), .buffer(try context.buffer(x.scalars)), .buffer(try context.buffer(indices.map(Int64.init))), .buffer(out)])
            expectAgree(try context.read(out), try reference.gatherRows(x, indices).scalars, "gather")

            // Repeated indices: grouped by target row, each group in position order.
            let rows = tensorPair([indices.count, 5], seed: 31).reference
            var expected = x
            try reference.scatterAddRows(rows, indices, into: &expected)
            let groups = Dictionary(grouping: indices.indices, by: { indices[$0] }).sorted { $0.key < $1.key }
            var starts = [Int64(0)]
            for group in groups { starts.append(starts.last! + Int64(group.value.count)) }
            let xs = try context.buffer(x.scalars)
            try context.launch(
                "scatter_add_rows", count: groups.count * 5,
                [.int64(groups.count), .int64(5), .buffer(try context.buffer(groups.map { Int64($0.key) })), .buffer(try context.buffer(starts)),
                 .buffer(try context.buffer(groups.flatMap { $0.value.map(Int64.init) })), .buffer(try context.buffer(rows.scalars)), .buffer(xs)])
            expectAgree(try context.read(xs), expected.scalars, "scatter-add")

            // densify: base (or zeros), then the stored rows added.
            let stored = RowSparseTensor(rowCount: 12, rowIndices: [1, 4, 10], values: tensorPair([3, 5], seed: 32).reference)
            for base in [nil, tensorPair([12, 5], seed: 33).reference] {
                var densified = Tensor.zeros([12, 5], device: .reference)
                try reference.densify(stored, adding: base, into: &densified)
                let ds = try context.buffer(floats: 60)
                try context.launch("copy_or_zero", count: 60, [.int64(60), .int32(base == nil ? 0 : 1), .buffer(try context.buffer(base?.scalars ?? [0])), .buffer(ds)])
                try context.launch(
                    "scatter_add_rows", count: 3 * 5,
                    [.int64(3), .int64(5), .buffer(try context.buffer(stored.rowIndices.map(Int64.init))), .buffer(try context.buffer([Int64(0), 1, 2, 3])),
                     .buffer(try context.buffer([Int64(0), 1, 2])), .buffer(try context.buffer(stored.values.scalars)), .buffer(ds)])
                expectAgree(try context.read(ds), densified.scalars, "densify \(base == nil ? "zeros" : "base")")
            }
        }
    }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func sparseProducts() throws {
        for context in Self.contexts {
            var generator = SplitMix64(seed: 40)
            for (rows, columns, n) in [(9, 30, 4), (50, 200, 16), (3, 5, 1)] {
                let x = randomMatrix(rows: rows, columns: columns, density: 0.1, using: &generator)
                let w = try Tensor(shape: [columns, n], values: randomDense(columns * n, using: &generator), device: .reference)
                let out = try context.buffer(floats: rows * n)
                try context.launch(
                    "sparse_multiply", count: rows * n,
                    [.int64(rows), .int64(n), .buffer(try context.buffer(x.rowPointers.map(Int64.init))), .buffer(try context.buffer(x.columnIndices)),
                     .buffer(try context.buffer(x.values)), .buffer(try context.buffer(w.scalars)), .buffer(out)])
                expectAgree(try context.read(out), try reference.sparseMultiply(x, w).scalars, "CSR × dense \(rows)×\(columns)×\(n)")

                // xᵀ · g over the touched columns: the entries grouped by column, rows increasing.
                let g = try Tensor(shape: [rows, n], values: randomDense(rows * n, using: &generator), device: .reference)
                let expected = try reference.sparseTransposedMultiply(x, g)
                var byColumn: [Int: [(row: Int, value: Float)]] = [:]
                for row in 0..<rows {
                    for entry in x.entries(ofRow: row) { byColumn[Int(x.columnIndices[entry]), default: []].append((row, x.values[entry])) }
                }
                let touched = byColumn.keys.sorted()
                #expect(touched == expected.rowIndices)
                var starts = [Int64(0)]
                for column in touched { starts.append(starts.last! + Int64(byColumn[column]!.count)) }
                let entries = touched.flatMap { byColumn[$0]! }
                let product = try context.buffer(floats: touched.count * n)
                try context.launch(
                    "sparse_transposed_multiply", count: touched.count * n,
                    [.int64(touched.count), .int64(n), .buffer(try context.buffer(starts)), .buffer(try context.buffer(entries.map { Int64($0.row) })),
                     .buffer(try context.buffer(entries.map(\.value))), .buffer(try context.buffer(g.scalars)), .buffer(product)])
                expectAgree(try context.read(product), expected.values.scalars, "CSRᵀ × dense \(rows)×\(columns)×\(n)")
            }
        }
    }

    /// Every optimizer case, over several steps, against its host definition.
    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func optimizerSteps() throws {
        let cases: [ElementwiseKernel] = [
            .axpby(alpha: 0.5, beta: -2), .l1(strength: 0.01), .l2(strength: 0.02),
            .sgd(learningRate: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: false),
            .sgd(learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01, firstStep: true),
            .sgd(learningRate: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0, firstStep: false),
            .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 3, amsgrad: false),
            .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled: true, step: 1, amsgrad: true),
            .adam(learningRate: 0.01, beta1: 0.3, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1, decoupled: false, step: 7, amsgrad: false),
            .adagrad(learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.01, epsilon: 1e-10, step: 4),
            .rmsprop(learningRate: 0.01, alpha: 0.99, epsilon: 1e-8, weightDecay: 0, momentum: 0, centered: false),
            .rmsprop(learningRate: 0.01, alpha: 0.9, epsilon: 1e-8, weightDecay: 0.01, momentum: 0.5, centered: true),
            .rmsprop(learningRate: 0.01, alpha: 0.9, epsilon: 1e-8, weightDecay: 0, momentum: 0, centered: true),
        ]
        for context in Self.contexts {
            for (index, kernel) in cases.enumerated() {
                let count = 1000
                var tensors = (0..<kernel.arity).map { slot in
                    // State that must stay non-negative (second moments, sums) starts so.
                    tensorPair([count], low: slot >= 2 ? 0 : -1, high: 1, seed: 50 + UInt64(10 * index + slot)).reference
                }
                let buffers = try tensors.map { try context.buffer($0.scalars) }
                for _ in 0..<3 {
                    try ElementwiseKernel.runOnHost(kernel, &tensors)
                    try context.run(kernel, on: buffers, count: count)
                }
                for slot in tensors.indices {
                    expectAgree(try context.read(buffers[slot]), tensors[slot].scalars, "\(kernel) tensor \(slot)")
                }
            }
        }
    }
}
