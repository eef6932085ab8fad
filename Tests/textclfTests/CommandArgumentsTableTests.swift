import ArgumentParser
import Foundation
import Testing
import TextClfTestSupport

@testable import textclf

/// Checks, and with `TEXTCLF_WRITE_COMMAND_ARGUMENTS=1` rewrites, the generated table of the
/// arguments that `train`, `cv` and `search` declare
/// (`Sources/textclf/Pipeline/CommandArgumentsTable.swift`) against ArgumentParser's
/// description of each command. `scripts/generate-command-arguments.sh` runs the rewrite.
@Suite struct CommandArgumentsTableTests {
    /// The commands the table holds: those that take `--pipeline`, and `train` and `search`,
    /// whose options `search` reads.
    static let commands: [any ParsableCommand.Type] = [Train.self, CrossValidate.self, Search.self]

    /// The generated file, relative to the repository root.
    static let path = "Sources/textclf/Pipeline/CommandArgumentsTable.swift"

    /// What to do when the table is out of date.
    static let regenerate = "Regenerate it with scripts/generate-command-arguments.sh."

    @Test func tableMatchesArgumentParser() throws {
        let url = SharedData.repositoryRoot.appendingPathComponent(Self.path)
        let source = Self.source()
        if ProcessInfo.processInfo.environment["TEXTCLF_WRITE_COMMAND_ARGUMENTS"] == "1" {
            try source.write(to: url, atomically: true, encoding: .utf8)
            print("wrote \(Self.path)")
            return
        }
        for command in Self.commands {
            let name = command._commandName
            let described = CommandArguments.declared(describing: command)
            #expect(!described.isEmpty, "\(name): ArgumentParser's description lists no arguments")
            let tabled = CommandArguments.table[ObjectIdentifier(command)] ?? []
            if tabled != described {
                let missing = described.filter { !tabled.contains($0) }.map(Self.code)
                let extra = tabled.filter { !described.contains($0) }.map(Self.code)
                let differences =
                    missing.isEmpty && extra.isEmpty
                    ? "the same arguments in another order"
                    : "declared but not in the table: \(missing.isEmpty ? "none" : missing.joined(separator: " ")); "
                        + "in the table but not declared: \(extra.isEmpty ? "none" : extra.joined(separator: " "))"
                Issue.record("\(Self.path) is out of date for '\(name)' (\(differences)). \(Self.regenerate)")
            }
            if CommandArguments(command) != CommandArguments(describing: command) {
                Issue.record("'\(name)': the table gives other names, options, flags or positionals than ArgumentParser. \(Self.regenerate)")
            }
        }
        let committed = try String(contentsOf: url, encoding: .utf8)
        if committed != source {
            Issue.record("\(Self.path) is not what the generator writes. \(Self.regenerate)")
        }
    }

    @Test func tableHoldsEveryCommandThatReadsPipelines() {
        for name in PipelineExpansion.subcommands {
            let command = TextClfCommand.configuration.subcommands.first { $0._commandName == name }
            #expect(command != nil, "no subcommand \(name)")
            guard let command else { continue }
            #expect(
                CommandArguments.table[ObjectIdentifier(command)] != nil,
                "'\(name)' takes --pipeline: add it to CommandArgumentsTableTests.commands and \(Self.regenerate)")
        }
        for command in [Train.self, Search.self] as [any ParsableCommand.Type] {
            #expect(CommandArguments.table[ObjectIdentifier(command)] != nil, "\(command): \(Self.regenerate)")
        }
    }

    /// A subcommand's arguments parsed by the subcommand itself give the command a parse from
    /// the root gives, and whatever it rejects or leaves to the root (help, versions, errors)
    /// is the root's answer.
    @Test func subcommandParsesAsTheRootWould() throws {
        func parsed(_ arguments: [String], fast: Bool) -> String {
            var text = ""
            do {
                let command = fast ? try PipelineExpansion.parse(arguments, root: TextClfCommand.self) : try TextClfCommand.parseAsRoot(arguments)
                dump(command, to: &text)
            } catch {
                text = "error \(TextClfCommand.exitCode(for: error).rawValue): \(TextClfCommand.fullMessage(for: error))"
            }
            return text
        }
        let cases: [[String]] = [
            ["train", "x.tsv", "--model", "mlp", "--hidden", "15", "--epochs", "3", "--lr", "0.5", "--out", "m"],
            ["vectorize", "a.tsv", "--out", "o", "--text", "lowercase,words"],
            ["tokenize", "--text", "porter", "--limit", "2", "a.tsv"],
            ["train", "--bogus"], ["train"], ["train", "x.tsv", "--epochs", "-1"], ["train", "--help"], ["train", "-h"],
            ["train", "--version"], ["cache", "list"], ["runs", "list", "--limit", "3"], ["predict", "--model", "m"],
        ]
        for arguments in cases {
            #expect(parsed(arguments, fast: true) == parsed(arguments, fast: false), "\(arguments)")
        }
        // The first three parse (the comparisons above are not all of errors).
        for arguments in cases.prefix(3) {
            #expect(!parsed(arguments, fast: true).hasPrefix("error"), "\(arguments)")
        }
    }

    /// Every command names itself in its configuration. Without a name, ArgumentParser derives
    /// one from the type's name through reflection, for every subcommand on every start, which
    /// was about a fifth of `textclf --version`'s time.
    @Test func everyCommandNamesItself() {
        var pending: [any ParsableCommand.Type] = [TextClfCommand.self]
        var seen = 0
        while let command = pending.popLast() {
            seen += 1
            #expect(command.configuration.commandName != nil, "\(command) sets no commandName in its configuration")
            pending += command.configuration.subcommands
        }
        #expect(seen > 10, "only \(seen) commands found under textclf")
    }

    /// The table's source: each command's arguments as ``CommandArguments/declared(describing:)``
    /// reads them.
    static func source() -> String {
        var lines = [
            "// Generated by scripts/generate-command-arguments.sh from ArgumentParser's description of each",
            "// command (what `textclf COMMAND --experimental-dump-help` prints); do not edit.",
            "// CommandArgumentsTableTests fails when the commands' arguments and this table differ.",
            "",
            "extension CommandArguments {",
            "    /// The arguments of \(listed(commands.map { "`\($0._commandName)`" })) in each command's order, so",
            "    /// that a run reads them without going through ArgumentParser's description.",
            "    static let table: [ObjectIdentifier: [Declared]] = [",
        ]
        for command in commands {
            var type = String(reflecting: command)
            if type.hasPrefix("textclf.") { type.removeFirst("textclf.".count) }
            lines.append("        ObjectIdentifier(\(type).self): [")
            for argument in CommandArguments.declared(describing: command) {
                lines.append("            \(code(argument)),")
            }
            lines.append("        ],")
        }
        lines += ["    ]", "}", ""]
        return lines.joined(separator: "\n")
    }

    /// `argument` as the table writes it: `.option(["lr"])`.
    static func code(_ argument: CommandArguments.Declared) -> String {
        switch argument {
        case .positional(let name): ".positional(\(literal(name)))"
        case .option(let names): ".option([\(names.map(literal).joined(separator: ", "))])"
        case .flag(let names): ".flag([\(names.map(literal).joined(separator: ", "))])"
        }
    }

    /// `items` as a list in words: `a`, `a and b`, `a, b and c`.
    static func listed(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }

    /// `text` as a Swift string literal.
    static func literal(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
