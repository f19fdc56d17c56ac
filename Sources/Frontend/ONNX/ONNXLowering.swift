import Foundation
import SpikeIR
import TesseraSupport

/// Lowers an ONNX ANN (a CNN or MLP as PyTorch or Keras export it) to Tessera's IR, the same
/// ``SpikeGraph`` the YAML frontend builds for a network in floating point. A Tessera layer
/// is a weighted op and the ReLU after it, which a rate-coded integrate-and-fire neuron
/// computes (conversion then balances thresholds and quantises weights, docs/conversion.md):
/// so Conv, ConvTranspose, Gemm and MatMul (with the Add of its bias) become layers whose
/// Relu (or BatchNormalization then Relu) must follow, and ops that keep a non-negative
/// input non-negative (AveragePool, GlobalAveragePool, Resize in nearest mode, Add of two
/// rectified tensors) become layers of their own. The graph's last weighted op, with no
/// Relu after it, is the output, read as scores. What has no spiking form is an error that
/// names the node (docs/onnx.md).
///
///     let model = try ONNXModel.read(path: "cnn.onnx")
///     let lowered = try ONNXLowering.lower(model, name: "cnn")
///     print(lowered.graph.layers.map(\.name))
struct ONNXLowering {
    struct Lowered: Sendable {
        var graph: SpikeGraph
        var warnings: [Diagnostic]
    }

    /// A tensor of the graph that carries activations: the IR layer that computes it, its
    /// shape, and what still has to happen to it.
    struct Activation {
        enum State {
            /// Non-negative: a layer's ReLU output, the network input, or a map of them.
            case rectified
            /// A weighted sum whose activation has not come yet.
            case pending
            /// A weighted sum through a batch norm, awaiting its Relu.
            case normalised
        }
        var layer: String
        var shape: TensorShape
        var state: State
        /// Two-dimensional in ONNX ([1, features]), as after Flatten or Gemm.
        var flat: Bool
        /// The node that made it, for messages.
        var producer: String
        /// The elementwise ops applied to a weighted sum so far (``ScalarChain``); the state
        /// is rectified while they compose to an activation a spiking layer computes.
        var chain: ScalarChain? = nil
        /// The ONNX tensor holds this map channels last, [1, H, W, C] (a Transpose of it, as
        /// Keras' Flatten needs): only flattening and shape ops may read it.
        var channelsLast = false
        /// A flat vector that holds the map of this shape flattened channels last, in
        /// H x W x C order: a dense reader's weights are permuted to the IR's C x H x W order.
        var flatFrom: TensorShape? = nil
    }

    enum Value {
        case constant(ONNXTensor)
        case activation(Activation)
    }

    let model: ONNXModel
    var file: String { model.file }
    var layers: [Layer] = []
    /// Parameters by key, built up while lowering (a MatMul's bias arrives with its Add).
    var tensors: [String: (tensor: Tensor, origin: String)] = [:]
    var values: [String: Value] = [:]
    var warnings: [String] = []
    var usedNames = Set<String>()
    /// The neuron every layer gets: rate-coded IF, threshold 1, reset by subtraction, as a
    /// YAML network in floating point declares before conversion.
    static let neuron = NeuronModel(kind: .integrateAndFire, threshold: 1, reset: .subtract)

    static func lower(_ model: ONNXModel, name: String) throws(DiagnosticError) -> Lowered {
        var lowering = ONNXLowering(model: model)
        for (name, tensor) in model.initializers { lowering.values[name] = .constant(tensor) }
        // Ops with no spiking form first: their error is the one that matters.
        for (k, proto) in model.graph.node.enumerated() where !supported.contains(proto.opType) && !readBefore.contains(proto.opType) {
            try lowering.lower(ONNXNode(proto: proto, index: k, file: model.file))
        }
        try lowering.readInputs()
        let produced = Set(model.graph.node.flatMap(\.output))
        for (k, proto) in model.graph.node.enumerated() {
            let node = ONNXNode(proto: proto, index: k, file: model.file)
            for input in proto.input where !input.isEmpty && lowering.values[input] == nil {
                if produced.contains(input) {
                    throw node.error("reads '\(input)', which a later node produces: the nodes are not in topological order, as ONNX requires")
                }
                throw node.error("reads '\(input)', which is neither an initializer, a graph input nor a node's output (a missing initializer?)")
            }
            try lowering.lower(node)
        }
        let outputs = try lowering.outputs()
        var store = ParameterStore()
        for (key, entry) in lowering.tensors { store[key] = .loaded(entry.tensor, origin: entry.origin) }
        let graph = SpikeGraph(name: name, layers: lowering.layers, outputs: outputs, parameters: store)
        let verified: Verifier.Verified
        do {
            verified = try Verifier.verify(graph)
        } catch {
            throw DiagnosticError(error.diagnostics.map { d in Diagnostic(d.severity, "\(model.file): \(d.message)") })
        }
        return Lowered(graph: verified.graph, warnings: lowering.warnings.map { Diagnostic(.warning, $0) } + verified.warnings)
    }

