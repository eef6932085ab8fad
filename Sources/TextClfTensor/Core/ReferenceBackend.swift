import Foundation

/// The oracle: every operation as plain, obviously-correct loops, without BLAS. Tests run
/// layers, losses and optimizers on it and on ``CPUBackend`` and compare.
public struct ReferenceBackend: Backend {
    /// The one instance.
    public static let shared = ReferenceBackend()
    public var device: Device { .reference }

    func check(_ condition: Bool, _ operation: String, _ shapes: [Int]...) throws {
        if !condition { throw TensorError.shapeMismatch(operation: operation, shapes: shapes) }
    }

    func make(_ shape: [Int], _ values: [Float]) -> Tensor {
        Tensor(shape: shape, device: device, storage: TensorStorage.copying(values))
    }

    public func gemm(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor
    ) throws {
        let (m, k, n) = try gemmDimensions(a, transposeA: transposeA, b, transposeB: transposeB, c)
        let av = a.scalars
        let bv = b.scalars
        c.withUnsafeMutableBufferPointer { cv in
            for i in 0..<m {
                for j in 0..<n {
                    var total: Float = 0
                    for p in 0..<k {
                        let left = transposeA ? av[p * a.shape[1] + i] : av[i * a.shape[1] + p]
                        let right = transposeB ? bv[j * b.shape[1] + p] : bv[p * b.shape[1] + j]
                        total += left * right
                    }
                    cv[i * n + j] = alpha * total + (beta == 0 ? 0 : beta * cv[i * n + j])
                }
            }
        }
    }

    public func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws {
        try check(a.rank == 2, "gemv", a.shape, x.shape, y.shape)
        let (m, n) = transpose ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        try check(x.count == n && y.count == m, "gemv", a.shape, x.shape, y.shape)
        let av = a.scalars
        let xv = x.scalars
        y.withUnsafeMutableBufferPointer { yv in
            for i in 0..<m {
                var total: Float = 0
                for j in 0..<n { total += (transpose ? av[j * a.shape[1] + i] : av[i * a.shape[1] + j]) * xv[j] }
                yv[i] = alpha * total + (beta == 0 ? 0 : beta * yv[i])
            }
        }
    }

    public func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor {
        make(x.shape, x.scalars.map { UnaryMath.value(operation, $0) })
    }

    public func unaryBackward(_ operation: UnaryOperation, input: Tensor, output: Tensor, gradient: Tensor) throws -> Tensor {
        try check(input.shape == output.shape && input.shape == gradient.shape, "unaryBackward", input.shape, output.shape, gradient.shape)
        let x = input.scalars
        let y = output.scalars
        let g = gradient.scalars
        return make(input.shape, (0..<x.count).map { g[$0] * UnaryMath.derivative(operation, x: x[$0], y: y[$0]) })
    }

