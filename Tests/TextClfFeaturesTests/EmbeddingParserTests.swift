import Foundation
import Testing

@testable import TextClfFeatures

/// What a parse gives: the entries and the skipped lines, or the error.
private struct Outcome: Equatable, CustomStringConvertible {
    var words: [String] = []
    var bits: [UInt32] = []
    var skipped = 0
    var errors: [EmbeddingError] = []
    var thrown: EmbeddingError? = nil

    var description: String {
        if let thrown { return "threw \(thrown)" }
        return "\(words.count) words, \(skipped) skipped, first errors \(errors.prefix(3))"
    }
}

/// A plain line-by-line reading of GloVe (or word2vec text, with `header`): the behaviour the
/// parallel parser must reproduce, written without any of its machinery.
private func referenceParse(_ bytes: [UInt8], header: Bool, skip: Bool) -> Outcome {
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
    if lines.last?.isEmpty == true { lines.removeLast() }  // the text after the last newline
    var outcome = Outcome()
    var seen: [[UInt8]: Int] = [:]
    var dimension = 0
    var expected: Int? = nil
    var first = 0
    if header {
        let fields = String(decoding: lines[0], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        expected = fields[0]
        dimension = fields[1]
        first = 1
    }
    func fail(_ line: Int, _ field: Int, _ reason: String) -> Bool {
        let error = EmbeddingError.badLine(path: "p", line: line, field: field, reason: reason)
        guard skip else {
            outcome.thrown = error
            return false
        }
        outcome.skipped += 1
        if outcome.errors.count < 20 { outcome.errors.append(error) }
        return true
    }
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    for index in first..<lines.count {
        let number = index + 1
        var line = lines[index]
        if line.last == 0x0D { line.removeLast() }
        if line.isEmpty { continue }
        let word = Array(line.prefix { !isSpace($0) })
        let tokens = line.split(whereSeparator: isSpace).map { Array($0) }
        if word.isEmpty {
            if fail(number, 1, "the line starts with a space: no word") { continue }
            return Outcome(thrown: outcome.thrown)
        }
        if dimension == 0 {
            guard tokens.count > 1 else {
                return Outcome(thrown: .badLine(path: "p", line: number, field: 2, reason: "the first entry has no values"))
            }
            dimension = tokens.count - 1
        }
        var values: [Float] = []
        var bad: (Int, String)? = nil
        for (k, token) in tokens.dropFirst().enumerated() {
            let field = k + 2
            if field > dimension + 1 {
                bad = (field, "too many values: expected \(dimension), found more")
                break
            }
            let text = String(decoding: token, as: UTF8.self)
            let value = text.withCString { start -> Float in
                var end: UnsafeMutablePointer<CChar>? = nil
                let value = strtof(start, &end)
                return end.map { UnsafePointer($0) == start + strlen(start) } == true ? value : Float.nan
            }
            guard value.isFinite else {
                bad = (field, "'\(text)' is not a finite number")
                break
            }
            values.append(value)
        }
        if bad == nil && values.count < dimension {
            bad = (values.count + 2, "too few values: expected \(dimension), found \(values.count)")
        }
        if bad == nil && String(validating: word, as: UTF8.self) == nil { bad = (1, "the word is not valid UTF-8") }
        if bad == nil, let earlier = seen[word] {
            bad = (1, "duplicate word '\(String(decoding: word, as: UTF8.self))' (first on line \(earlier))")
        }
        if let (field, reason) = bad {
            if fail(number, field, reason) { continue }
            return Outcome(thrown: outcome.thrown)
        }
        seen[word] = number
        outcome.words.append(String(decoding: word, as: UTF8.self))
        outcome.bits += values.map(\.bitPattern)
    }
    if let expected, expected != outcome.words.count + outcome.skipped {
        return Outcome(
            thrown: .badLine(
                path: "p", line: 1, field: 1,
                reason: "the header announces \(expected) words but the file holds \(outcome.words.count + outcome.skipped)"))
    }
    return outcome.words.isEmpty ? Outcome(thrown: .empty(path: "p")) : outcome
}

private func parallelParse(_ bytes: [UInt8], header: Bool, skip: Bool, pieceBytes: Int) -> Outcome {
    do {
        let (result, _) = try EmbeddingFile.parse(
            Data(bytes), path: "p", format: header ? .word2vecText : .glove, skipBadLines: skip, pieceBytes: pieceBytes
        ) { capacity, _ throws(EmbeddingError) in try StoreImage.memory(capacity: capacity) }
        return Outcome(
            words: result.store.words, bits: result.store.withVectors { $0.map(\.bitPattern) },
            skipped: result.skippedLines, errors: result.skippedErrors)
    } catch {
        return Outcome(thrown: error)
    }
}

/// Random embedding text: mostly well-formed lines, with every variation a line may take
/// (separators, line breaks, number spellings) and, when `faults`, every kind of bad line:
/// on about half of the lines, or on one in `sparse` when given.
private func randomText(lines: Int, dimension: Int, faults: Bool, sparse: Int? = nil, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }
    let spellings = ["0.25", "-1.5", "+2", "3.", ".75", "1e-3", "-4.2E+01", "0.123456789012", "16777217", "-0"]
    var text: [UInt8] = []
    for line in 0..<lines {
        var word = Array("w\(line % (faults && sparse == nil ? lines / 2 + 1 : lines))".utf8)
        var values = (0..<dimension).map { _ in spellings[next(spellings.count)] }
        var separator = " "
        var ending = "\n"
        let kind = next(faults ? 22 : 12)
        switch faults && kind >= 12 && sparse.map({ next($0) != 0 }) == true ? 6 : kind {
        case 0: separator = "\t"
        case 1: separator = "  "
        case 2: ending = "\r\n"
        case 3: values.append("")  // a trailing space
        case 4: text += Array("\n".utf8)  // a blank line first
        case 5: word = Array("ünï\(line)".utf8)
        case 12: values.removeLast()
        case 13: values.append("9")
        case 14: values[next(dimension)] = "nan"
        case 15: values[next(dimension)] = "1e99"
        case 16: values[next(dimension)] = "x1"
        case 17: word = []
        case 18: word = [0xC3, 0x28] + Array("\(line)".utf8)
        case 19: word = Array("w0".utf8)  // a duplicate
        case 20: values = []
        case 21: ending = "\r\r\n"
        default: break
        }
        text += word
        for value in values { text += Array((separator + value).utf8) }
        text += Array(ending.utf8)
    }
    if next(2) == 0, text.last == 0x0A { text.removeLast() }  // no final newline
    return text
}

