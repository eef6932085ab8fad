import Dispatch
import Foundation
import TextClf

#if canImport(Glibc)
import Glibc
#endif

/// Stops training cleanly on Ctrl-C: the first SIGINT sets the trainer's flag (it stops after
/// the current batch and the command saves a checkpoint); a second one ends the process.
final class InterruptHandler {
    private let source: DispatchSourceSignal

    /// Begins handling SIGINT.
    /// - Parameters:
    ///   - message: what the first Ctrl-C prints.
    ///   - onInterrupt: called on the first Ctrl-C.
    init(
        message: String = "interrupted: stopping after the current batch and saving a checkpoint (Ctrl-C again to quit now)",
        _ onInterrupt: @escaping @Sendable () -> Void
    ) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let counter = InterruptCounter()
        source.setEventHandler {
            if counter.increment() > 1 { exit(130) }
            printError("\n" + message)
            onInterrupt()
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// The Ctrl-Cs an ``InterruptHandler`` has seen.
final class InterruptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}

/// Stops a group of trainers at once: Ctrl-C in `cv` and `search` reaches every trainer that
/// is running, and one registered after the stop begins stopped.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [CancellationFlag] = []
    private var stopped = false

    /// Whether a stop was requested.
    var isSet: Bool { lock.withLock { stopped } }

    /// Requests a stop of every registered trainer.
    func set() {
        let current = lock.withLock {
            stopped = true
            return flags
        }
        for flag in current { flag.set() }
    }

    /// Makes `flag` follow this signal.
    func register(_ flag: CancellationFlag) {
        let already = lock.withLock {
            flags.append(flag)
            return stopped
        }
        if already { flag.set() }
    }
}
