import TextClfTensor

/// Updates parameters from their gradients, the way `torch.optim` does.
///
/// Hyperparameters are plain properties that may change between steps (a schedule sets
/// ``learningRate``). State (moment estimates, momentum buffers, step counts) is kept per
/// parameter, keyed by `ObjectIdentifier(parameter)`; the optimizer holds a strong
/// reference to every parameter it has state for, so an identifier is never reused while
/// its state lives. Every update is one fused ``ElementwiseKernel`` run by the parameter's
/// backend (`backend.apply(kernel, to:)`), so a GPU backend runs optimizers on the device.
///
/// Conventions shared by all optimizers:
/// - A parameter with neither a dense nor a sparse gradient is skipped (as PyTorch skips
///   `grad is None`); its state, step count included, does not advance.
/// - The gradient used is ``Parameter/denseGradient()`` (dense + densified row-sparse),
///   except for plain SGD with sparse-only gradients (see ``SGD``), which updates only the
///   touched rows.
/// - A NaN or infinite gradient value throws ``TensorError/nonFinite(what:index:)`` with
///   `what` = `gradient of <parameter name>`, before anything is updated for that parameter.
/// - Penalties: `l1` adds `l1 · sign(θ)` and `l2` adds `l2 · θ` to the gradient before the
///   optimizer's own arithmetic (they are the gradients of `l1 · Σ|θ|` and `l2/2 · Σθ²`).
///   PyTorch has no L1; `l2` equals PyTorch's coupled `weight_decay`. Penalties and
///   `weightDecay` apply only to parameters with ``Parameter/isPenalized`` (weights, not
///   biases) — the equivalent of a PyTorch parameter group with `weight_decay = 0` for the
///   unpenalised ones.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step.
    var learningRate: Float { get set }
    /// Updates each parameter from its gradient (it does not clear the gradients).
    /// - Throws: ``TensorError/nonFinite(what:index:)`` naming a parameter whose gradient
    ///   holds NaN or infinity; ``TensorError/invalid(_:)`` for invalid hyperparameters.
    func step(_ parameters: [Parameter]) throws
    /// Forgets all per-parameter state, as if freshly created.
    func resetState()
    /// The per-parameter state (auxiliary tensors and step counts) of `parameters`, keyed by
    /// parameter name, for a checkpoint that resumes exactly.
    func stateDictionary(for parameters: [Parameter]) -> [String: OptimizerParameterState]
    /// Restores state saved by ``stateDictionary(for:)`` onto `parameters` (matched by name).
    /// - Throws: ``TensorError/shapeMismatch(operation:shapes:)`` if a saved tensor does not fit
    ///   its parameter.
    func loadStateDictionary(_ state: [String: OptimizerParameterState], for parameters: [Parameter]) throws
}

/// One parameter's optimizer state: its step count and auxiliary tensors, in the order of the
/// optimizer's kernel (e.g. Adam's first and second moments).
public struct OptimizerParameterState: Sendable, Equatable {
    /// Steps taken for this parameter.
    public var step: Int
    /// The auxiliary tensors, each of the parameter's shape.
    public var tensors: [Tensor]

    /// Creates a saved state.
    public init(step: Int, tensors: [Tensor]) {
        self.step = step
        self.tensors = tensors
    }
}

/// The per-parameter state of an optimizer (its ``SlotTable``) and the ``Optimizer``
/// requirements that only clear, save or restore it; the optimizers here inherit them.
public class OptimizerState {
    var state = SlotTable()

    /// Forgets all per-parameter state, as if freshly created.
    public func resetState() { state.removeAll() }

    /// The per-parameter state of `parameters`, keyed by parameter name.
    public func stateDictionary(for parameters: [Parameter]) -> [String: OptimizerParameterState] {
        state.export(parameters)
    }

    /// Restores state saved by ``stateDictionary(for:)`` onto `parameters` (matched by name).
    public func loadStateDictionary(_ saved: [String: OptimizerParameterState], for parameters: [Parameter]) throws {
        try state.load(saved, parameters)
    }
}

/// Per-parameter optimizer state: the auxiliary tensors of a kernel and the step count.
final class OptimizerSlots {
    let parameter: Parameter
    var tensors: [Tensor]
    var step = 0

    init(parameter: Parameter, count: Int) {
        self.parameter = parameter
        tensors = (0..<count).map { _ in Tensor.zeros(parameter.value.shape, device: parameter.value.device) }
    }

    /// Adds zero tensors until there are `count` (a hyperparameter switched momentum on).
    @inline(__always)
    func grow(to count: Int) {
        while tensors.count < count {
            tensors.append(Tensor.zeros(parameter.value.shape, device: parameter.value.device))
        }
    }
}

/// Per-parameter state storage keyed by identity.
///
/// Optimizers ask for the slots of the same parameters in the same order step after step,
/// so the table remembers that order and checks the next expected entry (one identity
/// comparison) before it hashes.
struct SlotTable {
    private var table: [ObjectIdentifier: OptimizerSlots] = [:]
    /// The slots in the order they were last asked for, and the position of the next one.
    private var recent: [OptimizerSlots] = []
    private var next = 0

