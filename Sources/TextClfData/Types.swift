// Public types of the corpus readers: documents, formats, options and errors.

import Foundation

/// Where a document came from: a file path and, for line-based formats, the 1-based line
/// number of the first line of its record.
public struct DocumentSource: Sendable, Hashable, CustomStringConvertible {
    /// The path of the file holding the document, as given to the reader (joined with the
    /// label folder and file name for folder-per-label corpora).
    public var path: String
    /// The 1-based line on which the document's record starts, or `nil` for a whole-file
    /// document (folder-per-label corpora).
    public var line: Int?

    /// Creates a source.
    public init(path: String, line: Int? = nil) {
        self.path = path
        self.line = line
    }

    /// `path:line`, or just `path` when there is no line.
    public var description: String {
        if let line { return "\(path):\(line)" }
        return path
    }
}

/// One labelled document read from a corpus.
public struct LabeledDocument: Sendable, Equatable {
    /// The document's text, exactly as stored (after decoding and unquoting).
    public var text: String
    /// The label in its textual form, or `nil` when the corpus has none and labels are not
    /// required.
    public var label: String?
    /// Where the document was read from.
    public var source: DocumentSource

    /// Creates a document.
    public init(text: String, label: String?, source: DocumentSource) {
        self.text = text
        self.label = label
        self.source = source
    }
}

/// The on-disk layouts a ``CorpusReader`` understands.
public enum CorpusFormat: String, CaseIterable, Sendable, Codable {
    /// Tab-separated values (no quote processing unless ``CorpusOptions/tsvQuoting`` is set).
    case tsv
    /// Comma-separated values with RFC 4180 quoting.
    case csv
    /// JSON Lines: one JSON object per line.
    case jsonl
    /// One folder per label, one file per document (`DIR/<label>/<file>`).
    case folder
    /// Weka ARFF with a string attribute and a nominal class.
    case arff
    /// Plain text, one document per line (`\n`, `\r\n` or `\r`), without labels.
    case lines

    /// Parses a format name (case-insensitive: `tsv`, `JSONL`); `ndjson` and `json` also mean
    /// ``jsonl``, `txt` and `text` ``lines``; `nil` for an unknown name.
    public init?(name: String) {
        let lower = name.lowercased()
        switch lower {
        case "ndjson", "json": self = .jsonl
        case "dir", "directory", "folders": self = .folder
        case "txt", "text": self = .lines
        default:
            guard let format = CorpusFormat(rawValue: lower) else { return nil }
            self = format
        }
    }
}

/// The character encoding of a corpus's files.
public enum TextEncoding: String, CaseIterable, Sendable, Codable {
    /// UTF-8; a leading byte-order mark (EF BB BF) is skipped.
    case utf8 = "utf-8"
    /// ISO-8859-1: every byte *b* becomes the code point U+00*b*. Never fails.
    case latin1 = "latin-1"

    /// Parses an encoding name, case-insensitively: `utf-8`, `utf8`, `utf_8`, `latin-1`,
    /// `latin1`, `latin_1`, `iso-8859-1`, `iso8859-1`, `iso_8859_1`, `l1`; `nil` for another.
    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        switch key {
        case "utf-8", "utf8": self = .utf8
        case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "iso-latin-1": self = .latin1
        default: return nil
        }
    }
}

/// What to do with bytes that are not valid in the chosen encoding, as in Python's
/// `bytes.decode(..., errors=...)` and scikit-learn's `decode_error`.
public enum DecodeErrors: String, CaseIterable, Sendable, Codable {
    /// Stop with a ``CorpusError`` naming the file, line and byte offset.
    case strict
    /// Replace each maximal invalid subsequence with U+FFFD, exactly as Python does.
    case replace
    /// Drop invalid bytes, exactly as Python's `'ignore'`.
    case ignore
}

/// Whether a delimited (TSV/CSV) file starts with a header row.
public enum HeaderMode: String, CaseIterable, Sendable, Codable {
    /// Detect it: the first row is a header when at least one of its fields, trimmed of
    /// whitespace and compared case-insensitively, is one of ``CorpusOptions/textColumnNames``
    /// or ``CorpusOptions/labelColumnNames``.
    case auto
    /// The first row is a header.
    case present
    /// There is no header; every row is data.
    case absent
}

/// Chooses a column (or JSON field, or ARFF attribute) by name or by 1-based position.
public enum ColumnSelector: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// By header name (delimited files), field name (JSONL) or attribute name (ARFF).
    case name(String)
    /// By 1-based position.
    case index(Int)

    /// Parses `"label"` as a name and `"2"` (all digits, at least 1) as a 1-based index.
    public init(parsing string: String) {
        if !string.isEmpty, string.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(string), value >= 1
        {
            self = .index(value)
        } else {
            self = .name(string)
        }
    }

    /// The name, or the index as digits.
    public var description: String {
        switch self {
        case .name(let name): return name
        case .index(let index): return String(index)
        }
    }
}

