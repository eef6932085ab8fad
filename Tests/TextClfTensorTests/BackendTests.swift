import Foundation
import CTextClfKernels
import Testing

@testable import TextClfTensor

/// Every ``Backend`` operation on every device of the machine (``Device/available``: the CPU,
/// each OpenCL device, PoCL in CI, and each NVIDIA GPU) against ``ReferenceBackend`` on seeded
/// random inputs of several shapes, to 1e-5 relative (1e-4 for products with a long inner
/// dimension, where the summation orders differ most).
@Suite("Every device agrees with the reference")
struct BackendAgreementTests {
    let reference = ReferenceBackend.shared

    /// The devices compared with the reference.
    static let devices = Device.available.filter { $0 != .reference }

    /// (m, k, n) of `op(a) · op(b)`: one cell, empty results, an empty inner dimension, a long
    /// inner dimension, tall and wide.
    static let productShapes: [(Int, Int, Int)] = [(1, 1, 1), (0, 3, 4), (3, 4, 0), (5, 0, 3), (7, 513, 9), (64, 3, 2), (2, 5, 70)]

    @Test("gemm, all transposes", arguments: devices, productShapes)
    func gemm(device: Device, shape: (Int, Int, Int)) throws {
        let backend = device.backend
        let (m, k, n) = shape
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, -2)] {
                let a = tensorPair(transposeA ? [k, m] : [m, k], seed: 1)
                let b = tensorPair(transposeB ? [n, k] : [k, n], seed: 2)
                let c = tensorPair([m, n], seed: 3)
                var onDevice = c.on(device)
                var onReference = c.reference
                try backend.gemm(a.on(device), transposeA: transposeA, b.on(device), transposeB: transposeB, alpha: alpha, beta: beta, into: &onDevice)
                try reference.gemm(
                    a.reference, transposeA: transposeA, b.reference, transposeB: transposeB, alpha: alpha, beta: beta,
                    into: &onReference)
                expectAgree(on: device, onDevice, onReference, tolerance: k > 64 ? 1e-4 : 1e-5, "gemm \(shape) tA \(transposeA) tB \(transposeB) β \(beta)")
            }
        }
    }

    @Test("affine x · w + bias, with and without a bias", arguments: devices, productShapes)
    func affine(device: Device, shape: (Int, Int, Int)) throws {
        let backend = device.backend
        let (m, k, n) = shape
        let x = tensorPair([m, k], seed: 30), w = tensorPair([k, n], seed: 31), bias = tensorPair([n], seed: 32)
        expectAgree(on: device, 
            try backend.affine(x.on(device), w.on(device), bias: bias.on(device)), try reference.affine(x.reference, w.reference, bias: bias.reference),
            tolerance: k > 64 ? 1e-4 : 1e-5, "affine \(shape)")
        expectAgree(on: device, 
            try backend.affine(x.on(device), w.on(device), bias: nil), try reference.affine(x.reference, w.reference, bias: nil),
            tolerance: k > 64 ? 1e-4 : 1e-5, "affine without bias \(shape)")
        // On the CPU, starting the GEMM from the bias gives the bits of a GEMM followed by the
        // addition.
        if device == .cpu && k <= 256 {
            var product = Tensor.zeros([m, n], device: device)
            try backend.gemm(x.on(device), transposeA: false, w.on(device), transposeB: false, alpha: 1, beta: 0, into: &product)
            let separate = try backend.binary(.add, product, bias.on(device))
            #expect(try backend.affine(x.on(device), w.on(device), bias: bias.on(device)).scalars.map(\.bitPattern) == separate.scalars.map(\.bitPattern))
        }
        #expect(throws: TensorError.self) { try backend.affine(x.on(device), w.on(device), bias: Tensor.zeros([n + 1], device: device)) }
        #expect(throws: TensorError.self) { try backend.affine(x.on(device), Tensor.zeros([k + 1, n], device: device), bias: nil) }
    }

    @Test("gemv, both transposes", arguments: devices, productShapes)
    func gemv(device: Device, shape: (Int, Int, Int)) throws {
        let backend = device.backend
        let (m, k, _) = shape
        for transpose in [false, true] {
            let a = tensorPair([m, k], seed: 4)
            let x = tensorPair([transpose ? m : k], seed: 5)
            let y = tensorPair([transpose ? k : m], seed: 6)
            var onDevice = y.on(device)
            var onReference = y.reference
            try backend.gemv(a.on(device), transpose: transpose, x.on(device), alpha: 1.5, beta: 0.5, into: &onDevice)
            try reference.gemv(a.reference, transpose: transpose, x.reference, alpha: 1.5, beta: 0.5, into: &onReference)
            expectAgree(on: device, onDevice, onReference, tolerance: k > 64 ? 1e-4 : 1e-5, "gemv \(shape) transpose \(transpose)")
        }
    }

    @Test("unary and its gradient", arguments: devices, allUnaryOperations)
    func unary(device: Device, operation: UnaryOperation) throws {
        let backend = device.backend
        // log and sqrt get positive inputs, so the comparison is of numbers, not of NaNs.
        let low: Float = [UnaryOperation.log, .sqrt].contains(operation) ? 0.05 : -3
        for (index, shape) in backendShapes.enumerated() {
            let x = tensorPair(shape, low: low, high: 3, seed: 10 + UInt64(index))
            let g = tensorPair(shape, seed: 20 + UInt64(index))
            let yDevice = backend.unary(operation, x.on(device))
            let yReference = reference.unary(operation, x.reference)
            expectAgree(on: device, yDevice, yReference, "\(operation) \(shape)")
            let gradientDevice = try backend.unaryBackward(operation, input: x.on(device), output: yDevice, gradient: g.on(device))
            let gradientReference = try reference.unaryBackward(
                operation, input: x.reference, output: yReference, gradient: g.reference)
            expectAgree(on: device, gradientDevice, gradientReference, "\(operation) backward \(shape)")
        }
    }

    @Test("binary in its three broadcast forms", arguments: devices, allBinaryOperations)
    func binary(device: Device, operation: BinaryOperation) throws {
        let backend = device.backend
        for (index, shape) in backendShapes.enumerated() {
            let a = tensorPair(shape, seed: 30 + UInt64(index))
            // Divisors stay away from zero so that the quotients are comparable numbers.
            let (low, high): (Float, Float) = operation == .divide ? (0.5, 2) : (-2, 2)
            let operands = [
                tensorPair(shape, low: low, high: high, seed: 40),
                tensorPair([1], low: low, high: high, seed: 41),
                tensorPair([shape[1]], low: low, high: high, seed: 42),
                tensorPair([1, shape[1]], low: low, high: high, seed: 43),
            ]
            for b in operands {
                let onDevice = try backend.binary(operation, a.on(device), b.on(device))
                let onReference = try reference.binary(operation, a.reference, b.reference)
                expectAgree(on: device, onDevice, onReference, "\(operation) \(shape) with \(b.on(device).shape)")
            }
        }
    }

    @Test("axpy and the axpby kernel", arguments: devices)
    func axpyAndKernel(device: Device) throws {
        let backend = device.backend
        for (index, shape) in backendShapes.enumerated() {
            let x = tensorPair(shape, seed: 50 + UInt64(index))
            let y = tensorPair(shape, seed: 60 + UInt64(index))
            var onDevice = y.on(device)
            var onReference = y.reference
            try backend.axpy(-0.75, x.on(device), &onDevice)
            try reference.axpy(-0.75, x.reference, &onReference)
            expectAgree(on: device, onDevice, onReference, "axpy \(shape)")

            var deviceTensors = [y.on(device), x.on(device)]
            var referenceTensors = [y.reference, x.reference]
            try backend.apply(.axpby(alpha: 0.3, beta: 0.9), to: &deviceTensors)
            try reference.apply(.axpby(alpha: 0.3, beta: 0.9), to: &referenceTensors)
            expectAgree(on: device, deviceTensors[0], referenceTensors[0], "axpby \(shape)")
        }
        // The caller's copies keep their values: storage is copied before writing.
        let shared = tensorPair([3, 3], seed: 70).on(device)
        var updated = shared
        try backend.axpy(1, shared, &updated)
        #expect(updated.scalars == shared.scalars.map { $0 + $0 })
    }

    @Test("sum over axis 0, 1 and nil", arguments: devices)
    func sums(device: Device) throws {
        let backend = device.backend
        for (index, shape) in backendShapes.enumerated() {
            let x = tensorPair(shape, seed: 80 + UInt64(index))
            for axis in [nil, 0, 1] as [Int?] {
                expectAgree(on: device, try backend.sum(x.on(device), axis: axis), try reference.sum(x.reference, axis: axis), "sum \(shape) axis \(String(describing: axis))")
            }
        }
        #expect(throws: TensorError.self) { try backend.sum(Tensor.zeros([2, 2], device: device), axis: 2) }
        #expect(throws: TensorError.self) { try backend.sum(Tensor.zeros([8], device: device), axis: 0) }
    }

    @Test("argmax, softmax and log-softmax of rows", arguments: devices)
    func rowwise(device: Device) throws {
        let backend = device.backend
        for (index, shape) in backendShapes.enumerated() {
            let x = tensorPair(shape, low: -30, high: 30, seed: 90 + UInt64(index))
            #expect(backend.argmaxRows(x.on(device)) == reference.argmaxRows(x.reference), "argmax \(shape)")
            expectAgree(on: device, backend.softmaxRows(x.on(device)), reference.softmaxRows(x.reference), "softmax \(shape)")
            expectAgree(on: device, backend.logSoftmaxRows(x.on(device)), reference.logSoftmaxRows(x.reference), "logSoftmax \(shape)")
        }
        // Ties go to the first maximum.
        let ties = try! Tensor.matrix([[1, 3, 3], [2, 2, 2], [-1, -5, -1]], device: device)
        #expect(backend.argmaxRows(ties) == [1, 0, 0])
    }

    @Test("softmax cross-entropy: value and gradient, weighted and divided", arguments: devices)
    func softmaxCrossEntropy(device: Device) throws {
        let backend = device.backend
        for (shape, x, targets, cases) in softmaxCrossEntropyCases() {
            for (weights, divisor) in cases {
                let result = try backend.softmaxCrossEntropy(x.on(device), targets: targets, weights: weights, divisor: divisor)
                let onReference = try reference.softmaxCrossEntropy(x.reference, targets: targets, weights: weights, divisor: divisor)
                #expect(close(result.value, onReference.value), "value \(shape) divisor \(divisor): \(result.value), \(onReference.value)")
                expectAgree(on: device, result.gradient, onReference.gradient, "gradient \(shape) divisor \(divisor)")
            }
        }
        // Hand values: logits [0, ln 3] for class 1 give p = [1/4, 3/4], loss −ln(3/4).
        let logits = try Tensor(shape: [1, 2], values: [0, Float(log(3.0))], device: device)
        let result = try backend.softmaxCrossEntropy(logits, targets: [1], weights: [1], divisor: 1)
        #expect(close(result.value, Float(-log(0.75))))
        #expect(close(result.gradient.scalars[0], 0.25) && close(result.gradient.scalars[1], -0.25))
        for (targets, weights) in [([2], [Float(1)]), ([-1], [1]), ([0, 1], [1, 1]), ([0], [])] {
            #expect(throws: TensorError.self, "targets \(targets) weights \(weights)") {
                try backend.softmaxCrossEntropy(logits, targets: targets, weights: weights, divisor: 1)
            }
        }
    }

    /// Every optimizer step, three times over, against its reference definition.
    @Test("apply: every optimizer case", arguments: devices)
    func optimizerSteps(device: Device) throws {
        let backend = device.backend
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
        for (index, kernel) in cases.enumerated() {
            var onReference = (0..<kernel.arity).map { slot in
                // State that must stay non-negative (second moments, sums) starts so.
                tensorPair([1000], low: slot >= 2 ? 0 : -1, high: 1, seed: 50 + UInt64(10 * index + slot)).reference
            }
            var onDevice = onReference.map { $0.to(device) }
            for _ in 0..<3 {
                try reference.apply(kernel, to: &onReference)
                try backend.apply(kernel, to: &onDevice)
            }
            for slot in onDevice.indices { expectAgree(on: device, onDevice[slot], onReference[slot], "\(kernel) tensor \(slot)") }
        }
    }

    @Test("gatherRows and scatterAddRows, repeated indices accumulate", arguments: devices)
    func gatherAndScatter(device: Device) throws {
        let backend = device.backend
        for (index, shape) in backendShapes.enumerated() where shape[0] > 0 {
            let x = tensorPair(shape, seed: 100 + UInt64(index))
            var generator = RandomGenerator(seed: 110 + UInt64(index))
            let indices = (0..<9).map { _ in generator.nextInt(below: shape[0]) } + [0, 0]
            expectAgree(on: device, try backend.gatherRows(x.on(device), indices), try reference.gatherRows(x.reference, indices), "gather \(shape)")
            expectAgree(on: device, try backend.gatherRows(x.on(device), []), try reference.gatherRows(x.reference, []), "gather none \(shape)")

            let rows = tensorPair([indices.count, shape[1]], seed: 120)
            var onDevice = x.on(device)
            var onReference = x.reference
            try backend.scatterAddRows(rows.on(device), indices, into: &onDevice)
            try reference.scatterAddRows(rows.reference, indices, into: &onReference)
            expectAgree(on: device, onDevice, onReference, "scatter \(shape)")
        }
        let x = Tensor.zeros([3, 2], device: device)
        #expect(throws: TensorError.self) { try backend.gatherRows(x, [3]) }
        #expect(throws: TensorError.self) { try backend.gatherRows(x, [-1]) }
        var target = x
        #expect(throws: TensorError.self) { try backend.scatterAddRows(Tensor.zeros([2, 2], device: device), [0], into: &target) }
    }

    @Test("sparse products, including empty rows and a reused scratch map", arguments: devices)
    func sparseProducts(device: Device) throws {
        let backend = device.backend
        var source = SplitMix64(seed: 7)
        // A wide matrix, then a narrower one, then a wide one again: the reused column map
        // must never leak positions from an earlier call.
        let cases: [(rows: Int, columns: Int, n: Int, density: Double)] = [
            (40, 500, 3, 0.02), (5, 7, 1, 0.5), (1, 1, 2, 1), (0, 9, 4, 0.5), (30, 500, 17, 0.01), (6, 5, 0, 0.5), (8, 300, 2, 0),
        ]
        for (index, shape) in cases.enumerated() {
            let x = randomMatrix(rows: shape.rows, columns: shape.columns, density: shape.density, using: &source)
            let w = tensorPair([shape.columns, shape.n], seed: 130 + UInt64(index))
            expectAgree(on: device, try backend.sparseMultiply(x, w.on(device)), try reference.sparseMultiply(x, w.reference), "X·W \(shape)")

            let g = tensorPair([shape.rows, shape.n], seed: 140 + UInt64(index))
            let onDevice = try backend.sparseTransposedMultiply(x, g.on(device))
            let onReference = try reference.sparseTransposedMultiply(x, g.reference)
            #expect(onDevice.rowCount == onReference.rowCount)
            #expect(onDevice.rowIndices == onReference.rowIndices, "touched rows \(shape)")
            #expect(onDevice.rowIndices == x.touchedColumns().map(Int.init))
            expectAgree(on: device, onDevice.values, onReference.values, "Xᵀ·G \(shape)")
            expectAgree(on: device, onDevice.densified(), onReference.densified(), "Xᵀ·G dense \(shape)")

            // densify overwrites all of a reused buffer: with a dense part, and without one.
            let dense = tensorPair([shape.columns, shape.n], seed: 150 + UInt64(index))
            var intoDevice = Tensor.full([shape.columns, shape.n], 7, device: device)
            var intoReference = Tensor.full([shape.columns, shape.n], 7, device: .reference)
            try backend.densify(onDevice, adding: dense.on(device), into: &intoDevice)
            try reference.densify(onReference, adding: dense.reference, into: &intoReference)
            expectAgree(on: device, intoDevice, intoReference, "dense + Xᵀ·G \(shape)")
            // (A result without rows densifies to no columns.)
            let full = onDevice.rowIndices.isEmpty ? Tensor.zeros([shape.columns, shape.n], device: device) : onDevice.densified()
            var sum = dense.on(device)
            try backend.axpy(1, full, &sum)
            #expect(intoDevice.scalars == sum.scalars, "dense + Xᵀ·G is the dense sum \(shape)")
            try backend.densify(onDevice, adding: nil, into: &intoDevice)
            try reference.densify(onReference, adding: nil, into: &intoReference)
            #expect(intoDevice.scalars == full.scalars, "Xᵀ·G into a used buffer \(shape)")
            expectAgree(on: device, intoDevice, intoReference, "Xᵀ·G into a used buffer \(shape)")
        }
        var wrong = Tensor.zeros([4, 2], device: device)
        let rows = RowSparseTensor(rowCount: 3, rowIndices: [1], values: Tensor.zeros([1, 2], device: device))
        #expect(throws: TensorError.self) { try backend.densify(rows, adding: nil, into: &wrong) }
        #expect(throws: TensorError.self) { try reference.densify(rows, adding: nil, into: &wrong) }
        let x = CSRMatrix(zeros: 2, columnCount: 3)
        #expect(throws: TensorError.self) { try backend.sparseMultiply(x, Tensor.zeros([4, 1], device: device)) }
        #expect(throws: TensorError.self) { try backend.sparseTransposedMultiply(x, Tensor.zeros([3, 1], device: device)) }
    }

    @Test("sparse products of batches: a device reads its copy of the whole matrix, with the batch's values", arguments: devices)
    func sparseBatches(device: Device) throws {
        let backend = device.backend
        var source = SplitMix64(seed: 9)
        var x = randomMatrix(rows: 50, columns: 300, density: 0.05, using: &source)
        let w = tensorPair([300, 4], seed: 160)
        func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }
        for (index, rows) in [[3, 1, 4, 1, 5], Array(0..<50), [], [49]].enumerated() {
            let batch = x.batch(rows), plain = x.rows(rows)
            #expect(batch == plain)
            #expect(bits(try backend.sparseMultiply(batch, w.on(device))) == bits(try backend.sparseMultiply(plain, w.on(device))), "\(rows)")
            expectAgree(on: device, try backend.sparseMultiply(batch, w.on(device)), try reference.sparseMultiply(plain, w.reference), "X·W \(rows)")
            let g = tensorPair([rows.count, 4], seed: 170 + UInt64(index))
            let fromCopy = try backend.sparseTransposedMultiply(batch, g.on(device))
            let fromBatch = try backend.sparseTransposedMultiply(plain, g.on(device))
            #expect(fromCopy.rowIndices == fromBatch.rowIndices && bits(fromCopy.values) == bits(fromBatch.values), "\(rows)")
            expectAgree(on: device, fromCopy.values, try reference.sparseTransposedMultiply(plain, g.reference).values, "Xᵀ·G \(rows)")
        }
        let range = x.batch(in: 10..<20)
        #expect(range == x.rows(in: 10..<20))
        expectAgree(on: device, try backend.sparseMultiply(range, w.on(device)), try reference.sparseMultiply(x.rows(in: 10..<20), w.reference), "range")
        // New values are a new matrix to the device: its batches see them.
        x.mapValues { $0 * 2 }
        expectAgree(
            on: device, try backend.sparseMultiply(x.batch([3, 1]), w.on(device)), try reference.sparseMultiply(x.rows([3, 1]), w.reference),
            "after mapValues")
        x.withMutableValues { values in values[0] += 1 }
        expectAgree(
            on: device, try backend.sparseMultiply(x.batch(Array(0..<50)), w.on(device)), try reference.sparseMultiply(x, w.reference),
            "after withMutableValues")
    }
}

