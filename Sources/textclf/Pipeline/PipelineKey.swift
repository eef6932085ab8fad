/// One key of a pipeline file: where it sits (`section.name`), the `textclf train` option it
/// stands for, and the type of YAML value it takes.
///
/// ``all`` is the whole table. Every option that `textclf train` declares is either in it or
/// in ``notInPipelines``; the tests check both directions.
struct PipelineKey: Sendable, Equatable {
    /// The type of value a key takes, checked against the YAML node before anything runs.
    enum ValueType: String, Sendable, CaseIterable {
        /// Any scalar, passed on as written (`auto`, `2`, `label`).
        case string
        /// A scalar naming a file or folder; relative paths resolve against the pipeline file's folder.
        case path
        /// A whole number (`32`, `-1`).
        case int
        /// A number, whole or not (`0.01`, `1e-3`, `5`), passed on as written.
        case number
        /// `true` or `false`: `true` gives the flag, `false` leaves it out.
        case flag
        /// A list of strings, or one string with the items separated by commas; joined with commas.
        case strings
        /// A list of whole numbers, or one whole number; joined with commas.
        case ints

        /// How error messages and the key table name the type.
        var description: String {
            switch self {
            case .string: return "a string"
            case .path: return "a path"
            case .int: return "an integer"
            case .number: return "a number"
            case .flag: return "true or false"
            case .strings: return "a list of strings"
            case .ints: return "a list of integers"
            }
        }
    }

    /// The section: `data`, `text`, `features`, `model`, `optimizer`, `training`, `evaluation` or `output`.
    let section: String
    /// The key within the section, e.g. `lr`.
    let name: String
    /// The long option without its dashes (`lr` for `--lr`), or `nil` for the TRAIN argument.
    let option: String?
    /// The type of value the key takes.
    let type: ValueType
    /// What the key sets, for the key table in `pipelines/README.md`.
    let summary: String
    /// The subcommands whose option it is, or `nil` for all of ``PipelineExpansion/subcommands``.
    /// Expanding for another subcommand leaves the key out.
    let commands: [String]?

    /// The key as error messages write it: `optimizer.lr`.
    var dotted: String { section + "." + name }

    /// The option as the command line writes it (`--lr`), or `TRAIN` for the positional argument.
    var optionSpelling: String { option.map { "--" + $0 } ?? "TRAIN" }

    init(
        _ section: String, _ name: String, _ option: String?, _ type: ValueType, _ summary: String, commands: [String]? = nil
    ) {
        self.section = section
        self.name = name
        self.option = option
        self.type = type
        self.summary = summary
        self.commands = commands
    }

    /// Whether the key is an option of `command`.
    func applies(to command: String) -> Bool { commands?.contains(command) ?? true }

    /// The sections, in the order pipeline files and the key table list them.
    static let sections = ["data", "text", "features", "model", "optimizer", "training", "evaluation", "output"]

