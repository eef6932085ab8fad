import Foundation
import TextClfTensor
import TextClfText

/// A bad line found in one piece of an embedding file; `line` counts from the piece's first
/// line (0-based) until the merge adds the piece's offset.
struct PieceError {
    var line: Int
    var field: Int
    var reason: String
    /// Thrown even when bad lines are skipped (a truncated word2vec binary file).
    var fatal = false
}

/// What one piece of an embedding file held: its entries, in order (each entry's vector is
/// row `firstRow + i` of the image), and its bad lines.
struct ParsedPiece {
    /// Byte offsets and lengths of the entries' words in the file.
    var wordStarts: [Int] = []
    var wordLengths: [Int32] = []
    /// ``ByteStringTable/hash(_:seed:)`` of each word.
    var hashes: [UInt64] = []
    /// Each entry's line, from the piece's first line (0-based).
    var lines: [Int32] = []
    /// The first bad lines: at most ``EmbeddingParser/storedErrors`` when skipping, else the one
    /// that stopped the piece.
    var errors: [PieceError] = []
    /// How many lines were bad in all.
    var badLines = 0
    /// The image row of the piece's first entry.
    var firstRow = 0
    /// The line number of the piece's line 0, less one.
    var lineOffset = 0

    init() {}

    init(firstRow: Int, lineOffset: Int, capacity: Int) {
        self.firstRow = firstRow
        self.lineOffset = lineOffset
        wordStarts.reserveCapacity(capacity)
        wordLengths.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
        lines.reserveCapacity(capacity)
    }

    mutating func add(word start: Int, length: Int, hash: UInt64, line: Int) {
        wordStarts.append(start)
        wordLengths.append(Int32(truncatingIfNeeded: length))
        hashes.append(hash)
        lines.append(Int32(truncatingIfNeeded: line))
    }

    /// Records a bad line; returns whether the piece goes on (only when skipping bad lines).
    mutating func fail(_ error: PieceError, skipping: Bool) -> Bool {
        badLines += 1
        if !skipping || error.fatal {
            errors.append(error)
            return false
        }
        if errors.count < EmbeddingParser.storedErrors { errors.append(error) }
        return true
    }
}

/// Parses embedding files straight into a store image (``StoreImage``).
///
/// GloVe and word2vec text are split into pieces at line boundaries and parsed in parallel:
/// a first pass counts each piece's lines, so every piece knows the image rows its vectors
/// go to; a second parses the pieces, each writing its vectors in place. A sequential merge
/// then walks the entries in file order: it finds duplicate words, reports bad lines in file
/// order (the first one, or the first ``storedErrors`` when skipping), closes the gaps that
/// bad lines left between rows, and builds the word table and lookup slots. The result equals
/// a line-by-line parse: the same vectors, words, errors and line numbers.
enum EmbeddingParser {
    /// How many skipped lines' errors a parse keeps.
    static let storedErrors = 20

    /// The finished parse: the image, its layout and what was skipped.
    struct Built {
        let image: StoreImage
        let layout: EmbeddingStoreFile.Layout
        let skipped: Int
        let skippedErrors: [EmbeddingError]
    }

    /// Makes the image for a parse: `capacity` bytes of address space, of which the first
    /// `size` (the header and the vectors) are written first.
    typealias ImageMaker = (_ capacity: Int, _ size: Int) throws(EmbeddingError) -> StoreImage

    /// Parses `bytes` (the whole file, named `path` in errors) as `format`.
    /// - Parameter pieceBytes: the target size of a text piece (smaller pieces spread the
    ///   work across more tasks; tests use tiny ones to exercise the merge).
    static func build(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, format: EmbeddingFormat, skipBadLines: Bool,
        pieceBytes: Int = 1 << 20, makeImage: ImageMaker
    ) throws(EmbeddingError) -> Built {
        switch format {
        case .glove, .word2vecText:
            return try buildText(
                bytes, path: path, hasHeader: format == .word2vecText, skipBadLines: skipBadLines,
                pieceBytes: pieceBytes, makeImage: makeImage)
        case .word2vecBinary:
            return try buildBinary(bytes, path: path, skipBadLines: skipBadLines, makeImage: makeImage)
        }
    }

    // MARK: Text