/// What only the CPU backend promises: its fused passes, vectorised paths and scratch maps
/// give the bits of their plain definitions, whatever the width or the thread.
@Suite("CPU backend")
struct CPUBackendTests {
    let cpu = CPUBackend.shared
    let reference = ReferenceBackend.shared

    @Test("softmax cross-entropy: the fused passes are bit-identical to the composed default")
    func fusedSoftmaxCrossEntropy() throws {
        /// The protocol's default implementation, run on the CPU backend's own operations.
        struct Composed: Backend {
            let base = CPUBackend.shared
            var device: Device { .cpu }
            func gemm(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor) throws {
                try base.gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: alpha, beta: beta, into: &c)
            }
            func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws {
                try base.gemv(a, transpose: transpose, x, alpha: alpha, beta: beta, into: &y)
            }
            func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor { base.unary(operation, x) }
            func unaryBackward(_ operation: UnaryOperation, input: Tensor, output: Tensor, gradient: Tensor) throws -> Tensor {
                try base.unaryBackward(operation, input: input, output: output, gradient: gradient)
            }
            func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor { try base.binary(operation, a, b) }
            func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws { try base.axpy(alpha, x, &y) }
            func sum(_ x: Tensor, axis: Int?) throws -> Tensor { try base.sum(x, axis: axis) }
            func argmaxRows(_ x: Tensor) -> [Int] { base.argmaxRows(x) }
            func softmaxRows(_ x: Tensor) -> Tensor { base.softmaxRows(x) }
            func logSoftmaxRows(_ x: Tensor) -> Tensor { base.logSoftmaxRows(x) }
            func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor { try base.gatherRows(x, indices) }
            func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws { try base.scatterAddRows(rows, indices, into: &x) }
            func densify(_ sparse: RowSparseTensor, adding dense: Tensor?, into x: inout Tensor) throws {
                try base.densify(sparse, adding: dense, into: &x)
            }
            func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor { try base.sparseMultiply(x, w) }
            func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor { try base.sparseTransposedMultiply(x, g) }
            func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws { try base.apply(kernel, to: &tensors) }
        }
        let composed = Composed()
        for (shape, x, targets, cases) in softmaxCrossEntropyCases() {
            for (weights, divisor) in cases {
                let fused = try cpu.softmaxCrossEntropy(x.cpu, targets: targets, weights: weights, divisor: divisor)
                let plain = try composed.softmaxCrossEntropy(x.cpu, targets: targets, weights: weights, divisor: divisor)
                let onReference = try reference.softmaxCrossEntropy(x.reference, targets: targets, weights: weights, divisor: divisor)
                #expect(fused.value.bitPattern == plain.value.bitPattern, "value \(shape) divisor \(divisor): \(fused.value) and \(plain.value)")
                #expect(fused.gradient.scalars.map(\.bitPattern) == plain.gradient.scalars.map(\.bitPattern), "gradient \(shape) divisor \(divisor)")
                #expect(close(fused.value, onReference.value), "value \(shape) against the reference")
                expectAgree(fused.gradient, onReference.gradient, "gradient \(shape) against the reference")
            }
        }
    }

    @Test("gatherRows copies rows of every width exactly")
    func gatherRowsEveryWidth() throws {
        // Widths through the short-row copy (vector moves) and past it (memcpy).
        for columns in Array(0...70) + [100, 131] {
            let x = tensorPair([23, columns], seed: 300 + UInt64(columns))
            var generator = RandomGenerator(seed: 400 + UInt64(columns))
            let indices = (0..<40).map { _ in generator.nextInt(below: 23) }
            let gathered = try cpu.gatherRows(x.cpu, indices)
            let expected = try reference.gatherRows(x.reference, indices)
            #expect(gathered.shape == [40, columns])
            #expect(gathered.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "\(columns) columns")
        }
    }

    @Test("column sums add each column in row order from zero, bit for bit")
    func columnSumsInRowOrder() throws {
        for rows in [0, 1, 5, 64, 130] {
            for columns in 1...40 {
                let x = tensorPair([rows, columns], low: -1e4, high: 1e4, seed: 600 + UInt64(rows * 41 + columns)).cpu
                let values = x.scalars
                var expected = [Float](repeating: 0, count: columns)
                for row in 0..<rows {
                    for column in 0..<columns { expected[column] += values[row * columns + column] }
                }
                let sums = try cpu.sum(x, axis: 0)
                #expect(sums.shape == [columns])
                #expect(sums.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(rows) × \(columns)")
                // Every implementation the CPU runs (AVX-512, AVX2, plain C) gives these bits.
                for instructionSet: Int32 in 1...3 {
                    var out = [Float](repeating: .nan, count: columns)
                    let ran = x.withUnsafeBufferPointer { values in
                        out.withUnsafeMutableBufferPointer {
                            textclf_sum_columns_using(instructionSet, $0.baseAddress!, values.baseAddress!, rows, columns) == 1
                        }
                    }
                    if ran {
                        #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "set \(instructionSet), \(rows) × \(columns)")
                    }
                }
            }
        }
    }

    @Test("affine repeats the bias in every row for any width")
    func affineBiasEveryWidth() throws {
        for n in Array(1...70) + [100] {
            let x = tensorPair([5, 3], seed: 700 + UInt64(n)), w = tensorPair([3, n], seed: 800 + UInt64(n))
            let bias = tensorPair([n], seed: 900 + UInt64(n))
            var product = Tensor.zeros([5, n], device: .cpu)
            try cpu.gemm(x.cpu, transposeA: false, w.cpu, transposeB: false, alpha: 1, beta: 0, into: &product)
            let separate = try cpu.binary(.add, product, bias.cpu)
            #expect(try cpu.affine(x.cpu, w.cpu, bias: bias.cpu).scalars.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "width \(n)")
        }
    }

    @Test("remembered powers are the C library's, whatever was asked before")
    func rememberedPowers() {
        var generator = RandomGenerator(seed: 950)
        let bases: [Double] = [0.9, 0.999, 0.5, 2, -0.75, 0, -0.0, .nan, 1e-300] + (0..<20).map { _ in Double(generator.nextFloat()) }
        // Repeats interleaved with new arguments, more distinct ones than are remembered.
        for round in 0..<3 {
            for (index, base) in bases.enumerated() {
                for exponent in [1.0, 2, 7, Double(round * 50 + index), 0.5, -3] {
                    let remembered = textclf_pow_remembered(base, exponent), direct = pow(base, exponent)
                    #expect(remembered.bitPattern == direct.bitPattern || remembered.isNaN && direct.isNaN, "\(base)^\(exponent)")
                }
            }
        }
    }

    @Test("ReLU, its gradient and products equal their scalar definitions bit for bit")
    func reluAndMultiplyExactly() throws {
        let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 1e-40, -1e-40, 3, -3]
        for count in Array(0...40) + [67, 960] {
            var generator = RandomGenerator(seed: 1000 + UInt64(count))
            let values = (0..<count).map { index in index < specials.count ? specials[index] : generator.nextFloat() * 4 - 2 }
            let others = (0..<count).map { _ in generator.nextFloat() * 4 - 2 }
            let x = try Tensor(shape: [count], values: values, device: .cpu)
            let g = try Tensor(shape: [count], values: others, device: .cpu)
            let relu = cpu.unary(.relu, x)
            #expect(relu.scalars.map(\.bitPattern) == values.map { ($0 > 0 ? $0 : 0).bitPattern }, "relu, \(count)")
            let back = try cpu.unaryBackward(.relu, input: x, output: relu, gradient: g)
            #expect(back.scalars.map(\.bitPattern) == zip(values, others).map { ($0 > 0 ? $1 : 0).bitPattern }, "relu gradient, \(count)")
            let product = try cpu.binary(.multiply, x, g)
            #expect(product.scalars.map(\.bitPattern) == zip(values, others).map { ($0 * $1).bitPattern }, "product, \(count)")
        }
    }

    @Test("prefetchRows changes nothing, and ignores indices that are not rows")
    func prefetchRowsIsOnlyAHint() {
        let x = tensorPair([9, 50], seed: 500).cpu
        let before = x.scalars
        x.prefetchRows([8, 0, 3, 3][...])
        x.prefetchRows([1, 9][...])
        x.prefetchRows([-1][...])
        x.prefetchRows([][...])
        Tensor.zeros([4]).prefetchRows([0, 1][...])
        #expect(x.scalars == before)
    }

    @Test("sparse products from several threads at once")
    func concurrentSparse() async throws {
        var source = SplitMix64(seed: 8)
        let matrices = (0..<8).map { _ in randomMatrix(rows: 20, columns: 200 + Int.random(in: 0..<50, using: &source), density: 0.05, using: &source) }
        let expected = try matrices.map { x in try reference.sparseTransposedMultiply(x, Tensor.full([20, 3], 1, device: .reference)) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (x, want) in zip(matrices, expected) {
                group.addTask {
                    var same = true
                    for _ in 0..<20 {
                        let got = try CPUBackend.shared.sparseTransposedMultiply(x, Tensor.full([20, 3], 1, device: .cpu))
                        same = same && got.rowIndices == want.rowIndices && got.values.scalars == want.values.scalars
                    }
                    return same
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}

/// Small cases with known answers, errors and their messages, devices and threads.
@Suite("Backends on hand-computed cases")
struct BackendKnownValueTests {
    @Test("softmax of [1, 2, 3] and a stable log-softmax of [1000, 0]", arguments: Device.available)
    func softmax(device: Device) throws {
        let backend = device.backend
        expectValues(backend.softmaxRows(try Tensor.matrix([[1, 2, 3]], device: device)), [0.09003057, 0.24472847, 0.66524096])
        expectValues(backend.logSoftmaxRows(try Tensor.matrix([[1000, 0]], device: device)), [0, -1000])
        expectValues(backend.softmaxRows(try Tensor.matrix([[1000, 0]], device: device)), [1, 0])
    }

    @Test("gelu and its derivative at 1", arguments: Device.available)
    func gelu(device: Device) throws {
        let backend = device.backend
        let x = try Tensor(shape: [1], values: [1], device: device)
        let y = backend.unary(.gelu, x)
        expectValues(y, [0.8413447])
        // Φ(1) + φ(1) = 0.8413447 + 0.2419707.
        expectValues(try backend.unaryBackward(.gelu, input: x, output: y, gradient: Tensor.full([1], 1, device: device)), [1.0833155])
        expectValues(backend.unary(.sigmoid, Tensor.zeros([1], device: device)), [0.5])
    }

    @Test("gemm with transposes against a hand product", arguments: Device.available)
    func gemm(device: Device) throws {
        let backend = device.backend
        let a = try Tensor.matrix([[1, 2], [3, 4]], device: device)
        let b = try Tensor.matrix([[5, 6, 7], [8, 9, 10]], device: device)
        var c = Tensor.zeros([2, 3], device: device)
        try backend.gemm(a, transposeA: true, b, transposeB: false, alpha: 1, beta: 0, into: &c)
        expectValues(c, [29, 33, 37, 42, 48, 54])

        let d = try Tensor.matrix([[1, 0], [0, 1], [1, 1]], device: device)
        var e = Tensor.full([2, 3], 1, device: device)
        try backend.gemm(a, transposeA: false, d, transposeB: true, alpha: 2, beta: 1, into: &e)
        expectValues(e, [3, 5, 7, 7, 9, 15])
    }

    @Test("binary broadcasting and sums by hand", arguments: Device.available)
    func broadcasting(device: Device) throws {
        let backend = device.backend
        let a = try Tensor.matrix([[1, 2, 3], [4, 5, 6]], device: device)
        expectValues(try backend.binary(.subtract, a, try Tensor(shape: [3], values: [1, 1, 2], device: device)), [0, 1, 1, 3, 4, 4])
        expectValues(try backend.binary(.multiply, a, Tensor.full([1], 2, device: device)), [2, 4, 6, 8, 10, 12])
        expectValues(try backend.sum(a, axis: 0), [5, 7, 9])
        expectValues(try backend.sum(a, axis: 1), [6, 15])
        expectValues(try backend.sum(a, axis: nil), [21])
    }

    @Test("a shape mismatch names both shapes")
    func shapeMismatch() throws {
        let a = Tensor.zeros([2, 3], device: .cpu)
        let b = Tensor.zeros([4], device: .cpu)
        for backend in Device.available.map(\.backend) {
            do {
                _ = try backend.binary(.add, a, b)
                Issue.record("binary add accepted [2, 3] and [4]")
            } catch let error as TensorError {
                guard case .shapeMismatch = error else { Issue.record("unexpected \(error)"); continue }
                #expect(error.description.contains("[2, 3]") && error.description.contains("[4]"), "\(error)")
            }
            var c = Tensor.zeros([2, 2], device: backend.device)
            #expect(throws: TensorError.shapeMismatch(operation: "gemm", shapes: [[2, 3], [2, 3], [2, 2]])) {
                try backend.gemm(a.to(backend.device), transposeA: false, a.to(backend.device), transposeB: false, alpha: 1, beta: 0, into: &c)
            }
            var y = Tensor.zeros([3], device: backend.device)
            #expect(throws: TensorError.self) { try backend.axpy(1, Tensor.zeros([2], device: backend.device), &y) }
            #expect(throws: TensorError.self) {
                try backend.unaryBackward(.relu, input: a, output: a, gradient: Tensor.zeros([3, 2], device: backend.device))
            }
        }
    }

    @Test("device names: unknown ones list the known ones; a GPU that cannot be used says what to install")
    func deviceNames() throws {
        for name in ["tpu", "cuda:x", "opencl:-1", "cuda:"] {
            #expect(throws: TensorError.unknownDevice(name)) { try Device(parsing: name) }
        }
        let message = TensorError.unknownDevice("tpu").description
        #expect(message.hasSuffix("known devices: cpu, reference, opencl[:N], cuda[:N]"), "\(message)")
        #expect(try Device(parsing: "CPU") == .cpu)
        #expect(try Device(parsing: "reference") == .reference)
        // Names round-trip through Codable, without opening the device.
        for device in [Device.cpu, .reference, .opencl(3), .cuda(2)] {
            let data = try JSONEncoder().encode(device)
            #expect(String(decoding: data, as: UTF8.self) == "\"\(device)\"")
            #expect(try JSONDecoder().decode(Device.self, from: data) == device)
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Device.self, from: Data("\"cuda\"".utf8)) }
        // CUDA opens where the driver reports a GPU; elsewhere (CI) the error says what was
        // looked for and what to install.
        do {
            #expect(try Device(parsing: "cuda") == .cuda(0))
            #expect(Device.available.contains(.cuda(0)))
        } catch {
            let text = "\(error)"
            #expect(error is CUDAError, "\(text)")
            #expect(
                text.contains("libcuda.so.1") && text.contains("install the NVIDIA driver") || text.contains("reports no GPU")
                    || text.contains("NVRTC"), "\(text)")
            #expect(!Device.available.contains { if case .cuda = $0 { true } else { false } })
        }
    }

    @Test("checkFinite reports the first NaN or infinity by index", arguments: Device.available)
    func checkFinite(device: Device) throws {
        try Tensor(shape: [3], values: [1, 2, 3], device: device).checkFinite("weights")
        #expect(throws: TensorError.nonFinite(what: "weights", index: 1)) {
            try Tensor(shape: [3], values: [1, .nan, .infinity], device: device).checkFinite("weights")
        }
        #expect(throws: TensorError.nonFinite(what: "loss", index: 2)) {
            try Tensor(shape: [1, 3], values: [1, 2, -.infinity], device: device).checkFinite("loss")
        }
        #expect(TensorError.nonFinite(what: "loss", index: 2).description.contains("index 2"))
        // The check scans in blocks (of SIMD width on the CPU, of 1,024 or more values on a
        // device): a bad value in a later block, at a block's edge, before another bad value,
        // or among the largest finite values and subnormals.
        for position in [0, 255, 256, 1023, 1024, 3000, 4999] {
            for bad in [Float.nan, .infinity, -.infinity, -Float.nan] {
                var values = (0..<5000).map { Float($0 % 7) - 3 }
                values[1] = .greatestFiniteMagnitude
                values[2] = -.leastNonzeroMagnitude
                values[position] = bad
                if position + 1 < values.count { values[position + 1] = .nan }
                #expect(throws: TensorError.nonFinite(what: "block", index: position)) {
                    try Tensor(shape: [5000], values: values, device: device).checkFinite("block")
                }
            }
        }
        let extremes: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0]
        #expect(Tensor.zeros([0], device: device).firstNonFiniteIndex() == nil)
        #expect(try Tensor(shape: [5], values: extremes, device: device).firstNonFiniteIndex() == nil)
    }

    @Test("tensors are values: copies share storage until one is written; equality compares values")
    func copyOnWrite() throws {
        let original = try Tensor(shape: [2, 2], values: [1, 2, 3, 4], device: .cpu)
        var copy = original
        copy.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(original.scalars == [1, 2, 3, 4])
        #expect(copy.scalars == [10, 2, 3, 4])
        #expect(original != copy)
        #expect(original == (try Tensor(shape: [2, 2], values: [1, 2, 3, 4], device: .cpu)))
        #expect(original != (try original.reshaped([4])))
        #expect(Tensor.placeholder.count == 0 && Tensor.placeholder.shape == [0])
        #expect(Tensor.full([3], 2.5).scalars == [2.5, 2.5, 2.5])
        let filled = Tensor(shape: [3], device: .cpu, uninitializedCount: 3) { for index in 0..<3 { $0[index] = Float(index) } }
        #expect(filled.scalars == [0, 1, 2])
    }

    @Test("results stay on the backend's device and Device.current scopes defaults")
    func devices() throws {
        let x = try Tensor.matrix([[1, -2]], device: .cpu)
        #expect(CPUBackend.shared.unary(.relu, x).device == .cpu)
        #expect(CPUBackend.shared.softmaxRows(x).device == .cpu)
        #expect(try CPUBackend.shared.sum(x, axis: nil).device == .cpu)
        #expect(try CPUBackend.shared.gatherRows(x, [0]).device == .cpu)
        #expect(try CPUBackend.shared.sparseTransposedMultiply(CSRMatrix(zeros: 1, columnCount: 4), x.to(.cpu)).values.device == .cpu)
        Device.withDefault(.reference) {
            #expect(Tensor.zeros([2]).device == .reference)
            #expect(Device.current == .reference)
        }
        #expect(Device.current == .cpu)
    }

    @Test("BLAS threads default to the cores and can be set")
    func threads() throws {
        let initial = CPUBackend.threads
        #expect(initial >= 1)
        let environment = ProcessInfo.processInfo.environment
        if environment["OPENBLAS_NUM_THREADS"] == nil && environment["OMP_NUM_THREADS"] == nil {
            #expect(initial == CPUBackend.usableCores)
        }
        // The affinity mask and the cgroup quota, as Foundation counts them too.
        #expect(CPUBackend.usableCores == ProcessInfo.processInfo.activeProcessorCount)
        CPUBackend.threads = 1
        #expect(CPUBackend.threads == 1)
        CPUBackend.threads = 0
        #expect(CPUBackend.threads == 1, "a count below one means one")
        CPUBackend.threads = initial
        #expect(CPUBackend.threads == initial)
        // The linked OpenBLAS (its pthread build) can stop its spinning workers.
        #expect(textclf_stop_blas_threads() == 1)
    }
}

