import Foundation
import TextClfText

/// The kind of a JSON value whose span was recorded.
enum JSONValueKind: Equatable {
    case string(hasEscapes: Bool)
    case number
    case bool
    case null
    case object
    case array
}

/// A recorded JSON value: its kind and raw span (for strings, the contents between the quotes).
struct JSONValueSpan {
    var kind: JSONValueKind
    var start: Int
    var end: Int
}

/// A malformed-JSON failure at an offset.
struct JSONSyntaxError: Error {
    var offset: Int
    var message: String
}

/// Scans one JSON object on one line.
struct JSONLineScanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    var i: Int
    var depth = 0

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let b = p[i]
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A { i += 1 } else { break }
        }
    }

    func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: min(i, end), message: message) }

    /// Scans a string starting at the opening quote; returns the contents' span and whether it
    /// holds escapes.
    mutating func scanString() throws(JSONSyntaxError) -> JSONValueSpan {
        i += 1  // opening quote
        let start = i
        var escapes = false
        while i < end {
            let b = p[i]
            if b == 0x22 {
                let span = JSONValueSpan(kind: .string(hasEscapes: escapes), start: start, end: i)
                i += 1
                return span
            }
            if b == 0x5C {
                escapes = true
                guard i + 1 < end else { break }
                switch p[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 6 <= end, (2..<6).allSatisfy({ hexValue(p[i + $0]) != nil }) else {
                        i += 1
                        throw fail("invalid \\u escape in a string")
                    }
                    i += 6
                default:
                    i += 1
                    throw fail("invalid escape '\\\(Character(Unicode.Scalar(p[i])))' in a string")
                }
                continue
            }
            if b < 0x20 { throw fail("invalid control character in a string") }
            i += 1
        }
        throw JSONSyntaxError(offset: start - 1, message: "unterminated string")
    }

    mutating func scanLiteral(_ word: StaticString, kind: JSONValueKind) throws(JSONSyntaxError) -> JSONValueSpan {
        let start = i
        let n = word.utf8CodeUnitCount
        guard i + n <= end, memcmp(p + i, word.utf8Start, n) == 0 else { throw fail("invalid value") }
        i += n
        return JSONValueSpan(kind: kind, start: start, end: i)
    }

    mutating func scanNumber() throws(JSONSyntaxError) -> JSONValueSpan {
        let start = i
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if i < end && p[i] == 0x2D { i += 1 }
        guard i < end, digit(p[i]) else { throw fail("invalid number") }
        if p[i] == 0x30 { i += 1 } else { while i < end && digit(p[i]) { i += 1 } }
        if i < end && p[i] == 0x2E {
            i += 1
            guard i < end, digit(p[i]) else { throw fail("invalid number") }
            while i < end && digit(p[i]) { i += 1 }
        }
        if i < end && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            if i < end && (p[i] == 0x2B || p[i] == 0x2D) { i += 1 }
            guard i < end, digit(p[i]) else { throw fail("invalid number") }
            while i < end && digit(p[i]) { i += 1 }
        }
        return JSONValueSpan(kind: .number, start: start, end: i)
    }

    /// Scans any value (skipping over objects and arrays) and returns its span.
    mutating func scanValue() throws(JSONSyntaxError) -> JSONValueSpan {
        skipWhitespace()
        guard i < end else { throw fail("expected a value") }
        switch p[i] {
        case 0x22: return try scanString()
        case 0x7B:
            let start = i
            try scanObject { (_, _, _) throws(JSONSyntaxError) in false }
            return JSONValueSpan(kind: .object, start: start, end: i)
        case 0x5B:
            let start = i
            depth += 1
            if depth > 512 { throw fail("nesting too deep") }
            i += 1
            skipWhitespace()
            if i < end && p[i] == 0x5D {
                i += 1
            } else {
                while true {
                    _ = try scanValue()
                    skipWhitespace()
                    guard i < end else { throw fail("unterminated array") }
                    if p[i] == 0x2C { i += 1; continue }
                    if p[i] == 0x5D { i += 1; break }
                    throw fail("expected ',' or ']' in an array")
                }
            }
            depth -= 1
            return JSONValueSpan(kind: .array, start: start, end: i)
        case 0x74: return try scanLiteral("true", kind: .bool)
        case 0x66: return try scanLiteral("false", kind: .bool)
        case 0x6E: return try scanLiteral("null", kind: .null)
        default: return try scanNumber()
        }
    }

    /// Scans an object starting at `{`. For each member, `member(keySpan, self, keyHasEscapes)`
    /// is called with the scanner positioned at the value; it returns `true` when it consumed
    /// the value itself, `false` to have it skipped.
    mutating func scanObject(
        _ member: (JSONValueSpan, inout JSONLineScanner, Bool) throws(JSONSyntaxError) -> Bool
    ) throws(JSONSyntaxError) {
        depth += 1
        if depth > 512 { throw fail("nesting too deep") }
        i += 1  // {
        skipWhitespace()
        if i < end && p[i] == 0x7D {
            i += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard i < end, p[i] == 0x22 else { throw fail("expected a string key") }
            let key = try scanString()
            skipWhitespace()
            guard i < end, p[i] == 0x3A else { throw fail("expected ':' after a key") }
            i += 1
            skipWhitespace()
            var escapes = false
            if case .string(let e) = key.kind { escapes = e }
            if !(try member(key, &self, escapes)) { _ = try scanValue() }
            skipWhitespace()
            guard i < end else { throw fail("unterminated object") }
            if p[i] == 0x2C { i += 1; continue }
            if p[i] == 0x7D { i += 1; break }
            throw fail("expected ',' or '}' in an object")
        }
        depth -= 1
    }
}

