import TextClfText

/// The raw byte span of one field. For a quoted field it includes the quotes.
struct FieldSpan {
    var start: Int
    var end: Int
    var quoted: Bool
}

/// Splits a delimited file into records of field spans. Records end at `\n`, `\r\n` or a
/// lone `\r` (``LineBreaks``), as with Python's `csv` module; inside a quoted field line
/// breaks are text.
struct RecordScanner {
    let ctx: ByteContext
    let delimiter: UInt8
    let quoting: Bool
    /// The offset of the next record.
    var pos: Int
    /// The 1-based line of `pos`.
    var line: Int = 1
    /// The line ends of unquoted records.
    var lines: LineScanner

    init(ctx: ByteContext, delimiter: UInt8, quoting: Bool) {
        self.ctx = ctx
        self.delimiter = delimiter
        self.quoting = quoting
        self.pos = ctx.start
        self.lines = LineScanner(ctx.p, count: ctx.count)
    }

    /// Reads the next non-blank record into `fields`.
    /// - Returns: The 1-based line and byte offset where the record starts, or `nil` at the end.
    /// - Throws: ``CorpusError`` for an unterminated quote.
    mutating func next(into fields: inout [FieldSpan]) throws -> (line: Int, offset: Int)? {
        fields.removeAll(keepingCapacity: true)
        let p = ctx.p
        let count = ctx.count
        while pos < count {
            let length = LineBreaks.length(p, at: pos, limit: count)
            if length == 0 { break }
            pos += length
            line += 1
        }
        if pos >= count { return nil }
        let recordLine = line
        let recordOffset = pos
        if !quoting {
            let (end, next) = lines.line(from: pos)
            var fieldStart = pos
            while true {
                let d = ctx.find(delimiter, from: fieldStart, to: end)
                fields.append(FieldSpan(start: fieldStart, end: d, quoted: false))
                if d >= end { break }
                fieldStart = d + 1
            }
            pos = next
            line += 1
            return (recordLine, recordOffset)
        }
        // RFC 4180 state machine.
        var i = pos
        while true {
            let fieldStart = i
            var quoted = false
            if i < count && p[i] == 0x22 {
                quoted = true
                let openLine = line
                i += 1
                while true {
                    let q = ctx.find(0x22, from: i, to: count)
                    // Count the line breaks inside the quoted stretch (a `\r` just before the
                    // quote cannot be half of a `\r\n`).
                    line += LineBreaks.count(in: p, from: i, to: q)
                    if q >= count {
                        throw CorpusError(
                            .unterminatedQuote, path: ctx.path, line: openLine, field: fields.count + 1,
                            message: "quoted field opened on line \(openLine) is never closed")
                    }
                    if q + 1 < count && p[q + 1] == 0x22 {
                        i = q + 2
                        continue
                    }
                    i = q + 1
                    break
                }
            }
            // Unquoted field, or the (leniently accepted) rest after a closing quote.
            while i < count {
                let b = p[i]
                if b == delimiter || LineBreaks.isBreak(b) { break }
                i += 1
            }
            fields.append(FieldSpan(start: fieldStart, end: i, quoted: quoted))
            if i >= count {
                pos = count
                return (recordLine, recordOffset)
            }
            if LineBreaks.isBreak(p[i]) {
                pos = i + LineBreaks.length(p, at: i, limit: count)
                line += 1
                return (recordLine, recordOffset)
            }
            i += 1  // delimiter
        }
    }

