import ArgumentParser
import Foundation
import Synchronization
import TextClfTensor

/// `--pipeline FILE`: the option group that `train`, `cv` and `search` declare, so that their
/// help documents it. ``PipelineExpansion`` has already replaced the file by its arguments when
/// the command parses; the value is kept for the command to report.
struct PipelineOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A pipeline file (YAML) with the run's settings; options given on the command line override it.",
            discussion: "See pipelines/README.md for the keys. Relative paths in the file resolve against its folder.",
            valueName: "file"))
    var pipeline: String?
}

/// The rewrite of the command line that runs before parsing: `textclf train --pipeline FILE
/// [options]` becomes `textclf train <the file's arguments> [options]`.
///
/// The file's arguments come first and the command line's after them. An option given on the
/// command line replaces the file's value altogether (and its exclusive partner:
/// `--validation` replaces `validation-fraction` and the other way round; `--batch-norm` and
/// `--layer-norm` likewise); a TRAIN argument on the command line replaces `data.train`.
struct PipelineExpansion {
    /// The subcommands that take `--pipeline`.
    static let subcommands = ["train", "cv", "search"]

    /// The arguments ``main(_:)`` parsed (the subcommand's name first), once parsing is done:
    /// `textclf search` builds each trial's `train` arguments from them.
    nonisolated(unsafe) static var parsedArguments: [String]?

    /// The arguments to parse.
    let arguments: [String]
    /// The pipeline file, when there is one.
    let file: PipelineFile?
    /// The file's settings that made it into ``arguments``.
    let kept: [PipelineFile.Setting]

    /// Expands the pipeline named in `arguments` (the command line without the program name).
    ///
    /// - Parameters:
    ///   - root: the root command, whose subcommands say which options take values.
    ///   - environment: the variables that `${NAME}` expands to.
    /// - Throws: ``PipelineError`` for a missing or invalid file, `ValidationError` for
    ///   `--pipeline` given twice.
    init(
        arguments: [String], root: any ParsableCommand.Type,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        guard let name = arguments.first, Self.subcommands.contains(name),
            let command = root.configuration.subcommands.first(where: { $0._commandName == name })
        else {
            self.init(arguments: arguments)
            return
        }
        // Most runs name no pipeline file: they skip reading the command's declaration, which
        // takes ArgumentParser milliseconds. A token `--pipeline` that is another option's
        // value only costs that reading; the scan below tells them apart.
        guard arguments.dropFirst().contains(where: { $0 == "--pipeline" || $0.hasPrefix("--pipeline=") }) else {
            self.init(arguments: arguments)
            return
        }
        let declared = CommandArguments(command)
        let user = declared.scan(Array(arguments.dropFirst()))
        let pipelines = user.filter { $0.name == "pipeline" }
        guard let given = pipelines.first else {
            self.init(arguments: arguments)
            return
        }
        guard pipelines.count == 1 else { throw ValidationError("--pipeline: give one pipeline file (got \(pipelines.count))") }
        guard let path = given.value else {
            self.init(arguments: arguments)  // the parser reports the missing value
            return
        }
        let file = try PipelineFile(contentsOf: path, environment: environment)

        var replaced = Set(user.compactMap(\.name))
        for name in replaced { replaced.formUnion(PipelineKey.exclusive[name] ?? []) }
        let kept = file.settings.filter { setting in
            guard setting.key.applies(to: name) else { return false }
            guard let option = setting.key.option else { return !user.contains { $0.name == nil } }
            return !replaced.contains(option)
        }
        var rest = Array(arguments.dropFirst())
        if !declared.names.keys.contains("pipeline") {
            rest.removeSubrange(given.range)
        }
        let positional = kept.filter { $0.key.option == nil }.flatMap(\.arguments)
        let options = kept.filter { $0.key.option != nil }.flatMap(\.arguments)
        self.init(arguments: [name] + positional + options + rest, file: file, kept: kept)
    }

    private init(arguments: [String], file: PipelineFile? = nil, kept: [PipelineFile.Setting] = []) {
        self.arguments = arguments
        self.file = file
        self.kept = kept
    }

