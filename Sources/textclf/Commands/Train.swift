import ArgumentParser
import Foundation
import TextClf

/// `textclf train`: labelled text in, a trained and saved classifier out.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a logistic regression or an MLP on labelled text and save it.",
        discussion: """
            Reads TRAIN, fits the features on it (the same options as 'textclf vectorize'), \
            trains with mini-batches, reports every epoch, and saves the model folder:
              model.json           architecture, labels, options, per-epoch history
              model.safetensors    weights (the best epoch's when there is validation data)
              vectorizer.json      the fitted features, so 'predict' reads raw text
              optimizer.safetensors, best.safetensors, last.safetensors   for --resume

            Validation data comes from --validation FILE or --validation-fraction F (a \
            stratified split of TRAIN, seeded). Early stopping (--patience) monitors it. \
            --seed makes the run reproducible bit for bit.

            Training into a folder that already holds a model fails unless --resume or \
            --overwrite (start afresh) is given. --resume continues the saved run with every \
            option it was trained with (data, text stages, features, model, optimizer, \
            schedule, batch size, seed, validation split, early stopping): give TRAIN, --out \
            and what changes. Only --epochs, --patience, --lr, --log-every, --threads, \
            --test and --cache-dir may change; any other option given must equal the saved \
            value. Resuming N epochs gives the weights and history of a run of N epochs \
            in one go.

            Ctrl-C stops after the current batch: model.safetensors then holds the best \
            epoch's weights, and last.safetensors with optimizer.safetensors the state at \
            the interruption, from which --resume finishes the epoch exactly as an \
            uninterrupted run would. An --overwrite run interrupted before its first epoch \
            ends leaves the folder's previous model as it was.

            Training diverges when a loss, gradient or weight becomes NaN or infinite, or an \
            epoch's mean training loss passes 100 times that of a uniform guess (ln of the \
            number of classes). Divergence is an error (exit status 1): the folder then holds \
            the best epoch before it, or, when no epoch finished, is left as it was.

            Examples:
              textclf train sst2/train.tsv --validation sst2/dev.tsv --model logreg \\
                  --text whitespace,porter,sklearn --lr 0.01 --batch-size 16 --epochs 2 \\
                  --out models/sst2
              textclf train imdb/train.jsonl --test imdb/test.jsonl --model mlp \\
                  --features tfidf --hidden 64 --dropout 0.4 --validation-fraction 0.1 \\
                  --patience 2 --out models/imdb
              textclf train imdb/train.jsonl --out models/imdb --resume --epochs 8
            """).subcommandOfTextclf()

    @Argument(help: ArgumentHelp("The training corpus.", valueName: "train"))
    var train: String

    @Option(help: ArgumentHelp("The model folder to write.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("A labelled corpus to validate on after each epoch.", valueName: "file"))
    var validation: String?

    @Option(help: ArgumentHelp("A labelled corpus to evaluate the final model on.", valueName: "file"))
    var test: String?

    @OptionGroup var options: TrainOptions

    @Flag(help: "Continue training the model in --out from its last state.")
    var resume = false

    @Flag(help: ArgumentHelp(
        "Never hold the corpus or its feature matrix in memory: fit the features in one pass, then read TRAIN again each epoch, shuffled within --shuffle-buffer rows. Not with --standardize or --balanced-sampling."))
    var stream = false

    @Option(help: ArgumentHelp(
        "With --stream, the rows each epoch is shuffled within (memory grows with it; a corpus sorted by label needs more rows than its longest run of one label).",
        valueName: "rows"))
    var shuffleBuffer = 100_000

    @Flag(help: "Print the process's peak resident memory at the end (and, under mpirun, every rank's output).")
    var verbose = false

    @Option(help: ArgumentHelp(
        "Train data-parallel over the processes mpirun started: 'mpi'. Under mpirun this is the default; without Open MPI it is an error.",
        valueName: "mpi"))
    var distributed: String?

    @Flag(help: "Replace a model already in --out.")
    var overwrite = false

    @Option(help: ArgumentHelp(
        "Write a summary as JSON to this file: the model folder, data, classes, every epoch, the best epoch, why training stopped, validation and test metrics.",
        valueName: "file"))
    var json: String?

    func validate() throws {
        if resume && overwrite { throw ValidationError("give either --resume or --overwrite, not both") }
        let existing = FileManager.default.fileExists(atPath: out + "/model.json")
        if resume {
            // The other options are checked with the saved ones (TrainResume).
            guard existing else { throw ValidationError("--resume: \(out) holds no model to continue") }
            return
        }
        if existing && !overwrite {
            throw ValidationError(
                "\(out) already holds a model; pass --resume to continue training it or --overwrite to start afresh")
        }
        try checkOptions()
    }

    /// Checks the options together (those of a resumed run once the saved ones are in).
    func checkOptions() throws {
        try options.check()
        if shuffleBuffer < 1 { throw ValidationError("--shuffle-buffer must be at least 1 (got \(shuffleBuffer))") }
        if let distributed, distributed != "mpi" { throw ValidationError("--distributed: mpi is the one kind (got '\(distributed)')") }
        try options.checkValidation(validation: validation, folds: nil)
    }

    func run() throws {
        // The arguments as parsed (a pipeline file's included), without the subcommand's name.
        let arguments = PipelineExpansion.parsedArguments.map { Array($0.dropFirst()) }
        guard resume else { return try train(arguments: arguments) }
        switch try TrainResume.resolve(self, arguments: arguments ?? []) {
        case .finished(let sentence):
            print(sentence)
        case .train(let effective, let effectiveArguments):
            try effective.train(arguments: effectiveArguments)
        }
    }

    /// The processes of a data-parallel run: under mpirun (or with `--distributed mpi`),
    /// MPI's, when there are two or more; else `nil`.
    /// - Throws: ``CollectiveError`` when MPI is asked for and cannot be started.
    func processes() throws -> MPICollective? {
        guard distributed == "mpi" || MPICollective.isLaunchedByMPI else { return nil }
        let collective = try MPICollective.start()
        return collective.size > 1 ? collective : nil
    }

    /// Trains with these options, recording the run; `arguments` are saved with the model
    /// for `--resume`. Under mpirun, rank 0 alone records the run and writes the model.
    private func train(arguments: [String]?) throws {
        let collective = try processes()
        if let collective, collective.rank != 0 {
            var metrics: [String: Double] = [:]
            return try run(recorder: .disabled(), metrics: &metrics, arguments: arguments, collective: collective)
        }
        try options.runLog.record(command: "train", options: self, modelPath: out) { recorder, metrics in
            try run(recorder: recorder, metrics: &metrics, arguments: arguments, collective: collective)
        }
    }

    private func run(recorder: RunRecorder, metrics: inout [String: Double], arguments: [String]?, collective: MPICollective?) throws {
        let clock = ContinuousClock()
        let started = clock.now
        // Ranks other than 0 train silently, unless --verbose.
        let follower = (collective?.rank ?? 0) != 0
        let progress = follower && !verbose ? Progress(quiet: true) : options.progress
        var job = options.job
        job.collective = collective
        if let collective {
            progress.line("data-parallel: rank \(collective.rank) of \(collective.size) (MPI)")
        }
        CPUBackend.threads = options.training.threads ?? CPUBackend.usableCores

        var interrupt: InterruptHandler?
        defer { interrupt?.cancel() }
        let names = TrainingJob.Names(training: train, validation: validation ?? train, test: test)
        let prepare = { (trainer: Trainer) in
            recorder.attach(to: trainer)
            let cancellation = trainer.cancellation
            interrupt = InterruptHandler { cancellation.set() }
        }
        let outcome: TrainingJob.Outcome
        if stream {
            let corpusOptions = options.data.corpusOptions(labelRequired: true)
            var training = StreamedCorpus(path: train, options: corpusOptions)
            var held = validation.map { StreamedCorpus(path: $0, options: corpusOptions) }
            if let fraction = options.validationFraction {
                (training, held) = training.split(fraction: fraction, seed: options.training.seed)
            }
            recorder.update(data: "\(train): streamed" + (held.map { "; validation \($0.path)" } ?? "") + (test.map { "; test \($0)" } ?? ""))
            outcome = try job.runStreaming(
                training: training, validation: held, test: test.map { StreamedCorpus(path: $0, options: corpusOptions) },
                shuffleBuffer: shuffleBuffer, names: names, resumedFrom: resume ? out : nil, progress: progress, showBar: !options.quiet && !follower,
                prepare: prepare)
        } else {
            let data = options.data
            let (training, held) = try options.holdOut(
                from: LabelledCorpus.read(train, data: data), else: validation.map { try LabelledCorpus.read($0, data: data) })
            let testCorpus = try test.map { try LabelledCorpus.read($0, data: data) }
            var described = ["\(train): \(training.count) training documents"]
            if let held {
                described.append(validation.map { "\($0): \(held.count) validation documents" } ?? "\(held.count) validation documents held out")
            }
            if let test, let testCorpus { described.append("\(test): \(testCorpus.count) test documents") }
            recorder.update(data: described.joined(separator: "; "))
            outcome = try job.run(
                training: training, validation: held, test: testCorpus, names: names, resumedFrom: resume ? out : nil,
                progress: progress, showBar: !options.quiet && !follower, prepare: prepare)
        }
        // The model, its figures and the run's record are rank 0's to write.
        if follower {
            if verbose { print("rank \(collective!.rank): \(outcome.result.stoppingReason.description)") }
            return
        }
        interrupt?.cancel()
        interrupt = nil
        let result = outcome.result
        metrics = RunMetric.of(result)
        if let evaluation = outcome.test {
            metrics[RunMetric.testAccuracy] = evaluation.metrics.accuracy
            metrics[RunMetric.testMacroF1] = evaluation.metrics.macro.f1
            metrics[RunMetric.testLoss] = evaluation.loss
        }

        // A run that ends without a best epoch has no model worth keeping over an earlier one:
        // a divergence leaves weights that may not be finite, and an interrupted --overwrite
        // run must not replace the model it was to overwrite with a partial epoch's weights.
        let previousModel = FileManager.default.fileExists(atPath: out + "/model.json")
        let kept = previousModel ? "\(out) keeps its previous model" : "nothing was saved"
        if case .diverged = result.stoppingReason, !result.restoredBest {
            throw DataError("training \(result.stoppingReason.description), before any epoch finished; \(kept). Try a lower --lr (or --weight-decay, --l2), or --clip-norm")
        }
        if case .cancelled(let epoch, let step) = result.stoppingReason, !result.restoredBest, previousModel, !resume {
            print("interrupted in epoch \(epoch) after step \(step), before any epoch finished; \(kept)")
            throw ExitCode(130)
        }

        var document = ModelDocument(
            architecture: outcome.classifier.architecture, classes: outcome.encoder.classes, options: outcome.trainer.options,
            history: result.history, bestEpoch: result.bestEpoch, stoppingReason: result.stoppingReason.description,
            training: outcome.trainer.state)
        document.arguments = arguments.map(TrainResume.savedArguments)
        try outcome.pipeline.save(into: out, document: &document, classifier: outcome.classifier)

        print("\(result.stoppingReason.description); best epoch \(result.bestEpoch.map(String.init) ?? "-")")
        if let evaluation = outcome.validation,
            let best = result.bestEpoch.flatMap({ epoch in result.history.first { $0.epoch == epoch } }) ?? result.history.last
        {
            let accuracy = best.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-"
            let f1 = best.validationMacroF1.map { String(format: "%.4f", $0) } ?? "-"
            print("validation: accuracy \(accuracy), macro-F1 \(f1) (epoch \(best.epoch))")
            print("validation F1 per class (saved model): " + zip(outcome.encoder.classes, evaluation.metrics.perClass).map {
                "\($0.0) \(String(format: "%.4f", $0.1.f1))"
            }.joined(separator: ", "))
        }
        if let evaluation = outcome.test {
            print(
                String(format:
                    "test: accuracy %.4f, macro-F1 %.4f, loss %.4f (%ld documents)", evaluation.metrics.accuracy,
                    evaluation.metrics.macro.f1, evaluation.loss, evaluation.count))
        }
        let seconds = (clock.now - started).inSeconds
        print("saved \(out) in " + String(format: "%.2f s", seconds))
        if verbose {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print(String(format: "peak memory: %.1f MB resident", Double(usage.ru_maxrss) / 1024))
        }
        if let json {
            let summary = TrainSummary(outcome: outcome, model: out, train: train, seconds: seconds)
            try SummaryFile.write(summary, to: json)
            progress.line("wrote \(json)")
        }
        if case .diverged = result.stoppingReason, let best = result.bestEpoch {
            throw DataError("training \(result.stoppingReason.description); \(out) holds the model of the best epoch before it (epoch \(best))")
        }
        if case .cancelled(let epoch, let step) = result.stoppingReason {
            let weights = result.restoredBest
                ? "model.safetensors holds the best epoch's weights (epoch \(result.bestEpoch.map(String.init) ?? "-"))"
                : "no epoch was complete, so model.safetensors holds the weights at the interruption"
            print("interrupted in epoch \(epoch) after step \(step): \(weights); continue with: textclf train \(train) --out \(out) --resume")
            throw ExitCode(130)
        }
    }

    /// One line per epoch: losses, accuracies, macro-F1, learning rate and time.
    static func describe(_ record: EpochRecord) -> String {
        var line = String(format: "epoch %ld: train loss %.4f, accuracy %.4f", record.epoch, record.trainLoss, record.trainAccuracy)
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            line += String(format: "; validation loss %.4f, accuracy %.4f", loss, accuracy)
            if let f1 = record.validationMacroF1 { line += String(format: ", macro-F1 %.4f", f1) }
        }
        line += String(format: "; lr %g; %.2f s", Double(record.learningRate), record.seconds)
        return line
    }
}