/// `textclf_exp` and `textclf_log`, the softmax kernels' exponential and logarithm: their
/// error against the exact functions (computed in `Double`), their special values, and the
/// same bits from every instruction set and every array length.
@Suite("Vectorised exponential and logarithm")
struct ExpLogKernelTests {
    /// The error of `value` against `exact`, in units in the last place of `Float(exact)`
    /// (subnormal results in units of the smallest subnormal).
    static func ulps(_ value: Float, _ exact: Double) -> Double {
        let rounded = Float(exact)
        if rounded.isInfinite || value.isInfinite { return rounded == value ? 0 : .infinity }
        let unit = max(Double(rounded.ulp), Double(Float.leastNonzeroMagnitude))
        return abs(Double(value) - exact) / unit
    }

    /// Every `stride`-th float from `low` to `high` (by bit pattern, within one sign), with the ends.
    static func samples(from low: Float, to high: Float, stride: UInt32) -> [Float] {
        func walk(_ a: Float, _ b: Float) -> [Float] {
            // Magnitudes from a to b, a ≤ b, both non-negative.
            var values: [Float] = []
            var bits = a.bitPattern
            while bits <= b.bitPattern {
                values.append(Float(bitPattern: bits))
                let (next, overflow) = bits.addingReportingOverflow(stride)
                if overflow { break }
                bits = next
            }
            values.append(b)
            return values
        }
        var values: [Float] = []
        if low < 0 { values += walk(0, -low).map { -$0 } }
        values += walk(max(low, 0), high)
        return values
    }