    /// Decodes a field: unquoted fields verbatim; quoted ones without their quotes, `""` → `"`,
    /// anything after the closing quote appended literally (as Python's `csv` does).
    func text(of field: FieldSpan, number: Int? = nil, name: String? = nil) throws -> String {
        if !field.quoted {
            return try ctx.decode(field.start, field.end, field: number, fieldName: name)
        }
        try ctx.validate(field.start, field.end, field: number, fieldName: name)
        let p = ctx.p
        var bytes: [UInt8] = []
        bytes.reserveCapacity(field.end - field.start)
        var i = field.start + 1
        while i < field.end {
            let q = ctx.find(0x22, from: i, to: field.end)
            bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: q - i))
            if q >= field.end { break }
            if q + 1 < field.end && p[q + 1] == 0x22 {
                bytes.append(0x22)
                i = q + 2
                continue
            }
            // Closing quote: the rest is literal.
            if q + 1 < field.end {
                bytes.append(contentsOf: UnsafeBufferPointer(start: p + q + 1, count: field.end - q - 1))
            }
            break
        }
        do {
            return try ctx.decoder.decode(bytes)
        } catch {
            // Unreachable under strict (validated above); kept for safety.
            throw ctx.encodingError(at: field.start, field: number, fieldName: name)
        }
    }
}

/// Reads TSV/CSV files.
enum DelimitedReader {
    /// Reads every document of a delimited file.
    static func read(
        ctx: ByteContext, delimiter: UInt8, quoting: Bool, options: CorpusOptions,
        _ body: (LabeledDocument) throws -> Void
    ) throws {
        var scanner = RecordScanner(ctx: ctx, delimiter: delimiter, quoting: quoting)
        var fields: [FieldSpan] = []
        guard let first = try scanner.next(into: &fields) else {
            throw CorpusError(.emptyCorpus, path: ctx.path, message: "the file holds no documents")
        }
        let firstFields = fields
        let firstValues = try firstFields.enumerated().map { try scanner.text(of: $0.element, number: $0.offset + 1) }
        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto:
            let known = Set(CorpusOptions.textColumnNames + CorpusOptions.labelColumnNames)
            hasHeader = firstValues.contains { known.contains(trimmed($0).lowercased()) }
        }
        let names: [String]? = hasHeader ? firstValues : nil
        let width = firstFields.count

        // Resolve the columns (0-based).
        func resolve(_ selector: ColumnSelector, role: String) throws -> Int {
            switch selector {
            case .index(let index):
                guard index >= 1 && index <= width else {
                    throw CorpusError(
                        .columnOutOfRange, path: ctx.path, line: first.line,
                        message: "\(role) column \(index) is out of range: the file has \(width) column\(width == 1 ? "" : "s")")
                }
                return index - 1
            case .name(let name):
                guard let names else {
                    throw CorpusError(
                        .unknownColumn, path: ctx.path, line: first.line,
                        message: "\(role) column '\(name)' cannot be found: the file has no header row; choose columns by 1-based index")
                }
                if let index = names.firstIndex(of: name) { return index }
                let lower = name.lowercased()
                if let index = names.firstIndex(where: { trimmed($0).lowercased() == lower }) { return index }
                throw CorpusError(
                    .unknownColumn, path: ctx.path, line: first.line,
                    message: "no \(role) column named '\(name)'; available columns: \(names.map { "'\($0)'" }.joined(separator: ", "))")
            }
        }
        func byName(_ candidates: [String], excluding: Int?) -> Int? {
            guard let names else { return nil }
            let lowered = names.map { trimmed($0).lowercased() }
            for candidate in candidates {
                if let index = lowered.firstIndex(of: candidate), index != excluding { return index }
            }
            return nil
        }
        var textColumn = try options.textColumn.map { try resolve($0, role: "text") }
        var labelColumn = try options.labelColumn.map { try resolve($0, role: "label") }
        if textColumn == nil { textColumn = byName(CorpusOptions.textColumnNames, excluding: labelColumn) }
        if labelColumn == nil && options.labelColumn == nil {
            labelColumn = byName(CorpusOptions.labelColumnNames, excluding: textColumn)
        }
        // With a header, the label is chosen by name only (guessing could pick an id column).
        let needsHeuristicLabel = labelColumn == nil && options.labelColumn == nil && names == nil
        if textColumn == nil || needsHeuristicLabel {
            let stats = try columnStatistics(
                scanner: scanner, width: width, firstIsData: !hasHeader, firstFields: firstFields)
            if textColumn == nil {
                var best = 0
                for c in 0..<width where c != labelColumn && stats.meanLength[c] > stats.meanLength[best] { best = c }
                if best == labelColumn { best = (0..<width).first { $0 != labelColumn } ?? 0 }
                textColumn = best
            }
            if needsHeuristicLabel {
                var best: Int? = nil
                for c in 0..<width where c != textColumn {
                    if best == nil || stats.distinct[c] < stats.distinct[best!] { best = c }
                }
                labelColumn = best
            }
        }
        let text = textColumn!
        if labelColumn == nil && options.labelRequired {
            throw CorpusError(
                .missingLabel, path: ctx.path, line: first.line,
                message: width == 1
                    ? "the file has a single column, so there is no label column"
                    : "no label column found (no header name like \(CorpusOptions.labelColumnNames.joined(separator: ", "))); available columns: \((names ?? []).map { "'\($0)'" }.joined(separator: ", ")); choose one")
        }
        if labelColumn == text {
            throw CorpusError(
                .invalidOption, path: ctx.path, message: "the text and label columns are the same column (\(text + 1))")
        }
        let textName = names?[text] ?? "text"
        let labelName = labelColumn.map { names?[$0] ?? "label" }
        let needed = max(text, labelColumn ?? 0) + 1

