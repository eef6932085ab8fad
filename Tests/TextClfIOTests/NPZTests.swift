import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfIO
@testable import TextClfTensor

@Suite("NPZ archives and scipy sparse files")
struct NPZTests {
    /// The bitwise definition of CRC-32 (reflected polynomial `0xEDB88320`).
    static func referenceCRC(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test("CRC-32 check values")
    func crc() {
        func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { crc32Update(0, $0) } }
        #expect(checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(checksum([]) == 0)
        var generator = SplitMix64(seed: 3)
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Fed in uneven pieces, against the bitwise definition.
        var crc: UInt32 = 0
        for range in [0..<3, 3..<17, 17..<500, 500..<1000] { crc = Array(bytes[range]).withUnsafeBytes { crc32Update(crc, $0) } }
        #expect(crc == Self.referenceCRC(bytes))
    }

    @Test("written members carry the CRC-32 of their bytes")
    func writtenChecksums() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 4)
        let path = scratch.file("m.npz")
        try randomMatrix(rows: 30, columns: 20, density: 0.3, using: &generator).writeNPZ(to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.withUnsafeBytes { bytes in
            let zip = try ZipReader(bytes: bytes, path: path)
            #expect(zip.members.count == 5)
            for member in zip.members {
                #expect(member.method == 0)
                #expect(member.crc == Self.referenceCRC(try zip.rawData(of: member)), "\(member.name)")
            }
        }
    }

    static let fixtureNames = ["small_f32", "counts_i8", "wide_f8", "empty_0x5", "empty_4x0", "unsorted_f8", "index64_f4"]

    @Test("scipy's save_npz files read as the same matrices", arguments: fixtureNames)
    func scipyFixtures(name: String) throws {
        let fixture = try #require(try MatrixFixture.loadAll()[name])
        let matrix = try CSRMatrix(npzAt: SharedData.fixture("tensor/\(name).npz").path)
        #expect(matrix.invariantViolation() == nil)
        #expect([matrix.rowCount, matrix.columnCount] == fixture.shape)
        #expect(matrix.denseArray() == fixture.dense.flatMap { $0.map { Float($0) } })
    }

    @Test("compressed (DEFLATE) archives read the same as uncompressed ones")
    func compressed() throws {
        let small = try CSRMatrix(npzAt: SharedData.fixture("tensor/small_f32.npz").path)
        #expect(try CSRMatrix(npzAt: SharedData.fixture("tensor/compressed.npz").path) == small)
        let medium = try CSRMatrix(npzAt: SharedData.fixture("tensor/medium_f4.npz").path)
        #expect(medium.storedCount == 1800)
        #expect(try CSRMatrix(npzAt: SharedData.fixture("tensor/medium_f4_compressed.npz").path) == medium)
        let mixed = try NPZArchive(contentsOf: SharedData.fixture("tensor/mixed.npz").path)
        #expect(mixed.names == ["noise", "runs", "tiny"])
        #expect(try NPZArchive(contentsOf: SharedData.fixture("tensor/mixed_compressed.npz").path) == mixed)
        #expect(mixed["runs"]?.elements == .float32((0..<40).flatMap { [Float](repeating: Float($0), count: 250) }))
    }

    @Test("a member declaring more bytes than its DEFLATE stream can make is refused before any is allocated")
    func declaredSizeBeyondDeflate() throws {
        // Found by scripts/fuzz.sh: 978 bytes whose indices.npy declares 3.9 GiB uncompressed.
        let path = SharedData.repositoryRoot.appendingPathComponent("Fuzz/npz/regressions/declared-size-4gb").path
        #expect {
            try NPZArchive(contentsOf: path)
        } throws: { error in
            "\(error)".contains("member indices.npy") && "\(error)".contains("the header declares 4160749568 bytes, more than DEFLATE makes of 78 compressed bytes")
        }
    }

    @Test("a corrupted compressed member is reported, not misread")
    func corruptCompressed() throws {
        let scratch = try ScratchDirectory()
        var bytes = [UInt8](try Data(contentsOf: SharedData.fixture("tensor/medium_f4_compressed.npz")))
        for offset in stride(from: 200, to: 2000, by: 37) { bytes[offset] ^= 0x5A }
        let path = scratch.file("corrupt.npz")
        try AtomicFile.write(bytes, to: path)
        #expect(throws: TensorFileError.self) { try CSRMatrix(npzAt: path) }
    }

    /// The bytes of the `compressed.npz` fixture, its first DEFLATE member, and where that
    /// member's compressed data starts and its central directory entry is.
    static func compressedFixture() throws -> (bytes: [UInt8], member: ZipReader.Member, dataStart: Int, directoryEntry: Int) {
        let bytes = [UInt8](try Data(contentsOf: SharedData.fixture("tensor/compressed.npz")))
        let (member, dataStart): (ZipReader.Member?, Int) = try bytes.withUnsafeBytes { raw in
            let zip = try ZipReader(bytes: raw, path: "compressed.npz")
            guard let member = zip.members.first(where: { $0.method == 8 }) else { return (nil, 0) }
            return (member, try zip.rawData(of: member).baseAddress! - raw.baseAddress!)
        }
        let deflated = try #require(member)
        let name = Array(deflated.name.utf8)
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        var directoryEntry: Int?
        for at in 0..<(bytes.count - 46 - name.count) where Array(bytes[at..<(at + 4)]) == signature {
            if Array(bytes[(at + 46)..<(at + 46 + name.count)]) == name { directoryEntry = at }
        }
        return (bytes, deflated, dataStart, try #require(directoryEntry))
    }

    @Test("a corrupt DEFLATE stream names the file and the member")
    func corruptDeflate() throws {
        let scratch = try ScratchDirectory()
        let fixture = try Self.compressedFixture()
        let advice = "re-save with scipy.sparse.save_npz(..., compressed=False)"

        // A final block of the reserved type 3.
        var bytes = fixture.bytes
        bytes[fixture.dataStart] = 0xFF
        let invalid = scratch.file("invalid.npz")
        try AtomicFile.write(bytes, to: invalid)
        #expect {
            try NPZArchive(contentsOf: invalid)
        } throws: { error in
            "\(error)" == "\(invalid): member \(fixture.member.name): corrupt compressed member (invalid block type); \(advice)"
        }

        // The member's data cut short: its compressed size in the central directory lowered.
        bytes = fixture.bytes
        let shorter = UInt32(fixture.member.compressedSize / 2)
        withUnsafeBytes(of: shorter.littleEndian) { bytes.replaceSubrange((fixture.directoryEntry + 20)..<(fixture.directoryEntry + 24), with: $0) }
        let truncated = scratch.file("truncated.npz")
        try AtomicFile.write(bytes, to: truncated)
        #expect {
            try NPZArchive(contentsOf: truncated)
        } throws: { error in
            "\(error)" == "\(truncated): member \(fixture.member.name): corrupt compressed member (compressed data ends early); \(advice)"
        }

        // A stream that is whole but does not match the recorded CRC-32.
        bytes = fixture.bytes
        bytes[fixture.directoryEntry + 16] ^= 0x01
        let mismatch = scratch.file("mismatch.npz")
        try AtomicFile.write(bytes, to: mismatch)
        #expect {
            try NPZArchive(contentsOf: mismatch)
        } throws: { error in
            "\(error)" == "\(mismatch): member \(fixture.member.name): CRC-32 mismatch after decompression"
        }
    }

    @Test("raw DEFLATE streams must decompress to exactly the expected size")
    func inflateSizes() throws {
        let fixture = try Self.compressedFixture()
        let stream = Array(fixture.bytes[fixture.dataStart..<(fixture.dataStart + fixture.member.compressedSize)])
        try stream.withUnsafeBytes { (raw) throws in
            let whole = try inflateRaw(raw, expectedSize: fixture.member.size)
            #expect(whole.count == fixture.member.size)
            #expect {
                try inflateRaw(raw, expectedSize: fixture.member.size - 1)
            } throws: { error in
                (error as? InflateFailure)?.message == "inflates to more than the expected \(fixture.member.size - 1) bytes"
            }
            #expect {
                try inflateRaw(raw, expectedSize: fixture.member.size + 1)
            } throws: { error in
                (error as? InflateFailure)?.message == "inflated to \(fixture.member.size) bytes, expected \(fixture.member.size + 1)"
            }
            #expect(throws: InflateFailure.self) { try inflateRaw(UnsafeRawBufferPointer(start: nil, count: 0), expectedSize: 0) }
        }
    }

    @Test("non-CSR and non-ZIP files are refused with a clear message")
    func refusals() throws {
        let coo = SharedData.fixture("tensor/coo.npz").path
        #expect {
            try CSRMatrix(npzAt: coo)
        } throws: { error in
            "\(error)" == "\(coo): member format.npy: sparse format 'coo' is not supported; convert with matrix.tocsr() before saving"
        }
        let notZip = SharedData.fixture("tensor/labels.svm").path
        #expect(throws: TensorFileError.self) { try CSRMatrix(npzAt: notZip) }
        #expect(throws: TensorFileError.self) { try CSRMatrix(npzAt: "/nonexistent/x.npz") }
    }

    @Test("bad member dtypes name the file and the member")
    func badDtype() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("bad.npz")
        var archive = try NPZArchive(contentsOf: SharedData.fixture("tensor/small_f32.npz").path)
        archive["data"] = NPYArray.scalar(bytes: Array("abc".utf8))
        try archive.write(to: path)
        #expect {
            try CSRMatrix(npzAt: path)
        } throws: { error in
            "\(error)".hasPrefix("\(path): member data.npy: ")
        }
        archive["data"] = nil
        try archive.write(to: path)
        #expect(throws: TensorFileError.self) { try CSRMatrix(npzAt: path) }
    }

    @Test("our npz reads back, for every value type", arguments: [NPYValueType.float32, .float64, .int64])
    func roundTrip(valueType: NPYValueType) throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 11)
        for (rows, columns) in [(0, 0), (0, 7), (6, 0), (1, 1), (40, 25)] {
            var matrix = randomMatrix(rows: rows, columns: columns, density: 0.2, using: &generator)
            if valueType == .int64 { matrix.mapValues { $0.rounded(.towardZero) == 0 ? 1 : $0.rounded(.towardZero) } }
            let path = scratch.file("m.npz")
            try matrix.writeNPZ(to: path, valueType: valueType)
            #expect(try CSRMatrix(npzAt: path) == matrix)
            let archive = try NPZArchive(contentsOf: path)
            #expect(archive.names == ["indices", "indptr", "format", "shape", "data"])
            #expect(archive["indptr"]?.dtype == .int32)
            #expect(archive["shape"]?.elements == .int64([Int64(rows), Int64(columns)]))
            #expect(archive["format"] == NPYArray.scalar(bytes: Array("csr".utf8)))
            #expect(archive["data"]?.dtype == valueType.dtype)
        }
        #expect(scratch.contents() == ["m.npz"])
    }

    @Test("the same matrix gives the same bytes")
    func deterministic() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 12)
        let matrix = randomMatrix(rows: 10, columns: 10, density: 0.3, using: &generator)
        try matrix.writeNPZ(to: scratch.file("a.npz"))
        try matrix.writeNPZ(to: scratch.file("b.npz"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.file("a.npz"))) == Data(contentsOf: URL(fileURLWithPath: scratch.file("b.npz"))))
    }

    @Test(
        "scipy loads our npz with the right shape, dtypes and values",
        .enabled(if: PythonTools.hasSciPy, "needs python3 with numpy and scipy; skipped"))
    func scipyLoadsOurs() throws {
        let scratch = try ScratchDirectory()
        var generator = SplitMix64(seed: 13)
        let matrix = randomMatrix(rows: 30, columns: 17, density: 0.2, using: &generator)
        let script = """
            import sys, zipfile, numpy as np, scipy.sparse as s
            m = s.load_npz(sys.argv[1])
            assert zipfile.ZipFile(sys.argv[1]).testzip() is None
            assert m.format == 'csr' and m.has_canonical_format
            expected = np.array([float(v) for v in sys.argv[4].split(',')]).reshape(30, 17)
            assert m.shape == (30, 17), m.shape
            assert str(m.dtype) == sys.argv[2], m.dtype
            assert str(m.indptr.dtype) == 'int32' and str(m.indices.dtype) == 'int32'
            assert m.nnz == int(sys.argv[3]), m.nnz
            assert np.array_equal(m.toarray(), expected.astype(m.dtype))
            print('ok')
            """
        let dense = matrix.denseArray().map { "\($0)" }.joined(separator: ",")
        for (valueType, dtype) in [(NPYValueType.float32, "float32"), (.float64, "float64")] {
            let path = scratch.file("ours-\(dtype).npz")
            try matrix.writeNPZ(to: path, valueType: valueType)
            let result = runPython(script, [path, dtype, "\(matrix.storedCount)", dense])
            #expect(result.status == 0, "\(result.output)")
        }
        let counts = CSRMatrix(dense: [0, 3, 1, 0, 0, 0, 0, 2, 7], rowCount: 3, columnCount: 3)
        let path = scratch.file("counts.npz")
        try counts.writeNPZ(to: path, valueType: .int64)
        let result = runPython(
            "import sys, scipy.sparse as s; m = s.load_npz(sys.argv[1]); print(m.dtype, m.toarray().tolist())", [path])
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "int64 [[0, 3, 1], [0, 0, 0], [0, 2, 7]]")
    }
}
