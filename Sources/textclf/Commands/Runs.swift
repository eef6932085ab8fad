import ArgumentParser
import Foundation
import TextClf

/// `textclf runs`: the local log of `train`, `cv` and `search` runs.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show, compare and delete recorded train, cv and search runs.",
        discussion: """
            Every run of train, cv and search is recorded in a local SQLite database, the run \
            log: its arguments and options, the data, each epoch, the final metrics and the \
            model folder. Cross-validation folds and search trials are recorded as children \
            of their run. The log is $TEXTCLF_RUN_LOG, else \
            $XDG_DATA_HOME/textclf/runs.sqlite, else ~/.local/share/textclf/runs.sqlite; \
            --run-log FILE reads another. A run whose process was killed stays 'running' \
            in the file and is shown as 'interrupted' once its process has gone.

            Examples:
              textclf runs                         # the 20 most recent runs
              textclf runs --command cv --limit 5
              textclf runs --all --json            # children too, as JSON
              textclf runs show 12                 # options, epochs, metrics, children
              textclf runs compare 12 14 15        # differing options, then metrics
              textclf runs delete 3 4
            """,
        subcommands: [List.self, Show.self, Compare.self, Delete.self],
        defaultSubcommand: List.self)
}

/// `--run-log FILE`, shared by the `runs` subcommands.
struct RunLogLocation: ParsableArguments {
    @Option(help: ArgumentHelp("The run log database (default: $TEXTCLF_RUN_LOG, else the data folder's runs.sqlite).", valueName: "file"))
    var runLog: String?

    func open() throws -> RunLog { try RunLog(path: runLog) }
}

extension Runs {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List recent runs, newest first.",
            discussion: """
                Columns: id, start time (UTC), command, status, seconds, epochs, the headline \
                accuracy and macro-F1 (test, else validation, else the mean over folds), the \
                validation loss and the model folder.

                Examples:
                  textclf runs list --limit 5
                  textclf runs --command train --json
                """)

        @Option(help: "Show at most this many runs.")
        var limit: Int = 20

        @Option(help: ArgumentHelp("Only runs of this command: train, cv or search.", valueName: "command"))
        var command: String?

        @Flag(help: "Include child runs (folds, trials).")
        var all = false

        @Flag(help: "Print the runs as a JSON array.")
        var json = false

        @OptionGroup var location: RunLogLocation

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1 (got \(limit))") }
        }

        func run() throws {
            let log = try location.open()
            let runs = try log.runs(limit: limit, command: command, parent: all ? .any : .topLevel)
            if json {
                print(try RunsFormat.json(runs))
                return
            }
            guard !runs.isEmpty else {
                print("no runs\(command.map { " of \($0)" } ?? "") in \(log.path)")
                return
            }
            print(RunsFormat.runTable(runs, showParent: all))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one run: options, per-epoch history, metrics and children.",
            discussion: """
                Examples:
                  textclf runs show 12
                  textclf runs show 12 --json
                """)

        @Argument(help: "The run's id.")
        var id: Int64

        @Flag(help: "Print the run, its epochs and its children as one JSON object.")
        var json = false

        @OptionGroup var location: RunLogLocation

        func run() throws {
            let log = try location.open()
            guard let record = try log.run(id: id) else { throw DataError("no run \(id) in \(log.path)") }
            let epochs = try log.epochs(run: id)
            let children = try log.runs(parent: .children(of: id)).reversed() as [RunRecord]
            if json {
                print(try RunsFormat.json(RunsFormat.Detail(run: record, epochs: epochs, children: children)))
                return
            }
            print(RunsFormat.detail(record, epochs: epochs, children: children))
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare runs: the options that differ, then the metrics, side by side.",
            discussion: """
                Examples:
                  textclf runs compare 12 14
                  textclf runs compare 20 21 22 --all-options
                """)

        @Argument(help: "Two or more run ids.")
        var ids: [Int64]

        @Flag(help: "Show every option, not only those that differ.")
        var allOptions = false

        @OptionGroup var location: RunLogLocation

        func validate() throws {
            guard ids.count >= 2 else { throw ValidationError("give two or more run ids to compare") }
        }

        func run() throws {
            let log = try location.open()
            var records: [RunRecord] = []
            for id in ids {
                guard let record = try log.run(id: id) else { throw DataError("no run \(id) in \(log.path)") }
                records.append(record)
            }
            print(RunsFormat.comparison(records, allOptions: allOptions))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete runs, with their epochs and child runs.",
            discussion: """
                Nothing is deleted when one of the ids is not in the log. Model folders are \
                left as they are.

                Examples:
                  textclf runs delete 3
                  textclf runs delete 3 4 5 --run-log /tmp/runs.sqlite
                """)

        @Argument(help: "The ids of the runs to delete.")
        var ids: [Int64]

        @OptionGroup var location: RunLogLocation

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("give the ids of the runs to delete") }
        }

        func run() throws {
            let log = try location.open()
            for id in ids where try log.run(id: id) == nil {
                throw DataError("no run \(id) in \(log.path); nothing deleted")
            }
            let deleted = try log.delete(ids: ids)
            let children = deleted.count - Set(ids).count
            let named = Set(ids).sorted().map(String.init).joined(separator: ", ")
            print("deleted run\(Set(ids).count == 1 ? "" : "s") \(named)" + (children > 0 ? " and \(children) child run\(children == 1 ? "" : "s")" : ""))
        }
    }
}

