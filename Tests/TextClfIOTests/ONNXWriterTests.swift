import Foundation
import Testing
import TextClfTestSupport

@testable import TextClfIO

/// The ONNX writer against the `onnx` package's serialisation of the same graph
/// (scripts/fixtures/make_onnx_fixtures.py, writer.json).
@Suite("ONNX writer")
struct ONNXWriterTests {
    @Test func bytesAreThoseOfTheOnnxPackage() throws {
        struct Fixture: Decodable { var hex: String }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: SharedData.fixture("onnx/writer.json")))
        var graph = ONNX.Graph(name: "writer")
        graph.nodes = [
            ONNX.Node("Gemm", inputs: ["x", "w", "b"], outputs: ["z"], name: "Gemm_1", attributes: [("alpha", .float(1.5)), ("transB", .int(0))]),
            ONNX.Node("Softmax", inputs: ["z"], outputs: ["y"], name: "Softmax_2", attributes: [("axis", .int(-1))]),
            ONNX.Node(
                "LabelEncoder", domain: "ai.onnx.ml", inputs: ["s"], outputs: ["i"], name: "LabelEncoder_3",
                attributes: [("default_int64", .int(-1)), ("keys_strings", .strings(["a", "é", ""])), ("values_int64s", .ints([0, 1, 300]))]),
            ONNX.Node(
                "Constant", inputs: [], outputs: ["c"], name: "Constant_4",
                attributes: [("value", .tensor(ONNX.TensorValue(name: "c", floats: [0.25, -3], dims: [2])))]),
            ONNX.Node("Pad", inputs: ["x", "p"], outputs: ["q"], name: "Pad_5", attributes: [("mode", .string("constant"))]),
            ONNX.Node("Identity", inputs: ["x"], outputs: ["r"]),
        ]
        graph.inputs = [
            ONNX.ValueInfo(name: "x", type: .float, shape: [.named("N"), .size(3)]),
            ONNX.ValueInfo(name: "s", type: .string, shape: [.named("N")]),
        ]
        graph.outputs = [
            ONNX.ValueInfo(name: "y", type: .float, shape: [.named("N"), .size(2)]),
            ONNX.ValueInfo(name: "i", type: .int64, shape: [.named("N")]),
        ]
        graph.initializers = [
            ONNX.TensorValue(name: "w", floats: [1, -2, 0.5, 1e-3, 7, -0.25], dims: [3, 2]),
            ONNX.TensorValue(name: "b", floats: [0.1, -0.1], dims: [2]),
            ONNX.TensorValue(name: "p", int64s: [0, 1, 0, -1], dims: [4]),
            ONNX.TensorValue(name: "names", strings: ["spam", "not spam"], dims: [2]),
        ]
        graph.docString = "a test graph"
        var model = ONNX.Model(graph: graph, opsets: [.init(domain: "", version: 17), .init(domain: "ai.onnx.ml", version: 3)])
        model.metadata = [("k", "v\nw")]
        let hex = model.encoded().map { String(format: "%02x", $0) }.joined()
        #expect(hex == fixture.hex)
    }
}
