// The entry point: format detection and dispatch.

import Foundation
import TextClfText

/// Reads labelled documents from a TSV, CSV, JSON Lines, ARFF file or a folder-per-label tree,
/// and unlabelled ones from plain text, one document per line.
///
/// **Line ends.** In every file format `\n`, `\r\n` and a lone `\r` end a line, as Python's
/// universal newlines (``LineBreaks``); line numbers count them alike.
///
/// **Format detection.** A forced ``CorpusOptions/format`` wins. Otherwise a directory is a
/// folder-per-label corpus; `.tsv`, `.csv`, `.jsonl`/`.ndjson`/`.json` (one object per line),
/// `.arff` and `.txt` (lines) name their format; for any other name the first line decides (after blank lines and
/// `%` comment lines): `@relation` → ARFF, `{` → JSON Lines, a tab → TSV, a comma → CSV.
///
/// **Delimited files (TSV/CSV).** CSV fields follow RFC 4180 (`"` quotes, `""` escapes, delimiters
/// and line breaks inside quotes, kept as they are; text after a closing quote is kept, as
/// Python's `csv` does). TSV fields are split on tabs with no quote processing unless
/// ``CorpusOptions/tsvQuoting`` is set. Blank lines are skipped. Header, when ``HeaderMode/auto``: the first row is a header when any of its fields,
/// trimmed and lowercased, is one of ``CorpusOptions/textColumnNames`` or
/// ``CorpusOptions/labelColumnNames``. Default columns: with a header, the first text-like and
/// label-like names (in those lists' order of preference). Without a header, the text column is
/// the column with the largest mean byte length over the first 1000 data rows, and the label
/// column, among the others, the one with the fewest distinct values (ties: the leftmost). With
/// a header but no text-like name, the text column is chosen by mean length in the same way; with
/// a header but no label-like name there is no label column (an error unless
/// ``CorpusOptions/labelRequired`` is `false`). Every row must have as many fields as the header (or, without a header,
/// the first row).
///
/// **JSON Lines.** Text and label fields by name (`text`, `label` by default); a label may be a
/// string, number or bool (its JSON text is kept, e.g. `1`, `1.0`, `true`), but every label of a
/// file has the JSON type of its first (a number among string labels is an error); `null` and
/// `""` count as missing. Blank lines are skipped.
///
/// **Lines.** One document per line, without labels (an error when labels are required):
/// `\n`, `\r\n` and `\r` end a line, as Python's universal newlines do; a blank line is an
/// empty document; nothing follows the final line end. ``forEachLine(of:name:options:_:)``
/// reads bytes (standard input) the same way.
///
/// **Folders.** `DIR/<label>/<file>` like scikit-learn's `load_files`: label folders sorted by
/// code point, files sorted within each, hidden entries and nested folders skipped; each file is
/// one document. Links (to label folders or files) are followed while their target, resolved
/// with `realpath`, lies inside `DIR` (itself resolved); links that lead out of it are skipped,
/// with one warning per read, and links that cannot be resolved (missing targets, loops) are
/// skipped as missing entries.
///
/// **ARFF.** The text is the first `string` attribute and the label the last nominal attribute
/// (or both by name / 1-based index). Values are quoted with `'` or `"` (escapes `\n \t \r \' \"
/// \\ \%`) or unquoted; `?` is missing (empty text, missing label); `%` lines are comments;
/// keywords are case-insensitive; a label outside the declared set is an error. Sparse rows are
/// not supported.
///
/// **Encoding.** UTF-8 (a leading BOM skipped) or Latin-1, with Python's `strict`, `replace` or
/// `ignore` error handling.
public struct CorpusReader: Sendable {
    /// The corpus path, as given.
    public let path: String
    /// The options.
    public let options: CorpusOptions
    /// The detected (or forced) format.
    public let format: CorpusFormat

    /// Opens a corpus (a file, or a directory for folder-per-label corpora) and detects its format.
    /// - Throws: ``CorpusError`` when the path is missing, the format cannot be detected, or a
    ///   forced format does not fit the path.
    /// Whether reading keeps resident memory small however large the file: the file's mapped
    /// pages are dropped every ``documentsPerRelease`` documents (and read again from the page
    /// cache if touched), so a corpus read to the end does not stay resident. For corpora
    /// read again and again without being kept (`textclf train --stream`).
    public var boundedMemory = false

    public init(path: String, options: CorpusOptions = .init()) throws {
        self.path = path
        self.options = options
        self.format = try CorpusReader.detectFormat(path: path, forced: options.format)
    }

