import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfIO
@testable import TextClfTensor

/// Steele, Lea and Flood's SplitMix64: a tiny seeded generator so random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random matrix with about `density` of its cells stored, including some empty rows.
func randomMatrix(rows: Int, columns: Int, density: Double, using generator: inout SplitMix64) -> CSRMatrix {
    var dense = [Float](repeating: 0, count: rows * columns)
    for index in dense.indices where Double.random(in: 0..<1, using: &generator) < density {
        dense[index] = Float(Int.random(in: -8...8, using: &generator)) / 4 + 0.125
    }
    return CSRMatrix(dense: dense, rowCount: rows, columnCount: columns)
}

/// A fresh temporary directory, removed when the value is released.
final class ScratchDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "textclf-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func contents() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Runs `python3 -c script args...` and returns its exit status and combined output.
func runPython(_ script: String, _ arguments: [String] = []) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

enum PythonTools {
    static let hasSciPy = runPython("import scipy.sparse, numpy").status == 0
    static let hasSklearn = runPython("import sklearn.datasets").status == 0
}

/// `matrices.json` and `labels_svm.json` from scripts/fixtures/make_tensor_fixtures.py.
struct MatrixFixture: Decodable {
    var shape: [Int]
    var dtype: String
    var dense: [[Double]]

    static func loadAll() throws -> [String: MatrixFixture] {
        let data = try Data(contentsOf: SharedData.fixture("tensor/matrices.json"))
        return try JSONDecoder().decode([String: MatrixFixture].self, from: data)
    }
}