    /// Every key, grouped by section in ``sections`` order.
    static let all: [PipelineKey] = [
        PipelineKey("data", "train", nil, .path, "the training corpus"),
        PipelineKey("data", "validation", "validation", .path, "a corpus to validate on after each epoch", commands: ["train", "search"]),
        PipelineKey("data", "validation-fraction", "validation-fraction", .number, "hold out this fraction of the training corpus (stratified) for validation"),
        PipelineKey("data", "test", "test", .path, "a corpus to evaluate the final model on", commands: ["train"]),
        PipelineKey("data", "format", "format", .string, "tsv, csv, jsonl, folder or arff (default: detected from the path)"),
        PipelineKey("data", "encoding", "encoding", .string, "utf-8 or latin-1"),
        PipelineKey("data", "decode-errors", "decode-errors", .string, "strict, replace or ignore"),
        PipelineKey("data", "header", "header", .string, "auto, present or absent"),
        PipelineKey("data", "text-column", "text-column", .string, "text column or field: a name or a 1-based index"),
        PipelineKey("data", "label-column", "label-column", .string, "label column or field: a name or a 1-based index"),
        PipelineKey("data", "tsv-quoting", "tsv-quoting", .flag, "RFC 4180 quote processing for TSV fields too"),

        PipelineKey("text", "stages", "text", .strings, "text stages, applied in order (see `textclf help tokenize`)"),

        PipelineKey("features", "kind", "features", .string, "counts, tfidf, hashing or glove"),
        PipelineKey("features", "ngram", "ngram", .string, "word n-grams, MIN..MAX, e.g. 1..2"),
        PipelineKey("features", "min-df", "min-df", .number, "drop terms in fewer documents: a count or a fraction"),
        PipelineKey("features", "max-df", "max-df", .number, "drop terms in more documents: a count or a fraction"),
        PipelineKey("features", "max-features", "max-features", .int, "keep only the terms with the highest total count"),
        PipelineKey("features", "binary", "binary", .flag, "presence (1) instead of counts"),
        PipelineKey("features", "norm", "norm", .string, "row normalisation: l2, l1 or none"),
        PipelineKey("features", "no-idf", "no-idf", .flag, "TF-IDF without inverse document frequency"),
        PipelineKey("features", "no-smooth-idf", "no-smooth-idf", .flag, "do not add one to document frequencies"),
        PipelineKey("features", "sublinear-tf", "sublinear-tf", .flag, "1 + ln(tf) for term frequencies"),
        PipelineKey("features", "hash-features", "hash-features", .int, "the number of hashed columns"),
        PipelineKey("features", "no-alternate-sign", "no-alternate-sign", .flag, "hash without alternating signs"),
        PipelineKey("features", "embeddings", "embeddings", .path, "word vectors for `kind: glove`"),
        PipelineKey("features", "embeddings-format", "embeddings-format", .string, "glove, word2vec-text or word2vec-binary (default: detected)"),
        PipelineKey("features", "skip-bad-lines", "skip-bad-lines", .flag, "skip malformed lines of the embeddings file"),
        PipelineKey("features", "oov", "oov", .string, "unknown words in glove features: skip, zero or unk"),
        PipelineKey("features", "weighting", "weighting", .string, "how glove features combine word vectors: mean, tfidf or sum"),
        PipelineKey("features", "standardize", "standardize", .flag, "z-score dense (glove) features with training statistics"),
        PipelineKey("features", "cache-dir", "cache-dir", .path, "the cache folder for parsed word vectors"),

        PipelineKey("model", "kind", "model", .string, "logreg or mlp"),
        PipelineKey("model", "hidden", "hidden", .ints, "MLP hidden layer sizes"),
        PipelineKey("model", "activation", "activation", .string, "MLP activation: relu, leaky-relu, tanh or sigmoid"),
        PipelineKey("model", "dropout", "dropout", .number, "MLP dropout probability after each hidden layer"),
        PipelineKey("model", "batch-norm", "batch-norm", .flag, "MLP batch normalisation after each hidden layer"),
        PipelineKey("model", "layer-norm", "layer-norm", .flag, "MLP layer normalisation after each hidden layer"),
        PipelineKey("model", "initializer", "initializer", .string, "weight initialiser, e.g. pytorch or xavier-uniform"),

        PipelineKey("optimizer", "name", "optimizer", .string, "sgd, adam, adamw, adagrad or rmsprop"),
        PipelineKey("optimizer", "lr", "lr", .number, "learning rate"),
        PipelineKey("optimizer", "momentum", "momentum", .number, "momentum (sgd, rmsprop)"),
        PipelineKey("optimizer", "nesterov", "nesterov", .flag, "Nesterov momentum (sgd)"),
        PipelineKey("optimizer", "weight-decay", "weight-decay", .number, "weight decay on weights"),
        PipelineKey("optimizer", "l1", "l1", .number, "L1 penalty strength on weights"),
        PipelineKey("optimizer", "l2", "l2", .number, "L2 penalty strength on weights"),
        PipelineKey("optimizer", "schedule", "schedule", .string, "learning-rate schedule: none, step, exponential, cosine, inverse-time or warmup"),
        PipelineKey("optimizer", "gamma", "gamma", .number, "schedule factor (step, exponential) or decay (inverse-time)"),
        PipelineKey("optimizer", "step-size", "step-size", .int, "epochs per step (step), or the period (cosine, warmup)"),
        PipelineKey("optimizer", "clip-norm", "clip-norm", .number, "clip the gradients' total norm to this value"),

        PipelineKey("training", "epochs", "epochs", .int, "epochs"),
        PipelineKey("training", "batch-size", "batch-size", .int, "mini-batch size"),
        PipelineKey("training", "seed", "seed", .int, "seed for the split, initialisation, shuffling and dropout"),
        PipelineKey("training", "patience", "patience", .int, "stop after this many epochs without improvement (needs validation data)"),
        PipelineKey("training", "class-weight", "class-weight", .string, "class weights in the loss: none or balanced"),
        PipelineKey("training", "balanced-sampling", "balanced-sampling", .flag, "sample rows so that every class is equally likely"),
        PipelineKey("training", "overfit-batches", "overfit-batches", .int, "train on the first N batches only"),
        PipelineKey("training", "threads", "threads", .int, "BLAS threads (default: the cores)"),
        PipelineKey("training", "device", "device", .string, "cpu, reference, opencl[:N] or cuda[:N]"),
        PipelineKey("training", "stream", "stream", .flag, "read the corpus from disk each epoch, never whole in memory", commands: ["train"]),
        PipelineKey("training", "shuffle-buffer", "shuffle-buffer", .int, "the rows a streamed epoch is shuffled within", commands: ["train"]),

        PipelineKey("evaluation", "monitor", "monitor", .string, "what early stopping and the best epoch watch: val-loss, val-accuracy or val-f1"),
        PipelineKey("evaluation", "min-delta", "min-delta", .number, "the smallest change that counts as an improvement"),
        PipelineKey("evaluation", "log-every", "log-every", .int, "log the mean training loss every N steps"),
        PipelineKey("evaluation", "folds", "folds", .int, "the number of cross-validation folds", commands: ["cv", "search"]),

        PipelineKey("output", "dir", "out", .path, "the model folder to write", commands: ["train"]),
    ]

