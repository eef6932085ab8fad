/// ONNX models (`.onnx` files) written without a protobuf library: the few messages of
/// `onnx.proto` a graph of standard operators needs, encoded in the protocol buffers wire
/// format. Fields are written in field-number order, repeated scalars packed only where
/// `onnx.proto` declares them packed, and an optional field only when it is set, so the bytes
/// are those the `onnx` Python package serialises for the same message.
///
/// ```swift
/// var graph = ONNX.Graph(name: "double")
/// graph.inputs = [ONNX.ValueInfo(name: "x", type: .float, shape: [.named("N"), .size(3)])]
/// graph.initializers = [ONNX.TensorValue(name: "two", floats: [2], dims: [])]
/// graph.nodes = [ONNX.Node("Mul", inputs: ["x", "two"], outputs: ["y"])]
/// graph.outputs = [ONNX.ValueInfo(name: "y", type: .float, shape: [.named("N"), .size(3)])]
/// let bytes = ONNX.Model(graph: graph, opsets: [.init(domain: "", version: 17)]).encoded()
/// ```
public enum ONNX {
    /// `TensorProto.DataType`: the element types textclf's graphs use.
    public enum ElementType: Int, Sendable {
        case float = 1
        case int64 = 7
        case string = 8
        case bool = 9
    }

    /// A constant tensor (`TensorProto`): numbers as little-endian `raw_data`, strings as
    /// `string_data`.
    public struct TensorValue: Sendable, Equatable {
        public var name: String
        public var dims: [Int]
        public var type: ElementType
        /// The elements' bytes (numeric types).
        public var raw: [UInt8]
        /// The elements (`.string`).
        public var strings: [String]

        /// A `float` tensor.
        public init(name: String, floats: [Float], dims: [Int]) {
            precondition(floats.count == dims.reduce(1, *), "ONNX tensor \(name): \(floats.count) values for shape \(dims)")
            self.name = name
            self.dims = dims
            type = .float
            strings = []
            raw = Self.littleEndianBytes(floats.map(\.bitPattern))
        }

        /// An `int64` tensor.
        public init(name: String, int64s: [Int], dims: [Int]) {
            precondition(int64s.count == dims.reduce(1, *), "ONNX tensor \(name): \(int64s.count) values for shape \(dims)")
            self.name = name
            self.dims = dims
            type = .int64
            strings = []
            raw = Self.littleEndianBytes(int64s.map(Int64.init))
        }

        /// A `string` tensor.
        public init(name: String, strings: [String], dims: [Int]) {
            precondition(strings.count == dims.reduce(1, *), "ONNX tensor \(name): \(strings.count) values for shape \(dims)")
            self.name = name
            self.dims = dims
            type = .string
            raw = []
            self.strings = strings
        }

        /// The values' bytes, least significant first.
        static func littleEndianBytes<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
            let width = MemoryLayout<Value>.size
            var bytes = [UInt8](repeating: 0, count: values.count * width)
            bytes.withUnsafeMutableBytes { buffer in
                for (index, value) in values.enumerated() { buffer.storeBytes(of: value.littleEndian, toByteOffset: index * width, as: Value.self) }
            }
            return bytes
        }

