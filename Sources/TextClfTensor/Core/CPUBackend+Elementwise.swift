import COpenBLAS
import CTextClfKernels
import Foundation

// Element-wise operations of the CPU backend. Each public entry point switches on the
// operation once, outside the loop, and hands a closure literal to an always-inlined loop
// helper, so every case compiles to its own tight loop over raw pointers (no bounds checks,
// no per-element switch, no allocation) that the optimiser vectorises where the arithmetic
// allows; the transcendental cases call Foundation per element.

extension CPUBackend {
    /// `out[i] = f(x[i])` into a new tensor of `x`'s shape.
    @inline(__always)
    func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let count = x.count
        return x.withUnsafeBufferPointer { xv in
            make(x.shape, count: count) { out in
                let input = xv.baseAddress!
                for index in 0..<count { out[index] = f(input[index]) }
            }
        }
    }

    /// `out[i] = f(x[i], y[i], g[i])` into a new tensor of `x`'s shape (shapes already checked).
    @inline(__always)
    func map(_ x: Tensor, _ y: Tensor, _ g: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
        let count = x.count
        return x.withUnsafeBufferPointer { xv in
            y.withUnsafeBufferPointer { yv in
                g.withUnsafeBufferPointer { gv in
                    make(x.shape, count: count) { out in
                        let xp = xv.baseAddress!
                        let yp = yv.baseAddress!
                        let gp = gv.baseAddress!
                        for index in 0..<count { out[index] = f(xp[index], yp[index], gp[index]) }
                    }
                }
            }
        }
    }

    public func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor {
        // The formulas are UnaryMath.value's, written out so that each case is its own loop.
        switch operation {
        case .relu:
            // A C kernel built for AVX2 and AVX-512 as well: the same comparison and selection.
            return x.withUnsafeBufferPointer { xv in make(x.shape, count: x.count) { textclf_relu($0, xv.baseAddress!, xv.count) } }
        case .leakyRelu(let slope): return map(x) { $0 > 0 ? $0 : slope * $0 }
        case .tanh: return map(x) { Foundation.tanh($0) }
        case .sigmoid: return map(x) { 1 / (1 + Foundation.exp(-$0)) }
        case .gelu:
            let rootTwo = Float(2).squareRoot()
            return map(x) { 0.5 * $0 * (1 + Foundation.erf($0 / rootTwo)) }
        case .exp: return map(x) { Foundation.exp($0) }
        case .log: return map(x) { Foundation.log($0) }
        case .negate: return map(x) { -$0 }
        case .square: return map(x) { $0 * $0 }
        case .sqrt: return map(x) { $0.squareRoot() }
        case .abs: return map(x) { Swift.abs($0) }
        case .sign: return map(x) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .scale(let factor): return map(x) { $0 * factor }
        case .shift(let value): return map(x) { $0 + value }
        }
    }

    public func unaryBackward(_ operation: UnaryOperation, input: Tensor, output: Tensor, gradient: Tensor) throws -> Tensor {
        try check(
            input.shape == output.shape && input.shape == gradient.shape, "unaryBackward",
            [input.shape, output.shape, gradient.shape])
        // `gradient · f'(x)`, with f' from UnaryMath.derivative; `y` is f(x), reused where
        // the derivative is cheaper in terms of the output (tanh, sigmoid, exp, sqrt).
        switch operation {
        case .relu:
            return input.withUnsafeBufferPointer { xv in
                gradient.withUnsafeBufferPointer { gv in
                    make(input.shape, count: input.count) { textclf_relu_backward($0, xv.baseAddress!, gv.baseAddress!, xv.count) }
                }
            }
        case .leakyRelu(let slope): return map(input, output, gradient) { x, _, g in x > 0 ? g : g * slope }
        case .tanh: return map(input, output, gradient) { _, y, g in g * (1 - y * y) }
        case .sigmoid: return map(input, output, gradient) { _, y, g in g * (y * (1 - y)) }
        case .gelu:
            let rootTwo = Float(2).squareRoot()
            let rootTwoPi = (2 * Float.pi).squareRoot()
            return map(input, output, gradient) { x, _, g in
                let cdf = 0.5 * (1 + Foundation.erf(x / rootTwo))
                let pdf = Foundation.exp(-0.5 * x * x) / rootTwoPi
                return g * (cdf + x * pdf)
            }
        case .exp: return map(input, output, gradient) { _, y, g in g * y }
        case .log: return map(input, output, gradient) { x, _, g in g * (1 / x) }
        case .negate: return map(input, output, gradient) { _, _, g in -g }
        case .square: return map(input, output, gradient) { x, _, g in g * (2 * x) }
        case .sqrt: return map(input, output, gradient) { _, y, g in g * (0.5 / y) }
        case .abs: return map(input, output, gradient) { x, _, g in x > 0 ? g : (x < 0 ? -g : g * 0) }
        case .sign: return map(input, output, gradient) { _, _, g in g * 0 }
        case .scale(let factor): return map(input, output, gradient) { _, _, g in g * factor }
        case .shift: return map(input, output, gradient) { _, _, g in g }
        }
    }

    /// How `b` lines up with `a` in ``binary(_:_:_:)``.
    enum Broadcast {
        /// Same shape: element by element.
        case same
        /// `b` holds one value.
        case scalar
        /// `b` is a row of `columns` values repeated over `a`'s rows.
        case row(columns: Int)
    }

    /// `out[i] = f(a[i], b[matching i])` for a broadcast form already checked.
    @inline(__always)
    func combine(_ a: Tensor, _ b: Tensor, _ form: Broadcast, _ f: (Float, Float) -> Float) -> Tensor {
        let count = a.count
        return a.withUnsafeBufferPointer { av in
            b.withUnsafeBufferPointer { bv in
                make(a.shape, count: count) { out in
                    let left = av.baseAddress!
                    let right = bv.baseAddress!
                    switch form {
                    case .same:
                        for index in 0..<count { out[index] = f(left[index], right[index]) }
                    case .scalar:
                        let value = right[0]
                        for index in 0..<count { out[index] = f(left[index], value) }
                    case .row(let columns):
                        // count > 0 here, so columns > 0.
                        for row in 0..<(count / columns) {
                            let source = left + row * columns
                            let target = out + row * columns
                            for column in 0..<columns { target[column] = f(source[column], right[column]) }
                        }
                    }
                }
            }
        }
    }

    public func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        // The same order of tests as the reference, so ambiguous shapes (a one-element `a`)
        // resolve identically.
        let form: Broadcast
        if b.shape == a.shape {
            form = .same
        } else if b.count == 1 {
            form = .scalar
        } else if a.rank == 2, b.count == a.columns, b.rank == 1 || b.rows == 1 {
            form = .row(columns: a.columns)
        } else {
            throw TensorError.shapeMismatch(operation: "binary \(operation)", shapes: [a.shape, b.shape])
        }
        switch operation {
        case .add: return combine(a, b, form) { $0 + $1 }
        case .subtract: return combine(a, b, form) { $0 - $1 }
        case .multiply:
            guard case .same = form else { return combine(a, b, form) { $0 * $1 } }
            return a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    make(a.shape, count: a.count) { textclf_multiply($0, av.baseAddress!, bv.baseAddress!, av.count) }
                }
            }
        case .divide: return combine(a, b, form) { $0 / $1 }
        case .maximum: return combine(a, b, form) { Swift.max($0, $1) }
        case .minimum: return combine(a, b, form) { Swift.min($0, $1) }
        }
    }

    public func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws {
        try check(x.shape == y.shape, "axpy", [x.shape, y.shape])
        let count = x.count
        if count == 0 { return }
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                // BLAS counts in Int32: walk very large tensors in chunks.
                var start = 0
                while start < count {
                    let length = Swift.min(count - start, Int(Int32.max))
                    cblas_saxpy(Int32(length), alpha, xv.baseAddress! + start, 1, yv.baseAddress! + start, 1)
                    start += length
                }
            }
        }
    }
}
