import TextClfText

/// One declared ARFF attribute.
struct ARFFAttribute {
    enum Kind: Equatable {
        case string
        case numeric
        case date
        case nominal([String])
    }
    var name: String
    var kind: Kind
}

/// A malformed-ARFF failure on a line.
struct ARFFSyntaxError: Error {
    var kind: CorpusError.Kind = .malformedARFF
    var line: Int
    var message: String
}

/// Reads Weka ARFF files.
enum ARFFReader {
    /// Tokenises values on one logical line, from `i` up to `end` (the line end).
    struct Tokenizer {
        let ctx: ByteContext
        var i: Int
        let end: Int
        let line: Int
        /// Where the line starts, for the columns in messages.
        let lineStart: Int

        var atEnd: Bool { i >= end }

        mutating func skipSpaces() {
            while i < end, ctx.p[i] == 0x20 || ctx.p[i] == 0x09 || ctx.p[i] == 0x0D { i += 1 }
        }

        /// Reads a quoted string (at `'` or `"`) with Weka's backslash escapes into bytes.
        mutating func quoted() throws -> String {
            let p = ctx.p
            let quote = p[i]
            let openAt = i
            i += 1
            var bytes: [UInt8] = []
            while true {
                guard i < end else {
                    throw ARFFSyntaxError(
                        kind: .unterminatedQuote, line: line,
                        message: "quoted value opened at column \(openAt - lineStart + 1) is never closed on this line")
                }
                let b = p[i]
                if b == quote {
                    i += 1
                    break
                }
                if b == 0x5C && i + 1 < end {
                    let e = p[i + 1]
                    switch e {
                    case 0x6E: bytes.append(0x0A)
                    case 0x74: bytes.append(0x09)
                    case 0x72: bytes.append(0x0D)
                    case 0x27, 0x22, 0x5C, 0x25: bytes.append(e)
                    default: bytes.append(0x5C); bytes.append(e)
                    }
                    i += 2
                    continue
                }
                bytes.append(b)
                i += 1
            }
            try ctx.validate(openAt, i)
            do { return try ctx.decoder.decode(bytes) } catch { throw ctx.encodingError(at: openAt) }
        }

        /// Reads an unquoted token up to one of `stops` (or whitespace when `spaceStops`).
        mutating func unquoted(stops: [UInt8], spaceStops: Bool) throws -> String {
            let start = i
            while i < end {
                let b = ctx.p[i]
                if stops.contains(b) || (spaceStops && (b == 0x20 || b == 0x09 || b == 0x0D)) { break }
                i += 1
            }
            var e = i
            while e > start, ctx.p[e - 1] == 0x20 || ctx.p[e - 1] == 0x09 || ctx.p[e - 1] == 0x0D { e -= 1 }
            return try ctx.decode(start, e)
        }

        /// Reads a name or value: quoted, or unquoted up to `stops`.
        mutating func token(stops: [UInt8], spaceStops: Bool) throws -> (String, quoted: Bool) {
            skipSpaces()
            if i < end, ctx.p[i] == 0x27 || ctx.p[i] == 0x22 { return (try quoted(), true) }
            return (try unquoted(stops: stops, spaceStops: spaceStops), false)
        }
    }

    /// Reads every document of an ARFF file.
    static func read(ctx: ByteContext, options: CorpusOptions, _ body: (LabeledDocument) throws -> Void) throws {
        do {
            try readChecked(ctx: ctx, options: options, body)
        } catch let error as ARFFSyntaxError {
            throw CorpusError(error.kind, path: ctx.path, line: error.line, message: error.message)
        }
    }