    /// Checks that the corpora the pipeline file names (`data.train`, `data.validation`,
    /// `data.test`, for the settings the command line did not replace) exist.
    ///
    /// - Throws: ``PipelineError`` naming the file, line and key; when the path came from
    ///   `${NAME}` or `${NAME:-default}`, the message says which variables it used and their
    ///   values, so that an unset `TEXTCLF_SHARED_DATA` is plain to see.
    func checkDataPaths(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let file else { return }
        for setting in kept where setting.key.section == "data" && setting.key.type == .path {
            guard let path = setting.arguments.last, path != "-", !FileManager.default.fileExists(atPath: path) else { continue }
            var message = "\(path): no such file or folder"
            if let written = setting.written {
                let names = Self.variables(in: written)
                if !names.isEmpty {
                    let values = names.map { name in
                        let value = environment[name] ?? ""
                        return value.isEmpty ? "\(name) is not set" : "\(name) is '\(value)'"
                    }
                    message += " (the file writes '\(written)'; \(values.joined(separator: ", ")))"
                }
                if names.contains("TEXTCLF_SHARED_DATA") {
                    message += "; set TEXTCLF_SHARED_DATA to the folder that holds the shared corpora"
                }
            }
            throw PipelineError(file: file.path, line: setting.line, key: setting.key.dotted, message)
        }
    }

    /// The names of the `${NAME}` and `${NAME:-default}` references in `text`, in order.
    static func variables(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "${") {
            let body = rest[open.upperBound...]
            let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty && !names.contains(String(name)) { names.append(String(name)) }
            rest = body
        }
        return names
    }

    /// Lines that say which of the options named in a parser's error message came from the
    /// pipeline file, e.g. `note: --lr comes from pipelines/x.yaml:12 (optimizer.lr)`.
    func notes(for message: String) -> [String] {
        guard let file else { return [] }
        return kept.compactMap { setting in
            let spelling = setting.key.option.map { "--" + $0 } ?? "<train>"
            guard Self.mentions(message, spelling) else { return nil }
            return "note: \(setting.key.optionSpelling) comes from \(file.path):\(setting.line) (\(setting.key.dotted))"
        }
    }

    static func mentions(_ message: String, _ spelling: String) -> Bool {
        var searchStart = message.startIndex
        while let range = message.range(of: spelling, range: searchStart..<message.endIndex) {
            let next = range.upperBound < message.endIndex ? message[range.upperBound] : " "
            if !(next.isLetter || next.isNumber || next == "-") { return true }
            searchStart = range.upperBound
        }
        return false
    }

    /// Parses `arguments` as `root.parseAsRoot` does. When they start with the name of a
    /// subcommand that has no subcommands of its own and hold nothing that asks for help, a
    /// version or a completion script, that subcommand parses the rest itself: the root's
    /// pass first builds the subcommand's whole argument set only to look for arguments that
    /// take all remaining input, about 4 ms for `train`. Arguments it rejects are parsed again
    /// from the root, so errors and their messages stay ArgumentParser's own.
    static func parse(_ arguments: [String], root: any ParsableCommand.Type) throws -> any ParsableCommand {
        if let name = arguments.first,
            let subcommand = root.configuration.subcommands.first(where: { $0.configuration.commandName == name }),
            subcommand.configuration.subcommands.isEmpty,
            !arguments.dropFirst().contains(where: isBuiltInRequest),
            let command = try? subcommand.parseAsRoot(Array(arguments.dropFirst()))
        {
            return command
        }
        return try root.parseAsRoot(arguments)
    }

    /// Whether `argument` may be one of ArgumentParser's own flags (help, version, completion
    /// scripts, help dumps), which only a parse from the root answers as `textclf` would.
    static func isBuiltInRequest(_ argument: String) -> Bool {
        argument == "-h" || argument == "-help" || argument.hasPrefix("--help") || argument.hasPrefix("--version")
            || argument.hasPrefix("--generate-completion-script") || argument.hasPrefix("--experimental")
    }

    /// Expands a pipeline, then parses and runs `root` as `ParsableCommand.main()` does; a
    /// parse error that names an option from the pipeline says where the option came from.
    static func main(_ root: any ParsableCommand.Type) -> Never {
        BLASCore.selectForCPU()
        CPUBackend.prepare()
        let expansion: PipelineExpansion
        do {
            expansion = try PipelineExpansion(arguments: Array(CommandLine.arguments.dropFirst()), root: root)
        } catch {
            root.exit(withError: error)
        }
        var command: any ParsableCommand
        do {
            command = try parse(expansion.arguments, root: root)
        } catch {
            let code = root.exitCode(for: error)
            let notes = code.isSuccess ? [] : expansion.notes(for: root.message(for: error))
            guard !notes.isEmpty else { root.exit(withError: error) }
            printError(root.fullMessage(for: error))
            for note in notes { printError(note) }
            Foundation.exit(code.rawValue)
        }
        parsedArguments = expansion.arguments
        do {
            try expansion.checkDataPaths()
            try command.run()
        } catch let error as ValidationError {
            // A usage error found while running (say, an option `train --resume` may not
            // change) shows the usage of the command that ran, not the root's.
            let ran = type(of: command)
            let name = ran._commandName
            printError(ran.fullMessage(for: error).replacingOccurrences(of: "See '\(name) --help'", with: "See 'textclf \(name) --help'"))
            Foundation.exit(ran.exitCode(for: error).rawValue)
        } catch {
            root.exit(withError: error)
        }
        root.exit()
    }
}

