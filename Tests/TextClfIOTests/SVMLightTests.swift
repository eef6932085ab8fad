import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfIO
@testable import TextClfTensor

@Suite("svmlight text")
struct SVMLightTests {
    struct Fixture: Decodable {
        var shape: [Int]
        var labels: [Double]
        var dense: [[Double]]
    }

    @Test("reads sklearn's dump_svmlight_file output")
    func sklearnFixture() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: SharedData.fixture("tensor/labels_svm.json")))
        let (matrix, labels) = try CSRMatrix.readSVMLight(
            path: SharedData.fixture("tensor/labels.svm").path, columnCount: fixture.shape[1])
        #expect(labels == fixture.labels)
        #expect([matrix.rowCount, matrix.columnCount] == fixture.shape)
        #expect(matrix.denseArray() == fixture.dense.flatMap { $0.map { Float($0) } })
    }

    @Test("shortest round-tripping numbers, integral ones without .0")
    func numberText() {
        #expect(svmlightText(Float(3)) == "3")
        #expect(svmlightText(Float(-2)) == "-2")
        #expect(svmlightText(Float(0.1)) == "0.1")
        #expect(svmlightText(Float(1e-5)) == "1e-05")
        #expect(svmlightText(Float(1e20)) == "1e+20")
        #expect(svmlightText(2.5) == "2.5")
        var generator = SplitMix64(seed: 1)
        for _ in 0..<1000 {
            let value = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
            guard value.isFinite else { continue }
            #expect(Float(svmlightText(value)) == value)
        }
    }

    @Test("write then read, zero- and one-based", arguments: [true, false])
    func roundTrip(zeroBased: Bool) throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 21)
        let matrix = randomMatrix(rows: 12, columns: 9, density: 0.3, using: &generator)
        let labels = (0..<12).map { Double($0 % 3) - 0.5 }
        let path = scratch.file("m.svm")
        try matrix.writeSVMLight(to: path, labels: labels, zeroBased: zeroBased)
        let (read, readLabels) = try CSRMatrix.readSVMLight(path: path, zeroBased: zeroBased, columnCount: 9)
        #expect(read == matrix)
        #expect(readLabels == labels)
        try matrix.writeSVMLight(to: path, labels: Array(0..<12), zeroBased: zeroBased)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").first?.split(separator: " ").first == "0")
        #expect(try CSRMatrix.readSVMLight(path: path, zeroBased: zeroBased, columnCount: 9).labels == (0..<12).map(Double.init))
    }

    @Test("exact text of a small matrix")
    func exactText() throws {
        let scratch = try ScratchDirectory()
        let matrix = CSRMatrix(dense: [3, 0, 0.25, 0, 0, 0], rowCount: 2, columnCount: 3)
        try matrix.writeSVMLight(to: scratch.file("a.svm"), labels: [1, -1])
        #expect(try String(contentsOfFile: scratch.file("a.svm"), encoding: .utf8) == "1 0:3 2:0.25\n-1\n")
        try matrix.writeSVMLight(to: scratch.file("b.svm"), labels: [1.5, 2], zeroBased: false)
        #expect(try String(contentsOfFile: scratch.file("b.svm"), encoding: .utf8) == "1.5 1:3 3:0.25\n2\n")
    }

    @Test("comments, blank lines, CRLF, qid and the auto index base")
    func lenientInput() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("x.svm")
        try AtomicFile.write(Array("# header\n\n1 qid:3 1:2 4:1.5 # trailing\r\n-1\n0 2:1e-3\n".utf8), to: path)
        let (matrix, labels) = try CSRMatrix.readSVMLight(path: path, zeroBased: nil)
        #expect(labels == [1, -1, 0])
        #expect(matrix.columnCount == 4)
        #expect(matrix.denseArray() == [2, 0, 0, 1.5, 0, 0, 0, 0, 0, 0.001, 0, 0])
    }

    @Test("malformed lines are reported with file and line")
    func errors() throws {
        let scratch = try ScratchDirectory()
        let cases: [(String, Int, String)] = [
            ("1 0:1\n2 3\n", 2, "malformed pair '3'"),
            ("1 0:1\n2 3:1 3:2\n", 2, "must increase"),
            ("1 5:1 2:1\n", 1, "must increase"),
            ("1 0:1\n\n2 x:1\n", 3, "bad feature index 'x'"),
            ("1 0:abc\n", 1, "bad value 'abc'"),
            ("one 0:1\n", 1, "bad label 'one'"),
            ("1,2 0:1\n", 1, "multi-label"),
            ("1 -1:2\n", 1, "negative"),
        ]
        for (text, line, message) in cases {
            let path = scratch.file("bad.svm")
            try AtomicFile.write(Array(text.utf8), to: path)
            do {
                _ = try CSRMatrix.readSVMLight(path: path)
                Issue.record("accepted \(text.debugDescription)")
            } catch let error as TensorFileError {
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("\(path): line \(line): "))
            }
        }
        let path = scratch.file("wide.svm")
        try AtomicFile.write(Array("1 7:1\n".utf8), to: path)
        #expect(throws: TensorFileError.self) { try CSRMatrix.readSVMLight(path: path, columnCount: 5) }
        try AtomicFile.write(Array("1 0:1\n".utf8), to: path)
        #expect(throws: TensorFileError.self) { try CSRMatrix.readSVMLight(path: path, zeroBased: false) }
    }

    @Test(
        "sklearn's load_svmlight_file reads our files",
        .enabled(if: PythonTools.hasSklearn, "needs python3 with scikit-learn; skipped"))
    func sklearnLoadsOurs() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 31)
        var matrix = randomMatrix(rows: 20, columns: 15, density: 0.25, using: &generator)
        matrix.mapValues { $0 * 1.1 }  // non-integral values need the shortest-text path
        let labels = (0..<20).map { Double($0 % 4) * 0.5 }
        let path = scratch.file("ours.svm")
        try matrix.writeSVMLight(to: path, labels: labels)
        let script = """
            import sys, numpy as np
            from sklearn.datasets import load_svmlight_file
            X, y = load_svmlight_file(sys.argv[1], zero_based=True, n_features=15, dtype=np.float32)
            expected = np.array([float(v) for v in sys.argv[2].split(',')], dtype=np.float32).reshape(20, 15)
            assert np.array_equal(X.toarray(), expected), 'values differ'
            assert y.tolist() == [float(v) for v in sys.argv[3].split(',')], y
            print('ok')
            """
        let result = runPython(script, [
            path, matrix.denseArray().map { "\($0)" }.joined(separator: ","), labels.map { "\($0)" }.joined(separator: ","),
        ])
        #expect(result.status == 0, "\(result.output)")
    }
}
