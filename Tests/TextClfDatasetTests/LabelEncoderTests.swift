import Foundation
import Testing

import TextClfTensor
@testable import TextClfDataset

@Suite("LabelEncoder")
struct LabelEncoderTests {
    @Test("integer labels sort numerically, so \"2\" comes before \"10\"")
    func numericOrder() throws {
        let encoder = LabelEncoder(labels: ["10", "2", "-1", "2", "1", "10"])
        #expect(encoder.classes == ["-1", "1", "2", "10"])
        #expect(encoder.count == 4)
        #expect(try encoder.encode(["2", "10", "-1"]) == [2, 3, 0])
        #expect(encoder.decode(3) == "10")
    }

    @Test("any non-integer label makes the order code-point order")
    func textOrder() throws {
        let encoder = LabelEncoder(labels: ["10", "2", "b", "B", "a", "é", "z"])
        // Code points: "1" (0x31) < "2" < "B" (0x42) < "a" < "b" < "z" < "é" (0xE9).
        #expect(encoder.classes == ["10", "2", "B", "a", "b", "z", "é"])
        #expect(try encoder.encode("é") == 6)
        #expect(LabelEncoder(labels: ["2.5", "10"]).classes == ["10", "2.5"])
    }

    @Test("few and many classes (compared in turn, or hashed) give the same classes and indices")
    func fewAndManyClasses() throws {
        for classCount in [1, 2, 31, 32, 33, 100] {
            var generator = RandomGenerator(seed: UInt64(classCount))
            let names = (0..<classCount).map { "class-\($0)" + String(repeating: "x", count: $0 % 20) }
            let labels = (0..<2000).map { _ in names.randomElement(using: &generator)! } + names
            let encoder = LabelEncoder(labels: labels)
            #expect(encoder.classes == names.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) })
            #expect(try encoder.encode(labels) == labels.map { encoder.classes.firstIndex(of: $0)! }, "\(classCount) classes")
            #expect(throws: LabelError.unknown("missing", known: encoder.classes)) { try encoder.encode(labels + ["missing"]) }
        }
    }

    @Test("equal integers written differently keep a total order")
    func equalIntegers() {
        #expect(LabelEncoder(labels: ["01", "1", "+1", "0"]).classes == ["0", "+1", "01", "1"])
    }

    @Test("an unknown label throws an error naming it and the known classes")
    func unknownLabel() throws {
        let encoder = LabelEncoder(labels: ["neg", "pos"])
        #expect(throws: LabelError.unknown("neutral", known: ["neg", "pos"])) { try encoder.encode("neutral") }
        do {
            _ = try encoder.encode(["pos", "neutral"])
            Issue.record("expected an error")
        } catch let error as LabelError {
            #expect(error.description == #"unknown label "neutral": the model knows 2 classes: "neg", "pos""#)
        }
    }

    @Test("round-trips through JSON as its class list, preserving the order")
    func codable() throws {
        let encoder = LabelEncoder(classes: ["z", "a", "m"])
        let data = try JSONEncoder().encode(encoder)
        #expect(String(decoding: data, as: UTF8.self) == #"{"classes":["z","a","m"]}"#)
        let decoded = try JSONDecoder().decode(LabelEncoder.self, from: data)
        #expect(decoded == encoder)
        #expect(try decoded.encode("a") == 1)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LabelEncoder.self, from: Data(#"{"classes":["a","a"]}"#.utf8))
        }
    }

    @Test("an empty label set has no classes")
    func empty() {
        #expect(LabelEncoder(labels: [String]()).count == 0)
    }
}
