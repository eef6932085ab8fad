import ArgumentParser
import Foundation
import Yams

extension PipelineFile {
    /// A pipeline document for a `textclf train` argument list (without the subcommand's
    /// name): the reverse of ``arguments``. Reading the document back gives arguments that
    /// parse to the same run.
    ///
    /// `--quiet`, `--resume`, `--overwrite`, `--pipeline`, `--run-log` and `--no-run-log` are left out (see
    /// ``PipelineKey/notInPipelines``). Paths are written relative to `directory`, the folder
    /// the document will be saved in, so that they resolve to the same files when it is read;
    /// without a directory they are written absolute.
    ///
    /// ```swift
    /// let yaml = try PipelineFile.yaml(
    ///     from: ["train.tsv", "--model", "mlp", "--hidden", "15,8", "--lr", "0.01"],
    ///     relativeTo: "runs/best", header: ["The best configuration of textclf search."])
    /// try yaml.write(toFile: "runs/best/pipeline.yaml", atomically: true, encoding: .utf8)
    /// ```
    ///
    /// - Throws: `ValidationError` for an option no key stands for, a missing or malformed
    ///   value, or a second TRAIN argument.
    static func yaml(from arguments: [String], relativeTo directory: String? = nil, header: [String] = []) throws -> String {
        var values: [String: String] = [:]  // dotted key to its argument
        for given in CommandArguments(Train.self).scan(arguments) {
            guard let name = given.name else {
                if let train = values["data.train"] {
                    throw ValidationError("a pipeline has one training corpus; got '\(train)' and '\(given.value ?? "")'")
                }
                values["data.train"] = given.value
                continue
            }
            if PipelineKey.notInPipelines[name] != nil { continue }
            guard let key = PipelineKey.forOption(name) else {
                throw ValidationError("--\(name): no pipeline key stands for this option")
            }
            if key.type == .flag {
                guard given.value == nil else { throw ValidationError("--\(name) is a flag and takes no value") }
                values[key.dotted] = "true"
            } else {
                guard let value = given.value else { throw ValidationError("--\(name) needs a value") }
                values[key.dotted] = value
            }
        }

        var lines = header.map { $0.isEmpty ? "#" : "# " + $0 }
        if !lines.isEmpty { lines.append("") }
        for section in PipelineKey.sections {
            let keys = PipelineKey.keys(in: section).filter { values[$0.dotted] != nil }
            guard !keys.isEmpty else { continue }
            lines.append(section + ":")
            for key in keys {
                lines.append("  \(key.name): \(try yamlValue(key, values[key.dotted]!, relativeTo: directory))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One key's value as YAML, checked against the key's type.
    private static func yamlValue(_ key: PipelineKey, _ value: String, relativeTo directory: String?) throws -> String {
        switch key.type {
        case .flag:
            return "true"
        case .string:
            return scalar(value)
        case .path:
            return scalar(relativePath(value, to: directory))
        case .int, .number:
            guard Reader.isNumber(value, integer: key.type == .int) else {
                throw ValidationError("\(key.optionSpelling): expected \(key.type.description), got '\(value)'")
            }
            return value
        case .strings, .ints:
            let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if key.type == .ints, !items.allSatisfy({ Reader.isNumber($0, integer: true) }) {
                throw ValidationError("\(key.optionSpelling): expected \(key.type.description), got '\(value)'")
            }
            return "[" + items.map { key.type == .ints ? $0 : scalar($0, flow: true) }.joined(separator: ", ") + "]"
        }
    }

    /// `text` as a YAML scalar: plain where YAML reads it back as the same string, otherwise
    /// double-quoted (with `${` escaped as `$${`, so that reading it back does not expand it).
    static func scalar(_ text: String, flow: Bool = false) -> String {
        let special: Set<Character> = flow ? [",", "[", "]", "{", "}", "#", ":", "\"", "'"] : ["#", ":", "\"", "'", "{", "}", "[", "]"]
        let plainSafe = !text.isEmpty && !text.contains("${") && text.first.map { !"-?!&*|>%@`, ".contains($0) } == true
            && text.last != " " && !text.contains(where: { special.contains($0) || $0.isNewline || $0 == "\t" })
            && Node.scalar(.init(text)).tag.rawValue == Tag.Name.str.rawValue
        if plainSafe { return text }
        var quoted = "\""
        for character in text.replacingOccurrences(of: "${", with: "$${").unicodeScalars {
            switch character {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if character.value < 0x20 || character.value == 0x7F {
                    quoted += String(format: "\\x%02X", character.value)
                } else {
                    quoted.unicodeScalars.append(character)
                }
            }
        }
        return quoted + "\""
    }

    /// `path` made absolute (against the current folder), then relative to `directory` if given.
    static func relativePath(_ path: String, to directory: String?) -> String {
        if path == "-" { return path }
        let absolute = URL(fileURLWithPath: path).standardized.path
        guard let directory else { return absolute }
        let base = URL(fileURLWithPath: directory).standardized.pathComponents
        let target = URL(fileURLWithPath: absolute).pathComponents
        var common = 0
        while common < base.count, common < target.count, base[common] == target[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
