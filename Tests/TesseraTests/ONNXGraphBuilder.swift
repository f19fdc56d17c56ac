import Foundation
import ONNXProto
import SwiftProtobuf

/// ONNX models written node by node in the tests (what onnx.helper does in Python), saved to
/// a temporary file for the importer to read.
struct ONNXGraphBuilder {
    var graph = Onnx_GraphProto()

    init(input: [Int64], output: [Int64]) {
        graph.name = "test"
        graph.input = [Self.info("x", input)]
        graph.output = [Self.info("y", output)]
    }

    static func info(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        v.type.tensorType.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = d
            return dim
        }
        return v
    }

    /// A float initializer.
    mutating func constant(_ name: String, _ dims: [Int64], _ values: [Float]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.floatData = values
        graph.initializer.append(t)
    }

    /// A node; `ints` are integer-list attributes (pads, strides).
    mutating func node(_ op: String, _ name: String, _ inputs: [String], _ output: String, ints: [String: [Int64]] = [:]) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = [output]
        n.attribute = ints.keys.sorted().map { key in
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .ints
            a.ints = ints[key] ?? []
            return a
        }
        graph.node.append(n)
    }

    /// Writes the model (opset 17) to a fresh file in the temporary directory.
    func save() throws -> String {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph = graph
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("test-\(UUID().uuidString).onnx").path
        try Data(model.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: path))
        return path
    }
}
