import ArgumentParser
import TextClf

/// How to read a corpus: shared by every command that reads labelled text.
struct DataOptions: ParsableArguments {
    @Option(help: "Corpus format: \(HelpText.choices(of: CorpusFormat.self)) (default: detected from the path; lines: one unlabelled document per line, as .txt files are read).")
    var format: CorpusFormat?

    @Option(help: "File encoding: utf-8 or latin-1.")
    var encoding: TextEncoding = .utf8

    @Option(help: "Undecodable bytes: strict (error), replace (U+FFFD) or ignore, as in Python.")
    var decodeErrors: DecodeErrors = .strict

    @Option(help: "Whether delimited files start with a header row: auto, present or absent.")
    var header: HeaderMode = .auto

    @Option(help: ArgumentHelp(
        "Text column or field: a header/field name or a 1-based index.",
        discussion: "Default: a text-like header name, the 'text' field of JSON Lines, or the column with the longest values."))
    var textColumn: String?

    @Option(help: ArgumentHelp(
        "Label column or field: a header/field name or a 1-based index.",
        discussion: "Default: a label-like header name, the 'label' field of JSON Lines, or the column with the fewest distinct values."))
    var labelColumn: String?

    @Flag(help: "Apply RFC 4180 quote processing to TSV fields too.")
    var tsvQuoting = false

    /// The reader options; `labelRequired` says whether every document needs a label.
    func corpusOptions(labelRequired: Bool) -> CorpusOptions {
        CorpusOptions(
            format: format, encoding: encoding, decodeErrors: decodeErrors, header: header,
            textColumn: textColumn.map(ColumnSelector.init(parsing:)),
            labelColumn: labelColumn.map(ColumnSelector.init(parsing:)),
            labelRequired: labelRequired, tsvQuoting: tsvQuoting)
    }
}

extension CorpusFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
extension HeaderMode: ExpressibleByArgument {}
extension DecodeErrors: ExpressibleByArgument {}
extension TextEncoding: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
