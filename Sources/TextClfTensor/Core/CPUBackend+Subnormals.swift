import CTextClfKernels

extension CPUBackend {
    /// Whether the calling thread flushes subnormal floats to zero (flush-to-zero for results,
    /// denormals-are-zero for inputs), as PyTorch's `torch.set_flush_denormal(True)` does.
    ///
    /// Arithmetic on subnormals (magnitudes below about 1.2e-38) takes tens to hundreds of
    /// cycles on x86 processors. Training makes them: Adam's moments for rarely touched rows
    /// (the weights of rare terms) decay towards zero step after step, and every later update
    /// of those rows then runs at that speed. Values that small change no prediction, so
    /// training and inference run with flushing on: `textclf` turns it on for the process at
    /// start (``prepare()``, before OpenBLAS starts its worker threads, which inherit it), and
    /// `Trainer` for the thread that trains, for the length of a run.
    ///
    /// Setting it affects the calling thread and the threads it creates afterwards. On
    /// processors without such a mode it stays `false`.
    public static var flushesSubnormals: Bool {
        get { textclf_flushes_subnormals() != 0 }
        set { _ = textclf_set_flush_subnormals(newValue ? 1 : 0) }
    }

    /// Runs `body` with ``flushesSubnormals`` on for the calling thread, then restores the
    /// thread's earlier setting.
    public static func withSubnormalsFlushed<Result>(_ body: () throws -> Result) rethrows -> Result {
        let was = textclf_set_flush_subnormals(1) != 0
        defer { if !was { _ = textclf_set_flush_subnormals(0) } }
        return try body()
    }
}