/// Options for reading a corpus.
public struct CorpusOptions: Sendable, Codable, Equatable {
    /// The format, or `nil` to detect it from the path (and, for an unknown extension, the
    /// first line).
    public var format: CorpusFormat?
    /// The file encoding.
    public var encoding: TextEncoding
    /// What to do with undecodable bytes.
    public var decodeErrors: DecodeErrors
    /// Whether delimited files have a header row.
    public var header: HeaderMode
    /// The text column, or `nil` for the default (see ``CorpusReader``).
    public var textColumn: ColumnSelector?
    /// The label column, or `nil` for the default (see ``CorpusReader``).
    public var labelColumn: ColumnSelector?
    /// Whether every document must have a non-empty label. When `false`, a corpus without a
    /// label column and documents with empty or missing labels give `label == nil`.
    public var labelRequired: Bool
    /// Whether TSV fields get RFC 4180 quote processing (off by default, so that raw `"`
    /// characters come through unchanged).
    public var tsvQuoting: Bool

    /// Header names recognised as text columns, in order of preference.
    public static let textColumnNames = ["text", "sentence", "review", "message", "document", "content", "body"]
    /// Header names recognised as label columns, in order of preference.
    public static let labelColumnNames = ["label", "labels", "class", "category", "target", "sentiment", "y"]

    /// Creates options; every parameter has a default.
    public init(
        format: CorpusFormat? = nil, encoding: TextEncoding = .utf8, decodeErrors: DecodeErrors = .strict,
        header: HeaderMode = .auto, textColumn: ColumnSelector? = nil, labelColumn: ColumnSelector? = nil,
        labelRequired: Bool = true, tsvQuoting: Bool = false
    ) {
        self.format = format
        self.encoding = encoding
        self.decodeErrors = decodeErrors
        self.header = header
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.labelRequired = labelRequired
        self.tsvQuoting = tsvQuoting
    }
}

/// An error reading a corpus, naming the file, the line and the field where they apply.
///
/// Its description reads like `sst2/train.tsv:12: field 2 (label): missing label`.
public struct CorpusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The path does not exist.
        case fileNotFound
        /// The file or folder could not be read.
        case unreadable
        /// The format could not be detected, or a forced format does not fit the path.
        case unknownFormat
        /// The corpus holds no documents.
        case emptyCorpus
        /// A folder corpus has no label folders.
        case noLabelFolders
        /// A row has the wrong number of fields.
        case wrongFieldCount
        /// A quoted field or value is not closed.
        case unterminatedQuote
        /// Bytes are invalid in the encoding (under ``DecodeErrors/strict``).
        case invalidEncoding
        /// A label is missing or empty while labels are required, or no label column exists.
        case missingLabel
        /// A JSON line lacks the text field.
        case missingText
        /// A column, field or attribute name is not present.
        case unknownColumn
        /// A 1-based column index is out of range.
        case columnOutOfRange
        /// A line is not a valid JSON object.
        case malformedJSON
        /// An ARFF header or data row is malformed or unsupported.
        case malformedARFF
        /// An ARFF label is not in the attribute's declared nominal set.
        case undeclaredLabel
        /// A value has the wrong type or holds what it may not (e.g. a JSON text field that is
        /// not a string, a label holding a tab).
        case invalidValue
        /// An option does not apply to this format.
        case invalidOption
    }

    /// What went wrong.
    public var kind: Kind
    /// The file (or folder) path.
    public var path: String
    /// The 1-based line, where it applies.
    public var line: Int?
    /// The 1-based field (column) number, where it applies.
    public var field: Int?
    /// The field's name, where known.
    public var fieldName: String?
    /// The 0-based byte offset in the file, where it applies (invalid encoding, malformed JSON).
    public var byteOffset: Int?
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(
        _ kind: Kind, path: String, line: Int? = nil, field: Int? = nil, fieldName: String? = nil,
        byteOffset: Int? = nil, message: String
    ) {
        self.kind = kind
        self.path = path
        self.line = line
        self.field = field
        self.fieldName = fieldName
        self.byteOffset = byteOffset
        self.message = message
    }

    /// `path:line: field N (name): message`, leaving out the parts that do not apply.
    public var description: String {
        var result = path
        if let line { result += ":\(line)" }
        if let field {
            result += ": field \(field)"
            if let fieldName { result += " (\(fieldName))" }
        } else if let fieldName {
            result += ": field \(fieldName)"
        }
        result += ": " + message
        if let byteOffset { result += " (byte offset \(byteOffset))" }
        return result
    }
}

extension CorpusError {
    /// Refuses a label holding a tab, line feed or carriage return: label files and `predict`
    /// output separate fields with tabs and records with line breaks, so such a label would
    /// shift every field after it. Every reader calls this where it produces a label.
    /// - Throws: ``Kind/invalidValue`` naming `path`, `line` and the field, where known.
    static func checkLabel(
        _ label: String, path: String, line: Int?, field: Int? = nil, fieldName: String? = nil
    ) throws {
        guard let separator = label.utf8.first(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return }
        let name = separator == 0x09 ? "a tab" : separator == 0x0A ? "a line feed" : "a carriage return"
        throw CorpusError(
            .invalidValue, path: path, line: line, field: field, fieldName: fieldName,
            message: "label \(quoted(label)) holds \(name); a label may not hold a tab, line feed or carriage return")
    }

    /// `value` in double quotes with Swift's escapes (`\t`, `\n`, `\r`, `\"`), its first 60
    /// characters and `...` when longer.
    static func quoted(_ value: String) -> String {
        value.count <= 60 ? value.debugDescription : String(value.prefix(60)).debugDescription + "..."
    }
}
