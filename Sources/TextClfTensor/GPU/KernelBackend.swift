import Foundation

/// A tensor's values in a device's memory.
final class KernelMemory: DeviceMemory, Sendable {
    let buffer: DeviceBuffer
    let runtime: any KernelRuntime
    let count: Int

    init(buffer: DeviceBuffer, runtime: any KernelRuntime, count: Int) {
        self.buffer = buffer
        self.runtime = runtime
        self.count = count
    }

    func read() -> [Float] {
        do { return try runtime.read(buffer) } catch { fatalError("\(runtime.device): \(error)") }
    }
}

/// The backend of a device that runs the kernels of ``DeviceKernelSource`` (`opencl:N`,
/// `cuda:N`): tensors live in the device's memory, and every operation launches kernels
/// through the device's ``KernelRuntime``, doing the reference's arithmetic in the
/// reference's order. Dense products go to the vendor's BLAS where the runtime has one
/// (cuBLAS), and to the `gemm` kernel elsewhere.
///
/// Operands must be on this device (``TensorError/deviceMismatch(operation:devices:)``
/// otherwise). Index arrays, CSR batches and class targets come from the host and are copied
/// for the operation; results come back to the host only when asked for (``Tensor/scalars``,
/// ``argmaxRows(_:)``, a loss value). A device that runs out of memory stops the program
/// with the size it could not allocate.
public struct KernelBackend: Backend {
    let runtime: any KernelRuntime

    /// The backend of `device`, an OpenCL or CUDA device, its kernels built on first use.
    /// - Throws: ``OpenCLError`` or ``CUDAError`` when there is no such device, its driver is
    ///   missing (saying what to install) or the kernels do not build; ``TensorError`` for a
    ///   host device.
    public static func open(_ device: Device) throws -> KernelBackend {
        switch device {
        case .opencl(let ordinal): KernelBackend(runtime: try OpenCLContext.shared(ordinal: ordinal))
        case .cuda(let ordinal): KernelBackend(runtime: try CUDAContext.shared(ordinal: ordinal))
        case .cpu, .reference: throw TensorError.invalid("\(device) keeps its tensors in host memory; it has no kernel backend")
        }
    }

    public var device: Device { runtime.device }

    public func upload(_ values: UnsafeBufferPointer<Float>) -> any DeviceMemory {
        KernelMemory(
            buffer: allocating { try runtime.buffer(bytes: values.count * MemoryLayout<Float>.stride, values: UnsafeRawPointer(values.baseAddress)) },
            runtime: runtime, count: values.count)
    }

    // MARK: Buffers

    private func allocating(_ body: () throws -> DeviceBuffer) -> DeviceBuffer {
        do { return try body() } catch { fatalError("\(device): \(error)") }
    }

    /// The device buffer of `tensor`, which must be on this device.
    private func buffer(_ tensor: Tensor, _ operation: String) throws -> DeviceBuffer {
        guard tensor.device == device, let memory = tensor.memory as? KernelMemory, memory.runtime === runtime else {
            throw TensorError.deviceMismatch(operation: operation, devices: [tensor.device, device])
        }
        return memory.buffer
    }

    /// A new tensor of `shape` on this device and its buffer (values not yet written).
    private func output(_ shape: [Int]) -> (tensor: Tensor, buffer: DeviceBuffer) {
        let count = shape.reduce(1, *)
        let buffer = allocating { try runtime.buffer(floats: count) }
        return (Tensor(shape: shape, device: device, memory: KernelMemory(buffer: buffer, runtime: runtime, count: count)), buffer)
    }

    /// The buffer of `tensor`, made its own first when another tensor shares it (copy on write).
    private func writable(_ tensor: inout Tensor, _ operation: String) throws -> DeviceBuffer {
        let shared = try buffer(tensor, operation)
        if var memory = tensor.memory as? KernelMemory {
            tensor.memory = nil
            let unique = isKnownUniquelyReferenced(&memory)
            tensor.memory = memory
            if unique { return shared }
        }
        let (copy, buffer) = output(tensor.shape)
        try runtime.launch("copy_or_zero", count: tensor.count, [.int64(tensor.count), .int32(1), .buffer(shared), .buffer(buffer)])
        tensor = copy
        return buffer
    }