    public func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let av = a.scalars
        let bv = b.scalars
        let index: (Int) -> Int
        if b.shape == a.shape {
            index = { $0 }
        } else if b.count == 1 {
            index = { _ in 0 }
        } else if a.rank == 2, b.count == a.columns, b.rank == 1 || b.rows == 1 {
            let columns = a.columns
            index = { $0 % columns }
        } else {
            throw TensorError.shapeMismatch(operation: "binary \(operation)", shapes: [a.shape, b.shape])
        }
        return make(a.shape, (0..<av.count).map { BinaryMath.value(operation, av[$0], bv[index($0)]) })
    }

    public func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws {
        try check(x.shape == y.shape, "axpy", x.shape, y.shape)
        let xv = x.scalars
        y.withUnsafeMutableBufferPointer { yv in
            for index in 0..<yv.count { yv[index] += alpha * xv[index] }
        }
    }

    public func sum(_ x: Tensor, axis: Int?) throws -> Tensor {
        let v = x.scalars
        switch axis {
        case nil:
            return make([1], [v.reduce(0, +)])
        case 0?:
            try check(x.rank == 2, "sum(axis: 0)", x.shape)
            var sums = [Float](repeating: 0, count: x.columns)
            for i in 0..<x.rows { for j in 0..<x.columns { sums[j] += v[i * x.columns + j] } }
            return make([x.columns], sums)
        case 1?:
            try check(x.rank == 2, "sum(axis: 1)", x.shape)
            return make([x.rows], (0..<x.rows).map { i in (0..<x.columns).reduce(Float(0)) { $0 + v[i * x.columns + $1] } })
        default:
            throw TensorError.invalid("sum: axis must be 0, 1 or nil (got \(axis!))")
        }
    }

    public func argmaxRows(_ x: Tensor) -> [Int] {
        let v = x.scalars
        return (0..<x.rows).map { i in
            var best = 0
            for j in 1..<max(x.columns, 1) where v[i * x.columns + j] > v[i * x.columns + best] { best = j }
            return best
        }
    }

    public func softmaxRows(_ x: Tensor) -> Tensor {
        let v = x.scalars
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<x.rows {
            let row = v[(i * x.columns)..<((i + 1) * x.columns)]
            let top = row.max() ?? 0
            let exps = row.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            for (j, e) in exps.enumerated() { out[i * x.columns + j] = e / total }
        }
        return make(x.shape, out)
    }

    public func logSoftmaxRows(_ x: Tensor) -> Tensor {
        let v = x.scalars
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<x.rows {
            let row = v[(i * x.columns)..<((i + 1) * x.columns)]
            let top = row.max() ?? 0
            let logTotal = Foundation.log(row.map { Foundation.exp($0 - top) }.reduce(0, +)) + top
            for (j, value) in row.enumerated() { out[i * x.columns + j] = value - logTotal }
        }
        return make(x.shape, out)
    }

    public func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        try check(indices.allSatisfy { (0..<x.rows).contains($0) }, "gatherRows", x.shape, [indices.count])
        let v = x.scalars
        return make([indices.count] + x.shape.dropFirst(), indices.flatMap { v[($0 * x.columns)..<(($0 + 1) * x.columns)] })
    }

    public func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws {
        try check(rows.rows == indices.count && rows.columns == x.columns && indices.allSatisfy { (0..<x.rows).contains($0) },
                  "scatterAddRows", rows.shape, [indices.count], x.shape)
        let r = rows.scalars
        let columns = x.columns
        x.withUnsafeMutableBufferPointer { xv in
            for (position, row) in indices.enumerated() {
                for j in 0..<columns { xv[row * columns + j] += r[position * columns + j] }
            }
        }
    }

    public func densify(_ sparse: RowSparseTensor, adding dense: Tensor?, into x: inout Tensor) throws {
        try check(x.rank == 2 && x.rows == sparse.rowCount && (sparse.rowIndices.isEmpty || sparse.values.columns == x.columns)
                  && dense.map { $0.shape == x.shape } ?? true, "densify", [sparse.rowCount], dense?.shape ?? [], x.shape)
        let base = dense?.scalars ?? [Float](repeating: 0, count: x.count)
        let stored = sparse.values.scalars
        let columns = x.columns
        x.withUnsafeMutableBufferPointer { xv in
            for index in 0..<xv.count { xv[index] = base[index] }
            for (position, row) in sparse.rowIndices.enumerated() {
                for j in 0..<columns { xv[row * columns + j] += stored[position * columns + j] }
            }
        }
    }

    public func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor {
        try check(w.rank == 2 && w.rows == x.columnCount, "sparseMultiply", [x.rowCount, x.columnCount], w.shape)
        let n = w.columns
        let wv = w.scalars
        var out = [Float](repeating: 0, count: x.rowCount * n)
        for i in 0..<x.rowCount {
            for entry in x.entries(ofRow: i) {
                let k = Int(x.columnIndices[entry])
                for j in 0..<n { out[i * n + j] += x.values[entry] * wv[k * n + j] }
            }
        }
        return make([x.rowCount, n], out)
    }

    public func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor {
        try check(g.rank == 2 && g.rows == x.rowCount, "sparseTransposedMultiply", [x.rowCount, x.columnCount], g.shape)
        let n = g.columns
        let gv = g.scalars
        let touched = Array(Set(x.columnIndices.map(Int.init))).sorted()
        var position = [Int: Int]()
        for (p, column) in touched.enumerated() { position[column] = p }
        var out = [Float](repeating: 0, count: touched.count * n)
        for i in 0..<x.rowCount {
            for entry in x.entries(ofRow: i) {
                let p = position[Int(x.columnIndices[entry])]!
                for j in 0..<n { out[p * n + j] += x.values[entry] * gv[i * n + j] }
            }
        }
        return RowSparseTensor(rowCount: x.columnCount, rowIndices: touched, values: make([touched.count, n], out))
    }

    public func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws {
        try ElementwiseKernel.runOnHost(kernel, &tensors)
    }
}

