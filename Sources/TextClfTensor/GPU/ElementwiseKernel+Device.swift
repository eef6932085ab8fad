import Foundation

/// A scalar argument of a device kernel.
enum DeviceScalar: Equatable {
    case int32(Int32)
    case int64(Int)
    case float(Float)
}

extension ElementwiseKernel {
    /// How a device runs this case: the kernel of ``DeviceKernelSource`` by name, its scalar
    /// arguments (the element count first), and then its tensor parameters, each given as the
    /// index of the case's tensor it takes. A parameter the case does not use (the momentum
    /// buffer of momentum-free SGD, say) gets tensor 0, which the kernel never touches then.
    ///
    /// The scalars are computed as ``run(on:)`` computes them (bias corrections and decayed
    /// rates in `Double`, rounded to `Float` once), so the device does the same arithmetic.
    func deviceLaunch(count: Int) -> (name: String, scalars: [DeviceScalar], tensors: [Int]) {
        let n = DeviceScalar.int64(count)
        func flag(_ value: Bool) -> DeviceScalar { .int32(value ? 1 : 0) }
        switch self {
        case .axpby(let alpha, let beta):
            return ("axpby", [n, .float(alpha), .float(beta)], [0, 1])
        case .l1(let strength):
            return ("penalty", [n, flag(true), .float(strength)], [0, 1])
        case .l2(let strength):
            return ("penalty", [n, flag(false), .float(strength)], [0, 1])
        case .sgd(let learningRate, let momentum, let dampening, let nesterov, let weightDecay, let firstStep):
            return (
                "sgd",
                [n, .float(-learningRate), .float(momentum), .float(1 - dampening), flag(nesterov), .float(weightDecay), flag(firstStep)],
                [0, 1, momentum != 0 ? 2 : 0]
            )
        case .adam(let learningRate, let beta1, let beta2, let epsilon, let weightDecay, let decoupled, let step, let amsgrad):
            let lr = Double(learningRate)
            let b1 = Double(beta1)
            let b2 = Double(beta2)
            let biasCorrection1 = 1 - Foundation.pow(b1, Double(step))
            let biasCorrection2Root = Float((1 - Foundation.pow(b2, Double(step))).squareRoot())
            return (
                "adam",
                [
                    n, .float(Float(1 - b1)), .float(beta2), .float(Float(1 - b2)), .float(Float(-(lr / biasCorrection1))),
                    .float(biasCorrection2Root), .float(epsilon), .float(weightDecay), flag(decoupled),
                    .float(Float(1 - lr * Double(weightDecay))), flag(amsgrad),
                ],
                [0, 1, 2, 3, amsgrad ? 4 : 0]
            )
        case .adagrad(let learningRate, let learningRateDecay, let weightDecay, let epsilon, let step):
            let clr = Double(learningRate) / (1 + Double(step - 1) * Double(learningRateDecay))
            return ("adagrad", [n, .float(Float(-clr)), .float(weightDecay), .float(epsilon)], [0, 1, 2])
        case .rmsprop(let learningRate, let alpha, let epsilon, let weightDecay, let momentum, let centered):
            let momentumIndex = momentum > 0 ? 3 : 0
            let averageIndex = centered ? (momentum > 0 ? 4 : 3) : 0
            return (
                "rmsprop",
                [
                    n, .float(-learningRate), .float(alpha), .float(Float(1 - Double(alpha))), .float(epsilon), .float(weightDecay),
                    .float(momentum), flag(centered),
                ],
                [0, 1, 2, momentumIndex, averageIndex]
            )
        }
    }
}