/// Text and JSON renderings of run records.
enum RunsFormat {
    /// A run with its epochs and children, for `runs show --json`.
    struct Detail: Encodable {
        var run: RunRecord
        var epochs: [EpochRecord]
        var children: [RunRecord]
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RunLog.timestamp(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func number(_ value: Double?, digits: Int = 4) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: value < 100 ? "%.2f" : "%.0f", value)
    }

    /// A metric's value: counts (epochs, best epoch) as integers, others with four decimals.
    static func metric(_ name: String, _ value: Double?) -> String {
        guard let value else { return "-" }
        if (name.contains("epoch") || name.contains("count") || name.hasSuffix("documents")) && value == value.rounded()
            && abs(value) < 1e15
        {
            return String(Int(value))
        }
        return number(value)
    }

    /// `2025-03-01 12:30:05` (UTC).
    static func started(_ date: Date) -> String {
        let stamp = RunLog.timestamp(date)
        return String(stamp.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func runTable(_ runs: [RunRecord], showParent: Bool) -> String {
        var header = ["id"]
        if showParent { header.append("parent") }
        header += ["started (UTC)", "command", "status", "seconds", "epochs", "accuracy", "macro-F1", "val loss", "model"]
        let rows = runs.map { run -> [String] in
            var row = [String(run.id)]
            if showParent { row.append(run.parent.map(String.init) ?? "-") }
            row += [
                started(run.started), run.command, run.status.rawValue, seconds(run.seconds),
                run.childCount > 0 && run.epochCount == 0 ? "\(run.childCount) runs" : String(run.epochCount),
                number(run.accuracy), number(run.macroF1), number(run.validationLoss), run.modelPath ?? "-",
            ]
            return row
        }
        let offset = showParent ? 1 : 0
        let numeric = Set([0] + (4...8).map { $0 + offset }).union(showParent ? [1] : [])
        return TextTable.render(header, rows, right: numeric)
    }

    /// A shell-like rendering of an argument list: arguments with spaces or quotes are quoted.
    static func shellQuoted(_ arguments: [String]) -> String {
        arguments.map { argument in
            let safe = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:@+%".contains($0) }
            return safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    static func detail(_ run: RunRecord, epochs: [EpochRecord], children: [RunRecord]) -> String {
        var lines: [String] = []
        lines.append("run \(run.id): \(run.command), \(run.status.rawValue)" + (run.parent.map { " (child of run \($0))" } ?? ""))
        var facts: [[String]] = [["started", RunLog.timestamp(run.started)]]
        if let finished = run.finished { facts.append(["finished", RunLog.timestamp(finished) + " (\(seconds(run.seconds)) s)"]) }
        if run.host != nil || run.processID != nil {
            facts.append(["host", (run.host ?? "?") + (run.processID.map { ", process \($0)" } ?? "")])
        }
        facts.append(["arguments", shellQuoted(run.arguments)])
        if let data = run.data { facts.append(["data", data]) }
        if let model = run.modelPath { facts.append(["model", model]) }
        if let message = run.message { facts.append(["message", message]) }
        lines.append(alignedPairs(facts, indent: "  "))

        if !run.options.isEmpty {
            lines.append("")
            lines.append("options")
            lines.append(alignedPairs(run.options.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }, indent: "  "))
        }
        if !epochs.isEmpty {
            lines.append("")
            lines.append("epochs")
            let rows = epochs.map { epoch -> [String] in
                [
                    String(epoch.epoch), number(epoch.trainLoss), number(epoch.trainAccuracy), number(epoch.validationLoss),
                    number(epoch.validationAccuracy), number(epoch.validationMacroF1),
                    String(format: "%g", Double(epoch.learningRate)), seconds(epoch.seconds),
                ]
            }
            lines.append(
                TextTable.render(
                    ["epoch", "train loss", "train acc", "val loss", "val acc", "val F1", "lr", "seconds"], rows,
                    right: Set(0..<8), indent: "  "))
        }
        if !run.metrics.isEmpty {
            lines.append("")
            lines.append("metrics")
            lines.append(alignedPairs(run.metrics.sorted { $0.key < $1.key }.map { [$0.key, metric($0.key, $0.value)] }, indent: "  ", rightValues: true))
        }
        if !children.isEmpty {
            lines.append("")
            var counts: [RunStatus: Int] = [:]
            for child in children { counts[child.status, default: 0] += 1 }
            let summary = RunStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
            lines.append("children: \(children.count) (\(summary.joined(separator: ", ")))")
            let rows = children.map { child -> [String] in
                [
                    String(child.id), child.command, child.status.rawValue, seconds(child.seconds), String(child.epochCount),
                    number(child.accuracy), number(child.macroF1), number(child.validationLoss),
                ]
            }
            lines.append(
                TextTable.render(["id", "command", "status", "seconds", "epochs", "accuracy", "macro-F1", "val loss"], rows, right: [0, 3, 4, 5, 6, 7], indent: "  "))
            for (name, keys) in [("accuracy", [RunMetric.testAccuracy, RunMetric.validationAccuracy, RunMetric.accuracy]),
                                 ("macro-F1", [RunMetric.testMacroF1, RunMetric.validationMacroF1, RunMetric.macroF1])] {
                let values = children.compactMap { $0.metric(keys) }
                guard values.count >= 1 else { continue }
                let mean = values.reduce(0, +) / Double(values.count)
                let spread = values.count > 1
                    ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
                lines.append(
                    "  \(name): mean \(number(mean)), sd \(number(spread)), min \(number(values.min())), max \(number(values.max())) over \(values.count)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func alignedPairs(_ pairs: [[String]], indent: String, rightValues: Bool = false) -> String {
        let width = pairs.map { $0[0].count }.max() ?? 0
        let valueWidth = rightValues ? (pairs.map { $0[1].count }.max() ?? 0) : 0
        return pairs.map { pair in
            let key = pair[0] + String(repeating: " ", count: width - pair[0].count)
            let value = rightValues ? String(repeating: " ", count: valueWidth - pair[1].count) + pair[1] : pair[1]
            return indent + key + "  " + value
        }.joined(separator: "\n")
    }

    static func comparison(_ runs: [RunRecord], allOptions: Bool) -> String {
        let header = [""] + runs.map { "run \($0.id)" }
        var lines: [String] = []
        lines.append(
            TextTable.render(
                header,
                [
                    ["command"] + runs.map(\.command),
                    ["status"] + runs.map(\.status.rawValue),
                    ["started (UTC)"] + runs.map { started($0.started) },
                    ["seconds"] + runs.map { seconds($0.seconds) },
                    ["model"] + runs.map { $0.modelPath ?? "-" },
                ], right: []))

        let names = Set(runs.flatMap(\.options.keys)).sorted()
        let differing = names.filter { name in Set(runs.map { $0.options[name] ?? "\u{0}unset" }).count > 1 }
        let shown = allOptions ? names : differing
        lines.append("")
        if shown.isEmpty {
            lines.append(names.isEmpty ? "no options recorded" : "all \(names.count) options are the same")
        } else {
            lines.append(allOptions ? "options" : "options that differ (\(differing.count) of \(names.count))")
            let rows = shown.map { name in
                [(allOptions && differing.contains(name) ? "* " : "  ") + name] + runs.map { $0.options[name] ?? "(unset)" }
            }
            lines.append(TextTable.render([""] + runs.map { "run \($0.id)" }, rows, right: [], indent: ""))
        }
        let metricNames = Set(runs.flatMap(\.metrics.keys)).sorted()
        lines.append("")
        if metricNames.isEmpty {
            lines.append("no metrics recorded")
        } else {
            lines.append("metrics")
            let rows = metricNames.map { name in ["  " + name] + runs.map { metric(name, $0.metrics[name]) } }
            lines.append(TextTable.render([""] + runs.map { "run \($0.id)" }, rows, right: Set(1...runs.count)))
        }
        return lines.joined(separator: "\n")
    }
}
