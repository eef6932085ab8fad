import Testing
import TextClfTensor

/// Flushing subnormal floats to zero (``CPUBackend/flushesSubnormals``).
@Suite("Subnormal floats", .serialized)
struct SubnormalTests {
    /// Whether this processor has a mode to flush them (x86-64 and AArch64 do).
    static let canFlush: Bool = {
        let was = CPUBackend.flushesSubnormals
        defer { CPUBackend.flushesSubnormals = was }
        CPUBackend.flushesSubnormals = true
        return CPUBackend.flushesSubnormals
    }()

    /// `a · b` elementwise through the CPU backend (not folded by the compiler).
    static func products(_ a: [Float], _ b: [Float]) throws -> [Float] {
        try CPUBackend.shared.binary(.multiply, Tensor(shape: [a.count], values: a), Tensor(shape: [b.count], values: b)).scalars
    }

    @Test(.enabled(if: canFlush, "this processor has no flush-to-zero mode; skipped"))
    func flushedInsideAndRestoredAfter() throws {
        let smallest = Float.leastNormalMagnitude
        let subnormal = smallest / 4
        #expect(subnormal.isSubnormal)
        let was = CPUBackend.flushesSubnormals
        defer { CPUBackend.flushesSubnormals = was }
        CPUBackend.flushesSubnormals = false
        // Kept: a result below the normal range, and a subnormal input.
        #expect(try Self.products([smallest, subnormal], [0.5, 1]) == [smallest / 2, subnormal])
        try CPUBackend.withSubnormalsFlushed { () throws -> Void in
            #expect(CPUBackend.flushesSubnormals)
            // Flushed: the result (flush-to-zero) and the input (denormals-are-zero).
            let flushed = try Self.products([smallest, subnormal, 3], [0.5, 1, 2])
            #expect(flushed == [0, 0, 6])
            CPUBackend.withSubnormalsFlushed { #expect(CPUBackend.flushesSubnormals) }
            #expect(CPUBackend.flushesSubnormals, "a nested call leaves the outer setting on")
        }
        #expect(!CPUBackend.flushesSubnormals, "the thread's own setting comes back")
        #expect(try Self.products([smallest], [0.5]) == [smallest / 2])
    }
}