@inline(__always)
func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x30...0x39: return UInt32(b - 0x30)
    case 0x41...0x46: return UInt32(b - 0x41 + 10)
    case 0x61...0x66: return UInt32(b - 0x61 + 10)
    default: return nil
    }
}

/// Reads JSON Lines files.
enum JSONLReader {
    /// Decodes a JSON string's contents (span between the quotes), resolving escapes. A lone
    /// surrogate escape becomes U+FFFD (Swift strings cannot hold one).
    static func decodeString(
        ctx: ByteContext, span: JSONValueSpan, hasEscapes: Bool, buffer: inout [UInt8], fieldName: String
    ) throws -> String {
        if !hasEscapes { return try ctx.decode(span.start, span.end, fieldName: fieldName) }
        let p = ctx.p
        buffer.removeAll(keepingCapacity: true)
        var i = span.start
        do {
            while i < span.end {
                let slash = ctx.find(0x5C, from: i, to: span.end)
                try ctx.decoder.append(p, i, slash, to: &buffer)
                if slash >= span.end { break }
                let e = p[slash + 1]
                i = slash + 2
                switch e {
                case 0x6E: buffer.append(0x0A)
                case 0x74: buffer.append(0x09)
                case 0x72: buffer.append(0x0D)
                case 0x62: buffer.append(0x08)
                case 0x66: buffer.append(0x0C)
                case 0x75:
                    // The four hex digits at `p[at...]`, checked by the scanner.
                    func hex4(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 4 | hexValue(p[at + $1])! } }
                    var value = hex4(i)
                    i += 4
                    // A high surrogate combines with a following low one.
                    if value >= 0xD800 && value < 0xDC00 && i + 6 <= span.end && p[i] == 0x5C && p[i + 1] == 0x75 {
                        let low = hex4(i + 2)
                        if low >= 0xDC00 && low < 0xE000 {
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        }
                    }
                    PythonString.appendScalar((0xD800..<0xE000).contains(value) ? 0xFFFD : value, to: &buffer)
                default: buffer.append(e)  // " \ /
                }
            }
        } catch {
            throw ctx.encodingError(at: error.offset, fieldName: fieldName)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Reads every document of a JSON Lines file.
    static func read(ctx: ByteContext, options: CorpusOptions, _ body: (LabeledDocument) throws -> Void) throws {
        func fieldName(_ selector: ColumnSelector?, default name: String, role: String) throws -> String {
            switch selector {
            case nil: return name
            case .name(let n): return n
            case .index:
                throw CorpusError(
                    .invalidOption, path: ctx.path,
                    message: "JSON Lines \(role) fields are chosen by name, not by index")
            }
        }
        let textKey = try fieldName(options.textColumn, default: "text", role: "text")
        let labelKey = try fieldName(options.labelColumn, default: "label", role: "label")
        let textKeyBytes = Array(textKey.utf8)
        let labelKeyBytes = Array(labelKey.utf8)
        let p = ctx.p
        var pos = ctx.start
        var line = 1
        var produced = 0
        var buffer: [UInt8] = []
        var keyBuffer: [UInt8] = []
        // The JSON type of the file's first label and its line: every later label must share it.
        var labelType: (name: String, line: Int)? = nil

        func keyMatches(_ key: JSONValueSpan, _ escapes: Bool, _ wanted: [UInt8]) -> Bool {
            if !escapes {
                return key.end - key.start == wanted.count
                    && wanted.withUnsafeBufferPointer { memcmp(p + key.start, $0.baseAddress!, wanted.count) == 0 }
            }
            guard let decoded = try? decodeString(ctx: ctx, span: key, hasEscapes: true, buffer: &keyBuffer, fieldName: "")
            else { return false }
            return Array(decoded.utf8) == wanted
        }

        var lines = LineScanner(p, count: ctx.count)
        while pos < ctx.count {
            let (lineEnd, next) = lines.line(from: pos)
            defer {
                pos = next
                line += 1
            }
            var scanner = JSONLineScanner(p: p, end: lineEnd, i: pos)
            scanner.skipWhitespace()
            if scanner.i >= lineEnd { continue }  // blank line
            var textSpan: JSONValueSpan? = nil
            var labelSpan: JSONValueSpan? = nil
            do throws(JSONSyntaxError) {
                guard p[scanner.i] == 0x7B else {
                    throw scanner.fail(
                        p[scanner.i] == 0x5B && line == 1
                            ? "expected a JSON object; a JSON array file is not JSON Lines"
                            : "expected a JSON object")
                }
                try scanner.scanObject { (key, sc, escapes) throws(JSONSyntaxError) -> Bool in
                    let isText = keyMatches(key, escapes, textKeyBytes)
                    let isLabel = keyMatches(key, escapes, labelKeyBytes)
                    guard isText || isLabel else { return false }
                    let value = try sc.scanValue()
                    if isText { textSpan = value }
                    if isLabel { labelSpan = value }
                    return true
                }
                scanner.skipWhitespace()
                if scanner.i < lineEnd { throw scanner.fail("unexpected data after the object") }
            } catch {
                throw CorpusError(
                    .malformedJSON, path: ctx.path, line: line, byteOffset: error.offset,
                    message: "malformed JSON: \(error.message) at column \(error.offset - pos + 1)")
            }
            guard let textSpan else {
                throw CorpusError(.missingText, path: ctx.path, line: line, fieldName: textKey, message: "missing text field")
            }
            guard case .string(let textEscapes) = textSpan.kind else {
                throw CorpusError(
                    .invalidValue, path: ctx.path, line: line, fieldName: textKey, message: "the text is not a JSON string")
            }
            let text = try decodeString(ctx: ctx, span: textSpan, hasEscapes: textEscapes, buffer: &buffer, fieldName: textKey)
            var label: String? = nil
            if let labelSpan {
                let type: String
                let shown: String
                switch labelSpan.kind {
                case .string(let escapes):
                    let value = try decodeString(
                        ctx: ctx, span: labelSpan, hasEscapes: escapes, buffer: &buffer, fieldName: labelKey)
                    if !value.isEmpty { label = value }
                    (type, shown) = ("string", CorpusError.quoted(value))
                case .number, .bool:
                    label = String(decoding: UnsafeBufferPointer(start: p + labelSpan.start, count: labelSpan.end - labelSpan.start), as: UTF8.self)
                    (type, shown) = (labelSpan.kind == .number ? "number" : "boolean", label!)
                case .null:
                    label = nil
                    (type, shown) = ("null", "null")
                case .object, .array:
                    throw CorpusError(
                        .invalidValue, path: ctx.path, line: line, fieldName: labelKey,
                        message: "the label is a JSON \(labelSpan.kind == .object ? "object" : "array"); expected a string, number or bool")
                }
                if label != nil {
                    if let first = labelType, first.name != type {
                        throw CorpusError(
                            .invalidValue, path: ctx.path, line: line, fieldName: labelKey,
                            message: "a \(type) (\(shown)) among \(first.name) labels (the first on line \(first.line)); write every label as a string")
                    }
                    if labelType == nil { labelType = (type, line) }
                }
            }
            if let label { try CorpusError.checkLabel(label, path: ctx.path, line: line, fieldName: labelKey) }
            if label == nil && options.labelRequired {
                throw CorpusError(.missingLabel, path: ctx.path, line: line, fieldName: labelKey, message: "missing label")
            }
            produced += 1
            try body(LabeledDocument(text: text, label: label, source: DocumentSource(path: ctx.path, line: line)))
        }
        if produced == 0 {
            throw CorpusError(.emptyCorpus, path: ctx.path, message: "the file holds no documents")
        }
    }
}
