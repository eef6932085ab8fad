import Foundation
import Yams

/// A mistake in a pipeline file. The message names the file, the line and the dotted key,
/// e.g. `pipelines/x.yaml:12: optimizer.lr: expected a number, got "fast"`.
struct PipelineError: Error, CustomStringConvertible, Equatable {
    /// The pipeline file, as it was named.
    let file: String
    /// The 1-based line, when the mistake has one.
    let line: Int?
    /// The dotted key (`optimizer.lr`) or section, when the mistake has one.
    let key: String?
    /// What is wrong.
    let message: String

    init(file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += key + ": " }
        return text + message
    }
}

/// A pipeline file: a whole `textclf train` run written as YAML, in the sections `data`,
/// `text`, `features`, `model`, `optimizer`, `training`, `evaluation` and `output`.
///
/// Each key stands for one command-line option (see ``PipelineKey/all``) and its value is
/// checked against the key's type when the file is read. Strings may use `${NAME}` and
/// `${NAME:-default}` from the environment; relative paths resolve against the file's folder.
///
/// ```swift
/// let file = try PipelineFile(contentsOf: "pipelines/sst2-logreg.yaml")
/// file.arguments   // ["/…/sst2/train.tsv", "--validation", "/…/sst2/dev.tsv", "--model", "logreg", …]
/// ```
struct PipelineFile {
    /// One key of the file, turned into command-line arguments.
    struct Setting: Equatable {
        /// The key.
        let key: PipelineKey
        /// The arguments it stands for: `["--lr", "0.01"]`, `["--binary"]`, the TRAIN path alone,
        /// or nothing for a flag set to `false`.
        let arguments: [String]
        /// The line of the key in the file.
        let line: Int
        /// The value as the file writes it, before `${NAME}` expansion and path resolution
        /// (`nil` for a value that is not one scalar).
        var written: String? = nil
    }

    /// The file, as it was named.
    let path: String
    /// The keys in the order the file writes them.
    let settings: [Setting]

    /// The arguments for `textclf train`, in the order the file writes its keys; TRAIN first.
    var arguments: [String] {
        settings.filter { $0.key.option == nil }.flatMap(\.arguments) + settings.filter { $0.key.option != nil }.flatMap(\.arguments)
    }

    /// Reads and checks the pipeline file at `path`.
    ///
    /// - Parameter environment: the variables that `${NAME}` expands to.
    /// - Throws: ``PipelineError`` naming the file, and the line and key where there is one.
    init(contentsOf path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError(file: path, "no such pipeline file")
        }
        guard !isDirectory.boolValue else { throw PipelineError(file: path, "is a folder, not a pipeline file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError(file: path, "cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw PipelineError(file: path, "is not UTF-8 text") }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardized.path
        try self.init(yaml: text, path: path, directory: directory, environment: environment)
    }

    /// Reads and checks a pipeline document held in memory.
    ///
    /// - Parameters:
    ///   - yaml: the document.
    ///   - path: the name error messages give the document.
    ///   - directory: the folder relative paths resolve against.
    ///   - environment: the variables that `${NAME}` expands to.
    init(yaml: String, path: String, directory: String, environment: [String: String]) throws {
        self.path = path
        let reader = Reader(file: path, directory: directory, environment: environment)
        let root: Node?
        do {
            // Scalars are read as written (the reader checks their text and style itself), so
            // no resolver rules: the default ones compile regular expressions on first use.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw reader.syntaxError(error)
        }
        guard let root else {
            throw PipelineError(file: path, "the file holds no settings; expected the sections \(PipelineKey.sections.joined(separator: ", "))")
        }
        settings = try reader.settings(root)
    }
}

extension PipelineFile {
    /// Turns YAML nodes into settings, checking each against its key's type.
    struct Reader {
        let file: String
        let directory: String
        let environment: [String: String]

        func error(_ node: Node?, _ key: String?, _ message: String) -> PipelineError {
            PipelineError(file: file, line: node?.mark?.line, key: key, message)
        }

