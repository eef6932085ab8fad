import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfFeatures

/// `strtof` of a Swift string: the reference every parsed value must equal.
func referenceFloat(_ token: Substring) -> Float {
    String(token).withCString { strtof($0, nil) }
}

/// The words and reference values of a GloVe or word2vec text file, split with Foundation.
func referenceText(_ url: URL, header: Bool) throws -> (words: [String], values: [Float]) {
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    if header { lines.removeFirst() }
    var words: [String] = []
    var values: [Float] = []
    for line in lines {
        let fields = line.split(separator: " ")
        words.append(String(fields[0]))
        values.append(contentsOf: fields.dropFirst().map(referenceFloat))
    }
    return (words, values)
}

func bitsEqual(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

@Suite("Embedding files")
struct EmbeddingFileTests {
    let glove = SharedData.fixture("embeddings/small.glove.txt")

    @Test("GloVe text is detected and parsed to strtof's values")
    func parsesGlove() throws {
        let result = try EmbeddingFile.parse(path: glove.path)
        #expect(result.format == .glove)
        let reference = try referenceText(glove, header: false)
        #expect(result.store.words == reference.words)
        #expect(result.store.dimension == 4)
        #expect(bitsEqual(result.store.vectors, reference.values))
        #expect(result.skippedLines == 0)
    }

    @Test("word2vec text (header, trailing spaces) is detected and matches GloVe")
    func parsesWord2vecText() throws {
        let url = SharedData.fixture("embeddings/small.w2v.txt")
        let result = try EmbeddingFile.parse(path: url.path)
        #expect(result.format == .word2vecText)
        #expect(result.store == (try EmbeddingFile.parse(path: glove.path)).store)
    }

    @Test("word2vec binary from numpy is detected and matches the text values")
    func parsesWord2vecBinary() throws {
        let url = SharedData.fixture("embeddings/small.w2v.bin")
        let result = try EmbeddingFile.parse(path: url.path)
        #expect(result.format == .word2vecBinary)
        let text = try EmbeddingFile.parse(path: glove.path).store
        #expect(result.store.words == text.words)
        #expect(bitsEqual(result.store.vectors, text.vectors))
    }

    @Test("word2vec binary written here round-trips exactly, with and without newlines")
    func binaryRoundTrip() throws {
        for newline in [true, false] {
            var generator = SystemRandomNumberGenerator()
            let words = (0..<50).map { "w\($0)é" }
            let values = (0..<(50 * 7)).map { _ in Float.random(in: -3...3, using: &generator) }
            var bytes = Array("50 7\n".utf8)
            for (row, word) in words.enumerated() {
                bytes += Array(word.utf8) + [0x20]
                for value in values[(row * 7)..<((row + 1) * 7)] {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
                }
                if newline { bytes.append(0x0A) }
            }
            let result = try EmbeddingFile.parse(Data(bytes), path: "gen.bin")
            #expect(result.format == .word2vecBinary)
            #expect(result.store.words == words)
            #expect(bitsEqual(result.store.vectors, values))
            // Truncated: the last vector is cut short.
            #expect(throws: EmbeddingError.self) {
                try EmbeddingFile.parse(Data(bytes.dropLast(newline ? 3 : 2)), path: "gen.bin")
            }
        }
    }

    @Test("a header dimension whose one vector the file cannot hold is refused before memory is reserved")
    func headerDimensionBeyondTheFile() throws {
        // Found by scripts/fuzz.sh: 11,111,111,115 dimensions in a few hundred bytes of text,
        // and 644,608,261,361,361 in 24 bytes of binary.
        for (target, format) in [("embeddings-text", nil), ("word2vec-binary", EmbeddingFormat.word2vecBinary)] {
            let path = SharedData.repositoryRoot.appendingPathComponent("Fuzz/\(target)/regressions/header-dimension-beyond-file").path
            #expect {
                try EmbeddingFile.parse(path: path, format: format)
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains("needs more than the file's")
            }
        }
    }

    @Test("word2vec binary whose header count differs from its entries is refused, as in the text format")
    func binaryHeaderCount() throws {
        func binary(announcing count: Int, entries: Int, newline: Bool, tail: [UInt8] = []) -> [UInt8] {
            var bytes = Array("\(count) 3\n".utf8)
            for entry in 0..<entries {
                bytes += Array("w\(entry)".utf8) + [0x20]
                for value: Float in [1, -2, 0.5] {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
                }
                if newline { bytes.append(0x0A) }
            }
            return bytes + tail
        }
        for newline in [true, false] {
            #expect(try EmbeddingFile.parse(Data(binary(announcing: 5, entries: 5, newline: newline)), path: "b.bin").store.count == 5)
            for skip in [false, true] {
                // Fewer announced than present: refused, like word2vec text.
                #expect(throws: EmbeddingError.badLine(
                    path: "b.bin", line: 1, field: 1, reason: "the header announces 3 words but the file holds 5")
                ) {
                    try EmbeddingFile.parse(Data(binary(announcing: 3, entries: 5, newline: newline)), path: "b.bin", skipBadLines: skip)
                }
                // A partial entry after the announced ones counts as one more.
                #expect(throws: EmbeddingError.badLine(
                    path: "b.bin", line: 1, field: 1, reason: "the header announces 5 words but the file holds 6")
                ) {
                    try EmbeddingFile.parse(
                        Data(binary(announcing: 5, entries: 5, newline: newline, tail: Array("w5 ".utf8))), path: "b.bin",
                        format: .word2vecBinary, skipBadLines: skip)
                }
                // More announced than present: the first missing entry is a truncated word.
                let short = binary(announcing: 6, entries: 5, newline: newline)
                #expect(throws: EmbeddingError.badLine(
                    path: "b.bin", line: 7, field: 1,
                    reason: "binary entry 6 at byte \(short.count): truncated word (header announces 6)")
                ) {
                    try EmbeddingFile.parse(Data(short), path: "b.bin", skipBadLines: skip)
                }
            }
        }
    }

    @Test("a forced format overrides detection")
    func forcedFormat() throws {
        #expect(throws: EmbeddingError.badLine(
            path: glove.path, line: 1, field: 1, reason: "expected a 'count dimension' header line")
        ) {
            try EmbeddingFile.parse(path: glove.path, format: .word2vecText)
        }
        let w2v = SharedData.fixture("embeddings/small.w2v.txt")
        // Read as GloVe, the header "6 4" is a word "6" with one value; line 2 then has too many.
        #expect(throws: EmbeddingError.self) { try EmbeddingFile.parse(path: w2v.path, format: .glove) }
    }

    @Test("bad lines are named by file, line and field")
    func badLines() throws {
        let bad = SharedData.fixture("embeddings/bad.glove.txt")
        let path = bad.path
        do {
            _ = try EmbeddingFile.parse(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error == .badLine(path: path, line: 2, field: 4, reason: "too few values: expected 3, found 2"))
            #expect(error.description.hasPrefix("\(path):2: field 4:"))
        }
        let cases: [(String, Int, String)] = [
            ("a 1 2 3\nb 1 2 3 4\n", 5, "too many values"),
            ("a 1 2 3\nb 1 zwei 3\n", 3, "'zwei' is not a finite number"),
            ("a 1 2 3\nb 1 2 1e99\n", 4, "'1e99' is not a finite number"),
            ("a 1 2 3\na 4 5 6\n", 1, "duplicate word 'a' (first on line 1)"),
            ("a 1 2 3\n 4 5 6\n", 1, "no word"),
        ]
        for (text, field, reason) in cases {
            do {
                _ = try EmbeddingFile.parse(Data(text.utf8), path: "t.txt")
                Issue.record("expected an error for \(text)")
            } catch {
                guard case .badLine(let p, let line, let f, let r) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(p == "t.txt" && line == 2 && f == field && r.contains(reason), "\(error)")
            }
        }
        let skipped = try EmbeddingFile.parse(path: path, skipBadLines: true)
        #expect(skipped.skippedLines == 4)
        #expect(skipped.store.words == ["good", "fine"])
        #expect(skipped.store.vectors == [1, 2, 3, 7, 8, 9])
        #expect(skipped.skippedErrors.map { if case .badLine(_, let line, _, _) = $0 { line } else { 0 } } == [2, 3, 4, 5])
    }

    @Test("word2vec text header count must match")
    func headerCount() throws {
        #expect(throws: EmbeddingError.self) { try EmbeddingFile.parse(Data("3 2\na 1 2\nb 3 4\n".utf8), path: "h") }
        #expect(throws: EmbeddingError.empty(path: "e")) { try EmbeddingFile.parse(Data("\n\n".utf8), path: "e") }
    }

    @Test("the fast float path equals strtof on awkward decimals")
    func fastFloatMatchesStrtof() {
        var tokens = [
            "0", "-0", "0.0", "1", "16777216", "16777217", "0.1", "0.2", "0.3", "-0.00066023", "9.999999",
            "0.0000000001", "1.00000005960464477", "0.30000001192092896", "3.4028235e38", "1e-45", "7.", ".5",
            "+2.5", "123456.7", "1234567.8", "0.16777216", "1677721.7", "0.99999997", "5e-1",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...9, using: &generator)
            var token = String(UInt64.random(in: 0..<UInt64(pow(10.0, Double(digits))), using: &generator))
            let point = Int.random(in: 0...token.count, using: &generator)
            token.insert(".", at: token.index(token.startIndex, offsetBy: point))
            if Bool.random(using: &generator) { token = "-" + token }
            tokens.append(token)
        }
        for token in tokens {
            let parsed = Array(token.utf8).withUnsafeBufferPointer { parseFloat($0.baseAddress!, $0.count) }
            #expect(parsed?.bitPattern == referenceFloat(Substring(token)).bitPattern, "\(token)")
        }
    }

    @Test(
        "every value of the shared GloVe subset equals strtof", .enabled(if: SharedData.isAvailable, SharedData.skipMessage))
    func sharedGloveSubset() throws {
        let url = try #require(SharedData.url("glove/glove.6B.50d.sst2-sms.txt"))
        let result = try EmbeddingFile.parse(path: url.path)
        #expect(result.format == .glove)
        #expect(result.store.count == 17_874)
        #expect(result.store.dimension == 50)
        let reference = try referenceText(url, header: false)
        #expect(result.store.words == reference.words)
        let mismatches = zip(result.store.vectors, reference.values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0)
        #expect(result.store.vectors.count == reference.values.count)
    }

    @Test("lookups by string and by UTF-8 bytes")
    func lookups() throws {
        let store = try EmbeddingFile.parse(path: glove.path).store
        #expect(store.index(of: "café") == 2)
        #expect(store.vector(for: "the").map(Array.init) == [0.418, 0.24968, -0.41242, 0.1217])
        #expect(store.vector(for: "absent") == nil)
        let bytes = Array("naïve".utf8)
        #expect(bytes.withUnsafeBufferPointer { store.index(of: $0) } == 3)
        #expect(store.withVectors { $0.count } == 24)
        #expect(throws: EmbeddingError.self) { try EmbeddingStore(words: ["a", "a"], dimension: 1, vectors: [1, 2]) }
    }
}
