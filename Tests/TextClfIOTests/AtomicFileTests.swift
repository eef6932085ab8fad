import Foundation
import Testing

@testable import TextClfIO
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

    @Test("a batch moves its files into place only on commit, and one it drops leaves nothing behind")
    func batches() throws {
        let scratch = try ScratchDirectory()
        try AtomicFile.write([1], to: scratch.file("first.bin"))
        let batch = AtomicFile.Batch()
        try batch.add([7], to: scratch.file("first.bin"))
        try batch.add(Data([8, 9]), to: scratch.file("second.bin"))
        // Before the commit: the old target, and two temporary files.
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("first.bin"))) == Data([1]))
        #expect(scratch.contents().filter { $0.contains(".tmp-") }.count == 2)
        try batch.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("first.bin"))) == Data([7]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("second.bin"))) == Data([8, 9]))
        #expect(scratch.contents() == ["first.bin", "second.bin"])
        // A batch dropped without a commit removes its temporary files.
        do {
            let dropped = AtomicFile.Batch()
            try dropped.add([5], to: scratch.file("first.bin"))
            #expect(scratch.contents().count == 3)
        }
        #expect(scratch.contents() == ["first.bin", "second.bin"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("first.bin"))) == Data([7]))
        // A file that cannot be moved into place (its target is a folder) fails the commit:
        // the files before it are in place, it and those after are removed.
        try FileManager.default.createDirectory(atPath: scratch.file("folder"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: scratch.file("folder/inside"), withIntermediateDirectories: false)
        let failing = AtomicFile.Batch()
        try failing.add([3], to: scratch.file("second.bin"))
        try failing.add([4], to: scratch.file("folder"))
        try failing.add([6], to: scratch.file("third.bin"))
        #expect(throws: TensorFileError.self) { try failing.commit() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("second.bin"))) == Data([3]))
        #expect(scratch.contents() == ["first.bin", "folder", "second.bin"])
    }

    @Test("a batch writes files with the same bytes as separate files")
    func batchRepeats() throws {
        let scratch = try ScratchDirectory()
        func inode(_ name: String) throws -> UInt64 {
            var info = stat()
            guard stat(scratch.file(name), &info) == 0 else { throw TensorFileError(path: name, message: "stat") }
            return UInt64(info.st_ino)
        }
        func bytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: scratch.file(name))) }
        let batch = AtomicFile.Batch()
        try batch.add([1, 2, 3], to: scratch.file("model.bin"))
        try batch.add(Data([1, 2, 3]), to: scratch.file("best.bin"))
        #expect(scratch.contents().filter { $0.contains(".tmp-") }.count == 2)
        try batch.commit()
        #expect(try bytes("model.bin") == Data([1, 2, 3]) && bytes("best.bin") == Data([1, 2, 3]))
        #expect(try inode("model.bin") != inode("best.bin"))
        #expect(scratch.contents() == ["best.bin", "model.bin"])
        // A later batch replaces one; the other keeps its bytes.
        let next = AtomicFile.Batch()
        try next.add([9], to: scratch.file("model.bin"))
        try next.commit()
        #expect(try bytes("model.bin") == Data([9]) && bytes("best.bin") == Data([1, 2, 3]))
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