    static func run(_ function: (Int32, UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Int32, set: Int32, _ values: [Float]) -> [Float]? {
        var out = [Float](repeating: .nan, count: values.count)
        let done = out.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { function(set, out.baseAddress!, $0.baseAddress!, values.count) }
        }
        return done == 1 ? out : nil
    }

    static func exp(_ set: Int32, _ out: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, _ count: Int) -> Int32 {
        textclf_exp_using(set, out, values, count)
    }

    static func log(_ set: Int32, _ out: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, _ count: Int) -> Int32 {
        textclf_log_using(set, out, values, count)
    }

    @Test func expWithinOneUlp() throws {
        // Every 509th float of [-110, 90]: overflow, the subnormal results and underflow to 0.
        let inputs = Self.samples(from: -110, to: 90, stride: 509)
        let results = try #require(Self.run(Self.exp, set: 0, inputs))
        var worst = 0.0, at: Float = 0
        for (x, y) in zip(inputs, results) {
            let error = Self.ulps(y, Foundation.exp(Double(x)))
            if error > worst { (worst, at) = (error, x) }
        }
        #expect(worst <= 1.01, "exp: \(worst) ulp at \(at)")
        #expect(inputs.count > 1_000_000)
    }

    @Test func logWithinOneUlp() throws {
        // Every 1021st positive float, subnormals included, up to the largest.
        let inputs = Self.samples(from: 0, to: .greatestFiniteMagnitude, stride: 1021)
        let results = try #require(Self.run(Self.log, set: 0, inputs))
        var worst = 0.0, at: Float = 0
        for (x, y) in zip(inputs, results) where x > 0 {
            let error = Self.ulps(y, Foundation.log(Double(x)))
            if error > worst { (worst, at) = (error, x) }
        }
        #expect(worst <= 0.83, "log: \(worst) ulp at \(at)")
        #expect(inputs.count > 1_000_000)
    }