    private static func buildText(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, hasHeader: Bool, skipBadLines: Bool,
        pieceBytes: Int, makeImage: ImageMaker
    ) throws(EmbeddingError) -> Built {
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let total = bytes.count
        var bodyStart = 0
        var firstLine = 0
        var dimension = 0
        var expected: Int? = nil
        if hasHeader {
            guard let header = EmbeddingFile.parseHeader(bytes) else {
                throw .badLine(path: path, line: 1, field: 1, reason: "expected a 'count dimension' header line")
            }
            guard header.dimension > 0 else {
                throw .badLine(path: path, line: 1, field: 2, reason: "the dimension must be positive")
            }
            dimension = header.dimension
            expected = header.count
            bodyStart = header.bodyStart
            firstLine = 1
        } else {
            guard let found = try gloveDimension(base, total, path: path, skipBadLines: skipBadLines) else {
                throw .empty(path: path)
            }
            dimension = found
        }

        // Pass 1: pieces and their line counts, hence each piece's first row and line.
        let ranges = pieces(base, from: bodyStart, to: total, pieceBytes: pieceBytes)
        var lineCounts = [Int](repeating: 0, count: ranges.count)
        lineCounts.withUnsafeMutableBufferPointer { counts in
            let out = UncheckedBox(counts)
            runInParallel(ranges.count) { index in out.value[index] = countLines(base, ranges[index]) }
        }
        var firstRows = [Int]()
        var rows = 0
        for count in lineCounts {
            firstRows.append(rows)
            rows += count
        }
        let image = try makeImageFor(
            rows: rows, dimension: dimension, bytesPerValue: 2, fileBytes: total, path: path, makeImage: makeImage)

        // Pass 2: every piece parses its lines into its rows.
        let vectors = (image.base + EmbeddingStoreFile.headerSize).assumingMemoryBound(to: Float.self)
        let parser = TextLineParser(base: base, dimension: dimension)
        var results = [ParsedPiece](repeating: ParsedPiece(), count: ranges.count)
        results.withUnsafeMutableBufferPointer { results in
            let out = UncheckedBox(results)
            runInParallel(ranges.count) { index in
                // A piece's lines before it are its rows before it (one row per line at most).
                var piece = ParsedPiece(
                    firstRow: firstRows[index], lineOffset: firstLine + firstRows[index], capacity: lineCounts[index])
                parser.parse(ranges[index], into: vectors + piece.firstRow * dimension, piece: &piece, skipping: skipBadLines)
                out.value[index] = piece
            }
        }
        return try merge(
            results, base: base, image: image, dimension: dimension, path: path, skipBadLines: skipBadLines,
            expected: expected)
    }

    /// The dimension of a GloVe file: the number of values on its first entry (the first line
    /// with a word). Lines before it that start with a space are errors (skipped when skipping,
    /// as the pieces will report them again); `nil` when no line has a word.
    private static func gloveDimension(
        _ base: UnsafePointer<UInt8>, _ total: Int, path: String, skipBadLines: Bool
    ) throws(EmbeddingError) -> Int? {
        var position = 0
        var line = 0
        while position < total {
            line += 1
            let (lineEnd, next) = lineBounds(base, position, total)
            defer { position = next }
            if lineEnd == position { continue }
            var cursor = position
            while cursor < lineEnd && !TextLineParser.isSpace(base[cursor]) { cursor += 1 }
            if cursor == position {
                if skipBadLines { continue }
                throw .badLine(path: path, line: line, field: 1, reason: "the line starts with a space: no word")
            }
            var fields = 0
            while cursor < lineEnd {
                while cursor < lineEnd && TextLineParser.isSpace(base[cursor]) { cursor += 1 }
                if cursor == lineEnd { break }
                fields += 1
                while cursor < lineEnd && !TextLineParser.isSpace(base[cursor]) { cursor += 1 }
            }
            guard fields > 0 else {
                throw .badLine(path: path, line: line, field: 2, reason: "the first entry has no values")
            }
            return fields
        }
        return nil
    }

