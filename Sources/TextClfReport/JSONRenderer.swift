/// A JSON value built by the report renderer and written with sorted keys.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    static func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }

    /// Whether this is a number, string, boolean or null (written inline inside arrays).
    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// The JSON text: objects with sorted keys, one member per line, indented by two
    /// spaces; arrays of scalars on one line. NaN and infinities become `null`; other
    /// doubles use Swift's shortest representation that reads back to the same value.
    func serialized(indent: String = "") -> String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            guard value.isFinite else { return "null" }
            return value.description
        case .string(let value): return Self.quoted(value)
        case .array(let values):
            if values.isEmpty { return "[]" }
            if values.allSatisfy(\.isScalar) { return "[" + values.map { $0.serialized() }.joined(separator: ", ") + "]" }
            let inner = indent + "  "
            return "[\n" + values.map { inner + $0.serialized(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let inner = indent + "  "
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            return "{\n" + keys.map { inner + Self.quoted($0) + ": " + members[$0]!.serialized(indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    /// A JSON string literal; control characters as `\uXXXX`, everything else as UTF-8.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension EvaluationReport {
    /// The report as one JSON object with sorted keys, two-space indentation and a final
    /// newline. NaN (from ``ZeroDivision/nan``) is written as `null`.
    ///
    /// Top-level keys: `title`, `source`, `samples`, `zero_division`, `accuracy`, `classes`
    /// (keyed by class name: `precision`, `recall`, `f1`, `support`; every class, those with
    /// no support and no predictions included), `macro`, `micro` and `weighted` (each
    /// `precision`, `recall`, `f1`, `support`), `averaged_classes` (`present` or `all`: the
    /// classes `macro` and `weighted` average over, see ``AveragedClasses``),
    /// `absent_classes` (the names of the classes with no support and no predictions, in
    /// class order), `confusion_matrix`
    /// (`labels`, `matrix` with rows as true labels, and `normalized` by `true`, `pred` and
    /// `all`), and, when present, `training` (`epochs_run`, `best_epoch`,
    /// `stopping_reason`, `seconds`), `history` (one object per epoch), `bias_variance` and
    /// `options` (an object of strings; a repeated key keeps its last value). Class names
    /// are keys of `classes`, so they should be distinct; `confusion_matrix.labels` keeps
    /// their order.
    public func json() -> String {
        jsonValue().serialized() + "\n"
    }

    func jsonValue() -> JSONValue {
        func scores(_ s: PrecisionRecallF1) -> JSONValue {
            .object(["precision": .double(s.precision), "recall": .double(s.recall), "f1": .double(s.f1), "support": .int(s.support)])
        }
        func matrix(_ m: [[Double]]) -> JSONValue { .array(m.map { .array($0.map(JSONValue.double)) }) }
        var classes: [String: JSONValue] = [:]
        for (name, s) in zip(classNames, metrics.perClass) where classes[name] == nil { classes[name] = scores(s) }
        var normalized: [String: JSONValue] = [:]
        for mode in ConfusionNormalization.allCases { normalized[mode.rawValue] = matrix(metrics.normalizedConfusion(mode)) }
        var object: [String: JSONValue] = [
            "title": .string(title),
            "samples": .int(metrics.sampleCount),
            "zero_division": .string(metrics.zeroDivision.rawValue),
            "accuracy": .double(metrics.accuracy),
            "classes": .object(classes),
            "macro": scores(metrics.macro),
            "micro": scores(metrics.micro),
            "weighted": scores(metrics.weighted),
            "averaged_classes": .string(metrics.averagedClasses.rawValue),
            "absent_classes": .array(metrics.absentClassIndices.map { .string(classNames[$0]) }),
            "confusion_matrix": .object([
                "labels": .array(classNames.map(JSONValue.string)),
                "matrix": .array(metrics.confusion.map { .array($0.map(JSONValue.int)) }),
                "normalized": .object(normalized),
            ]),
        ]
        if let source { object["source"] = .string(source) }
        if let training {
            object["training"] = .object([
                "epochs_run": .int(training.epochsRun),
                "best_epoch": training.bestEpoch.map(JSONValue.int) ?? .null,
                "stopping_reason": .string(training.stoppingReason),
                "seconds": .number(training.seconds),
            ])
        }
        if !history.isEmpty {
            object["history"] = .array(history.map { record in
                .object([
                    "epoch": .int(record.epoch),
                    "train_loss": .double(record.trainLoss),
                    "train_accuracy": .double(record.trainAccuracy),
                    "train_macro_f1": .number(record.trainMacroF1),
                    "validation_loss": .number(record.validationLoss),
                    "validation_accuracy": .number(record.validationAccuracy),
                    "validation_macro_f1": .number(record.validationMacroF1),
                    "learning_rate": .number(record.learningRate),
                    "seconds": .number(record.seconds),
                ])
            })
        }
        if let reading = biasVariance {
            object["bias_variance"] = .object([
                "bayes_error": .double(reading.bayesError),
                "training_error": .double(reading.trainingError),
                "dev_error": .double(reading.devError),
                "avoidable_bias": .double(reading.avoidableBias),
                "variance": .double(reading.variance),
                "tolerance": .double(reading.tolerance),
                "high_bias": .bool(reading.hasHighBias),
                "high_variance": .bool(reading.hasHighVariance),
                "diagnosis": .string(reading.diagnosis.rawValue),
                "advice": .string(reading.diagnosis.advice),
            ])
        }
        if !options.isEmpty {
            var members: [String: JSONValue] = [:]
            for option in options { members[option.key] = .string(option.value) }
            object["options"] = .object(members)
        }
        return .object(object)
    }
}
