/// In-place element-wise kernels that a backend runs over tensors of one shape: the fused
/// update steps of optimizers. Each case documents the tensors it takes, in order.
///
/// Their per-element arithmetic is defined once, in ``ElementwiseKernel/run(on:)``; the
/// CPU backends run that definition, and a GPU backend implements the same arithmetic as
/// device kernels.
public enum ElementwiseKernel: Sendable, Hashable {
    /// `[y, x]`: `y = alpha · x + beta · y`.
    case axpby(alpha: Float, beta: Float)

    /// The number of tensors the kernel takes.
    public var arity: Int {
        switch self {
        case .axpby: return 2
        }
    }

    /// Runs the kernel on host buffers of equal length, in order of ``arity``.
    public func run(on buffers: [UnsafeMutableBufferPointer<Float>]) {
        switch self {
        case .axpby(let alpha, let beta):
            let y = buffers[0]
            let x = buffers[1]
            for index in 0..<y.count { y[index] = alpha * x[index] + beta * y[index] }
        }
    }
}
