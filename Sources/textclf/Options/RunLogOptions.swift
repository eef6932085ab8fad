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

    /// Runs `body` as a run of `command` in the log (trouble with the log is one warning on
    /// standard error, never a failure), with the metrics `body` sets: completed when it
    /// returns; when it throws, interrupted for `ExitCode(130)` and `CancellationError`,
    /// failed for other errors and exit codes.
    /// - Parameters:
    ///   - command: `train`, `cv` or `search`.
    ///   - parsed: the parsed command, whose options are recorded (see ``RunOptionValues``).
    ///   - modelPath: the model folder or output path.
    func record(
        command: String, options parsed: some ParsableArguments, modelPath: String? = nil,
        _ body: (RunRecorder, inout [String: Double]) throws -> Void
    ) throws {
        let recorder = noRunLog ? .disabled() : RunRecorder.begin(
            path: runLog, command: command, arguments: Array(CommandLine.arguments.dropFirst()),
            options: RunOptionValues.of(parsed), modelPath: modelPath)
        var metrics: [String: Double] = [:]
        do {
            try body(recorder, &metrics)
            recorder.finish(.completed, metrics: metrics)
        } catch {
            let exit = error as? ExitCode
            if exit?.rawValue == 130 || error is CancellationError {
                recorder.finish(.interrupted, metrics: metrics, message: "interrupted")
            } else if let exit {
                recorder.finish(exit.isSuccess ? .completed : .failed, metrics: metrics, message: exit.isSuccess ? nil : "exit code \(exit.rawValue)")
            } else {
                recorder.fail(error, metrics: metrics)
            }
            throw error
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