/// What a command declares: each option's names and whether it takes a value, read from
/// ArgumentParser's description of the command (the JSON that `--experimental-dump-help`
/// prints), which takes milliseconds per command.
struct CommandArguments: Equatable {
    /// Every option name (`lr`, `h`) to its preferred long name (`lr`, `help`).
    var names: [String: String] = [:]
    /// The preferred names of the options that take a value.
    var valueOptions: Set<String> = []
    /// The preferred names of the flags.
    var flags: Set<String> = []
    /// The positional arguments' names.
    var positionals: [String] = []

    /// What `command` declares, read once per command in a process.
    init(_ command: any ParsableCommand.Type) {
        let key = ObjectIdentifier(command)
        if let known = Self.known.withLock({ $0[key] }) {
            self = known
            return
        }
        self.init(describing: command)
        let read = self
        Self.known.withLock { $0[key] = read }
    }

    /// The declarations read so far, by command.
    private static let known = Mutex<[ObjectIdentifier: CommandArguments]>([:])

    /// What `command` declares, always read from ArgumentParser's description of it; nothing
    /// when the description cannot be read. An option's preferred name is its first long name,
    /// or its first name when it has no long one; when two options share a name, the later one
    /// has it.
    init(describing command: any ParsableCommand.Type) {
        guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(command._dumpHelp().utf8)) else { return }
        for argument in dump.command.arguments ?? [] {
            if argument.kind == "positional" {
                positionals.append(argument.valueName ?? "")
                continue
            }
            let names = (argument.names ?? []).map(\.name)
            guard let preferred = argument.names?.first(where: { $0.kind == "long" })?.name ?? names.first else { continue }
            for name in names { self.names[name] = preferred }
            if argument.kind == "option" { valueOptions.insert(preferred) } else { flags.insert(preferred) }
        }
    }

    private struct Dump: Decodable {
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable {
            let kind: String
            let names: [Name]?
            let valueName: String?
        }
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let command: Command
    }

    /// One argument as the command line gives it: an option (with its value, when it takes
    /// one) or a positional argument.
    struct Given {
        /// The option's preferred long name (or the name as written, when the command does not
        /// declare it); `nil` for a positional argument.
        let name: String?
        /// The option's value, when it takes one and has one, or the positional argument.
        let value: String?
        /// The tokens as written: `--lr 0.1`, `--lr=0.1`, `--quiet`, `train.tsv`, or `-- train.tsv`
        /// for a positional argument after `--`.
        let tokens: [String]
        /// Where it sits in the scanned arguments, value included.
        let range: Range<Int>
    }

    /// The arguments of `arguments` (after the subcommand's name), one by one.
    func scan(_ arguments: [String]) -> [Given] {
        var given: [Given] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                given += arguments.indices.dropFirst(index + 1).map {
                    Given(name: nil, value: arguments[$0], tokens: ["--", arguments[$0]], range: $0..<$0 + 1)
                }
                break
            }
            var name: String?
            var value: String? = argument
            var count = 1
            if argument.hasPrefix("-"), argument != "-" {
                let written = argument.drop { $0 == "-" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let option = names[String(written[0])] ?? String(written[0])
                name = option
                if written.count == 2 {
                    value = String(written[1])
                } else if valueOptions.contains(option) && index + 1 < arguments.count {
                    value = arguments[index + 1]
                    count = 2
                } else {
                    value = nil
                }
            }
            given.append(Given(name: name, value: value, tokens: Array(arguments[index..<index + count]), range: index..<index + count))
            index += count
        }
        return given
    }
}
