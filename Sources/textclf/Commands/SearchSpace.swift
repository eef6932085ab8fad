import ArgumentParser
import Foundation
import TextClf

/// One searched option of `textclf search`, parsed from `--space KEY=VALUES`.
///
/// `KEY` is a `textclf train` option without its dashes (`lr`, `hidden`, `text`), or a pipeline
/// key (`optimizer.lr`). `VALUES` is one of:
/// - choices separated by `|`: `adam|sgd`, `16|32|64,32`, `lowercase,words|lowercase,sklearn`;
/// - `a..b`: uniform between a and b; `log:a..b`: log-uniform (a > 0); `int:a..b`: an integer
///   from a to b, both included.
///
/// A flag takes `true|false`. `ngram` values are ranges themselves (`1..2`), so they are always
/// choices.
struct SearchDimension: Equatable, Sendable {
    /// The values a dimension takes.
    enum Domain: Equatable, Sendable {
        case choices([String])
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case integers(Int, Int)
    }

    /// The `train` option, without its dashes.
    let key: String
    /// Its values.
    let domain: Domain
    /// Whether the option is a flag (values `true` and `false`).
    let isFlag: Bool

    /// `train` options that a search cannot vary: how to run rather than what, the output, and
    /// the data (read once for every trial).
    static let fixed: [String: String] = [
        "help": "shows help", "version": "shows the version", "out": "trials save no model", "test": "search does not test",
        "resume": "trials start afresh", "overwrite": "trials save no model", "quiet": "trials print nothing",
        "pipeline": "names a pipeline file", "run-log": "says where runs are recorded", "no-run-log": "says where runs are recorded",
        "threads": "set by --jobs", "validation": "the data is read once", "validation-fraction": "the data is split once per seed",
        "format": "the data is read once", "encoding": "the data is read once", "decode-errors": "the data is read once",
        "header": "the data is read once", "text-column": "the data is read once", "label-column": "the data is read once",
        "tsv-quoting": "the data is read once",
    ]