    /// The end of the line at `start` (before its `\n`, and before a `\r` ahead of it or of the
    /// end of the file) and the start of the next.
    @inline(__always)
    static func lineBounds(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (lineEnd: Int, next: Int) {
        var lineEnd = end
        var next = end
        if let found = memchr(base + start, 0x0A, end - start) {
            lineEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            next = lineEnd + 1
        }
        if lineEnd > start && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        return (lineEnd, next)
    }

    /// `[start, end)` cut into pieces of about `pieceBytes` (at most eight per processor), each
    /// ending just after a newline or at the end.
    static func pieces(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, pieceBytes: Int) -> [Range<Int>] {
        let size = end - start
        guard size > 0 else { return [start..<end] }
        let limit = 8 * max(1, CPUBackend.usableCores)
        let count = min(max(1, (size + pieceBytes - 1) / max(1, pieceBytes)), limit)
        var bounds = [start]
        for index in 1..<max(1, count) {
            let target = start + size / count * index
            guard target > bounds.last!, target < end else { continue }
            guard let found = memchr(base + target - 1, 0x0A, end - target + 1) else { break }
            let boundary = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
            if boundary > bounds.last! && boundary < end { bounds.append(boundary) }
        }
        bounds.append(end)
        return (0..<(bounds.count - 1)).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// The number of lines that start in `range` (newlines, plus an unterminated last line).
    static func countLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> Int {
        var lines = 0
        var position = range.lowerBound
        while position < range.upperBound,
            let found = memchr(base + position, 0x0A, range.upperBound - position)
        {
            lines += 1
            position = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return position < range.upperBound ? lines + 1 : lines
    }

    // MARK: Binary

    private static func buildBinary(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, skipBadLines: Bool, makeImage: ImageMaker
    ) throws(EmbeddingError) -> Built {
        guard let header = EmbeddingFile.parseHeader(bytes) else {
            throw .badLine(path: path, line: 1, field: 1, reason: "expected a 'count dimension' header line")
        }
        guard header.dimension > 0 else {
            throw .badLine(path: path, line: 1, field: 2, reason: "the dimension must be positive")
        }
        let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let total = bytes.count
        let dimension = header.dimension
        let rowBytes = 4 * dimension
        // Every whole entry takes at least a space and its vector, so the file bounds the rows
        // whatever the header claims.
        let rows = min(header.count, (total - header.bodyStart) / (rowBytes + 1) + 1)
        let image = try makeImageFor(
            rows: rows, dimension: dimension, bytesPerValue: 4, fileBytes: total, path: path, makeImage: makeImage)
        let vectors = (image.base + EmbeddingStoreFile.headerSize).assumingMemoryBound(to: Float.self)
        var piece = ParsedPiece(firstRow: 0, lineOffset: 1, capacity: rows)
        var position = header.bodyStart
        var stopped = false
        for entry in 0..<header.count {
            let line = entry  // the piece starts after the header: entry k is line k + 2
            while position < total && (base[position] == 0x0A || base[position] == 0x0D) { position += 1 }
            let wordStart = position
            while position < total && base[position] != 0x20 { position += 1 }
            guard position < total else {
                _ = piece.fail(
                    PieceError(
                        line: line, field: 1,
                        reason: "binary entry \(entry + 1) at byte \(wordStart): truncated word (header announces \(header.count))",
                        fatal: true), skipping: skipBadLines)
                stopped = true
                break
            }
            let word = UnsafeBufferPointer(start: base + wordStart, count: position - wordStart)
            position += 1
            guard total - position >= rowBytes else {
                _ = piece.fail(
                    PieceError(
                        line: line, field: 2 + (total - position) / 4,
                        reason: "binary entry \(entry + 1) at byte \(wordStart): truncated vector", fatal: true),
                    skipping: skipBadLines)
                stopped = true
                break
            }
            let row = vectors + (piece.firstRow + piece.wordStarts.count) * dimension
            let raw = UnsafeRawPointer(base + position)
            var bad: PieceError? = nil
            for k in 0..<dimension {
                let value = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))
                if !value.isFinite && bad == nil {
                    bad = PieceError(line: line, field: k + 2, reason: "binary entry \(entry + 1): value is not finite")
                }
                row[k] = value
            }
            position += rowBytes
            if word.isEmpty && bad == nil {
                bad = PieceError(line: line, field: 1, reason: "binary entry \(entry + 1): empty word")
            }
            if bad == nil && !isUTF8(word) {
                bad = PieceError(line: line, field: 1, reason: "the word is not valid UTF-8")
            }
            if let bad {
                if !piece.fail(bad, skipping: skipBadLines) {
                    stopped = true
                    break
                }
                continue
            }
            piece.add(word: wordStart, length: word.count, hash: ByteStringTable.hash(word), line: line)
        }
        // Entries after the announced ones (a partial one counts) mean a wrong header, as in
        // word2vec text.
        var extra = 0
        while !stopped {
            while position < total && (base[position] == 0x0A || base[position] == 0x0D) { position += 1 }
            guard position < total else { break }
            extra += 1
            guard let space = memchr(base + position, 0x20, total - position) else { break }
            let wordEnd = base.distance(to: space.assumingMemoryBound(to: UInt8.self))
            position = rowBytes < total - wordEnd ? wordEnd + 1 + rowBytes : total
        }
        if extra > 0 {
            throw .badLine(
                path: path, line: 1, field: 1,
                reason: "the header announces \(header.count) words but the file holds \(header.count + extra)")
        }
        return try merge([piece], base: base, image: image, dimension: dimension, path: path, skipBadLines: skipBadLines, expected: nil)
    }

    // MARK: Image and merge

    /// An image for up to `rows` vectors and words drawn from a `fileBytes`-byte file, each
    /// value of which takes at least `bytesPerValue` bytes of it (a digit and a separator in
    /// text, four bytes in binary): a dimension whose one vector the file cannot hold is
    /// refused before any memory is reserved for it.
    private static func makeImageFor(
        rows: Int, dimension: Int, bytesPerValue: Int, fileBytes: Int, path: String, makeImage: ImageMaker
    ) throws(EmbeddingError) -> StoreImage {
        let (values, overflow) = rows.multipliedReportingOverflow(by: dimension)
        guard !overflow, values < Int.max / 16, rows < Int.max / 64, fileBytes < Int.max / 8 else {
            throw .badLine(path: path, line: 1, field: 2, reason: "\(rows) vectors of dimension \(dimension) are too large")
        }
        guard rows == 0 || dimension <= fileBytes / bytesPerValue + 1 else {
            throw .badLine(
                path: path, line: 1, field: 2,
                reason: "a vector of dimension \(dimension) needs more than the file's \(fileBytes) bytes")
        }
        let bound = EmbeddingStoreFile.Layout(
            count: rows, dimension: dimension, slotCount: EmbeddingStoreFile.Layout.slotCount(for: rows),
            arenaBytes: fileBytes)
        do {
            return try makeImage(bound.fileSize, bound.vectorsOffset + 4 * values)
        } catch .cache(let message) {
            throw .cache("\(path): \(message)")
        }
    }

    /// Walks the pieces' entries in file order: reports bad lines and duplicates, moves rows
    /// over gaps, builds the word table and the slots, and seals the image.
    private static func merge(
        _ pieces: [ParsedPiece], base: UnsafePointer<UInt8>, image: StoreImage, dimension: Int, path: String,
        skipBadLines: Bool, expected: Int?
    ) throws(EmbeddingError) -> Built {
        let entries = pieces.reduce(0) { $0 + $1.wordStarts.count }
        let slotCount = EmbeddingStoreFile.Layout.slotCount(for: entries)
        let mask = slotCount - 1
        var slots = [UInt64](repeating: 0, count: slotCount)
        var rowStarts = [Int]()
        var rowLengths = [Int32]()
        var rowLines = [Int32]()
        rowStarts.reserveCapacity(entries)
        rowLengths.reserveCapacity(entries)
        rowLines.reserveCapacity(entries)
        var skipped = 0
        var skippedErrors: [EmbeddingError] = []
        let vectors = (image.base + EmbeddingStoreFile.headerSize).assumingMemoryBound(to: Float.self)

        func fail(_ bad: PieceError, offset: Int) throws(EmbeddingError) {
            let error = EmbeddingError.badLine(path: path, line: offset + bad.line + 1, field: bad.field, reason: bad.reason)
            guard skipBadLines, !bad.fatal else { throw error }
            skipped += 1
            if skippedErrors.count < storedErrors { skippedErrors.append(error) }
        }

        try slots.withUnsafeMutableBufferPointer { (slots) throws(EmbeddingError) in
            for piece in pieces {
                var next = 0
                for entry in 0..<piece.wordStarts.count {
                    let line = Int(piece.lines[entry])
                    while next < piece.errors.count && piece.errors[next].line < line {
                        try fail(piece.errors[next], offset: piece.lineOffset)
                        next += 1
                    }
                    let start = piece.wordStarts[entry]
                    let length = Int(piece.wordLengths[entry])
                    let hash = piece.hashes[entry]
                    let tag = hash & 0xFFFF_FFFF_0000_0000
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    var duplicate: Int? = nil
                    while slots[slot] != 0 {
                        let stored = slots[slot]
                        if stored & 0xFFFF_FFFF_0000_0000 == tag {
                            let other = Int(truncatingIfNeeded: stored & 0xFFFF_FFFF) - 1
                            if Int(rowLengths[other]) == length
                                && (length == 0 || memcmp(base + rowStarts[other], base + start, length) == 0)
                            {
                                duplicate = other
                                break
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                    if let duplicate {
                        let word = String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self)
                        try fail(
                            PieceError(
                                line: line, field: 1,
                                reason: "duplicate word '\(word)' (first on line \(rowLines[duplicate]))"),
                            offset: piece.lineOffset)
                        continue
                    }
                    let row = rowStarts.count
                    let source = piece.firstRow + entry
                    if source != row {
                        (vectors + row * dimension).update(from: vectors + source * dimension, count: dimension)
                    }
                    slots[slot] = tag | UInt64(row + 1)
                    rowStarts.append(start)
                    rowLengths.append(Int32(truncatingIfNeeded: length))
                    rowLines.append(Int32(truncatingIfNeeded: piece.lineOffset + line + 1))
                }
                while next < piece.errors.count {
                    try fail(piece.errors[next], offset: piece.lineOffset)
                    next += 1
                }
                skipped += piece.badLines - piece.errors.count
            }
        }
        let count = rowStarts.count
        if let expected, expected != count + skipped {
            throw .badLine(
                path: path, line: 1, field: 1,
                reason: "the header announces \(expected) words but the file holds \(count + skipped)")
        }
        guard count > 0 else { throw .empty(path: path) }

        let arenaBytes = rowLengths.reduce(0) { $0 + Int($1) }
        let layout = EmbeddingStoreFile.Layout(
            count: count, dimension: dimension, slotCount: slotCount, arenaBytes: arenaBytes)
        var image = image
        if !image.reserve(layout.fileSize) {
            image = try image.copyToMemory(bytes: layout.vectorsOffset + 4 * count * dimension)
        }
        let target = image.base
        // Everything between the vectors and the arena is zero but for the ends and slots.
        let vectorEnd = layout.vectorsOffset + 4 * count * dimension
        (target + vectorEnd).initializeMemory(as: UInt8.self, repeating: 0, count: layout.arenaOffset - vectorEnd)
        let ends = (target + layout.endsOffset).bindMemory(to: UInt64.self, capacity: count)
        let arena = (target + layout.arenaOffset).assumingMemoryBound(to: UInt8.self)
        var offset = 0
        for row in 0..<count {
            let length = Int(rowLengths[row])
            (arena + offset).update(from: base + rowStarts[row], count: length)
            offset += length
            ends[row] = UInt64(offset)
        }
        slots.withUnsafeBytes { (target + layout.slotsOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        EmbeddingStoreFile.writeHeader(into: target, layout: layout)
        image.seal(size: layout.fileSize)
        return Built(image: image, layout: layout, skipped: skipped, skippedErrors: skippedErrors)
    }

    /// Whether `word` is valid UTF-8 (checked without allocating for ASCII words).
    @inline(__always)
    static func isUTF8(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in word where byte >= 0x80 { return String(validating: word, as: UTF8.self) != nil }
        return true
    }
}

/// Parses the `word v1 … vd` lines of a text embedding file.
struct TextLineParser: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    let dimension: Int

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Parses the lines of `range`, writing entry `i`'s vector to `rows + i × dimension`.
    func parse(_ range: Range<Int>, into rows: UnsafeMutablePointer<Float>, piece: inout ParsedPiece, skipping: Bool) {
        let end = range.upperBound
        var position = range.lowerBound
        var line = 0
        while position < end {
            defer { line += 1 }
            let row = rows + piece.wordStarts.count * dimension
            let start = position
            let wordEnd: Int
            if let fast = commonLine(start, end, row) {
                wordEnd = fast.wordEnd
                position = fast.next
            } else {
                let (lineEnd, next) = EmbeddingParser.lineBounds(base, start, end)
                position = next
                switch anyLine(start, lineEnd, row) {
                case .blank:
                    continue
                case .bad(let field, let reason):
                    if piece.fail(PieceError(line: line, field: field, reason: reason), skipping: skipping) { continue }
                    return
                case .entry(let end):
                    wordEnd = end
                }
            }
            let word = UnsafeBufferPointer(start: base + start, count: wordEnd - start)
            guard EmbeddingParser.isUTF8(word) else {
                if piece.fail(PieceError(line: line, field: 1, reason: "the word is not valid UTF-8"), skipping: skipping) {
                    continue
                }
                return
            }
            piece.add(word: start, length: word.count, hash: ByteStringTable.hash(word), line: line)
        }
    }

    /// Parses the line at `start` when it has the common form: a word, then `dimension` values
    /// each after one space, then the end of the line (`\n`, `\r\n` or the end of the file).
    /// Writes the values to `row`; `nil` for any other line, which ``anyLine(_:_:_:)`` then reads.
    @inline(__always)
    private func commonLine(_ start: Int, _ end: Int, _ row: UnsafeMutablePointer<Float>) -> (wordEnd: Int, next: Int)? {
        var position = tokenEnd(start, end)
        let wordEnd = position
        guard wordEnd > start else { return nil }
        for index in 0..<dimension {
            guard position < end, base[position] == 0x20 else { return nil }
            position += 1
            let tokenStart = position
            let fast = scanDecimal(base, &position, end)
            let terminated =
                position == end || base[position] == 0x20 || base[position] == 0x0A || base[position] == 0x0D
            if terminated, let fast {
                row[index] = fast
            } else {
                position = tokenEnd(position, end)
                guard let value = slowParseFloat(base + tokenStart, position - tokenStart), value.isFinite else {
                    return nil
                }
                row[index] = value
            }
        }
        if position == end { return (wordEnd, end) }
        if base[position] == 0x0A { return (wordEnd, position + 1) }
        if base[position] == 0x0D {
            if position + 1 == end { return (wordEnd, end) }
            if base[position + 1] == 0x0A { return (wordEnd, position + 2) }
        }
        return nil
    }

    /// The first space, tab, `\n` or `\r` at or after `position` (or `end`).
    @inline(__always)
    private func tokenEnd(_ position: Int, _ end: Int) -> Int {
        var position = position
        while position < end {
            let byte = base[position]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { break }
            position += 1
        }
        return position
    }

    enum Outcome {
        case blank
        case entry(wordEnd: Int)
        case bad(field: Int, reason: String)
    }

    /// Reads any line `[start, lineEnd)` (without its line break): words and values split on
    /// runs of spaces and tabs, every number through ``parseFloat(_:_:)``.
    private func anyLine(_ start: Int, _ lineEnd: Int, _ row: UnsafeMutablePointer<Float>) -> Outcome {
        if lineEnd == start { return .blank }
        var cursor = start
        while cursor < lineEnd && !Self.isSpace(base[cursor]) { cursor += 1 }
        let wordEnd = cursor
        if wordEnd == start { return .bad(field: 1, reason: "the line starts with a space: no word") }
        var field = 1
        while true {
            while cursor < lineEnd && Self.isSpace(base[cursor]) { cursor += 1 }
            if cursor == lineEnd { break }
            let tokenStart = cursor
            while cursor < lineEnd && !Self.isSpace(base[cursor]) { cursor += 1 }
            field += 1
            if field > dimension + 1 {
                return .bad(field: field, reason: "too many values: expected \(dimension), found more")
            }
            guard let value = parseFloat(base + tokenStart, cursor - tokenStart), value.isFinite else {
                let token = String(
                    decoding: UnsafeBufferPointer(start: base + tokenStart, count: cursor - tokenStart), as: UTF8.self)
                return .bad(field: field, reason: "'\(token)' is not a finite number")
            }
            row[field - 2] = value
        }
        if field < dimension + 1 {
            return .bad(field: field + 1, reason: "too few values: expected \(dimension), found \(field - 1)")
        }
        return .entry(wordEnd: wordEnd)
    }
}