    /// The state of `parameter`, created with `count` zero tensors on first use; a table whose
    /// tensor count changed (a hyperparameter switched momentum on) gets the missing ones.
    mutating func slots(for parameter: Parameter, count: Int) -> OptimizerSlots {
        if next == recent.count { next = 0 }
        if next < recent.count, recent[next].parameter === parameter {
            let found = recent[next]
            next += 1
            found.grow(to: count)
            return found
        }
        let key = ObjectIdentifier(parameter)
        let found: OptimizerSlots
        if let existing = table[key] {
            found = existing
            found.grow(to: count)
        } else {
            found = OptimizerSlots(parameter: parameter, count: count)
            table[key] = found
        }
        // Another order than last time: continue the remembered sequence after this entry.
        if let position = recent.firstIndex(where: { $0 === found }) {
            next = position + 1
        } else {
            recent.append(found)
            next = recent.count
        }
        return found
    }

    /// The state of `parameter`, if any.
    func existing(_ parameter: Parameter) -> OptimizerSlots? { table[ObjectIdentifier(parameter)] }

    mutating func removeAll() {
        table.removeAll()
        recent.removeAll()
        next = 0
    }

    /// The state of each of `parameters` that has any, keyed by name.
    func export(_ parameters: [Parameter]) -> [String: OptimizerParameterState] {
        var result: [String: OptimizerParameterState] = [:]
        for parameter in parameters {
            if let slots = existing(parameter) {
                result[parameter.name] = OptimizerParameterState(step: slots.step, tensors: slots.tensors)
            }
        }
        return result
    }

    /// Replaces the state of `parameters` with the saved entries of the same names.
    mutating func load(_ saved: [String: OptimizerParameterState], _ parameters: [Parameter]) throws {
        removeAll()
        for parameter in parameters {
            guard let entry = saved[parameter.name] else { continue }
            for tensor in entry.tensors where tensor.shape != parameter.value.shape {
                throw TensorError.shapeMismatch(
                    operation: "optimizer state of \(parameter.name)", shapes: [parameter.value.shape, tensor.shape])
            }
            let slots = self.slots(for: parameter, count: 0)
            slots.tensors = entry.tensors.map { $0.to(parameter.value.device) }
            slots.step = entry.step
        }
    }
}

extension Parameter {
    /// Whether the parameter has any gradient to apply.
    var hasGradient: Bool { gradient != nil || sparseGradient != nil }

    /// The dense gradient, checked finite, with the L1/L2 penalties added when the parameter
    /// is penalised. Does not modify ``gradient``.
    func penalizedGradient(l1: Float, l2: Float) throws -> Tensor {
        try checkGradientFinite()
        var result = denseGradient()
        guard l1 != 0 || l2 != 0, isPenalized else { return result }
        if l1 != 0 { result = try penalize(result, .l1(strength: l1)) }
        if l2 != 0 { result = try penalize(result, .l2(strength: l2)) }
        return result
    }

    /// ``penalizedGradient(l1:l2:)``, or `nil` when the parameter has no gradient (as
    /// ``hasGradient``).
    func penalizedGradientIfAny(l1: Float, l2: Float) throws -> Tensor? {
        hasGradient ? try penalizedGradient(l1: l1, l2: l2) : nil
    }

    /// `kernel` (a penalty) run on `[gradient, value]`; `gradient` is copied first if shared.
    private func penalize(_ gradient: Tensor, _ kernel: ElementwiseKernel) throws -> Tensor {
        var tensors = [gradient, value]
        try value.device.backend.apply(kernel, to: &tensors)
        return tensors[0]
    }

    /// Runs `kernel` on `[value, gradient]` followed by the `slots` at `indices`, in place,
    /// storing the results back.
    ///
    /// The tensors are swapped into the operand list (``kernelOperands``, kept between updates
    /// and holding ``Tensor/placeholder``s in between) and swapped back afterwards, so while
    /// the kernel runs the parameter and those slots hold placeholders, the kernel's tensors
    /// are the only references to their storage and it writes without copying. (A backend
    /// checks shapes before it writes, so on error the tensors are as they were.)
    func update<Indices: Collection<Int>>(
        _ kernel: ElementwiseKernel, gradient: Tensor, slots: inout [Tensor], taking indices: Indices
    ) throws {
        var tensors = kernelOperands
        kernelOperands = []
        if tensors.count != 2 + indices.count {
            tensors = [Tensor](repeating: .placeholder, count: 2 + indices.count)
        }
        swap(&tensors[0], &value)
        tensors[1] = gradient
        for (position, index) in indices.enumerated() { swap(&tensors[2 + position], &slots[index]) }
        defer {
            swap(&tensors[0], &value)
            tensors[1] = .placeholder
            for (position, index) in indices.enumerated() { swap(&tensors[2 + position], &slots[index]) }
            kernelOperands = tensors
        }
        try tensors[0].device.backend.apply(kernel, to: &tensors)
    }
}

/// Checks a hyperparameter, throwing ``TensorError/invalid(_:)`` with `message` if false.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw TensorError.invalid(message()) }
}
