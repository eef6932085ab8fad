import TextClfText

/// Reads one document per line. `\n`, `\r\n` and `\r` each end a line, as in Python's
/// universal newlines; a blank line is an empty document; a last line without a line end is
/// a document, and nothing follows the final line end. Documents have no label.
enum LinesReader {
    /// Calls `body` with each line of `ctx` as a document.
    /// - Throws: ``CorpusError`` when labels are required (a lines corpus has none) or a line
    ///   does not decode, or what `body` throws.
    static func read(ctx: ByteContext, options: CorpusOptions, _ body: (LabeledDocument) throws -> Void) throws {
        if options.labelRequired {
            throw CorpusError(
                .missingLabel, path: ctx.path, line: 1,
                message: "a lines corpus (one document per line) has no labels; give a labelled corpus or another format")
        }
        var scanner = LineScanner(ctx.p, count: ctx.count)
        var start = ctx.start
        var line = 1
        while start < ctx.count {
            let (stop, next) = scanner.line(from: start)
            let text = try ctx.decode(start, stop)
            try body(LabeledDocument(text: text, label: nil, source: DocumentSource(path: ctx.path, line: line)))
            line += 1
            start = next
        }
    }
}

extension CorpusReader {
    /// Reads `bytes` (standard input, say) as a ``CorpusFormat/lines`` corpus: one document
    /// per line, decoded with `options`' encoding and error handling (a UTF-8 byte-order mark
    /// skipped); `name` stands for the bytes' origin in sources and errors.
    /// - Throws: ``CorpusError`` for an undecodable line, or what `body` throws.
    public static func forEachLine(
        of bytes: [UInt8], name: String, options: CorpusOptions = CorpusOptions(labelRequired: false),
        _ body: (LabeledDocument) throws -> Void
    ) throws {
        var options = options
        options.labelRequired = false
        let decoder = ByteDecoder(encoding: options.encoding, errors: options.decodeErrors)
        try bytes.withUnsafeBufferPointer { buffer in
            try ByteContext.with(buffer, path: name, decoder: decoder) { try LinesReader.read(ctx: $0, options: options, body) }
        }
    }
}