    @Test func specialValues() throws {
        // Exact where the answer is exact or at the edges of the range (the largest finite
        // result, overflow, the smallest subnormal, underflow to zero); within an ulp elsewhere.
        let expCases: [(Float, Float?)] = [
            (0, 1), (-0.0, 1), (.infinity, .infinity), (-.infinity, 0), (.nan, .nan), (88.72283, 0x1.ffff08p+127),
            (88.7229, .infinity), (1000, .infinity), (-103.97208, 0x1p-149), (-104, 0), (-1000, 0),
            (1, nil), (-1, nil), (-87.33655, nil), (-100, nil),
        ]
        let exps = try #require(Self.run(Self.exp, set: 0, expCases.map(\.0)))
        for ((x, want), value) in zip(expCases, exps) {
            if let want {
                #expect(value.bitPattern == want.bitPattern || value.isNaN && want.isNaN, "exp(\(x)) = \(value), not \(want)")
            } else {
                #expect(Self.ulps(value, Foundation.exp(Double(x))) <= 1.01, "exp(\(x)) = \(value)")
            }
        }
        let logCases: [(Float, Float?)] = [
            (1, 0), (0, -.infinity), (-0.0, -.infinity), (-1, .nan), (.infinity, .infinity), (-.infinity, .nan), (.nan, .nan),
            (Float(M_E), nil), (2, nil), (.leastNonzeroMagnitude, nil), (.leastNormalMagnitude, nil), (.greatestFiniteMagnitude, nil),
        ]
        let logs = try #require(Self.run(Self.log, set: 0, logCases.map(\.0)))
        for ((x, want), value) in zip(logCases, logs) {
            if let want {
                #expect(value.bitPattern == want.bitPattern || value.isNaN && want.isNaN, "log(\(x)) = \(value), not \(want)")
            } else {
                #expect(Self.ulps(value, Foundation.log(Double(x))) <= 0.83, "log(\(x)) = \(value)")
            }
        }
    }

