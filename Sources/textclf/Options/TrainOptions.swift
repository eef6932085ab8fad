import ArgumentParser
import TextClf

/// The `textclf train` options that `cv` and `search` take too: what one training is (the
/// model, text stages, features, training options, `--standardize`), how its data is read and
/// split, the pipeline file, `--quiet` and the run log.
struct TrainOptions: ParsableArguments {
    @Option(help: "The model: logreg or mlp.")
    var model: ModelChoice = .logreg

    @Option(help: ArgumentHelp(
        "Hold out this fraction of the training data (stratified, seeded) for validation: early stopping, the best epoch, a search's score; with folds, of each fold's training part.",
        valueName: "fraction"))
    var validationFraction: Double?

    @OptionGroup var pipelineFile: PipelineOption

    @OptionGroup(title: "Text")
    var text: TextOptions

    @OptionGroup(title: "Features")
    var features: FeatureOptions

    @OptionGroup(title: "Data")
    var data: DataOptions

    @OptionGroup(title: "Training")
    var training: TrainingArguments

    @Flag(help: "Print nothing but errors and the results.")
    var quiet = false

    @Flag(help: "z-score dense features (glove) with the training data's statistics ('train' saves them with the model).")
    var standardize = false

    @OptionGroup(title: "Run log")
    var runLog: RunLogOptions

    enum ModelChoice: String, ExpressibleByArgument, CaseIterable { case logreg, mlp }

    /// The training these options describe.
    var job: TrainingJob { TrainingJob(options: self) }

    /// Checks what one training is: text stages, features, training options, `--standardize`
    /// only for dense features, MLP options only for `--model mlp`.
    func check() throws {
        _ = try text.analyzer()
        try features.check()
        try training.check()
        if standardize && features.features != .glove {
            throw ValidationError("--standardize applies to dense features (--features glove); counts, tfidf and hashing are sparse")
        }
        if model == .logreg && (training.hidden != nil || training.dropout != 0 || training.batchNorm || training.layerNorm) {
            throw ValidationError("--hidden, --dropout, --batch-norm and --layer-norm apply to --model mlp")
        }
    }

    /// Checks the validation data: `validation` is the `--validation` file (`train`, `search`),
    /// `folds` the number of folds each training runs in (`cv`, `search --folds`), where
    /// `--validation-fraction` holds out part of each fold's training part.
    func checkValidation(validation: String?, folds: Int?) throws {
        if let folds, folds < 2 { throw ValidationError("--folds must be at least 2 (got \(folds))") }
        if validation != nil && validationFraction != nil {
            throw ValidationError("give either --validation or --validation-fraction, not both")
        }
        if let fraction = validationFraction, !(fraction > 0 && fraction < 1) {
            throw ValidationError("--validation-fraction must be between 0 and 1 (got \(fraction))")
        }
        if training.patience != nil && validation == nil && validationFraction == nil {
            throw ValidationError(
                folds == nil
                    ? "--patience needs validation data: --validation FILE or --validation-fraction F"
                    : "--patience needs validation data inside each fold: --validation-fraction F holds out a fraction of the fold's training part")
        }
    }

    /// The training documents and the validation documents: `corpus` less the
    /// `--validation-fraction` held out of it (stratified, with `--seed`) and that part, or
    /// `corpus` and `validation` when no fraction is given.
    func holdOut(from corpus: LabelledCorpus, else validation: LabelledCorpus? = nil) throws -> (LabelledCorpus, LabelledCorpus?) {
        guard let fraction = validationFraction else { return (corpus, validation) }
        let labels = try LabelEncoder(labels: corpus.labels).encode(corpus.labels)
        let parts = try Splits.stratified(labels: labels, fractions: [1 - fraction, fraction], seed: training.seed)
        // An empty part would train on nothing or measure nothing: refused before any work.
        if let empty = parts.firstIndex(where: \.isEmpty) {
            throw DataError(
                "--validation-fraction \(fraction) of \(corpus.texts.count) documents leaves the \(empty == 0 ? "training" : "validation") "
                    + "part empty; give a fraction that holds out at least one document and keeps one")
        }
        return (corpus.pick(parts[0]), corpus.pick(parts[1]))
    }

    /// The progress lines, silenced by `--quiet`.
    var progress: Progress { Progress(quiet: quiet) }
}
