import Foundation
import Testing
import TextClfTensor

@testable import TextClfIO

/// Rows written chunk by chunk give the files of the whole matrix written at once.
@Suite("Streaming CSR writer")
struct StreamingCSRWriterTests {
    @Test(arguments: [NPYValueType.float32, .float64, .int64])
    func chunksGiveTheBytesOfTheWholeMatrix(valueType: NPYValueType) throws {
        let folder = try ScratchDirectory()
        var generator = SplitMix64(seed: 17)
        var matrix = randomMatrix(rows: 97, columns: 300, density: 0.05, using: &generator)
        if valueType == .int64 { matrix.mapValues { ($0 * 10).rounded() } }
        let labels = (0..<matrix.rowCount).map { $0 % 3 }
        try matrix.writeNPZ(to: folder.path + "/whole.npz", valueType: valueType)
        try matrix.writeSVMLight(to: folder.path + "/whole.svm", labels: labels)
        let writer = try StreamingCSRWriter(
            npz: folder.path + "/streamed.npz", columnCount: 300, valueType: valueType, svmlight: folder.path + "/streamed.svm")
        for range in [0..<40, 40..<40, 40..<96, 96..<97] {
            try writer.append(matrix.rows(in: range), labels: Array(labels[range]))
        }
        try writer.finish()
        #expect(writer.rowCount == 97 && writer.storedCount == matrix.storedCount)
        for ext in ["npz", "svm"] {
            #expect(FileManager.default.contents(atPath: folder.path + "/streamed.\(ext)") == FileManager.default.contents(atPath: folder.path + "/whole.\(ext)"), "\(ext)")
        }
        // Only the two files are left: the parts and temporary files are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["streamed.npz", "streamed.svm", "whole.npz", "whole.svm"])
    }

    @Test func anUnfinishedWriterLeavesTheTargetsAndNoParts() throws {
        let folder = try ScratchDirectory()
        try Data("earlier".utf8).write(to: URL(fileURLWithPath: folder.path + "/m.npz"))
        do {
            let writer = try StreamingCSRWriter(npz: folder.path + "/m.npz", columnCount: 4, svmlight: folder.path + "/m.svm")
            try writer.append(CSRMatrix(zeros: 3, columnCount: 4), labels: [0, 1, 0])
        }
        #expect(try String(contentsOfFile: folder.path + "/m.npz", encoding: .utf8) == "earlier")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.npz"])
    }
}
