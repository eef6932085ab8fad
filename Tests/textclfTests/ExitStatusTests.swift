import Foundation
import Testing

/// What the command line answers to a mistake: a usage error (the command line itself is
/// wrong) exits 64 with the usage text; a data error (the files are wrong) exits 1 with its
/// message alone.
@Suite("Exit statuses: usage errors 64, data errors 1")
struct ExitStatusTests {
    /// Expects a usage error: status 64, the message and the usage text on standard error.
    func expectUsageError(_ arguments: [String], mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try TextClfBinary.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(text), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains("Usage:"), "\(result.standardError)", sourceLocation: sourceLocation)
    }

    /// Expects a data error: status 1, `Error: ` and the message on standard error, no usage text.
    func expectDataError(_ arguments: [String], mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try TextClfBinary.run(arguments)
        #expect(result.status == 1, "\(arguments): \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains("Error: "), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(text), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(!result.standardError.contains("Usage:"), "\(result.standardError)", sourceLocation: sourceLocation)
    }

    @Test func usageErrorsExit64WithTheUsage() throws {
        let folder = try TemporaryFolder()
        let train = try folder.write("train.tsv", TrainCommandTests.corpus(30, seed: 13))
        try expectUsageError(["stats", train, "--no-such-option"], mentioning: "--no-such-option")
        try expectUsageError(["cv", train, "--folds", "many"], mentioning: "many")
        try expectUsageError(["cv", train, "--folds", "1"], mentioning: "--folds must be at least 2")
        try expectUsageError(["train", train, "--out", folder.url.path + "/m", "--lr=-1"], mentioning: "--lr must be a positive number")
        // Values no training can use are usage errors, not NaN weights.
        try expectUsageError(["train", train, "--out", folder.url.path + "/m", "--weight-decay", "inf"], mentioning: "--weight-decay must be a number, 0 or more (got inf)")
        try expectUsageError(["train", train, "--out", folder.url.path + "/m", "--l2", "nan"], mentioning: "--l2 must be a number, 0 or more")
        try expectUsageError(["train", train, "--out", folder.url.path + "/m", "--lr", "inf"], mentioning: "--lr must be a positive number")
    }

    @Test func dataErrorsExit1WithoutTheUsage() throws {
        let folder = try TemporaryFolder()
        let oneLabel = try folder.write("one.tsv", "text\tlabel\na good film\tpos\nanother good film\tpos\nfine\tpos\n")
        try expectDataError(["cv", oneLabel, "--folds", "2", "--quiet", "--no-run-log"], mentioning: "only one label")
        try expectDataError(
            ["train", oneLabel, "--out", folder.url.path + "/m", "--quiet", "--no-run-log"], mentioning: "only one label")

        let train = try folder.write("train.tsv", TrainCommandTests.corpus(30, seed: 13))
        try expectDataError(["cv", train, "--folds", "40", "--quiet", "--no-run-log"], mentioning: "stratified folds")

        let truth = try folder.write("truth.txt", "spam\nham\nham\n")
        let short = try folder.write("short.txt", "spam\nham\n")
        try expectDataError(["report", "--predictions", short, "--truth", truth], mentioning: "has 2 labels but \(truth) has 3")
        try expectDataError(
            ["report", "--predictions", folder.url.path + "/nope.txt", "--truth", truth], mentioning: "nope.txt: no such file")
        try expectDataError(["stats", folder.url.path + "/missing.tsv"], mentioning: "missing.tsv")

        // A validation fraction too small to hold out a document is refused, not trained on.
        try expectDataError(
            ["train", train, "--validation-fraction", "0.0001", "--out", folder.url.path + "/tiny", "--quiet", "--no-run-log"],
            mentioning: "--validation-fraction 0.0001 of 30 documents leaves the validation part empty")
        #expect(!FileManager.default.fileExists(atPath: folder.url.path + "/tiny"))
        try expectDataError(
            ["cv", train, "--folds", "2", "--validation-fraction", "0.0001", "--quiet", "--no-run-log"],
            mentioning: "leaves the validation part empty")

        // A model too large for memory is refused before it is allocated; a batch larger than
        // the data (up to Int.max) is one batch.
        try expectDataError(
            ["train", train, "--model", "mlp", "--hidden", "100000000000", "--out", folder.url.path + "/huge", "--quiet", "--no-run-log"],
            mentioning: "for its weights, gradients and optimizer state; this machine has")
        try expectDataError(
            ["train", train, "--model", "mlp", "--hidden", "\(Int.max / 2),4", "--out", folder.url.path + "/huge", "--quiet", "--no-run-log"],
            mentioning: "needs more memory than can be counted")
        // Countable, but more bytes than 64 bits hold once weights, gradients and moments are added.
        try expectDataError(
            ["train", train, "--model", "mlp", "--hidden", "\(Int.max / 200)", "--out", folder.url.path + "/huge", "--quiet", "--no-run-log"],
            mentioning: "for its weights, gradients and optimizer state")
        #expect(!FileManager.default.fileExists(atPath: folder.url.path + "/huge"))
        // cv and search size their models through the same check.
        try expectDataError(
            ["cv", train, "--folds", "2", "--model", "mlp", "--hidden", "100000000000", "--quiet", "--no-run-log"],
            mentioning: "for its weights, gradients and optimizer state; this machine has")
        try expectDataError(
            ["search", train, "--validation-fraction", "0.3", "--model", "mlp", "--space", "hidden=4|100000000000", "--strategy", "grid", "--quiet", "--no-run-log"],
            mentioning: "for its weights, gradients and optimizer state; this machine has")
        let wide = try TextClfBinary.run(
            ["train", train, "--batch-size", "\(Int.max)", "--epochs", "1", "--out", folder.url.path + "/wide", "--quiet", "--no-run-log"])
        #expect(wide.status == 0, "\(wide.standardError)")

        let csv = try folder.write("dev.csv", "text,label\ngood,pos\nbad,neg\n")
        try expectDataError(
            ["vectorize", train, "--apply", csv, "--out", folder.url.path + "/v", "--quiet"],
            mentioning: "but the training corpus is tsv")
    }

    /// Divergence is an error: a run whose loss grows without bound saves nothing (or keeps
    /// the previous model), and one that diverges after a good epoch keeps that epoch's model.
    @Test func divergenceIsADataErrorAndNoDivergedWeightsAreSaved() throws {
        let folder = try TemporaryFolder()
        // Contradicting labels, so that no weights fit them all and the loss stays away from 0.
        let rows = (1...100).map { "good great film \($0)\tpos\nbad awful film \($0)\tneg\ngood bad film \($0 % 7)\tpos\ngood bad film \($0 % 5)\tneg\n" }
        let train = try folder.write("train.tsv", "text\tlabel\n" + rows.joined())
        let out = folder.url.path + "/m"
        // Every step's loss is finite, but it reaches about 1e10: diverged in the first epoch.
        try expectDataError(
            ["train", train, "--lr", "1e10", "--optimizer", "sgd", "--epochs", "3", "--out", out, "--quiet", "--no-run-log"],
            mentioning: "times that of a uniform guess")
        let failed = try TextClfBinary.run(["train", train, "--lr", "1e10", "--optimizer", "sgd", "--out", out, "--quiet", "--no-run-log"])
        #expect(failed.standardError.contains(", before any epoch finished; nothing was saved"), "\(failed.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out + "/model.json"))

        // The learning rate grows a millionfold an epoch: the first epoch is the best one.
        let result = try TextClfBinary.run(
            ["train", train, "--lr", "0.01", "--schedule", "exponential", "--gamma", "1e6", "--epochs", "5", "--out", out, "--no-run-log", "--quiet"])
        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("diverged at epoch"), "\(result.standardError)")
        #expect(result.standardError.contains("holds the model of the best epoch before it (epoch 1)"), "\(result.standardError)")
        let predictions = try TextClfBinary.run(["predict", "--model", out, "--proba", "-"], standardInput: "a great film\n")
        #expect(predictions.status == 0, "\(predictions.standardError)")
        #expect(!predictions.standardOutput.contains("nan"), "\(predictions.standardOutput)")
    }
}
