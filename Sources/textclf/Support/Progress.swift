import Foundation
import TextClf

#if canImport(Glibc)
import Glibc
#endif

/// Progress lines on standard error and summary lines on standard output, both silenced
/// by `--quiet`.
/// Messages are built only when they are shown.
struct Progress {
    let quiet: Bool
    func line(_ message: @autoclosure () -> String) {
        if !quiet { printError(message()) }
    }
    func summary(_ message: @autoclosure () -> String) {
        if !quiet { print(message()) }
    }
}

/// A one-line progress bar on standard error, drawn only on a terminal.
final class ProgressBar {
    private let enabled: Bool
    private var lastDraw = DispatchTime.now().uptimeNanoseconds
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled && isatty(2) == 1 }

    func update(_ step: StepProgress) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || step.step == step.stepsPerEpoch else { return }
        lastDraw = now
        let width = 30
        let filled = step.stepsPerEpoch == 0 ? width : width * step.step / step.stepsPerEpoch
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        printError(
            String(format: "\repoch %ld [", step.epoch) + bar + String(format: "] %ld/%ld loss %.4f", step.step, step.stepsPerEpoch, step.loss),
            newline: false)
        drawn = true
    }

    func clear() {
        guard drawn else { return }
        printError("\r" + String(repeating: " ", count: 78) + "\r", newline: false)
        drawn = false
    }
}

extension Duration {
    /// The duration in seconds.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