    /// The format of `path`: `forced`, when given and it fits the path, else the detected one.
    /// - Throws: ``CorpusError`` for a missing path or an undetectable format.
    public static func detectFormat(path: String, forced: CorpusFormat? = nil) throws -> CorpusFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusError(.fileNotFound, path: path, message: "no such file or folder")
        }
        if isDirectory.boolValue {
            if let forced, forced != .folder {
                throw CorpusError(
                    .unknownFormat, path: path, message: "is a folder, but the format '\(forced.rawValue)' needs a file")
            }
            return .folder
        }
        if let forced {
            if forced == .folder {
                throw CorpusError(.unknownFormat, path: path, message: "is a file, but the format 'folder' needs a folder")
            }
            return forced
        }
        switch (path as NSString).pathExtension.lowercased() {
        case "tsv", "tab": return .tsv
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonl
        case "arff": return .arff
        case "txt": return .lines
        default: break
        }
        // Sniff the first meaningful line.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CorpusError(.unreadable, path: path, message: "cannot open the file")
        }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 1 << 16))
        let bom = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var firstLine: ArraySlice<UInt8> = []
        for range in LineBreaks.lines(of: Array(head[bom...])) {
            let line = head[(range.lowerBound + bom)..<(range.upperBound + bom)]
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 }
            if trimmed.isEmpty || trimmed.first == 0x25 { continue }
            firstLine = line
            break
        }
        let text = String(decoding: firstLine.drop { $0 == 0x20 || $0 == 0x09 }, as: UTF8.self).lowercased()
        if text.hasPrefix("@relation") { return .arff }
        if text.hasPrefix("{") { return .jsonl }
        if firstLine.contains(0x09) { return .tsv }
        if firstLine.contains(0x2C) { return .csv }
        if head.isEmpty {
            throw CorpusError(.emptyCorpus, path: path, message: "the file is empty")
        }
        throw CorpusError(
            .unknownFormat, path: path, line: 1,
            message: "cannot detect the format from the first line (no '@relation', '{', tab or comma); choose a format")
    }

    /// Calls `body` with each document in order, streaming from a memory-mapped file (or one
    /// file at a time for folders); stops at the first error `body` throws.
    /// - Parameters:
    ///   - warn: Called with each warning about the corpus, before the documents it concerns:
    ///     a folder corpus's links that lead out of the folder, which are skipped.
    ///   - body: Called with each document.
    /// - Throws: ``CorpusError`` for bad input (naming file, line and field), or what `body` throws.
    public func forEach(warn: (String) -> Void = { _ in }, _ body: (LabeledDocument) throws -> Void) throws {
        func read(_ ctx: ByteContext, _ body: (LabeledDocument) throws -> Void) throws {
            switch format {
            case .tsv:
                try DelimitedReader.read(ctx: ctx, delimiter: 0x09, quoting: options.tsvQuoting, options: options, body)
            case .csv:
                try DelimitedReader.read(ctx: ctx, delimiter: 0x2C, quoting: true, options: options, body)
            case .jsonl:
                try JSONLReader.read(ctx: ctx, options: options, body)
            case .arff:
                try ARFFReader.read(ctx: ctx, options: options, body)
            case .lines:
                try LinesReader.read(ctx: ctx, options: options, body)
            case .folder:
                break
            }
        }
        switch format {
        case .folder:
            try FolderReader.read(path: path, options: options, warn: warn, body)
        case .tsv, .csv, .jsonl, .arff, .lines:
            guard boundedMemory else {
                return try withFileBytes(path: path, encoding: options.encoding, errors: options.decodeErrors) { try read($0, body) }
            }
            try withReleasableFileBytes(path: path, encoding: options.encoding, errors: options.decodeErrors) { ctx, release in
                var sinceRelease = 0
                try read(ctx) { document in
                    try body(document)
                    sinceRelease += 1
                    if sinceRelease == Self.documentsPerRelease {
                        release()
                        sinceRelease = 0
                    }
                }
            }
        }
    }

    /// With ``boundedMemory``, the file's resident pages are dropped after this many documents.
    static let documentsPerRelease = 1024

    /// Every document, in file order; `warn` is called with each warning (see
    /// ``forEach(warn:_:)``).
    /// - Throws: ``CorpusError`` for bad input.
    public func readAll(warn: (String) -> Void = { _ in }) throws -> [LabeledDocument] {
        var documents: [LabeledDocument] = []
        try forEach(warn: warn) { documents.append($0) }
        return documents
    }

    /// Every document of the corpus at `path`, in file order; `warn` is called with each
    /// warning (see ``forEach(warn:_:)``).
    /// - Throws: ``CorpusError`` for bad input.
    public static func readAll(
        path: String, options: CorpusOptions = .init(), warn: (String) -> Void = { _ in }
    ) throws -> [LabeledDocument] {
        try CorpusReader(path: path, options: options).readAll(warn: warn)
    }
}

extension CorpusError: LocalizedError {
    /// The same text as ``description``, for Foundation's error reporting.
    public var errorDescription: String? { description }
}
