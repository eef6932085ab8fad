import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfIO
@testable import TextClfTensor

@Suite("NPY arrays")
struct NPYTests {
    struct Listed: Decodable {
        var dtype: String
        var shape: [Int]
    }

    static let names = ["f4_3x4", "i8_5", "i4_0", "f8_2x1", "s3_scalar", "i8_scalar", "f4_1000000x0"]

    @Test("numpy's files read back and re-encode byte for byte", arguments: names)
    func numpyFiles(name: String) throws {
        let path = SharedData.fixture("tensor/arrays/\(name).npy").path
        let listing = try JSONDecoder().decode(
            [String: Listed].self, from: Data(contentsOf: SharedData.fixture("tensor/arrays.json")))
        let expected = try #require(listing[name])
        let array = try NPYArray(contentsOf: path)
        #expect(array.dtype.descr == expected.dtype)
        #expect(array.shape == expected.shape)
        #expect(array.encoded() == [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("values of numpy's files")
    func values() throws {
        let f4 = try NPYArray(contentsOf: SharedData.fixture("tensor/arrays/f4_3x4.npy").path)
        #expect(f4.elements == .float32((0..<12).map { Float($0) / 4 }))
        let i8 = try NPYArray(contentsOf: SharedData.fixture("tensor/arrays/i8_5.npy").path)
        #expect(i8.elements == .int64([0, -1, 1 << 40, 3, 4]))
        let f8 = try NPYArray(contentsOf: SharedData.fixture("tensor/arrays/f8_2x1.npy").path)
        #expect(f8.elements == .float64([0.1, -1e300]))
        let s3 = try NPYArray(contentsOf: SharedData.fixture("tensor/arrays/s3_scalar.npy").path)
        #expect(s3 == NPYArray.scalar(bytes: Array("csr".utf8)))
    }

    @Test("headers are padded to 64 bytes and end in a newline", arguments: [[], [0], [3], [123_456_789, 2], [1, 1]])
    func headerAlignment(shape: [Int]) {
        for dtype in [NPYDType.int32, .int64, .float32, .float64, .bytes(3)] {
            let header = NPYArray.header(dtype: dtype, shape: shape)
            #expect(header.count % 64 == 0)
            #expect(header.last == 0x0A)
            #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        }
    }

    @Test("round trip through a file")
    func roundTrip() throws {
        let scratch = try ScratchDirectory()
        let arrays = [
            try NPYArray(shape: [2, 3], elements: .float64([1, 2, 3, 4, 5, 6.5])),
            try NPYArray(shape: [4], elements: .int32([1, -2, 3, Int32.max])),
            try NPYArray(shape: [], elements: .float32([2.5])),
            try NPYArray(shape: [2], elements: .bytes(Array("abcdef".utf8)), bytesLength: 3),
        ]
        for (index, array) in arrays.enumerated() {
            let path = scratch.file("a\(index).npy")
            try array.write(to: path)
            #expect(try NPYArray(contentsOf: path) == array)
        }
        #expect(throws: CSRMatrixError.self) { try NPYArray(shape: [2, 2], elements: .int64([1, 2, 3])) }
    }

    @Test("unsupported headers are refused naming the file and the key")
    func refusals() throws {
        func file(_ header: String) -> [UInt8] {
            var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
            let text = Array(header.utf8) + [0x0A]
            bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + [UInt8](repeating: 0, count: 64)
            return bytes
        }
        let cases: [(String, String, String)] = [
            ("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "key 'descr'", "unsupported dtype '<c8'"),
            ("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "key 'descr'", "unsupported dtype '>f4'"),
            ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "key 'fortran_order'", "Fortran"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", "key 'shape'", "rank 3"),
            ("{'descr': '<f4', 'fortran_order': False, }", "key 'shape'", "missing"),
            ("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }", "key 'descr'", "structured"),
        ]
        for (header, member, message) in cases {
            let bytes = file(header)
            do {
                _ = try bytes.withUnsafeBytes { try NPYArray(decoding: $0, path: "x.npy") }
                Issue.record("accepted \(header)")
            } catch let error as TensorFileError {
                #expect(error.path == "x.npy")
                #expect(error.member == member)
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("x.npy: member \(member): "))
            }
        }
        let truncated = Array(file("{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }").prefix(200))
        #expect(throws: TensorFileError.self) { try truncated.withUnsafeBytes { try NPYArray(decoding: $0, path: "t.npy") } }
        #expect(throws: TensorFileError.self) { try [UInt8](repeating: 1, count: 20).withUnsafeBytes { try NPYArray(decoding: $0, path: "t.npy") } }
    }
}