    /// The graph inputs that are not initializers become network inputs: [N, C, H, W] or
    /// [N, F] with a batch of 1 (or symbolic) and every other dimension fixed.
    mutating func readInputs() throws(DiagnosticError) {
        let inputs = model.graph.input.filter { values[$0.name] == nil }
        guard !inputs.isEmpty else { throw DiagnosticError("\(file): the graph has no input that is not an initializer") }
        for input in inputs {
            let label = "\(file): graph input '\(input.name)'"
            guard input.type.tensorType.hasShape else { throw DiagnosticError("\(label): has no shape; Tessera needs static shapes (export with a fixed example input)") }
            let dims = input.type.tensorType.shape.dim
            var sizes: [Int] = []
            for (k, d) in dims.enumerated() {
                switch d.value {
                case let .dimValue(v)? where v > 0: sizes.append(Int(v))
                case let .dimParam(p)? where k == 0: _ = p; sizes.append(1)
                case let .dimParam(p)?: throw DiagnosticError("\(label): dimension \(k) is '\(p)', not a number; Tessera needs static shapes besides the batch (export with a fixed example input, without dynamic_axes for it)")
                default: throw DiagnosticError("\(label): dimension \(k) is unknown or not positive; Tessera needs static shapes")
                }
            }
            let total = ONNXTensor.product(sizes)
            guard total <= 1 << 34, sizes.allSatisfy({ $0 <= 1 << 24 }) else { throw DiagnosticError("\(label): shape \(sizes) is implausibly large") }
            guard sizes.first == 1 else { throw DiagnosticError("\(label): batch dimension \(sizes.first.map(String.init) ?? "missing") in \(sizes); export with a batch of 1") }
            let shape: TensorShape
            switch sizes.count {
            case 4: shape = TensorShape(sizes[1], sizes[2], sizes[3])
            case 2: shape = TensorShape(vector: sizes[1])
            default: throw DiagnosticError("\(label): shape \(sizes); Tessera reads [N, C, H, W] images or [N, features] vectors")
            }
            let name = uniqueName(input.name)
            layers.append(Layer(name: name, op: .input(shape: shape, encoding: .rate), shape: shape))
            values[input.name] = .activation(Activation(layer: name, shape: shape, state: .rectified, flat: sizes.count == 2, producer: label))
        }
    }

    /// The graph outputs, each the layer that computes it: a spiking layer, or the last
    /// weighted layer read as scores.
    func outputs() throws(DiagnosticError) -> [String] {
        var names: [String] = []
        for output in model.graph.output {
            let label = "\(file): graph output '\(output.name)'"
            switch values[output.name] {
            case let .activation(a)?:
                if a.channelsLast || a.flatFrom != nil {
                    throw DiagnosticError("\(label) is a map in channels-last order; Tessera's outputs are channels first (end the graph with the MatMul or Gemm that reads it)")
                }
                if a.state != .rectified, let chain = a.chain, case let .failure(why) = chain.form() {
                    throw DiagnosticError("\(label) is computed by \(chain.nodes.joined(separator: ", ")) from the sum of \(a.producer) as f(x) = \(chain), not an activation a spiking layer computes: \(why.reason)")
                }
                guard a.state != .normalised, let layer = layers.first(where: { $0.name == a.layer }), layer.neuron != nil else {
                    throw DiagnosticError("\(label) is computed by \(a.producer), which has no neurons of its own (end the graph with a weighted layer, a pooling or a Relu)")
                }
                if !names.contains(a.layer) { names.append(a.layer) }
            case .constant?: throw DiagnosticError("\(label) is a constant")
            case nil: throw DiagnosticError("\(label) is not computed by any node")
            }
        }
        guard !names.isEmpty else { throw DiagnosticError("\(file): the graph has no outputs") }
        return names
    }