        var produced = 0
        func emit(_ fields: [FieldSpan], line: Int) throws {
            if fields.count != width {
                let reference = hasHeader ? "the header row" : "the first row"
                throw CorpusError(
                    .wrongFieldCount, path: ctx.path, line: line,
                    message: "expected \(width) field\(width == 1 ? "" : "s") (as in \(reference)), found \(fields.count)")
            }
            precondition(fields.count >= needed)
            let textValue = try scanner.text(of: fields[text], number: text + 1, name: textName)
            var label: String? = nil
            if let labelColumn {
                let value = try scanner.text(of: fields[labelColumn], number: labelColumn + 1, name: labelName)
                try CorpusError.checkLabel(value, path: ctx.path, line: line, field: labelColumn + 1, fieldName: labelName)
                if !value.isEmpty { label = value }
            }
            if label == nil && options.labelRequired {
                throw CorpusError(
                    .missingLabel, path: ctx.path, line: line, field: labelColumn.map { $0 + 1 }, fieldName: labelName,
                    message: "missing label")
            }
            produced += 1
            try body(LabeledDocument(text: textValue, label: label, source: DocumentSource(path: ctx.path, line: line)))
        }
        if !hasHeader { try emit(firstFields, line: first.line) }
        while let record = try scanner.next(into: &fields) {
            try emit(fields, line: record.line)
        }
        if produced == 0 {
            throw CorpusError(.emptyCorpus, path: ctx.path, message: "the file holds no documents (only a header row)")
        }
    }

    /// Mean byte length and distinct-value count of each column over the first 1000 data rows
    /// (rows of a different width are left out). Values are told apart by a 64-bit hash of
    /// their bytes (no copies): a collision, which would undercount by one, is too unlikely
    /// among a thousand values to matter to the guess these counts feed.
    static func columnStatistics(
        scanner start: RecordScanner, width: Int, firstIsData: Bool, firstFields: [FieldSpan]
    ) throws -> (meanLength: [Double], distinct: [Int]) {
        var scanner = start
        var totals = [Int](repeating: 0, count: width)
        var values = [Set<UInt64>](repeating: [], count: width)
        var rows = 0
        var fields: [FieldSpan] = []
        func add(_ fields: [FieldSpan]) {
            guard fields.count == width else { return }
            rows += 1
            for (c, f) in fields.enumerated() {
                totals[c] += f.end - f.start
                values[c].insert(ByteStringTable.hash(UnsafeBufferPointer(start: scanner.ctx.p + f.start, count: f.end - f.start)))
            }
        }
        if firstIsData { add(firstFields) }
        while rows < 1000, (try scanner.next(into: &fields)) != nil {
            add(fields)
        }
        let mean = totals.map { rows == 0 ? 0 : Double($0) / Double(rows) }
        return (mean, values.map(\.count))
    }

    static func trimmed(_ s: String) -> String {
        var scalars = Substring(s)
        while let f = scalars.first, f.isWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
