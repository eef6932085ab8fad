import ArgumentParser
import TextClf

/// The text stages: shared by every command that analyzes text.
struct TextOptions: ParsableArguments {
    @Option(
        name: .customLong("text"),
        help: ArgumentHelp(
            "Text stages, comma-separated, applied in order.",
            discussion: "Default: lowercase,sklearn (what scikit-learn's CountVectorizer does). Stages:\n"
                + TextStage.catalogue.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n"),
            valueName: "stages"))
    var stages: String = TextStage.sklearnDefault.stageNames

    /// The analyzer these options describe.
    func analyzer() throws -> Analyzer {
        do {
            return try Analyzer(parsing: stages)
        } catch let error as TextStageError {
            throw ValidationError("--text: \(error)")
        }
    }
}
