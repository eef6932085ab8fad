import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A live count of the documents a long pass has read (`train.tsv: 12000 documents`), redrawn
/// on one line of standard error at most every `interval` seconds and cleared at the end;
/// like ``ProgressBar``, for a terminal: its caller enables it when standard error is one.
final class DocumentCounter {
    private let label: String
    private let enabled: Bool
    private let interval: UInt64
    private let write: (String) -> Void
    private var count = 0
    private var lastDraw: UInt64 = 0
    private var width = 0

    /// - Parameters:
    ///   - label: what is being read, shown before the count.
    ///   - enabled: whether to draw at all.
    ///   - interval: the least time between two draws, in seconds.
    ///   - write: where the text goes (standard error, without a line end, by default).
    init(label: String, enabled: Bool, interval: Double = 0.1, write: @escaping (String) -> Void = { printError($0, newline: false) }) {
        self.label = label
        self.enabled = enabled
        self.interval = UInt64(max(0, interval) * 1e9)
        self.write = write
    }

    /// Counts one more document.
    func add() {
        count += 1
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw >= interval || lastDraw == 0 else { return }
        lastDraw = now
        let text = "\(label): \(count) documents"
        width = max(width, text.count)
        write("\r" + text)
    }

    /// Clears the line, if anything was drawn.
    func finish() {
        guard width > 0 else { return }
        write("\r" + String(repeating: " ", count: width) + "\r")
        width = 0
    }
}
