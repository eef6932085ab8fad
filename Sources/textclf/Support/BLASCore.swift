import COpenBLAS
import CTextClfKernels
import Foundation

/// Which OpenBLAS kernels `textclf` runs, and why.
///
/// OpenBLAS picks its kernels ("core") for the CPU when it starts, from a table of the
/// processor models it knows. An OpenBLAS older than the CPU may not know it and fall back
/// to generic x86-64 kernels (`Prescott`) on a CPU with AVX-512: the same products then take
/// about four times as long. So when the core OpenBLAS picked is made for fewer vector
/// instructions than the CPU has, `textclf` starts itself again, once, with
/// `OPENBLAS_CORETYPE` naming the kernels for what the CPU has: `SkylakeX` for AVX-512,
/// `Haswell` for AVX2 with FMA. An `OPENBLAS_CORETYPE` already in the environment wins and is
/// left alone (set it to choose the kernels yourself). `textclf info` shows the core in use
/// and why.
enum BLASCore {
    /// Vector instruction levels, in increasing order.
    enum Level: Int, Comparable, CustomStringConvertible {
        case baseline = 0, avx, avx2, avx512

        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        var description: String {
            switch self {
            case .baseline: "SSE only"
            case .avx: "AVX"
            case .avx2: "AVX2 and FMA"
            case .avx512: "AVX-512"
            }
        }
    }

    /// The variable that tells the process started again which core OpenBLAS had picked.
    static let detectedVariable = "TEXTCLF_OPENBLAS_DETECTED_CORE"

    /// The level this CPU supports.
    static var cpuLevel: Level { Level(rawValue: Int(textclf_cpu_vector_level())) ?? .baseline }

    /// The core OpenBLAS runs.
    static var current: String { String(cString: openblas_get_corename()) }

    /// The vector instructions an OpenBLAS x86 core's kernels are written for.
    static func level(ofCore core: String) -> Level {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen", "excavator": .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": .avx
        default: .baseline
        }
    }

    /// The core to run instead of `core` on a CPU of level `cpu`, or `nil` when `core` is
    /// made for what the CPU has (or the CPU has no AVX2).
    static func better(than core: String, cpu: Level) -> String? {
        guard cpu > level(ofCore: core) else { return nil }
        switch cpu {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx, .baseline: return nil
        }
    }

    /// Starts the process again with better kernels when OpenBLAS picked a core older than the
    /// CPU (see the type's documentation); returns when the kernels are the ones to keep, or
    /// when starting again fails.
    static func selectForCPU() {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return }
        let detected = current
        guard let core = better(than: detected, cpu: cpuLevel) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(detectedVariable, detected, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Not started again (no /proc): go on with OpenBLAS's own choice.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(detectedVariable)
    }

    /// A sentence for `textclf info`: the core and why it runs.
    static var explanation: String {
        let cpu = cpuLevel
        let core = current
        if let detected = getenv(detectedVariable).map({ String(cString: $0) }), getenv("OPENBLAS_CORETYPE") != nil {
            return "\(core) (chosen by textclf: OpenBLAS picked \(detected), which is made for less than this CPU's \(cpu))"
        }
        if let forced = getenv("OPENBLAS_CORETYPE").map({ String(cString: $0) }) {
            return "\(core) (OPENBLAS_CORETYPE=\(forced) in the environment; the CPU has \(cpu))"
        }
        return "\(core) (OpenBLAS's choice; the CPU has \(cpu))"
    }
}