    /// `textclf train` options that have no key, and why: they say how to run, not what to run.
    static let notInPipelines: [String: String] = [
        "help": "shows help",
        "version": "shows the version",
        "pipeline": "names the pipeline file itself",
        "quiet": "how much the run prints",
        "verbose": "how much the run prints",
        "distributed": "how the processes were started (mpirun sets it)",
        "json": "where this run's summary is written",
        "resume": "continue a model already in the output folder",
        "overwrite": "replace a model already in the output folder",
        "run-log": "where the run is recorded",
        "no-run-log": "whether the run is recorded",
    ]

    /// Options that exclude each other: a command-line option replaces the file's partner too.
    static let exclusive: [String: [String]] = [
        "validation": ["validation-fraction"],
        "validation-fraction": ["validation"],
        "batch-norm": ["layer-norm"],
        "layer-norm": ["batch-norm"],
    ]

    /// The key for `section.name`, if there is one.
    static func named(_ section: String, _ name: String) -> PipelineKey? {
        all.first { $0.section == section && $0.name == name }
    }

    /// The key for a long option (`lr`), or the TRAIN argument for `nil`.
    static func forOption(_ option: String?) -> PipelineKey? {
        all.first { $0.option == option }
    }

    /// The keys of `section`, in table order.
    static func keys(in section: String) -> [PipelineKey] {
        all.filter { $0.section == section }
    }

    /// The key table as Markdown, as `pipelines/README.md` holds it.
    static var markdownTable: String {
        var lines = ["| key | type | option | sets |", "|---|---|---|---|"]
        for key in all {
            let only = key.commands.map { " (\($0.joined(separator: ", ")) only)" } ?? ""
            lines.append("| `\(key.dotted)` | \(key.type.rawValue) | `\(key.optionSpelling)` | \(key.summary)\(only) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
