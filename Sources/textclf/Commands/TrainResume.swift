import ArgumentParser
import Foundation
import TextClf

/// What `textclf train --resume` continues: the saved run's options, with the few that may
/// change between sessions taken from the command line.
///
/// `model.json` keeps the arguments that define a run (``ModelDocument/arguments``: data,
/// text stages, features, model, optimizer, schedule, batch size, seed, validation source,
/// early stopping, ...; paths made absolute). Resuming parses those again, so the run goes on
/// with the same options and, through the same seed, the same validation split. The options
/// in ``changeable`` may be given anew; they apply from now on and are saved for the next
/// resume. Any other option given with `--resume` must equal the saved value, or the command
/// stops before any work, naming the option, the saved value and the given one.
enum TrainResume {
    /// The options that may differ from the saved run's, as the command line spells them.
    static let changeable = ["epochs", "patience", "lr", "log-every", "threads", "test", "cache-dir"]

    /// Options that say where a run writes and what it prints (`--out` and those without a
    /// pipeline key): never saved, always the command line's.
    static let perInvocation = Set(PipelineKey.notInPipelines.keys).union(["out"])

    /// Options whose values are file or folder paths, saved absolute.
    static let paths: Set<String> = ["validation", "test", "embeddings", "cache-dir"]

    /// The arguments of `train` (after the subcommand's name), one by one.
    static let items = CommandArguments(Train.self).scan

    /// `path` made absolute against the current directory, `.` and `..` resolved.
    static func absolute(_ path: String) -> String {
        if path == "-" { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The arguments `model.json` saves for a run parsed from `arguments`: everything but
    /// ``perInvocation``, with paths absolute.
    static func savedArguments(_ arguments: [String]) -> [String] {
        items(arguments).flatMap { item -> [String] in
            guard let name = item.name else { return item.tokens.dropLast() + [absolute(item.value ?? "")] }
            if perInvocation.contains(name) { return [] }
            if paths.contains(name), let value = item.value { return ["--" + name, absolute(value)] }
            return item.tokens
        }
    }

    /// What ``resolve(_:arguments:)`` found.
    enum Resolution {
        /// Train with this command (the saved options and the changes), from these arguments.
        case train(Train, arguments: [String])
        /// The model needs no more training; the sentence says why.
        case finished(String)
    }

    /// The command to run for `train --resume` given as `arguments` (after the subcommand's
    /// name) and parsed as `given`.
    /// - Throws: `ValidationError` when the folder holds no saved options, or an option given
    ///   differs from the saved run's and may not change.
    static func resolve(_ given: Train, arguments: [String]) throws -> Resolution {
        let folder = given.out
        let jsonPath = URL(fileURLWithPath: folder).appendingPathComponent("model.json").path
        struct Saved: Decodable {
            var arguments: [String]?
            var training: TrainingState?
        }
        let saved: Saved
        do {
            guard let data = FileManager.default.contents(atPath: jsonPath) else {
                throw ModelFileError(path: jsonPath, message: "no such file or not readable")
            }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            saved = try decoder.decode(Saved.self, from: data)
        } catch let error as ModelFileError {
            throw ValidationError("--resume: \(error)")
        } catch {
            throw ValidationError("--resume: \(jsonPath): not a textclf model description (\(error))")
        }
        guard let savedArguments = saved.arguments, let state = saved.training else {
            throw ValidationError(
                "--resume: \(jsonPath) holds no saved training options to continue; train afresh with --overwrite")
        }
        let savedItems = items(savedArguments)
        let givenItems = items(arguments)

        // The training file.
        let savedTrain = savedItems.first { $0.name == nil }?.value
        if let givenTrain = givenItems.first(where: { $0.name == nil })?.value, let savedTrain,
            absolute(givenTrain) != savedTrain
        {
            throw ValidationError(
                "--resume: the model in \(folder) was trained on \(savedTrain), not \(absolute(givenTrain)); "
                    + "give the same TRAIN, or train afresh with --overwrite")
        }

        // Options that may not change must equal the saved ones.
        let anchor = ["--out", folder, "--resume"]
        let baseline: Train
        do { baseline = try Train.parse(savedArguments + anchor) } catch {
            throw ValidationError("--resume: \(jsonPath): the saved options do not parse (\(Train.message(for: error)))")
        }
        let baselineValues = RunOptionValues.of(baseline)
        for item in givenItems {
            guard let name = item.name, !perInvocation.contains(name), !changeable.contains(name) else { continue }
            let without = savedItems.filter { $0.name != name }.flatMap(\.tokens)
            let savedText = savedItems.last { $0.name == name }.map { $0.value ?? "(set)" } ?? "(not given)"
            if (try? Train.parse(without + item.tokens + anchor)).map(RunOptionValues.of) != baselineValues {
                throw conflict(name, saved: savedText, given: item.value ?? "(set)", folder: folder)
            }
        }

        // The saved arguments, the changes and this invocation's output settings.
        let replaced = Set(givenItems.compactMap { item in item.name.flatMap { changeable.contains($0) ? $0 : nil } })
        let kept = savedItems.filter { item in item.name.map { !replaced.contains($0) } ?? true }
        let changes = givenItems.filter { item in
            guard let name = item.name else { return false }
            return changeable.contains(name) || (perInvocation.contains(name) && name != "pipeline")
        }
        let effectiveArguments = kept.flatMap(\.tokens) + changes.flatMap(\.tokens)
        let effective: Train
        do {
            effective = try Train.parse(effectiveArguments)
        } catch {
            throw ValidationError("--resume: \(Train.message(for: error))")
        }
        try effective.checkOptions()

        let epochs = effective.options.training.epochs
        if state.epochsCompleted >= epochs {
            return .finished(
                "\(folder) has already trained \(state.epochsCompleted) epoch\(state.epochsCompleted == 1 ? "" : "s") "
                    + "(--epochs \(epochs)); nothing to do (give a larger --epochs to train more)")
        }
        // An epoch left unfinished by Ctrl-C was not stopped early.
        if state.partialEpoch == nil, let patience = effective.options.training.patience,
            state.earlyStopping.epochsWithoutImprovement >= patience
        {
            return .finished(
                "\(folder) stopped early after epoch \(state.epochsCompleted): no improvement for "
                    + "\(state.earlyStopping.epochsWithoutImprovement) epochs (--patience \(patience)); nothing to do "
                    + "(give a larger --patience to train on)")
        }
        return .train(effective, arguments: effectiveArguments)
    }

    private static func conflict(_ name: String, saved: String, given: String, folder: String) -> ValidationError {
        ValidationError(
            "--resume: --\(name) is \(saved) in the saved run (\(folder)), given \(given); "
                + "only \(changeable.map { "--" + $0 }.joined(separator: ", ")) may change when resuming")
    }
}