extension ElementwiseKernel {
    /// Checks arity and shapes, then runs the kernel on the tensors' host memory.
    static func runOnHost(_ kernel: ElementwiseKernel, _ tensors: inout [Tensor]) throws {
        let count = tensors.count
        guard count == kernel.arity, count > 0 else {
            throw TensorError.shapeMismatch(operation: "kernel \(kernel)", shapes: tensors.map(\.shape))
        }
        let shape = tensors[0].shape
        for index in 1..<count where tensors[index].shape != shape {
            throw TensorError.shapeMismatch(operation: "kernel \(kernel)", shapes: tensors.map(\.shape))
        }
        // Unique storage for each tensor the kernel writes (a tensor passed twice gets two);
        // the one it only reads (index 1) is used where it is, uncopied. Storage never moves,
        // and the caller's `tensors` keeps every one alive while the kernel runs. The buffer
        // list is a tuple on the stack (no kernel takes more than five tensors).
        let empty = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
        var buffers = (empty, empty, empty, empty, empty)
        guard count <= 5 else {
            throw TensorError.invalid("kernel \(kernel): more than five tensors")
        }
        for index in 0..<count {
            let buffer: UnsafeMutableBufferPointer<Float>
            if index == ElementwiseKernel.readOnlyIndex {
                buffer = tensors[index].withUnsafeBufferPointer { UnsafeMutableBufferPointer(mutating: $0) }
            } else {
                buffer = tensors[index].withUnsafeMutableBufferPointer { $0 }
            }
            switch index {
            case 0: buffers.0 = buffer
            case 1: buffers.1 = buffer
            case 2: buffers.2 = buffer
            case 3: buffers.3 = buffer
            default: buffers.4 = buffer
            }
        }
        withUnsafeBytes(of: &buffers) { raw in
            kernel.run(onBuffers: UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UnsafeMutableBufferPointer<Float>.self), count: count))
        }
    }
}

/// The scalar definitions of the unary operations and their derivatives, shared by the
/// host backends.
public enum UnaryMath {
    /// `f(x)`.
    @inlinable public static func value(_ operation: UnaryOperation, _ x: Float) -> Float {
        switch operation {
        case .relu: return x > 0 ? x : 0
        case .leakyRelu(let slope): return x > 0 ? x : slope * x
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / Float(2).squareRoot()))
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .negate: return -x
        case .square: return x * x
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .scale(let factor): return x * factor
        case .shift(let value): return x + value
        }
    }

    /// `f'(x)`, given `x` and `y = f(x)`.
    @inlinable public static func derivative(_ operation: UnaryOperation, x: Float, y: Float) -> Float {
        switch operation {
        case .relu: return x > 0 ? 1 : 0
        case .leakyRelu(let slope): return x > 0 ? 1 : slope
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .gelu:
            let cdf = 0.5 * (1 + Foundation.erf(x / Float(2).squareRoot()))
            let pdf = Foundation.exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
            return cdf + x * pdf
        case .exp: return y
        case .log: return 1 / x
        case .negate: return -1
        case .square: return 2 * x
        case .sqrt: return 0.5 / y
        case .abs: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .sign: return 0
        case .scale(let factor): return factor
        case .shift: return 1
        }
    }
}

/// The scalar definitions of the binary operations.
public enum BinaryMath {
    /// `a ∘ b`.
    @inlinable public static func value(_ operation: BinaryOperation, _ a: Float, _ b: Float) -> Float {
        switch operation {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        }
    }
}