        func encode(into writer: inout ProtobufWriter) {
            for size in dims { writer.int(1, size) }
            writer.int(2, type.rawValue)
            for string in strings { writer.string(6, string) }
            writer.string(8, name)
            if type != .string { writer.bytes(9, raw) }
        }
    }

    /// An attribute value (`AttributeProto`).
    public enum AttributeValue: Sendable, Equatable {
        case float(Float)
        case int(Int)
        case string(String)
        case tensor(TensorValue)
        case floats([Float])
        case ints([Int])
        case strings([String])
    }

    /// An operator call (`NodeProto`).
    public struct Node: Sendable {
        public var opType: String
        public var domain: String
        public var inputs: [String]
        public var outputs: [String]
        public var name: String
        /// The attributes, in the order written.
        public var attributes: [(name: String, value: AttributeValue)]

        /// A node of `opType` in `domain` (`""`: the default `ai.onnx` domain).
        public init(
            _ opType: String, domain: String = "", inputs: [String], outputs: [String], name: String = "",
            attributes: [(name: String, value: AttributeValue)] = []
        ) {
            self.opType = opType
            self.domain = domain
            self.inputs = inputs
            self.outputs = outputs
            self.name = name
            self.attributes = attributes
        }

        func encode(into writer: inout ProtobufWriter) {
            for input in inputs { writer.string(1, input) }
            for output in outputs { writer.string(2, output) }
            if !name.isEmpty { writer.string(3, name) }
            writer.string(4, opType)
            for (name, value) in attributes {
                writer.message(5) { attribute in
                    attribute.string(1, name)
                    let type: Int
                    switch value {
                    case .float(let value): attribute.float(2, value); type = 1
                    case .int(let value): attribute.int(3, value); type = 2
                    case .string(let value): attribute.string(4, value); type = 3
                    case .tensor(let value): attribute.message(5) { value.encode(into: &$0) }; type = 4
                    case .floats(let values): for value in values { attribute.float(7, value) }; type = 6
                    case .ints(let values): for value in values { attribute.int(8, value) }; type = 7
                    case .strings(let values): for value in values { attribute.string(9, value) }; type = 8
                    }
                    attribute.int(20, type)
                }
            }
            if !domain.isEmpty { writer.string(7, domain) }
        }
    }

    /// One dimension of a declared shape.
    public enum Dimension: Sendable, Equatable {
        /// A fixed size.
        case size(Int)
        /// A size given at run time, named (`"N"`).
        case named(String)
    }

    /// A graph input or output (`ValueInfoProto` of a tensor type).
    public struct ValueInfo: Sendable, Equatable {
        public var name: String
        public var type: ElementType
        public var shape: [Dimension]

        public init(name: String, type: ElementType, shape: [Dimension]) {
            self.name = name
            self.type = type
            self.shape = shape
        }

        func encode(into writer: inout ProtobufWriter) {
            writer.string(1, name)
            writer.message(2) { typeProto in
                typeProto.message(1) { tensor in
                    tensor.int(1, type.rawValue)
                    tensor.message(2) { shapeProto in
                        for dimension in shape {
                            shapeProto.message(1) { entry in
                                switch dimension {
                                case .size(let size): entry.int(1, size)
                                case .named(let name): entry.string(2, name)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A computation graph (`GraphProto`).
    public struct Graph: Sendable {
        public var name: String
        /// The nodes, in an order where each node's inputs come before it.
        public var nodes: [Node] = []
        public var initializers: [TensorValue] = []
        public var inputs: [ValueInfo] = []
        public var outputs: [ValueInfo] = []
        public var docString = ""

        public init(name: String) { self.name = name }

        func encode(into writer: inout ProtobufWriter) {
            for node in nodes { writer.message(1) { node.encode(into: &$0) } }
            writer.string(2, name)
            for tensor in initializers { writer.message(5) { tensor.encode(into: &$0) } }
            if !docString.isEmpty { writer.string(10, docString) }
            for input in inputs { writer.message(11) { input.encode(into: &$0) } }
            for output in outputs { writer.message(12) { output.encode(into: &$0) } }
        }
    }

    /// An operator set the model imports (`OperatorSetIdProto`).
    public struct OperatorSet: Sendable, Equatable {
        /// `""` for the default `ai.onnx` domain, `"ai.onnx.ml"` for the ML operators.
        public var domain: String
        public var version: Int

        public init(domain: String, version: Int) {
            self.domain = domain
            self.version = version
        }
    }

    /// A whole model (`ModelProto`).
    public struct Model: Sendable {
        /// The ONNX IR version (8 goes with opset 17 and ML opset 3).
        public var irVersion = 8
        public var opsets: [OperatorSet]
        public var producerName = "textclf"
        public var producerVersion = ""
        public var docString = ""
        public var graph: Graph
        /// `metadata_props`, in the order written.
        public var metadata: [(key: String, value: String)] = []

        public init(graph: Graph, opsets: [OperatorSet]) {
            self.graph = graph
            self.opsets = opsets
        }

        /// The serialised model: the bytes of a `.onnx` file.
        public func encoded() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.int(1, irVersion)
            if !producerName.isEmpty { writer.string(2, producerName) }
            if !producerVersion.isEmpty { writer.string(3, producerVersion) }
            if !docString.isEmpty { writer.string(6, docString) }
            writer.message(7) { graph.encode(into: &$0) }
            for opset in opsets {
                writer.message(8) { entry in
                    entry.string(1, opset.domain)
                    entry.int(2, opset.version)
                }
            }
            for (key, value) in metadata {
                writer.message(14) { entry in
                    entry.string(1, key)
                    entry.string(2, value)
                }
            }
            return writer.bytes
        }
    }
}

/// The protocol buffers wire format: varints, 32-bit floats and length-delimited fields.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An `int32`/`int64` field (negative values as ten-byte varints, as protobuf writes them).
    mutating func int(_ field: Int, _ value: Int) {
        key(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// An embedded message, written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        bytes(field, inner.bytes)
    }
}
