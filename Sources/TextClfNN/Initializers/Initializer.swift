import TextClfTensor

/// How a parameter's initial values are drawn.
///
/// Fans follow this package's weight layout `[in, out]` (see ``Linear``): `fanIn` is the
/// number of inputs (`shape[0]` of a weight) and `fanOut` the number of outputs. PyTorch
/// stores `[out, in]` and reads `fan_in` from its `shape[1]`; the numbers are the same.
/// Random values come from a seeded ``RandomGenerator`` on the host, so every device
/// starts from the same values.
public enum Initializer: Sendable, Hashable {
    /// PyTorch's default for `nn.Linear`: `kaiming_uniform_(a: √5)`, which is
    /// `U(−1/√fanIn, 1/√fanIn)`; for a bias the same bound (PyTorch's bias default).
    case pytorchDefault
    /// Glorot/Xavier uniform: `U(−b, b)`, `b = gain · √(6 / (fanIn + fanOut))`.
    case xavierUniform(gain: Float = 1)
    /// Glorot/Xavier normal: `N(0, σ²)`, `σ = gain · √(2 / (fanIn + fanOut))`.
    case xavierNormal(gain: Float = 1)
    /// He/Kaiming uniform over `fanIn`: `U(−b, b)`, `b = gain · √(3 / fanIn)`; the default
    /// gain `√2` suits ReLU.
    case kaimingUniform(gain: Float = Float(2).squareRoot())
    /// He/Kaiming normal over `fanIn`: `N(0, σ²)`, `σ = gain / √fanIn`; the default gain
    /// `√2` suits ReLU.
    case kaimingNormal(gain: Float = Float(2).squareRoot())
    /// All zeros.
    case zeros
    /// Every value `value`.
    case constant(Float)
    /// `N(mean, std²)`.
    case normal(mean: Float = 0, std: Float)
    /// `U(low, high)`.
    case uniform(low: Float, high: Float)

    /// A tensor of `shape` drawn from this distribution.
    /// - Parameters:
    ///   - shape: The tensor's shape.
    ///   - fanIn: Inputs per output (a `[in, out]` weight's `shape[0]`; for a bias, its layer's inputs).
    ///   - fanOut: Outputs (a weight's `shape[1]`).
    ///   - generator: The source of randomness; advanced by the number of values drawn.
    ///   - device: Where the tensor lives.
    public func makeTensor(
        shape: [Int], fanIn: Int, fanOut: Int, generator: inout RandomGenerator, device: Device = Device.current
    ) -> Tensor {
        let fanIn = Float(max(fanIn, 1))
        let fanOut = Float(max(fanOut, 1))
        func uniform(_ bound: Float) -> Tensor {
            Tensor.uniform(shape, low: -bound, high: bound, generator: &generator, device: device)
        }
        func normal(_ mean: Float, _ std: Float) -> Tensor {
            Tensor.normal(shape, mean: mean, std: std, generator: &generator, device: device)
        }
        switch self {
        case .pytorchDefault: return uniform(1 / fanIn.squareRoot())
        case .xavierUniform(let gain): return uniform(gain * (6 / (fanIn + fanOut)).squareRoot())
        case .xavierNormal(let gain): return normal(0, gain * (2 / (fanIn + fanOut)).squareRoot())
        case .kaimingUniform(let gain): return uniform(gain * (3 / fanIn).squareRoot())
        case .kaimingNormal(let gain): return normal(0, gain / fanIn.squareRoot())
        case .zeros: return Tensor.zeros(shape, device: device)
        case .constant(let value): return Tensor.full(shape, value, device: device)
        case .normal(let mean, let std): return normal(mean, std)
        case .uniform(let low, let high): return Tensor.uniform(shape, low: low, high: high, generator: &generator, device: device)
        }
    }
}