    private func indices(_ values: [Int]) -> DeviceBuffer {
        allocating { try runtime.buffer(values.map(Int64.init)) }
    }

    private func check(_ condition: Bool, _ operation: String, _ shapes: [Int]...) throws {
        if !condition { throw TensorError.shapeMismatch(operation: operation, shapes: shapes) }
    }

    // MARK: Products

    public func gemm(
        _ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, alpha: Float, beta: Float, into c: inout Tensor
    ) throws {
        let (m, k, n) = try gemmDimensions(a, transposeA: transposeA, b, transposeB: transposeB, c)
        let (ab, bb) = (try buffer(a, "gemm"), try buffer(b, "gemm"))
        let cb = try writable(&c, "gemm")
        guard m > 0 && n > 0 else { return }
        if try runtime.vendorGEMM(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: ab, lda: a.shape[1], b: bb,
            ldb: b.shape[1], beta: beta, c: cb)
        {
            return
        }
        try runtime.launch(
            "gemm", count: m * n,
            [.int32(transposeA ? 1 : 0), .int32(transposeB ? 1 : 0), .int64(m), .int64(n), .int64(k), .int64(a.shape[1]),
             .int64(b.shape[1]), .float(alpha), .float(beta), .buffer(ab), .buffer(bb), .buffer(cb)])
    }

    public func gemv(_ a: Tensor, transpose: Bool, _ x: Tensor, alpha: Float, beta: Float, into y: inout Tensor) throws {
        try check(a.rank == 2, "gemv", a.shape, x.shape, y.shape)
        let (m, n) = transpose ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        try check(x.count == n && y.count == m, "gemv", a.shape, x.shape, y.shape)
        let (ab, xb) = (try buffer(a, "gemv"), try buffer(x, "gemv"))
        let yb = try writable(&y, "gemv")
        // y as an [m, 1] GEMM of op(a) and x as [n, 1].
        try runtime.launch(
            "gemm", count: m,
            [.int32(transpose ? 1 : 0), .int32(0), .int64(m), .int64(1), .int64(n), .int64(a.shape[1]), .int64(1),
             .float(alpha), .float(beta), .buffer(ab), .buffer(xb), .buffer(yb)])
    }

    // MARK: Element-wise

    public func unary(_ operation: UnaryOperation, _ x: Tensor) -> Tensor {
        let (code, parameter) = DeviceKernelSource.code(operation)
        let (out, ob) = output(x.shape)
        do {
            try runtime.launch(
                "unary_forward", count: x.count, [.int32(code), .float(parameter), .buffer(try buffer(x, "unary")), .buffer(ob), .int64(x.count)])
        } catch { fatalError("\(device) unary \(operation): \(error)") }
        return out
    }

    public func unaryBackward(_ operation: UnaryOperation, input: Tensor, output y: Tensor, gradient: Tensor) throws -> Tensor {
        try check(input.shape == y.shape && input.shape == gradient.shape, "unaryBackward", input.shape, y.shape, gradient.shape)
        let (code, parameter) = DeviceKernelSource.code(operation)
        let (out, ob) = output(input.shape)
        try runtime.launch(
            "unary_backward", count: input.count,
            [.int32(code), .float(parameter), .buffer(try buffer(input, "unaryBackward")), .buffer(try buffer(y, "unaryBackward")),
             .buffer(try buffer(gradient, "unaryBackward")), .buffer(ob), .int64(input.count)])
        return out
    }