/// What `textclf train --json FILE` writes.
struct TrainSummary: Encodable {
    /// Scores of the saved model on one set.
    struct Scores: Encodable {
        var documents: Int
        var loss: Double
        var accuracy: Double
        var macroF1: Double
        var weightedF1: Double
        var perClass: [String: PrecisionRecallF1]
        enum CodingKeys: String, CodingKey {
            case documents, loss, accuracy, perClass = "per_class", macroF1 = "macro_f1", weightedF1 = "weighted_f1"
        }

        init(_ evaluation: TrainingJob.Evaluation, classes: [String]) {
            documents = evaluation.count
            loss = evaluation.loss
            accuracy = evaluation.metrics.accuracy
            macroF1 = evaluation.metrics.macro.f1
            weightedF1 = evaluation.metrics.weighted.f1
            perClass = Dictionary(uniqueKeysWithValues: zip(classes, evaluation.metrics.perClass))
        }
    }

    var model: String
    var train: String
    var trainingDocuments: Int
    var features: Int
    var classes: [String]
    var epochs: [EpochRecord]
    var bestEpoch: Int?
    var stoppingReason: String
    var interrupted: Bool
    var validation: Scores?
    var test: Scores?
    var seconds: Double
    enum CodingKeys: String, CodingKey {
        case model, train, features, classes, epochs, interrupted, validation, test, seconds
        case trainingDocuments = "training_documents", bestEpoch = "best_epoch", stoppingReason = "stopping_reason"
    }

    init(outcome: TrainingJob.Outcome, model: String, train: String, seconds: Double) {
        self.model = model
        self.train = train
        trainingDocuments = outcome.trainingCount
        features = outcome.pipeline.columnCount
        classes = outcome.encoder.classes
        epochs = outcome.result.history
        bestEpoch = outcome.result.bestEpoch
        stoppingReason = outcome.result.stoppingReason.description
        if case .cancelled = outcome.result.stoppingReason { interrupted = true } else { interrupted = false }
        validation = outcome.validation.map { Scores($0, classes: outcome.encoder.classes) }
        test = outcome.test.map { Scores($0, classes: outcome.encoder.classes) }
        self.seconds = seconds
    }
}
