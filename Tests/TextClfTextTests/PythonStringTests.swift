import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfText

/// Python's own answers, pinned by `scripts/fixtures/make_text_fixtures.py`.
struct UnicodeFixture: Decodable {
    let python_unicode_version: String
    let lower: [String: [UInt32]]
    let casefold: [String: [UInt32]]
    let word_ranges: [[UInt32]]
    let space_ranges: [[UInt32]]
    let unassigned_ranges: [[UInt32]]
    let normalization_block: UInt32
    let normalization: [String: [String: String]]

    static let shared: UnicodeFixture = {
        let data = try! Data(contentsOf: SharedData.fixture("text/unicode.json"))
        return try! JSONDecoder().decode(UnicodeFixture.self, from: data)
    }()

    /// Code points unassigned in Python's Unicode version; utf8proc may be newer.
    var unassigned: Set<UInt32> {
        Set(unassigned_ranges.flatMap { $0[0]...$0[1] })
    }

    static func contains(_ ranges: [[UInt32]], _ scalar: UInt32) -> Bool {
        ranges.contains { $0[0] <= scalar && scalar <= $0[1] }
    }
}

func fnv1a(_ bytes: some Sequence<UInt8>, _ seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
    var hash = seed
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}

let allScalars: [UInt32] = (0..<0x110000).filter { !(0xD800...0xDFFF).contains($0) }

func utf8(_ scalars: [UInt32]) -> [UInt8] {
    var bytes: [UInt8] = []
    for scalar in scalars { PythonString.appendScalar(scalar, to: &bytes) }
    return bytes
}

@Suite("Python string semantics over every code point")
struct PythonStringCodeSpaceTests {
    let fixture = UnicodeFixture.shared

    /// Applies `transform` to each assigned code point alone and compares with Python.
    func compareSingleScalars(
        expected: [String: [UInt32]],
        _ transform: (UnsafeBufferPointer<UInt8>, inout [UInt8]) -> Void
    ) -> [String] {
        let unassigned = fixture.unassigned
        var output: [UInt8] = []
        var mismatches: [String] = []
        for scalar in allScalars where !unassigned.contains(scalar) {
            let input = utf8([scalar])
            output.removeAll(keepingCapacity: true)
            input.withUnsafeBufferPointer { transform($0, &output) }
            let want = utf8(expected[String(scalar)] ?? [scalar])
            if output != want {
                mismatches.append(String(format: "U+%04X", scalar))
            }
        }
        return mismatches
    }

    @Test func lowerMatchesPythonOnEveryCodePoint() {
        #expect(fixture.lower.count > 1000)
        let mismatches = compareSingleScalars(expected: fixture.lower) {
            PythonString.lower(utf8: $0, into: &$1)
        }
        #expect(mismatches.isEmpty, "lower differs at \(mismatches.prefix(20))")
    }

    @Test func casefoldMatchesPythonOnEveryCodePoint() {
        #expect(fixture.casefold.count > 1000)
        let mismatches = compareSingleScalars(expected: fixture.casefold) {
            PythonString.casefold(utf8: $0, into: &$1)
        }
        #expect(mismatches.isEmpty, "casefold differs at \(mismatches.prefix(20))")
    }

    @Test func wordAndSpaceClassesMatchPython() {
        let unassigned = fixture.unassigned
        var wordMismatches: [String] = []
        var spaceMismatches: [String] = []
        for scalar in allScalars where !unassigned.contains(scalar) {
            if UnicodeClass.isWord(scalar) != UnicodeFixture.contains(fixture.word_ranges, scalar) {
                wordMismatches.append(String(format: "U+%04X", scalar))
            }
            if UnicodeClass.isSpace(scalar) != UnicodeFixture.contains(fixture.space_ranges, scalar) {
                spaceMismatches.append(String(format: "U+%04X", scalar))
            }
        }
        #expect(fixture.word_ranges.count > 100)
        #expect(wordMismatches.isEmpty, "\\w differs at \(wordMismatches.prefix(20))")
        #expect(spaceMismatches.isEmpty, "isspace differs at \(spaceMismatches.prefix(20))")
    }

    @Test(arguments: PythonString.NormalizationForm.allCases)
    func normalizationMatchesPythonPerBlock(form: PythonString.NormalizationForm) throws {
        let expected = try #require(fixture.normalization[form.rawValue])
        let unassigned = fixture.unassigned
        var hashes: [UInt32: UInt64] = [:]
        var output: [UInt8] = []
        for scalar in allScalars where !unassigned.contains(scalar) {
            output.removeAll(keepingCapacity: true)
            utf8([scalar]).withUnsafeBufferPointer {
                PythonString.normalize(utf8: $0, form: form, into: &output)
            }
            output.append(0)
            let block = scalar / fixture.normalization_block
            hashes[block] = fnv1a(output, hashes[block] ?? 0xCBF2_9CE4_8422_2325)
        }
        #expect(expected.count == hashes.count)
        let differing = hashes.keys.sorted().filter {
            expected[String($0)] != String(format: "%016llx", hashes[$0]!)
        }
        #expect(differing.isEmpty, "\(form.rawValue) differs in blocks \(differing.map { String(format: "U+%04X", $0 * fixture.normalization_block) })")
    }
}
