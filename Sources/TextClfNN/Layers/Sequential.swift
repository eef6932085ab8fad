import TextClfTensor

/// Layers applied in order; the backward pass runs them in reverse.
///
/// Parameter and buffer names get the prefix `layers.<index>.` (e.g. `layers.0.weight`,
/// as a PyTorch `nn.Sequential` stored in an attribute `layers`). Creating the container
/// renames the children's parameters; nesting prefixes again. Setting ``isTraining``
/// sets it on every child. Only the first layer may take sparse input.
public final class Sequential: Layer {
    /// The layers, in application order.
    public let layers: [any Layer]
    /// Training or evaluation mode, forwarded to every layer.
    public var isTraining: Bool {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// Creates a container and prefixes its layers' parameter names.
    public init(_ layers: [any Layer]) {
        self.layers = layers
        isTraining = layers.first?.isTraining ?? true
        for layer in layers { layer.isTraining = isTraining }
        Self.prefixNames(of: layers)
    }

    /// Every layer's parameters, in order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every layer's buffers, named `layers.<index>.<name>`.
    public var buffers: [(name: String, value: Tensor)] { Self.buffers(of: layers) }

    /// Sets the buffer `layers.<index>.<name>`.
    public func setBuffer(_ name: String, to value: Tensor) throws {
        try Self.setBuffer(name, to: value, in: layers, owner: "Sequential")
    }

    /// Applies the layers in order.
    public func forward(_ input: LayerInput) throws -> Tensor {
        var current = input
        var output: Tensor?
        for layer in layers {
            let next = try layer.forward(current)
            output = next
            current = .dense(next)
        }
        guard let output else {
            switch input {
            case .dense(let tensor): return tensor
            case .sparse: throw LayerError.sparseInputUnsupported(layer: "Sequential (empty)", shape: input.shape)
            }
        }
        return output
    }

    /// Runs the layers' backward passes in reverse; `nil` when the first took sparse input.
    public func backward(_ gradientOutput: Tensor) throws -> Tensor? {
        try backward(gradientOutput, needsInputGradient: true)
    }

    /// Runs the layers' backward passes in reverse; the first layer computes its input
    /// gradient only when `needsInputGradient` (a training step does not need it).
    public func backward(_ gradientOutput: Tensor, needsInputGradient: Bool) throws -> Tensor? {
        try Self.backward(through: layers, gradientOutput, needsInputGradient: needsInputGradient, owner: "Sequential")
    }

    // The chain-of-layers mechanics, shared by every container of layers (``Sequential`` and
    // the classifiers of TextClfTraining, whose layer list can change between epochs).

    /// Names each layer's parameters `layers.<index>.<local name>`.
    public static func prefixNames(of layers: [any Layer]) {
        for (index, layer) in layers.enumerated() {
            for parameter in layer.parameters { parameter.name = "layers.\(index).\(parameter.name)" }
        }
    }

    /// Every layer's buffers, named `layers.<index>.<name>`.
    public static func buffers(of layers: [any Layer]) -> [(name: String, value: Tensor)] {
        layers.enumerated().flatMap { index, layer in layer.buffers.map { ("layers.\(index).\($0.name)", $0.value) } }
    }

    /// Sets the buffer `layers.<index>.<name>` of a chain of layers.
    /// - Throws: ``LayerError/unknownBuffer(layer:name:)`` naming `owner` for a name that is not one.
    public static func setBuffer(_ name: String, to value: Tensor, in layers: [any Layer], owner: String) throws {
        let parts = name.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "layers", let index = Int(parts[1]), layers.indices.contains(index) else {
            throw LayerError.unknownBuffer(layer: owner, name: name)
        }
        try layers[index].setBuffer(String(parts[2]), to: value)
    }

    /// The backward pass of a chain of layers, last to first.
    /// - Parameter owner: The container's name, for the error when a middle layer returns no gradient.
    public static func backward(
        through layers: [any Layer], _ gradientOutput: Tensor, needsInputGradient: Bool, owner: @autoclosure () -> String
    ) throws -> Tensor? {
        var gradient: Tensor? = gradientOutput
        for index in layers.indices.reversed() {
            guard let current = gradient else {
                throw LayerError.invalid("\(owner()): layer \(index + 1) returned no input gradient, but it is not the first layer")
            }
            gradient = try layers[index].backward(current, needsInputGradient: index > 0 || needsInputGradient)
        }
        return gradient
    }
}