    static func readChecked(ctx: ByteContext, options: CorpusOptions, _ body: (LabeledDocument) throws -> Void) throws {
        let p = ctx.p
        var pos = ctx.start
        var line = 0
        var attributes: [ARFFAttribute] = []
        var sawRelation = false
        var dataLine: Int? = nil

        var lines = LineScanner(p, count: ctx.count)
        /// Moves to the next line (ended as ``LineBreaks`` says); returns its span, or nil at the end.
        func nextLine() -> (start: Int, end: Int)? {
            guard pos < ctx.count else { return nil }
            let (lineEnd, next) = lines.line(from: pos)
            let span = (pos, lineEnd)
            pos = next
            line += 1
            return span
        }
        func firstNonSpace(_ s: Int, _ e: Int) -> Int {
            var i = s
            while i < e, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D { i += 1 }
            return i
        }
        func keyword(_ s: Int, _ e: Int) -> String {
            var i = s
            while i < e, p[i] != 0x20 && p[i] != 0x09 && p[i] != 0x0D && p[i] != 0x7B { i += 1 }
            return String(decoding: UnsafeBufferPointer(start: p + s, count: i - s), as: UTF8.self).lowercased()
        }

        // Header.
        while let (s, e) = nextLine() {
            let i = firstNonSpace(s, e)
            if i >= e || p[i] == 0x25 { continue }
            guard p[i] == 0x40 else {
                throw ARFFSyntaxError(line: line, message: "expected @relation, @attribute or @data in the ARFF header")
            }
            let word = keyword(i, e)
            var tokenizer = Tokenizer(ctx: ctx, i: i + word.utf8.count, end: e, line: line, lineStart: s)
            switch word {
            case "@relation":
                sawRelation = true
            case "@attribute":
                let (name, _) = try tokenizer.token(stops: [0x7B], spaceStops: true)
                guard !name.isEmpty else { throw ARFFSyntaxError(line: line, message: "attribute without a name") }
                tokenizer.skipSpaces()
                guard !tokenizer.atEnd else {
                    throw ARFFSyntaxError(line: line, message: "attribute '\(name)' has no type")
                }
                if p[tokenizer.i] == 0x7B {
                    tokenizer.i += 1
                    var values: [String] = []
                    while true {
                        tokenizer.skipSpaces()
                        guard !tokenizer.atEnd else {
                            throw ARFFSyntaxError(line: line, message: "nominal set of '\(name)' is not closed with '}'")
                        }
                        if p[tokenizer.i] == 0x7D && values.isEmpty { tokenizer.i += 1; break }
                        let (value, _) = try tokenizer.token(stops: [0x2C, 0x7D], spaceStops: false)
                        values.append(value)
                        tokenizer.skipSpaces()
                        guard !tokenizer.atEnd else {
                            throw ARFFSyntaxError(line: line, message: "nominal set of '\(name)' is not closed with '}'")
                        }
                        if p[tokenizer.i] == 0x2C { tokenizer.i += 1; continue }
                        if p[tokenizer.i] == 0x7D { tokenizer.i += 1; break }
                        throw ARFFSyntaxError(line: line, message: "expected ',' or '}' in the nominal set of '\(name)'")
                    }
                    attributes.append(ARFFAttribute(name: name, kind: .nominal(values)))
                } else {
                    let type = keyword(tokenizer.i, e)
                    switch type {
                    case "string": attributes.append(ARFFAttribute(name: name, kind: .string))
                    case "numeric", "real", "integer": attributes.append(ARFFAttribute(name: name, kind: .numeric))
                    case "date": attributes.append(ARFFAttribute(name: name, kind: .date))
                    default:
                        throw ARFFSyntaxError(line: line, message: "unsupported type '\(type)' for attribute '\(name)'")
                    }
                }
            case "@data":
                dataLine = line
            default:
                throw ARFFSyntaxError(line: line, message: "unknown ARFF keyword '\(word)'")
            }
            if dataLine != nil { break }
        }
        guard sawRelation || !attributes.isEmpty || dataLine != nil else {
            throw CorpusError(.emptyCorpus, path: ctx.path, message: "the file holds no documents")
        }
        guard let dataLine else {
            throw ARFFSyntaxError(line: max(line, 1), message: "the ARFF file has no @data section")
        }

        // Columns.
        func select(_ selector: ColumnSelector, role: String) throws -> Int {
            switch selector {
            case .index(let index):
                guard index >= 1 && index <= attributes.count else {
                    throw CorpusError(
                        .columnOutOfRange, path: ctx.path, line: dataLine,
                        message: "\(role) attribute \(index) is out of range: the file declares \(attributes.count)")
                }
                return index - 1
            case .name(let name):
                if let index = attributes.firstIndex(where: { $0.name == name }) { return index }
                if let index = attributes.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) { return index }
                throw CorpusError(
                    .unknownColumn, path: ctx.path,
                    message: "no \(role) attribute named '\(name)'; available attributes: \(attributes.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
        }
        let text: Int
        if let selector = options.textColumn {
            text = try select(selector, role: "text")
        } else if let index = attributes.firstIndex(where: { $0.kind == .string }) {
            text = index
        } else {
            throw CorpusError(.unknownColumn, path: ctx.path, message: "the ARFF file declares no string attribute")
        }
        var labelIndex: Int? = nil
        if let selector = options.labelColumn {
            labelIndex = try select(selector, role: "label")
        } else {
            labelIndex = attributes.indices.last { index in
                if case .nominal = attributes[index].kind { return index != text }
                return false
            }
        }
        if labelIndex == nil && options.labelRequired {
            throw CorpusError(.missingLabel, path: ctx.path, message: "the ARFF file declares no nominal class attribute")
        }
        var nominal: [String]? = nil
        if let labelIndex, case .nominal(let values) = attributes[labelIndex].kind { nominal = values }
        let declared = nominal.map(Set.init)
        let labelName = labelIndex.map { attributes[$0].name }

        // Data.
        var produced = 0
        while let (s, e) = nextLine() {
            let first = firstNonSpace(s, e)
            if first >= e || p[first] == 0x25 { continue }
            if p[first] == 0x7B {
                throw ARFFSyntaxError(line: line, message: "sparse ARFF instances are not supported")
            }
            var tokenizer = Tokenizer(ctx: ctx, i: first, end: e, line: line, lineStart: s)
            // Each value's decoded text, `nil` for a missing one (an unquoted `?`).
            var values: [String?] = []
            values.reserveCapacity(attributes.count)
            while true {
                let (value, quoted) = try tokenizer.token(stops: [0x2C, 0x7B], spaceStops: false)
                if !quoted && value.isEmpty {
                    throw ARFFSyntaxError(line: line, message: "empty value in field \(values.count + 1)")
                }
                values.append(!quoted && value == "?" ? nil : value)
                tokenizer.skipSpaces()
                if tokenizer.atEnd { break }
                let b = p[tokenizer.i]
                if b == 0x2C { tokenizer.i += 1; continue }
                if b == 0x7B {
                    // Instance weight "{w}" at the end of the row: ignored.
                    let close = ctx.find(0x7D, from: tokenizer.i, to: e)
                    tokenizer.i = close + 1
                    tokenizer.skipSpaces()
                    if close < e && tokenizer.atEnd { break }
                }
                if b == 0x25 { break }  // trailing comment
                throw ARFFSyntaxError(line: line, message: "expected ',' after field \(values.count)")
            }
            guard values.count == attributes.count else {
                throw CorpusError(
                    .wrongFieldCount, path: ctx.path, line: line,
                    message: "expected \(attributes.count) values (one per @attribute), found \(values.count)")
            }
            let textValue = values[text] ?? ""
            var label: String? = nil
            if let labelIndex, let value = values[labelIndex], !value.isEmpty {
                if let declared, !declared.contains(value) {
                    throw CorpusError(
                        .undeclaredLabel, path: ctx.path, line: line, field: labelIndex + 1, fieldName: labelName,
                        message: "label '\(value)' is not in the declared set {\(nominal!.joined(separator: ","))}")
                }
                try CorpusError.checkLabel(value, path: ctx.path, line: line, field: labelIndex + 1, fieldName: labelName)
                label = value
            }
            if label == nil && options.labelRequired {
                throw CorpusError(
                    .missingLabel, path: ctx.path, line: line, field: labelIndex.map { $0 + 1 }, fieldName: labelName,
                    message: "missing label")
            }
            produced += 1
            try body(LabeledDocument(text: textValue, label: label, source: DocumentSource(path: ctx.path, line: line)))
        }
        if produced == 0 {
            throw CorpusError(.emptyCorpus, path: ctx.path, message: "the ARFF file holds no data rows")
        }
    }
}