    /// A fresh IR layer name from an ONNX name: letters, digits, '_' and '-' kept, the rest
    /// '_' ("/c1/Conv" -> "c1_Conv"), made unique.
    mutating func uniqueName(_ raw: String) -> String {
        var base = String(raw.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
        while base.hasPrefix("_") { base.removeFirst() }
        if base.isEmpty { base = "layer" }
        var name = base, k = 1
        while usedNames.contains(name) {
            k += 1
            name = "\(base)_\(k)"
        }
        usedNames.insert(name)
        return name
    }

    /// The activation a node reads at input `k`.
    func activation(_ node: ONNXNode, _ k: Int) throws(DiagnosticError) -> Activation {
        guard let name = node.input(k) else { throw node.error("input \(k) is missing") }
        guard case let .activation(a)? = values[name] else {
            throw node.error("input \(k) '\(name)' is a constant; Tessera lowers ops on activations, with constants as their weights")
        }
        if a.channelsLast, !["Reshape", "Flatten", "Shape", "Transpose"].contains(node.op) {
            throw node.error("reads '\(name)', a map transposed to channels last by \(a.producer); Tessera reads such a map only as it is flattened (Reshape or Flatten) for a MatMul or Gemm")
        }
        if a.flatFrom != nil, !["MatMul", "Gemm", "Shape"].contains(node.op) {
            throw node.error("reads '\(name)', a map flattened channels last; Tessera reads such a vector only with a MatMul or Gemm, whose weights it reorders")
        }
        return a
    }

    /// The activation at input `k`, which must be non-negative (a layer's Relu output).
    func rectified(_ node: ONNXNode, _ k: Int = 0) throws(DiagnosticError) -> Activation {
        let a = try activation(node, k)
        if a.state != .rectified, let chain = a.chain, case let .failure(why) = chain.form() {
            throw node.error("reads '\(node.proto.input[k])', which \(chain.nodes.joined(separator: ", ")) compute from the sum of \(a.producer) as f(x) = \(chain): not an activation a spiking layer computes, since \(why.reason). Tessera lowers a ReLU, a Clip(0, max), or a quantised ReLU (QCFS: clip to [0, λ], L levels, shift φ)")
        }
        guard a.state == .rectified else {
            throw node.error("reads '\(node.proto.input[k])', the output of \(a.producer) before any Relu. Every Tessera layer spikes, which computes the ReLU of its weighted sum, so a weighted op must be followed by Relu (or BatchNormalization then Relu) before \(node.op)")
        }
        return a
    }

    /// The constant at input `k`.
    func constant(_ node: ONNXNode, _ k: Int, what: String) throws(DiagnosticError) -> ONNXTensor {
        guard let name = node.input(k) else { throw node.error("has no \(what) (input \(k))") }
        guard case let .constant(t)? = values[name] else {
            throw node.error("its \(what) '\(name)' is computed in the graph; Tessera needs it as an initializer or a Constant")
        }
        guard let bad = t.values.firstIndex(where: { !$0.isFinite }) else { return t }
        throw node.error("its \(what) '\(name)' holds \(t.values[bad]) at index \(bad); weights must be finite")
    }

    /// Gives every output of `node` the value `value`.
    mutating func define(_ node: ONNXNode, _ value: Value) {
        if let first = node.proto.output.first, !first.isEmpty { values[first] = value }
    }

    /// Appends a layer with the shared neuron and its parameters, and defines the node's
    /// output as its activation.
    mutating func append(_ node: ONNXNode, op: SpikeIR.Operation, inputs: [String], shape: TensorShape, state: Activation.State,
                         flat: Bool, parameters: [String: Tensor] = [:]) throws(DiagnosticError) -> String {
        let sizes = [shape.channels, shape.height, shape.width]
        let count = ONNXTensor.product(sizes)
        guard sizes.allSatisfy({ $0 > 0 }), count <= 1 << 34 else { throw node.error("its output would be \(sizes), more than 2^34 values or empty") }
        let name = uniqueName(node.proto.name.isEmpty ? (node.proto.output.first ?? node.op) : node.proto.name)
        let origin = "\(file): \(node.op) node '\(node.proto.name.isEmpty ? name : node.proto.name)'"
        for (suffix, t) in parameters { tensors["\(name).\(suffix)"] = (t, origin) }
        layers.append(Layer(name: name, op: op, inputs: inputs, neuron: op.hasNeurons ? Self.neuron : nil,
                            parameterKey: parameters.isEmpty ? nil : name, shape: shape))
        define(node, .activation(Activation(layer: name, shape: shape, state: state, flat: flat, producer: "\(op.name) layer '\(name)' (\(node.op))")))
        return name
    }
}
