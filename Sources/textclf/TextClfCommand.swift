import ArgumentParser
import Foundation

/// The `textclf` command-line tool.
struct TextClfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textclf",
        abstract: "Text-classification pipelines: from labelled text to a measured classifier.",
        discussion: """
            Corpora are TSV, CSV, JSON Lines, Weka ARFF files or one folder per label; the \
            format is detected from the path. Plain text (.txt, or --format lines) is one \
            unlabelled document per line, for 'textclf predict'. Text stages (--text) are applied in the order \
            written; see 'textclf help tokenize' for the list.

            Exit status: 0 on success; 64 for a usage error (an unknown option, a bad \
            option value, options that do not go together), printed with the usage; 1 for \
            a data error (an unreadable or malformed file, a corpus with one label, more \
            folds than a class has documents), printed as 'Error: ' and the message alone; \
            130 when interrupted.

            Examples:
              textclf tokenize sst2/dev.tsv --text whitespace,porter,sklearn
              textclf tokenize --text porter --words words.txt
              textclf vectorize sst2/train.tsv --apply sst2/dev.tsv --out out/sst2
              textclf train sst2/train.tsv --validation sst2/dev.tsv --out models/sst2
              textclf cv sms/SMSSpamCollection --folds 5
              textclf search sst2/dev.tsv --folds 3 --space 'lr=0.01|0.1' --out runs/lr
              textclf predict --model models/sst2 sst2/dev.tsv
              textclf report --model models/sst2 sst2/dev.tsv --html report.html
              textclf explain --model models/sst2 --top 15
              textclf project --model models/sms-mlp sms/test.tsv --out sms.csv
              textclf export --model models/sst2 --onnx sst2.onnx
              textclf serve --model models/sst2 --port 8080
              textclf train --pipeline pipelines/sst2-logreg.yaml
              textclf runs
              textclf stats sms/SMSSpamCollection
              textclf cache list
              textclf info
            """,
        version: TextClfVersion.current,
        subcommands: [
            Tokenize.self, Vectorize.self, Train.self, CrossValidate.self, Search.self, Predict.self, Report.self, Stats.self,
            Cache.self, Runs.self, Info.self, Explain.self, Project.self, Export.self, Serve.self,
        ]
    )

    /// Expands `--pipeline FILE` (see ``PipelineExpansion``), then parses and runs as usual.
    static func main() { PipelineExpansion.main(self) }
}

extension CommandConfiguration {
    /// The configuration of a subcommand of `textclf` without subcommands of its own, which
    /// ``PipelineExpansion/parse(_:root:)`` parses on its own: its super-command named, so
    /// that ArgumentParser titles its usage `textclf <name>` and skips the completion-script
    /// check there (requests for completion scripts go to the root; the check costs a parse
    /// of two more commands).
    func subcommandOfTextclf() -> CommandConfiguration {
        var configuration = self
        configuration._superCommandName = "textclf"
        return configuration
    }
}

/// The version of the tool and its file formats.
enum TextClfVersion {
    static let current = "0.1.0"
}

/// The process entry point. The fuzzing build (`-D TEXTCLF_FUZZ`, see `scripts/fuzz.sh`) runs
/// libFuzzer over a ``FuzzTarget`` instead of the command line.
@main
enum Main {
    static func main() {
        #if TEXTCLF_FUZZ
        Foundation.exit(FuzzTarget.runFuzzer())
        #else
        TextClfCommand.main()
        #endif
    }
}
