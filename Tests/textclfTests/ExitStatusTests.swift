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
        try expectUsageError(["train", train, "--out", folder.url.path + "/m", "--lr=-1"], mentioning: "--lr must be positive")
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
        let wide = try TextClfBinary.run(
            ["train", train, "--batch-size", "\(Int.max)", "--epochs", "1", "--out", folder.url.path + "/wide", "--quiet", "--no-run-log"])
        #expect(wide.status == 0, "\(wide.standardError)")

        let csv = try folder.write("dev.csv", "text,label\ngood,pos\nbad,neg\n")
        try expectDataError(
            ["vectorize", train, "--apply", csv, "--out", folder.url.path + "/v", "--quiet"],
            mentioning: "but the training corpus is tsv")
    }
}
