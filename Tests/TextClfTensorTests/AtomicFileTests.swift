import Foundation
import Testing

@testable import TextClfTensor

@Suite("Atomic files")
struct AtomicFileTests {
    struct Interrupted: Error {}

    @Test("writes replace the target whole")
    func replaces() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("out.bin")
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(scratch.contents() == ["out.bin"])
    }

    @Test("writes that leave the directory's flush to a later one land whole")
    func deferredDirectoryFlush() throws {
        let scratch = try ScratchDirectory()
        try AtomicFile.write([7], to: scratch.file("first.bin"), syncDirectory: false)
        try AtomicFile.write(Data([8, 9]), to: scratch.file("second.bin"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("first.bin"))) == Data([7]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("second.bin"))) == Data([8, 9]))
        #expect(scratch.contents() == ["first.bin", "second.bin"])
    }

    @Test("a missing directory leaves neither a temporary file nor the target")
    func missingDirectory() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("missing/out.npz")
        #expect {
            try CSRMatrix(zeros: 2, columnCount: 2).writeNPZ(to: path)
        } throws: { error in
            (error as? TensorFileError)?.path == path
        }
        #expect(scratch.contents().isEmpty)
    }

    @Test("a writer that fails part-way leaves the old target untouched and no temporary file")
    func failingWriter() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("model.npz")
        try AtomicFile.write(Array("old contents".utf8), to: path)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: path) { output in
                try output.write([UInt8](repeating: 7, count: 3 << 20))  // past the buffer: really on disk
                throw Interrupted()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old contents")
        #expect(scratch.contents() == ["model.npz"])
    }

    @Test("large writes, small writes and patches land in order")
    func streaming() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("big.bin")
        var expected = [UInt8]()
        try AtomicFile.write(to: path) { output in
            for size in [10, 1 << 21, 5, 700_000, 3] {
                let piece = [UInt8](repeating: UInt8(size & 0xFF), count: size)
                try output.write(piece)
                expected += piece
            }
            try output.overwrite([9, 9], at: 4)
            #expect(output.offset == expected.count)
        }
        expected[4] = 9
        expected[5] = 9
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == expected)
    }
}
