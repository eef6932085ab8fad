/// Random tensors. The numbers come from a host ``RandomGenerator`` and are then placed on
/// the device, so a seed gives bit-identical tensors on every device (the tests check `.cpu`
/// against `.reference`), and a GPU backend needs no random-number kernels to agree.
extension Tensor {
    /// Values drawn uniformly from `[low, high)`, row-major in draw order.
    /// - Precondition: the shape's extents are non-negative and `low <= high`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, generator: inout RandomGenerator,
        device: Device = Device.current
    ) -> Tensor {
        precondition(low <= high, "uniform: low \(low) is above high \(high)")
        let width = high - low
        return generate(shape, device: device) { values in
            for index in values.indices { values[index] = low + width * generator.nextFloat() }
        }
    }

    /// Values drawn from a normal distribution with `mean` and standard deviation `std`.
    ///
    /// Uses both values of each Box–Muller pair (``RandomGenerator/normalPair()``), so a tensor
    /// of `n` values advances the generator by `2 · ⌈n / 2⌉` draws.
    /// - Precondition: the shape's extents are non-negative and `std >= 0`.
    public static func normal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout RandomGenerator,
        device: Device = Device.current
    ) -> Tensor {
        precondition(std >= 0, "normal: negative standard deviation \(std)")
        return generate(shape, device: device) { values in
            var index = 0
            while index < values.count {
                let (first, second) = generator.normalPair()
                values[index] = mean + std * first
                if index + 1 < values.count { values[index + 1] = mean + std * second }
                index += 2
            }
        }
    }

    /// `value` (by default 1) with probability `probability`, zeros otherwise: one draw per
    /// element, in order. A dropout mask is `bernoulli(shape, probability: 1 − p, value: 1 / (1 − p))`.
    /// - Precondition: the shape's extents are non-negative and `probability` is in `[0, 1]`.
    public static func bernoulli(
        _ shape: [Int], probability: Float, value: Float = 1, generator: inout RandomGenerator, device: Device = Device.current
    ) -> Tensor {
        precondition((0...1).contains(probability), "bernoulli: probability \(probability) is outside [0, 1]")
        return generate(shape, device: device) { values in
            // nextFloat() < 1 always, so probability 1 gives all ones and 0 all zeros.
            generator.fillBernoulli(values, probability: probability, value: value)
        }
    }

    /// A tensor of `shape` on `device` whose host values `fill` writes, every one.
    private static func generate(
        _ shape: [Int], device: Device, _ fill: (inout UnsafeMutableBufferPointer<Float>) -> Void
    ) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "random tensor with a negative extent: \(shape)")
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, device: device, uninitializedCount: count) { start in
            var buffer = UnsafeMutableBufferPointer(start: start, count: count)
            fill(&buffer)
        }
    }
}