    public func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let mode: Int32
        if b.shape == a.shape {
            mode = 0
        } else if b.count == 1 {
            mode = 1
        } else if a.rank == 2, b.count == a.columns, b.rank == 1 || b.rows == 1 {
            mode = 2
        } else {
            throw TensorError.shapeMismatch(operation: "binary \(operation)", shapes: [a.shape, b.shape])
        }
        let (out, ob) = output(a.shape)
        try runtime.launch(
            "binary", count: a.count,
            [.int32(DeviceKernelSource.code(operation)), .int32(mode), .int64(a.columns), .buffer(try buffer(a, "binary")),
             .buffer(try buffer(b, "binary")), .buffer(ob), .int64(a.count)])
        return out
    }

    public func axpy(_ alpha: Float, _ x: Tensor, _ y: inout Tensor) throws {
        try check(x.shape == y.shape, "axpy", x.shape, y.shape)
        let xb = try buffer(x, "axpy")
        let yb = try writable(&y, "axpy")
        try runtime.launch("axpy", count: y.count, [.float(alpha), .buffer(xb), .buffer(yb), .int64(y.count)])
    }

    public func apply(_ kernel: ElementwiseKernel, to tensors: inout [Tensor]) throws {
        guard tensors.count == kernel.arity, let shape = tensors.first?.shape, tensors.allSatisfy({ $0.shape == shape }) else {
            throw TensorError.shapeMismatch(operation: "kernel \(kernel)", shapes: tensors.map(\.shape))
        }
        var buffers: [DeviceBuffer] = []
        for index in tensors.indices {
            buffers.append(
                index == ElementwiseKernel.readOnlyIndex ? try buffer(tensors[index], "kernel") : try writable(&tensors[index], "kernel"))
        }
        try runtime.run(kernel, on: buffers, count: tensors[0].count)
    }

    // MARK: Rows and reductions

    public func sum(_ x: Tensor, axis: Int?) throws -> Tensor {
        let xb = try buffer(x, "sum")
        switch axis {
        case nil:
            let (out, ob) = output([1])
            try runtime.launch("sum_all", count: 1, [.int64(x.count), .buffer(xb), .buffer(ob)])
            return out
        case 0?, 1?:
            try check(x.rank == 2, "sum(axis: \(axis!))", x.shape)
            let columns = axis == 0
            let (out, ob) = output([columns ? x.columns : x.rows])
            try runtime.launch(
                columns ? "sum_columns" : "sum_rows", count: columns ? x.columns : x.rows,
                [.int64(x.rows), .int64(x.columns), .buffer(xb), .buffer(ob)])
            return out
        default:
            throw TensorError.invalid("sum: axis must be 0, 1 or nil (got \(axis!))")
        }
    }

    public func argmaxRows(_ x: Tensor) -> [Int] {
        do {
            let out = try runtime.buffer(bytes: x.rows * 8)
            try runtime.launch("argmax_rows", count: x.rows, [.int64(x.rows), .int64(x.columns), .buffer(try buffer(x, "argmaxRows")), .buffer(out)])
            return try runtime.read(out, as: Int64.self).map(Int.init)
        } catch { fatalError("\(device) argmaxRows: \(error)") }
    }

    public func firstNonFinite(_ x: Tensor) -> Int? {
        // One work item per block of values, at most 4,096 blocks: a few kilobytes come back.
        let block = Swift.max(1024, (x.count + 4095) / 4096)
        let blocks = (x.count + block - 1) / block
        do {
            let out = try runtime.buffer(bytes: blocks * 8)
            try runtime.launch("first_nonfinite", count: blocks, [.int64(x.count), .int64(block), .buffer(try buffer(x, "firstNonFinite")), .buffer(out)])
            return try runtime.read(out, as: Int64.self).first { $0 >= 0 }.map(Int.init)
        } catch { fatalError("\(device) firstNonFinite: \(error)") }
    }

    private func rowwise(_ name: String, _ x: Tensor) -> Tensor {
        let (out, ob) = output(x.shape)
        do {
            try runtime.launch(name, count: x.rows, [.int64(x.rows), .int64(x.columns), .buffer(try buffer(x, name)), .buffer(ob)])
        } catch { fatalError("\(device) \(name): \(error)") }
        return out
    }

    public func softmaxRows(_ x: Tensor) -> Tensor { rowwise("softmax_rows", x) }

    public func logSoftmaxRows(_ x: Tensor) -> Tensor { rowwise("log_softmax_rows", x) }

    public func gatherRows(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        try check(indices.allSatisfy { (0..<x.rows).contains($0) }, "gatherRows", x.shape, [indices.count])
        let (out, ob) = output([indices.count] + x.shape.dropFirst())
        try runtime.launch(
            "gather_rows", count: indices.count * x.columns,
            [.int64(indices.count), .int64(x.columns), .buffer(try buffer(x, "gatherRows")), .buffer(self.indices(indices)), .buffer(ob)])
        return out
    }

    /// Adds `rows[p]` to `x[targets[p]]`, grouping equal targets so that each place is
    /// written by one work item, adding in position order.
    private func scatterAdd(_ rows: DeviceBuffer, targets: [Int], columns: Int, into xb: DeviceBuffer) throws {
        var positions = [Int](targets.indices)
        positions.sort { (targets[$0], $0) < (targets[$1], $1) }
        var groupTargets: [Int] = []
        var starts: [Int] = []
        for (index, position) in positions.enumerated() where index == 0 || targets[position] != targets[positions[index - 1]] {
            groupTargets.append(targets[position])
            starts.append(index)
        }
        starts.append(positions.count)
        try runtime.launch(
            "scatter_add_rows", count: groupTargets.count * columns,
            [.int64(groupTargets.count), .int64(columns), .buffer(indices(groupTargets)), .buffer(indices(starts)), .buffer(indices(positions)),
             .buffer(rows), .buffer(xb)])
    }

    public func scatterAddRows(_ rows: Tensor, _ indices: [Int], into x: inout Tensor) throws {
        try check(rows.rows == indices.count && rows.columns == x.columns && indices.allSatisfy { (0..<x.rows).contains($0) },
                  "scatterAddRows", rows.shape, [indices.count], x.shape)
        let rb = try buffer(rows, "scatterAddRows")
        let xb = try writable(&x, "scatterAddRows")
        guard !indices.isEmpty else { return }
        try scatterAdd(rb, targets: indices, columns: x.columns, into: xb)
    }

    public func densify(_ sparse: RowSparseTensor, adding dense: Tensor?, into x: inout Tensor) throws {
        try check(x.rank == 2 && x.rows == sparse.rowCount && (sparse.rowIndices.isEmpty || sparse.values.columns == x.columns)
                  && dense.map { $0.shape == x.shape } ?? true, "densify", [sparse.rowCount], dense?.shape ?? [], x.shape)
        let base = try dense.map { try buffer($0, "densify") }
        let xb = try writable(&x, "densify")
        try runtime.launch("copy_or_zero", count: x.count, [.int64(x.count), .int32(base == nil ? 0 : 1), .buffer(base ?? xb), .buffer(xb)])
        guard !sparse.rowIndices.isEmpty else { return }
        try scatterAdd(try buffer(sparse.values, "densify"), targets: sparse.rowIndices, columns: x.columns, into: xb)
    }

    // MARK: Sparse products

    /// The CSR arrays a product with `x` reads on the device, their row pointers on the host,
    /// and the row of those arrays each row of `x` is: the device's copy of the matrix `x`
    /// was batched from (``CSRMatrix/batch(_:)``) when that fits ``KernelRuntime/residentBytes``,
    /// uploaded at its first batch; else `x`'s own arrays, uploaded now.
    private func deviceRows(_ x: CSRMatrix) throws -> (arrays: DeviceCSR, rowPointers: [Int], rows: [Int]) {
        if let origin = x.origin, origin.deviceBytes <= runtime.residentBytes {
            let arrays = try origin.identity.copy(on: runtime) {
                try DeviceCSR(rowPointers: origin.rowPointers, columnIndices: origin.columnIndices, values: origin.values, on: runtime)
            }
            return (arrays, origin.rowPointers, origin.rows)
        }
        let arrays = try DeviceCSR(rowPointers: x.rowPointers, columnIndices: x.columnIndices, values: x.values, on: runtime)
        return (arrays, x.rowPointers, Array(0..<x.rowCount))
    }

    public func sparseMultiply(_ x: CSRMatrix, _ w: Tensor) throws -> Tensor {
        try check(w.rank == 2 && w.rows == x.columnCount, "sparseMultiply", [x.rowCount, x.columnCount], w.shape)
        let n = w.columns
        let (out, ob) = output([x.rowCount, n])
        guard x.rowCount * n > 0 else { return out }
        let (arrays, _, rows) = try deviceRows(x)
        try runtime.launch(
            "sparse_multiply", count: x.rowCount * n,
            [.int64(x.rowCount), .int64(n), .buffer(indices(rows)), .buffer(arrays.rowPointers), .buffer(arrays.columnIndices),
             .buffer(arrays.values), .buffer(try buffer(w, "sparseMultiply")), .buffer(ob)])
        return out
    }

    public func sparseTransposedMultiply(_ x: CSRMatrix, _ g: Tensor) throws -> RowSparseTensor {
        try check(g.rank == 2 && g.rows == x.rowCount, "sparseTransposedMultiply", [x.rowCount, x.columnCount], g.shape)
        let n = g.columns
        let (arrays, sourcePointers, sourceRows) = try deviceRows(x)
        // The entries grouped by column (a counting sort), rows increasing within each; each
        // entry given by its row of g and its place in the device's values.
        var counts = [Int](repeating: 0, count: x.columnCount + 1)
        for column in x.columnIndices { counts[Int(column) + 1] += 1 }
        for column in 0..<x.columnCount { counts[column + 1] += counts[column] }
        var next = counts
        var entryRows = [Int](repeating: 0, count: x.storedCount)
        var entrySources = [Int](repeating: 0, count: x.storedCount)
        for row in 0..<x.rowCount {
            let first = x.rowPointers[row], source = sourcePointers[sourceRows[row]]
            for entry in x.entries(ofRow: row) {
                let column = Int(x.columnIndices[entry])
                entryRows[next[column]] = row
                entrySources[next[column]] = source + entry - first
                next[column] += 1
            }
        }
        var touched: [Int] = []
        var starts: [Int] = []
        for column in 0..<x.columnCount where counts[column + 1] > counts[column] {
            touched.append(column)
            starts.append(counts[column])
        }
        starts.append(x.storedCount)
        let (out, ob) = output([touched.count, n])
        try runtime.launch(
            "sparse_transposed_multiply", count: touched.count * n,
            [.int64(touched.count), .int64(n), .buffer(indices(starts)), .buffer(indices(entryRows)), .buffer(indices(entrySources)),
             .buffer(arrays.values), .buffer(try buffer(g, "sparseTransposedMultiply")), .buffer(ob)])
        return RowSparseTensor(rowCount: x.columnCount, rowIndices: touched, values: out)
    }

    // MARK: Loss

    public func softmaxCrossEntropy(_ logits: Tensor, targets: [Int], weights: [Float], divisor: Float) throws -> (value: Float, gradient: Tensor) {
        let (rows, classes) = try softmaxCrossEntropyShape(logits, targets: targets, weights: weights)
        let (gradient, gb) = output(logits.shape)
        let terms = allocating { try runtime.buffer(floats: rows) }
        try runtime.launch(
            "softmax_cross_entropy", count: rows,
            [.int64(rows), .int64(classes), .buffer(try buffer(logits, "softmaxCrossEntropy")), .buffer(indices(targets)),
             .buffer(allocating { try runtime.buffer(weights) }), .int32(divisor != 1 ? 1 : 0), .float(1 / divisor), .buffer(gb), .buffer(terms)])
        let value = -(try runtime.read(terms).reduce(0, +)) / divisor
        return (value, gradient)
    }
}
