import Foundation

/// Shares a value across worker threads; the caller guarantees that they only read it, or write
/// disjoint parts.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Calls `body(0)`, …, `body(parts - 1)`, on the calling thread when `parts` is 1 and on
/// Dispatch's worker threads otherwise; returns when every call has.
func runInParallel(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 {
        if parts == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: parts) { box.value($0) }
    }
}
