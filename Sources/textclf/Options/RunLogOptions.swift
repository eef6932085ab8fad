import ArgumentParser
import Foundation
import TextClf

/// Where a command records its run: `--run-log FILE` and `--no-run-log`.
struct RunLogOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The run log database (default: $TEXTCLF_RUN_LOG, else $XDG_DATA_HOME/textclf/runs.sqlite, else ~/.local/share/textclf/runs.sqlite).",
            valueName: "file"))
    var runLog: String?

    @Flag(help: "Do not record this run in the run log.")
    var noRunLog = false

    func validate() throws {
        if noRunLog && runLog != nil { throw ValidationError("give either --run-log or --no-run-log, not both") }
    }

    /// Begins recording a run of `command` (never fails: trouble with the log is one warning
    /// on standard error). The options are read from `parsed`, the command itself, by name.
    /// - Parameters:
    ///   - command: `train`, `cv` or `search`.
    ///   - parsed: the parsed command, whose options are recorded (see ``RunOptionValues``).
    ///   - data: a description of the data, if known yet.
    ///   - modelPath: the model folder or output path.
    func recorder(command: String, options parsed: some ParsableArguments, data: String? = nil, modelPath: String? = nil) -> RunRecorder {
        guard !noRunLog else { return .disabled() }
        return RunRecorder.begin(
            path: runLog, command: command, arguments: Array(CommandLine.arguments.dropFirst()),
            options: RunOptionValues.of(parsed), data: data, modelPath: modelPath)
    }
}

extension RunRecorder {
    /// Records how a command ended from the error it threw: `ExitCode(130)` and
    /// `CancellationError` as interrupted, other exit codes and errors as failed.
    func finish(throwing error: any Error, metrics: [String: Double] = [:]) {
        if let exit = error as? ExitCode {
            if exit.rawValue == 130 {
                finish(.interrupted, metrics: metrics, message: "interrupted")
            } else if exit.isSuccess {
                finish(.completed, metrics: metrics)
            } else {
                finish(.failed, metrics: metrics, message: "exit code \(exit.rawValue)")
            }
        } else if error is CancellationError {
            finish(.interrupted, metrics: metrics, message: "interrupted")
        } else {
            fail(error, metrics: metrics)
        }
    }
}

/// Every option, flag and argument of a parsed command, by its command-line name, as text:
/// `lr` → `0.01`, `validation-fraction` → `0.1`, `hidden` → `64,32`; option groups are
/// flattened and an unset optional is left out. The run log options themselves are skipped.
enum RunOptionValues {
    static func of(_ parsed: some ParsableArguments) -> [String: String] {
        var values: [String: String] = [:]
        collect(parsed, into: &values)
        return values
    }

    private static func collect(_ value: Any, into values: inout [String: String]) {
        if value is RunLogOptions { return }
        for child in Mirror(reflecting: value).children {
            guard let label = child.label, label.hasPrefix("_") else { continue }
            guard let parsed = Mirror(reflecting: child.value).children.first(where: { $0.label == "_parsedValue" })?.value,
                let inner = Mirror(reflecting: parsed).children.first(where: { $0.label == "value" })?.value
            else { continue }
            let typeName = String(describing: type(of: child.value))
            if typeName.hasPrefix("OptionGroup<") {
                collect(inner, into: &values)
            } else if let text = describe(inner) {
                values[kebab(String(label.dropFirst()))] = text
            }
        }
    }

    /// `value` as text; `nil` for an unset optional.
    static func describe(_ value: Any) -> String? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return describe(wrapped)
        }
        if let text = value as? String { return text }
        if mirror.displayStyle == .collection || mirror.displayStyle == .set {
            return mirror.children.compactMap { describe($0.value) }.joined(separator: ",")
        }
        if let raw = value as? any RawRepresentable { return String(describing: raw.rawValue) }
        return String(describing: value)
    }

    /// The options whose long name is not derived from their property's name (declared with
    /// `.customLong`): property name to command-line name.
    static let customNames = ["stages": "text", "applyFiles": "apply"]

    /// A property's name as the command line spells it, as ArgumentParser derives it: words
    /// split where a lowercase letter or digit meets an uppercase one, and before the last
    /// letter of a run of capitals that a lowercase letter follows; joined by `-` and
    /// lowercased. `validationFraction` → `validation-fraction`, `maxDF` → `max-df`,
    /// `noSmoothIDF` → `no-smooth-idf`, `stages` → `text` (``customNames``).
    static func kebab(_ name: String) -> String {
        if let custom = customNames[name] { return custom }
        let characters = Array(name)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase && index > 0 {
                let previous = characters[index - 1]
                let nextIsLowercase = index + 1 < characters.count && characters[index + 1].isLowercase
                if !previous.isUppercase || nextIsLowercase { result.append("-") }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}