    @Test func everyInstructionSetGivesTheSameBits() throws {
        let expInputs = Self.samples(from: -110, to: 90, stride: 40_009)
        let logInputs = Self.samples(from: 0, to: .infinity, stride: 40_009) + [-1, .nan]
        for (function, inputs, name) in [(Self.exp, expInputs, "exp"), (Self.log, logInputs, "log")] {
            let plain = try #require(Self.run(function, set: 3, inputs), "the baseline runs everywhere")
            var checked = 0
            for set: Int32 in [1, 2] {
                guard let results = Self.run(function, set: set, inputs) else { continue }
                checked += 1
                #expect(results.map(\.bitPattern) == plain.map(\.bitPattern), "\(name): instruction set \(set) against the baseline")
            }
            #expect(Self.run(function, set: 4, inputs) == nil, "no instruction set 4")
            print("\(name): \(checked) vector versions checked against the baseline on \(inputs.count) values")
        }
    }

    @Test func everyLengthAndInPlaceGiveTheSameBits() throws {
        var generator = RandomGenerator(seed: 1200)
        let values = (0..<100).map { _ in generator.nextFloat() * 40 - 30 }
        let one = values.map { value in try! #require(Self.run(Self.exp, set: 0, [value]))[0] }
        for count in 0...70 {
            // Starting at an odd offset, so the vector part is unaligned and its tail varies.
            let slice = Array(values[1..<(1 + count)])
            let results = try #require(Self.run(Self.exp, set: 0, slice))
            #expect(results.map(\.bitPattern) == one[1..<(1 + count)].map(\.bitPattern), "length \(count)")
            var inPlace = slice
            inPlace.withUnsafeMutableBufferPointer { textclf_exp($0.baseAddress, $0.baseAddress, count) }
            #expect(inPlace.map(\.bitPattern) == results.map(\.bitPattern), "in place, length \(count)")
        }
    }
}