        func syntaxError(_ error: YamlError) -> PipelineError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let detail = context.map { " (\($0.text) on line \($0.mark.line))" } ?? ""
                return PipelineError(file: file, line: mark.line, "YAML syntax error: \(problem)\(detail)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                return PipelineError(
                    file: file, line: context.mark.line > 0 ? context.mark.line : nil,
                    "the key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) is given more than once in the same section")
            case .reader(let problem, _, _, _):
                return PipelineError(file: file, "cannot be read as YAML: \(problem)")
            default:
                return PipelineError(file: file, "cannot be read as YAML: \(error)")
            }
        }

        func settings(_ root: Node) throws -> [Setting] {
            guard case .mapping(let sections) = root else {
                throw error(root, nil, "expected the sections \(PipelineKey.sections.joined(separator: ", ")) as a mapping, got \(describe(root))")
            }
            var settings: [Setting] = []
            for (sectionNode, body) in sections {
                guard case .scalar(let sectionName) = sectionNode, PipelineKey.sections.contains(sectionName.string) else {
                    throw error(
                        sectionNode, nil,
                        "unknown section \(describe(sectionNode)); the sections are \(PipelineKey.sections.joined(separator: ", "))")
                }
                let section = sectionName.string
                if isNull(body) { continue }
                guard case .mapping(let keys) = body else {
                    throw error(body, section, "expected a mapping of keys, got \(describe(body))")
                }
                for (keyNode, value) in keys {
                    let known = PipelineKey.keys(in: section)
                    guard case .scalar(let keyName) = keyNode, let key = PipelineKey.named(section, keyName.string) else {
                        let name = keyNode.scalar?.string ?? describe(keyNode)
                        throw error(
                            keyNode, "\(section).\(name)",
                            "unknown key; the keys of \(section) are \(known.map(\.name).joined(separator: ", "))")
                    }
                    let line = keyNode.mark?.line ?? value.mark?.line ?? 0
                    settings.append(Setting(key: key, arguments: try arguments(key, value), line: line, written: value.scalar?.string))
                }
            }
            return settings
        }

        /// The command-line arguments for `key` set to `node`.
        func arguments(_ key: PipelineKey, _ node: Node) throws -> [String] {
            let value: String
            switch key.type {
            case .flag:
                guard try boolean(key, node) else { return [] }
                return ["--" + key.option!]
            case .string:
                value = try string(key, node)
            case .path:
                value = try resolve(path: try string(key, node), key: key, node: node)
            case .int:
                value = try number(key, node, integer: true)
            case .number:
                value = try number(key, node, integer: false)
            case .strings:
                value = try list(key, node, integer: false)
            case .ints:
                value = try list(key, node, integer: true)
            }
            guard let option = key.option else { return [value] }
            // `--name=value` keeps a value that starts with a dash from reading as an option.
            return value.hasPrefix("-") ? ["--\(option)=\(value)"] : ["--" + option, value]
        }

        func string(_ key: PipelineKey, _ node: Node) throws -> String {
            guard case .scalar(let scalar) = node, !isNull(node) else {
                throw error(node, key.dotted, "expected \(key.type.description), got \(describe(node))")
            }
            let value = try expand(scalar.string, key: key, node: node)
            guard !value.isEmpty else { throw error(node, key.dotted, "expected \(key.type.description), got an empty string") }
            return value
        }

        /// A scalar checked as a number; an expanded `${NAME}` is checked after expansion.
        func number(_ key: PipelineKey, _ node: Node, integer: Bool) throws -> String {
            let wanted = integer ? "an integer" : "a number"
            guard case .scalar(let scalar) = node, !isNull(node) else {
                throw error(node, key.dotted, "expected \(wanted), got \(describe(node))")
            }
            let expands = scalar.string.contains("${")
            guard scalar.style == .plain || expands else {
                throw error(node, key.dotted, "expected \(wanted), got \(describe(node)) (a quoted string)")
            }
            let text = try expand(scalar.string, key: key, node: node)
            guard Self.isNumber(text, integer: integer) else {
                throw error(node, key.dotted, "expected \(wanted), got \(expands ? text.debugDescription + " (from " + scalar.string + ")" : describe(node))")
            }
            return text
        }

        static func isNumber(_ text: String, integer: Bool) -> Bool {
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            if integer { return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } }
            guard let value = Double(text), value.isFinite else { return false }
            return text.allSatisfy { $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }
        }

        func boolean(_ key: PipelineKey, _ node: Node) throws -> Bool {
            if case .scalar(let scalar) = node, scalar.style == .plain || scalar.string.contains("${") {
                let text = try expand(scalar.string, key: key, node: node)
                switch text {
                case "true", "True", "TRUE", "yes", "Yes", "on": return true
                case "false", "False", "FALSE", "no", "No", "off": return false
                default: break
                }
            }
            throw error(node, key.dotted, "expected true or false, got \(describe(node))")
        }

        /// A list, or one scalar with the items separated by commas, joined with commas.
        func list(_ key: PipelineKey, _ node: Node, integer: Bool) throws -> String {
            let items: [String]
            switch node {
            case .sequence(let sequence):
                guard !sequence.isEmpty else { throw error(node, key.dotted, "expected \(key.type.description), got an empty list") }
                items = try sequence.map { item in
                    guard case .scalar = item, !isNull(item) else {
                        throw error(item, key.dotted, "expected \(key.type.description), got \(describe(item)) in the list")
                    }
                    return integer ? try number(key, item, integer: true) : try string(key, item)
                }
            case .scalar where !isNull(node):
                let text = try string(key, node)
                items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if integer && !items.allSatisfy({ Self.isNumber($0, integer: true) }) {
                    throw error(node, key.dotted, "expected \(key.type.description), got \(describe(node))")
                }
            default:
                throw error(node, key.dotted, "expected \(key.type.description), got \(describe(node))")
            }
            return items.joined(separator: ",")
        }

        /// `${NAME}` and `${NAME:-default}` from the environment; `$${` is a literal `${`.
        func expand(_ text: String, key: PipelineKey, node: Node) throws -> String {
            do {
                return try PipelineFile.expand(text, environment: environment)
            } catch let problem as ExpansionProblem {
                throw error(node, key.dotted, problem.message)
            }
        }

        /// A path as given, or resolved against the pipeline file's folder when relative.
        func resolve(path: String, key: PipelineKey, node: Node) throws -> String {
            if path == "-" || path.hasPrefix("/") { return path }
            if path == "~" || path.hasPrefix("~/") { return NSString(string: path).expandingTildeInPath }
            return URL(fileURLWithPath: directory).appendingPathComponent(path).standardized.path
        }

        func isNull(_ node: Node) -> Bool {
            guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
            return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        }

        /// How a message shows a node: `"fast"`, `nothing`, `a list`, `a mapping`.
        func describe(_ node: Node) -> String {
            switch node {
            case .scalar(let scalar): return isNull(node) ? "nothing" : scalar.string.debugDescription
            case .sequence: return "a list"
            case .mapping: return "a mapping"
            case .alias: return "an alias"
            }
        }
    }

    /// A `${...}` that cannot be expanded.
    struct ExpansionProblem: Error {
        let message: String
    }

    /// Expands `${NAME}` and `${NAME:-default}` in `text` (the default applies when `NAME` is
    /// unset or empty, as in the shell); `$${` stands for a literal `${`.
    static func expand(_ text: String, environment: [String: String]) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[dollar...].dropFirst()
            if after.hasPrefix("${") {
                result += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                result += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                throw ExpansionProblem(message: "'${' without a closing '}' in \(text.debugDescription)")
            }
            let inner = after[after.index(after: after.startIndex)..<close]
            let name: Substring
            var fallback: Substring?
            if let colon = inner.range(of: ":-") {
                name = inner[..<colon.lowerBound]
                fallback = inner[colon.upperBound...]
            } else {
                name = inner
            }
            guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
                name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
            else {
                throw ExpansionProblem(message: "'${\(inner)}': expected ${NAME} or ${NAME:-default}")
            }
            if let value = environment[String(name)], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw ExpansionProblem(message: "${\(name)} is not set (write ${\(name):-default} to give a default)")
            }
            rest = after[after.index(after: close)...]
        }
        return result + rest
    }
}
