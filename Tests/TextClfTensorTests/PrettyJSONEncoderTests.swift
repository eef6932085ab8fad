import Foundation
import Testing

@testable import TextClfTensor

/// ``PrettyJSONEncoder`` writes the bytes `JSONEncoder` writes with pretty printing, sorted
/// keys and unescaped slashes.
@Suite("Pretty JSON encoder")
struct PrettyJSONEncoderTests {
    enum Kind: String, Codable { case first, secondKind = "second-kind" }
    enum Level: Int, Codable { case low = 1, high = 10 }
    enum Shape: Codable {
        case point
        case circle(radius: Double)
        case pair(Int, String)
    }

    struct Inner: Codable {
        var name: String
        var values: [Double]
        var optional: Int?
    }

    struct Everything: Codable {
        var text = "plain"
        var escapes = "quote \" backslash \\ slash / tab \t newline \n return \r bell \u{7} nul \u{0} unit \u{1F} del \u{7F}"
        var unicode = "café – ünïcödé 日本 🙂"
        var empty = ""
        var doubles: [Double] = [
            0, -0.0, 1, -1, 1.5, 0.1, 1e-7, 1.0e-5, 123456789012345680, 1e300, -2.5e-300, .leastNonzeroMagnitude,
            .greatestFiniteMagnitude, .pi, 0.001203298568725586,
        ]
        var floats: [Float] = [0, 1, 0.01, 0.4, 1e-20, 3.4e38, .leastNonzeroMagnitude, 16_777_216]
        var integers: [Int] = [0, -1, .max, .min]
        var small: Int8 = -128
        var unsigned: UInt64 = .max
        var unsigned8: UInt8 = 255
        var flags = [true, false]
        var kinds: [Kind] = [.first, .secondKind]
        var levels: [Level] = [.low, .high]
        var shapes: [Shape] = [.point, .circle(radius: 2), .pair(3, "x")]
        var inner = Inner(name: "n", values: [], optional: nil)
        var inners = [Inner(name: "a", values: [1, 2], optional: 3), Inner(name: "b", values: [], optional: nil)]
        var emptyArray: [Int] = []
        var emptyDictionary: [String: Int] = [:]
        var dictionary = ["b": 1, "B": 2, "a10": 3, "a9": 4, "ä": 5, "_": 6, "": 7, "Z": 8]
        var numbered = [10: "ten", 2: "two", -1: "minus one"]
        var nested: [String: [String: [Int]]] = ["outer": ["inner": [1, 2], "none": []]]
        var optionalPresent: String? = "here"
        var optionalMissing: String? = nil
        var data = Data([0, 1, 2, 250, 255])
        var url = URL(string: "https://example.com/a/b?c=d")!
        var date = Date(timeIntervalSinceReferenceDate: 12345.678)
        var decimal = Decimal(string: "3.14159")!
        var camelCaseKey = 1
        var UpperKey = 2
    }

    /// A value whose `encode(to:)` writes nil explicitly and uses nested and super encoders.
    struct Handwritten: Encodable {
        enum Keys: String, CodingKey { case nothing, nested, list, parent }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeNil(forKey: .nothing)
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
            try nested.encode(1.25, forKey: .list)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode("a")
            try list.encodeNil()
            var inner = list.nestedUnkeyedContainer()
            try inner.encode(Float(2))
            var parent = container.superEncoder(forKey: .parent).singleValueContainer()
            try parent.encode([3, 4])
        }
    }

    /// Asks for no container at all.
    struct Silent: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    func foundation<T: Encodable>(_ value: T, strings: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if strings { encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan") }
        return Array(try encoder.encode(value))
    }

    func ours<T: Encodable>(_ value: T, strings: Bool = false) throws -> [UInt8] {
        try PrettyJSONEncoder(nonConformingFloatStrings: strings ? ("inf", "-inf", "nan") : nil).encode(value)
    }

    @Test("every kind of value is written as JSONEncoder writes it")
    func matchesFoundation() throws {
        let everything = Everything()
        let expected = try foundation(everything)
        let actual = try ours(everything)
        #expect(actual == expected, "\(String(decoding: actual, as: UTF8.self))\n---\n\(String(decoding: expected, as: UTF8.self))")
        #expect(try ours(Handwritten()) == foundation(Handwritten()))
        #expect(throws: EncodingError.self) { try ours(Silent()) }
        #expect(throws: EncodingError.self) { try foundation(Silent()) }
        #expect(try ours([Silent()]) == foundation([Silent()]))
        #expect(try ours("top \"level\"") == foundation("top \"level\""))
        #expect(try ours(2.5) == foundation(2.5))
        #expect(try ours([Int]()) == foundation([Int]()))
        #expect(try ours([String: Int]()) == foundation([String: Int]()))
        #expect(try ours(Optional<Int>.none) == foundation(Optional<Int>.none))
    }

    @Test("non-finite numbers: strings when given, else the same error")
    func nonFinite() throws {
        let values: [Double] = [.infinity, -.infinity, .nan, 1]
        #expect(try ours(values, strings: true) == foundation(values, strings: true))
        #expect(try ours(["x": Float.nan], strings: true) == foundation(["x": Float.nan], strings: true))
        #expect(throws: EncodingError.self) { try ours(values) }
        #expect(throws: EncodingError.self) { try foundation(values) }
    }
}
