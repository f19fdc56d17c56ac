import Foundation
import ONNXProto
import SwiftProtobuf
import TesseraSupport

/// An ONNX model as Tessera reads it: the protobuf decoded (swift-protobuf, with the code
/// generated from ONNX's onnx.proto3), its default-domain opset, initializers decoded to
/// doubles, and the main graph's nodes in file order.
///
///     let model = try ONNXModel.read(path: "cnn.onnx")
///     print(model.opset, model.graph.node.map(\.opType))
struct ONNXModel: Sendable {
    /// The opsets Tessera's lowering follows (PyTorch's exporters write 11 to 20).
    static let opsets = 11...23
    let file: String
    let graph: Onnx_GraphProto
    let opset: Int
    let initializers: [String: ONNXTensor]
    let producer: String

    static func read(path: String) throws(DiagnosticError) -> ONNXModel {
        let data: Data
        do {
            // An empty file is refused before it is read: Foundation's Data(contentsOf:)
            // leaks a 4 KiB buffer on one (found by `make fuzz READER=onnx`).
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            guard size != 0 else { throw DiagnosticError("\(path): empty file; not an ONNX model") }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as DiagnosticError {
            throw error
        } catch {
            throw DiagnosticError("\(path): cannot read: \(error.localizedDescription)")
        }
        guard !data.isEmpty else { throw DiagnosticError("\(path): empty file; not an ONNX model") }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw DiagnosticError("\(path): not an ONNX model (the protobuf does not decode: \(error)); truncated or another format?")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw DiagnosticError("\(path): no graph nodes; not an ONNX model, or a truncated one")
        }
        guard let opset = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }).map({ Int($0.version) }) else {
            throw DiagnosticError("\(path): no opset_import for the default domain (ai.onnx)")
        }
        guard opset >= opsets.lowerBound else {
            throw DiagnosticError("\(path): opset \(opset); Tessera reads opsets \(opsets.lowerBound) and later (re-export with a newer exporter, e.g. torch.onnx.export(..., opset_version=17))")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var initializers: [String: ONNXTensor] = [:]
        for proto in model.graph.initializer {
            initializers[proto.name] = try ONNXTensor(proto, file: path, directory: directory)
        }
        if !model.graph.sparseInitializer.isEmpty {
            throw DiagnosticError("\(path): sparse initializers ('\(model.graph.sparseInitializer[0].values.name)'); Tessera reads dense tensors only")
        }
        let producer = model.producerName.isEmpty ? "unknown producer" : "\(model.producerName) \(model.producerVersion)"
        return ONNXModel(file: path, graph: model.graph, opset: opset, initializers: initializers, producer: producer)
    }
}

/// A node's label in messages and its attributes by name.
struct ONNXNode {
    let proto: Onnx_NodeProto
    let index: Int
    let file: String

    var op: String { proto.opType }
    /// `file: node 'name' (Op)`, or the node's first output when it has no name.
    var label: String { "\(file): \(brief)" }

    /// `node 'name' (Op)`, for lists of nodes within one message.
    var brief: String {
        "node " + (proto.name.isEmpty ? (proto.output.first.map { "#\(index) -> '\($0)'" } ?? "#\(index)") : "'\(proto.name)'") + " (\(op))"
    }

    func error(_ message: String) -> DiagnosticError { DiagnosticError("\(label): \(message)") }

    func attribute(_ name: String) -> Onnx_AttributeProto? { proto.attribute.first { $0.name == name } }

    /// Integer attributes larger than this in size are refused: no window, stride or group
    /// comes near it, and window arithmetic on them must not overflow.
    static let largest = 1 << 24

    func int(_ name: String, default value: Int) throws(DiagnosticError) -> Int {
        guard let a = attribute(name) else { return value }
        guard a.type == .int || (a.type == .undefined && a.ints.isEmpty) else { throw error("attribute '\(name)' is not an integer") }
        guard abs(a.i) <= Int64(Self.largest) else { throw error("attribute '\(name)' is \(a.i), implausibly large") }
        return Int(a.i)
    }

    func ints(_ name: String) throws(DiagnosticError) -> [Int]? {
        guard let a = attribute(name) else { return nil }
        guard a.type == .ints || a.type == .undefined else { throw error("attribute '\(name)' is not a list of integers") }
        guard a.ints.allSatisfy({ abs($0) <= Int64(Self.largest) }) else { throw error("attribute '\(name)' is \(a.ints), implausibly large") }
        return a.ints.map { Int($0) }
    }

    /// Whole numbers from a constant (shapes, axes), refused when not whole or too large.
    func integers(_ t: ONNXTensor, what: String) throws(DiagnosticError) -> [Int] {
        guard t.values.allSatisfy({ $0 == $0.rounded() && abs($0) <= Double(Self.largest) }) else {
            throw error("its \(what) '\(t.name)' holds \(t.values.prefix(8)), not whole numbers of at most \(Self.largest)")
        }
        return t.values.map { Int($0) }
    }

    func float(_ name: String, default value: Double) throws(DiagnosticError) -> Double {
        guard let a = attribute(name) else { return value }
        guard a.type == .float || a.type == .undefined else { throw error("attribute '\(name)' is not a float") }
        return Double(a.f)
    }

    func string(_ name: String, default value: String) throws(DiagnosticError) -> String {
        guard let a = attribute(name) else { return value }
        guard a.type == .string || a.type == .undefined else { throw error("attribute '\(name)' is not a string") }
        return String(decoding: a.s, as: UTF8.self)
    }

    /// The input at `k`, nil when absent or given as "" (an optional input left out).
    func input(_ k: Int) -> String? {
        k < proto.input.count && !proto.input[k].isEmpty ? proto.input[k] : nil
    }
}