@Suite("Embedding parser")
struct EmbeddingParserTests {
    @Test(
        "pieces of every size read exactly what a line-by-line reading does",
        arguments: [(false, nil), (true, nil), (true, 25)] as [(Bool, Int?)])
    func piecesMatchTheReference(faults: Bool, sparse: Int?) {
        for seed in UInt64(1)...12 {
            let dimension = Int(seed % 4) + 1
            let bytes = randomText(
                lines: 40 + Int(seed) * 7, dimension: dimension, faults: faults, sparse: sparse, seed: seed)
            for header in [false, true] {
                let input = header ? Array("\(40 + Int(seed) * 7) \(dimension)\n".utf8) + bytes : bytes
                for skip in [false, true] {
                    let expected = referenceParse(input, header: header, skip: skip)
                    for pieceBytes in [1, 5, 37, 300, 1 << 20] {
                        let found = parallelParse(input, header: header, skip: skip, pieceBytes: pieceBytes)
                        #expect(
                            found == expected,
                            "seed \(seed), header \(header), skip \(skip), pieces of \(pieceBytes) bytes: \(found) vs \(expected)")
                    }
                }
            }
        }
    }

    @Test("clean random files parse in full, and bad ones report their first bad line")
    func referenceIsExercised() {
        // Guards the test above against comparing two empty outcomes.
        let clean = referenceParse(randomText(lines: 200, dimension: 3, faults: false, seed: 5), header: false, skip: false)
        #expect(clean.thrown == nil && clean.words.count == 200 && clean.bits.count == 600)
        let bad = referenceParse(randomText(lines: 200, dimension: 3, faults: true, seed: 5), header: false, skip: true)
        #expect(bad.skipped > 20 && bad.errors.count == 20 && !bad.words.isEmpty)
        let strict = referenceParse(randomText(lines: 200, dimension: 3, faults: true, seed: 5), header: false, skip: false)
        #expect(strict.thrown != nil)
        // Sparse faults: the first bad line comes late, after many good entries.
        let late = referenceParse(
            randomText(lines: 200, dimension: 3, faults: true, sparse: 25, seed: 5), header: false, skip: true)
        #expect(late.skipped > 0 && late.skipped < 30 && late.words.count > 150)
    }

    @Test("pieces end just after a newline and count their lines")
    func piecesAndLines() {
        let text = Array("a 1\nbb 2\n\nccc 3".utf8)
        text.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            for size in 1...text.count + 1 {
                let ranges = EmbeddingParser.pieces(base, from: 0, to: text.count, pieceBytes: size)
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == text.count)
                for (left, right) in zip(ranges, ranges.dropFirst()) {
                    #expect(left.upperBound == right.lowerBound && text[left.upperBound - 1] == 0x0A)
                }
                #expect(ranges.map { EmbeddingParser.countLines(base, $0) }.reduce(0, +) == 4)
            }
        }
    }

    @Test("a parsed image written to disk loads back as the same store")
    func memoryImageCommits() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = syntheticGlove(words: 500, dimension: 7, seed: 3)
        let (result, built) = try EmbeddingFile.parse(
            Data(text.utf8), path: "g", format: nil, skipBadLines: false, pieceBytes: 1000
        ) { capacity, _ throws(EmbeddingError) in try StoreImage.memory(capacity: capacity) }
        let path = directory.appendingPathComponent("s.tcemb").path
        try built.image.commit(to: path, size: built.layout.fileSize)
        let loaded = EmbeddingStore(mapped: try MappedEmbeddings(path: path, count: 500, dimension: 7))
        #expect(loaded == result.store && loaded.count == 500)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["s.tcemb"])
    }

    @Test("a file image is renamed into place, or leaves nothing behind")
    func fileImageCommitsOrVanishes() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Data(syntheticGlove(words: 300, dimension: 5, seed: 4).utf8)
        let target = directory.appendingPathComponent("s.tcemb").path
        func parseToFile() throws -> (EmbeddingParseResult, EmbeddingParser.Built) {
            try EmbeddingFile.parse(text, path: "g", format: nil, skipBadLines: false) { capacity, size throws(EmbeddingError) in
                if let image = StoreImage.file(beside: target, capacity: capacity, size: size) { return image }
                return try StoreImage.memory(capacity: capacity)
            }
        }
        let (result, built) = try parseToFile()
        #if os(Linux)
        #expect(built.image.isFile)
        #endif
        try built.image.commit(to: target, size: built.layout.fileSize)
        let loaded = EmbeddingStore(mapped: try MappedEmbeddings(path: target, count: 300, dimension: 5))
        #expect(loaded == result.store)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["s.tcemb"])
        // An image that is never committed removes its temporary file.
        do {
            let (other, _) = try parseToFile()
            #expect(other.store == result.store)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["s.tcemb"])
    }
}