    /// Parses `KEY=VALUES`, checking the key against `train`'s options.
    init(parsing spec: String, trainOptions: CommandArguments = CommandArguments(Train.self)) throws {
        guard let equals = spec.firstIndex(of: "=") else {
            throw ValidationError("--space '\(spec)': expected KEY=VALUES, e.g. 'lr=log:1e-4..1e-1' or 'optimizer=adam|sgd'")
        }
        var key = spec[..<equals].trimmingCharacters(in: .whitespaces)
        let values = spec[spec.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if key.hasPrefix("--") { key.removeFirst(2) }
        if key.contains("."), let pipelineKey = PipelineKey.all.first(where: { $0.dotted == key }), let option = pipelineKey.option {
            key = option
        }
        let known = trainOptions.valueOptions.union(trainOptions.flags)
        guard known.contains(key) else {
            let candidates = known.subtracting(Self.fixed.keys).sorted()
            let close = candidates.filter { Self.distance($0, key) <= 2 || (min($0.count, key.count) >= 2 && ($0.hasPrefix(key) || key.hasPrefix($0))) }
            let hint = close.isEmpty ? "." : "; did you mean \(close.map { "'\($0)'" }.joined(separator: " or "))?"
            throw ValidationError(
                "--space '\(spec)': unknown key '\(key)'\(hint) The keys are the options of 'textclf train': \(candidates.joined(separator: ", "))")
        }
        if let reason = Self.fixed[key] {
            throw ValidationError("--space '\(spec)': '\(key)' cannot be searched (\(reason))")
        }
        self.key = key
        isFlag = trainOptions.flags.contains(key)
        guard !values.isEmpty else { throw ValidationError("--space '\(spec)': no values after '='") }
        domain = try Self.domain(values, key: key, isFlag: isFlag, spec: spec)
    }

    private static func domain(_ values: String, key: String, isFlag: Bool, spec: String) throws -> Domain {
        if isFlag || values.contains("|") || key == "ngram" || !values.contains("..") {
            let choices = values.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if isFlag, !choices.allSatisfy({ $0 == "true" || $0 == "false" }) {
                throw ValidationError("--space '\(spec)': --\(key) is a flag; its values are true|false")
            }
            guard !choices.contains(where: \.isEmpty) else { throw ValidationError("--space '\(spec)': an empty choice") }
            return .choices(choices)
        }
        var body = Substring(values)
        var kind = "uniform"
        for prefix in ["log:", "int:"] where body.hasPrefix(prefix) {
            kind = String(prefix.dropLast())
            body = body.dropFirst(prefix.count)
        }
        let bounds = body.components(separatedBy: "..")
        guard bounds.count == 2, let low = Double(bounds[0].trimmingCharacters(in: .whitespaces)),
            let high = Double(bounds[1].trimmingCharacters(in: .whitespaces)), low.isFinite, high.isFinite
        else {
            throw ValidationError("--space '\(spec)': expected a range a..b, log:a..b or int:a..b with numbers a and b")
        }
        guard low < high else { throw ValidationError("--space '\(spec)': the range's low end must be below its high end") }
        switch kind {
        case "log":
            guard low > 0 else { throw ValidationError("--space '\(spec)': a log range needs positive ends") }
            return .logUniform(low, high)
        case "int":
            guard let a = Int(exactly: low), let b = Int(exactly: high) else {
                throw ValidationError("--space '\(spec)': an int range needs whole numbers")
            }
            return .integers(a, b)
        default:
            return .uniform(low, high)
        }
    }

    /// The dimension's values in a grid: the choices, or `points` evenly spaced values of a
    /// range (log-spaced for `log:`, rounded and without repeats for `int:`).
    func gridValues(points: Int?) throws -> [String] {
        if case .choices(let choices) = domain { return choices }
        guard let points else {
            throw ValidationError(
                "--space \(key): a grid needs choices (a|b|c); give --grid-points N to spread N values over the range, or --strategy random")
        }
        let spread = (0..<points).map { index in points == 1 ? 0.5 : Double(index) / Double(points - 1) }
        switch domain {
        case .choices(let choices): return choices
        case .uniform(let low, let high): return spread.map { Self.format(low + $0 * (high - low)) }
        case .logUniform(let low, let high): return spread.map { Self.format(exp(log(low) + $0 * (log(high) - log(low)))) }
        case .integers(let low, let high):
            var seen = Set<Int>()
            return spread.compactMap { t in
                let value = Int((Double(low) + t * Double(high - low)).rounded())
                return seen.insert(value).inserted ? String(value) : nil
            }
        }
    }

    /// One value drawn from the dimension.
    func sample(_ generator: inout RandomGenerator) -> String {
        func unit() -> Double { Double(generator.nextUInt64() >> 11) * 0x1p-53 }
        switch domain {
        case .choices(let choices): return choices[generator.nextInt(below: choices.count)]
        case .uniform(let low, let high): return Self.format(low + unit() * (high - low))
        case .logUniform(let low, let high): return Self.format(exp(log(low) + unit() * (log(high) - log(low))))
        case .integers(let low, let high): return String(low + generator.nextInt(below: high - low + 1))
        }
    }

    /// The command-line arguments for `value`: `--key value`, or the flag alone for `true`.
    func arguments(_ value: String) -> [String] {
        if isFlag { return value == "true" ? ["--" + key] : [] }
        return ["--" + key, value]
    }

    /// A drawn number as the command line gets it: four significant digits.
    static func format(_ value: Double) -> String { String(format: "%.4g", value) }

    /// The Levenshtein distance, for suggestions.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The trials of a search: every grid point, or seeded random draws.
enum SearchPlan {
    /// The values of each trial, one per dimension, in `--space` order.
    /// - Parameters:
    ///   - dimensions: the searched options.
    ///   - random: random draws instead of a grid.
    ///   - trials: how many trials (random: default 10; grid: at most this many, default all).
    ///   - gridPoints: values per range in a grid.
    ///   - seed: trial *i*'s values come from stream *i* of `RandomGenerator(seed:)`, so the
    ///     list depends on the seed and the space only.
    static func trials(_ dimensions: [SearchDimension], random: Bool, trials: Int?, gridPoints: Int?, seed: UInt64) throws -> [[String]] {
        if random {
            return (0..<(trials ?? 10)).map { index in
                var generator = RandomGenerator(seed: seed).fork(stream: UInt64(index))
                return dimensions.map { $0.sample(&generator) }
            }
        }
        var grid: [[String]] = [[]]
        for dimension in dimensions {
            let values = try dimension.gridValues(points: gridPoints)
            grid = grid.flatMap { prefix in values.map { prefix + [$0] } }
        }
        if let trials { grid = Array(grid.prefix(trials)) }
        return grid
    }
}
