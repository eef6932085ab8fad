import Foundation
import Testing

@testable import TextClfText

/// ``LineBreaks`` against Python's universal newlines: the lines of `io.StringIO(s, newline=None)`
/// without their `\n` (written out by hand from Python 3).
@Suite("Line breaks")
struct LineBreaksTests {
    static let pythonCases: [(String, [String])] = [
        ("a\nb", ["a", "b"]),
        ("a\r\nb\r\n", ["a", "b"]),
        ("a\rb\r", ["a", "b"]),
        ("a\r\rb", ["a", "", "b"]),
        ("\n", [""]),
        ("", []),
        ("a\n\r\nb\r\n\r", ["a", "", "b", ""]),
        ("x\r\n\r\ny", ["x", "", "y"]),
        ("\r\n\n\r", ["", "", ""]),
        ("caf\u{e9}\re\u{301}\r\n", ["caf\u{e9}", "e\u{301}"]),
    ]

    @Test("lines of text and of bytes split as Python's universal newlines")
    func linesMatchPython() {
        for (input, expected) in Self.pythonCases {
            #expect(LineBreaks.lines(of: input).map(String.init) == expected, "\(input.debugDescription)")
            let bytes = Array(input.utf8)
            let fromBytes = LineBreaks.lines(of: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
            #expect(fromBytes == expected, "\(input.debugDescription)")
            let breaks = bytes.withUnsafeBufferPointer { LineBreaks.count(in: $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, from: 0, to: $0.count) }
            let terminated = input.last.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" } ?? false
            #expect(breaks == expected.count - (terminated || input.isEmpty ? 0 : 1), "\(input.debugDescription)")
        }
    }

    @Test("line numbers of byte offsets count every kind of break once")
    func lineNumbers() {
        let bytes = Array("a\r\nb\rc\nd".utf8)
        let lines = bytes.withUnsafeBufferPointer { buffer in
            (0...bytes.count).map { LineBreaks.lineNumber(in: buffer.baseAddress!, count: bytes.count, at: $0) }
        }
        // a \r \n b \r c \n d (end)
        #expect(lines == [1, 1, 1, 2, 2, 3, 3, 4, 4])
    }

    @Test("a stop-word file reads the same with LF, CRLF and CR line ends")
    func stopWordFileLineEnds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-lines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, newline) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
            let path = folder.appendingPathComponent("\(name).txt").path
            try Data((["# comment", "the", " a ", "", "of"].joined(separator: newline) + newline).utf8).write(to: URL(fileURLWithPath: path))
            let list = try StopWordList(contentsOfFile: path)
            #expect(list.words == ["a", "of", "the"], "\(name)")
        }
    }
}
