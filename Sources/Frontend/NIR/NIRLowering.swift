import SpikeIR
import TesseraSupport

/// Lowers a NIR graph to Tessera's IR: the same ``SpikeGraph`` the YAML frontend builds.
/// Nested graphs are inlined (their nodes named 'sub/node'); each neuron node (IF, LIF,
/// Threshold) becomes one layer whose weights compose the linear nodes before it
/// (``NIRLinearChain``) and whose neuron follows the writer's reading (``NIRNeuron``); Input
/// nodes become inputs and the neuron nodes that feed Output nodes the outputs.
///
///     let nir = try NIRReader.read(path: "net.nir")
///     let lowered = try NIRLowering.lower(nir, file: "net.nir", semantics: NIRSemantics(writer: .sinabs))
///     print(lowered.graph.layers.count, lowered.rules.strict)
public enum NIRLowering {
    /// The lowered graph, what the lowering could not keep exactly (warnings) and the
    /// writer's firing rules the chip does not follow, for the float reference.
    public struct Lowered: Sendable {
        public var graph: SpikeGraph
        public var warnings: [Diagnostic]
        public var rules: FiringRules
    }

    static let neurons: Set<String> = ["IF", "LIF", "Threshold"]
    static let linear: Set<String> = ["Affine", "Linear", "Scale", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten"]
    /// What Tessera would need for the primitives it does not lower.
    static let unsupported: [String: String] = [
        "CubaLIF": "a synaptic current state per neuron (two state variables; a TrueNorth neuron has one potential, so it would take a relay neuron per synapse current)",
        "CubaLI": "a synaptic current and a non-spiking readout (TrueNorth neurons spike)",
        "LI": "a non-spiking leaky readout (TrueNorth neurons spike; read the spiking layer before it)",
        "I": "a non-spiking integrator (TrueNorth neurons spike)",
        "Delay": "per-neuron delays (TrueNorth's axonal delays of 1 to 15 ticks could carry them; not lowered yet)",
        "Conv1d": "1-D convolutions (write them as a Conv2d of height 1)",
    ]

    public static func lower(_ graph: NIRGraph, file: String, semantics: NIRSemantics = NIRSemantics(), name: String? = nil) throws(DiagnosticError) -> Lowered {
        let flat = try NIRFlatGraph(graph, file: file)
        let order = try flat.topologicalOrder(file: file)
        var layers: [Layer] = []
        var store = ParameterStore()
        var warnings: [String] = []
        var rules = FiringRules()
        // The IR shape of each lowered node (inputs and neuron nodes).
        var shapes: [String: (c: Int, h: Int, w: Int)] = [:]
        var outputs: [String] = []
        let chain = NIRLinearChain(file: file)
        for path in order {
            guard let node = flat.nodes[path] else { continue }
            let f = NIRFields(file: file, node: node, path: path)
            if let why = unsupported[node.type] {
                throw DiagnosticError("\(f.label): Tessera does not lower \(node.type) yet; it would need \(why)")
            }
            switch node.type {
            case "Input":
                let dims = try f.numbers(node.fields["shape"] != nil ? "shape" : "input_type").values.map { Int($0) }
                let shape: (c: Int, h: Int, w: Int)
                switch dims.count {
                case 1: shape = (dims[0], 1, 1)
                case 3: shape = (dims[0], dims[1], dims[2])
                default: throw f.error("shape", "is \(dims); Tessera reads inputs of (features,) or (channels, height, width), without a batch dimension")
                }
                guard shape.c > 0, shape.h > 0, shape.w > 0 else { throw f.error("shape", "has a dimension below 1: \(dims)") }
                shapes[path] = shape
                layers.append(Layer(name: path, op: .input(shape: TensorShape(shape.c, shape.h, shape.w), encoding: .rate)))
            case "Output":
                let (source, through) = try flat.source(of: path, file: file)
                guard through.isEmpty, let s = flat.nodes[source], neurons.contains(s.type) else {
                    let what = flat.nodes[source].map { "\($0.type) node '\(source)'" } ?? "'\(source)'"
                    throw DiagnosticError("\(f.label) reads \(what)\(through.isEmpty ? "" : " through \(through.map { "'\($0)'" }.joined(separator: ", "))"), which does not spike; Tessera's outputs are spikes: end the graph with an IF, LIF or Threshold node")
                }
                if !outputs.contains(source) { outputs.append(source) }
            case _ where neurons.contains(node.type):
                let (source, through) = try flat.source(of: path, file: file)
                guard let sourceShape = shapes[source] else {
                    throw DiagnosticError("\(f.label) reads '\(source)', which is not an input or a neuron node")
                }
                let fields = through.compactMap { p in flat.nodes[p].map { NIRFields(file: file, node: $0, path: p) } }
                let (steps, inputs, out) = try chain.steps(fields, from: sourceShape)
                let composed = try chain.compose(steps, inputs: inputs, nodes: fields, from: sourceShape)
                let layer: Layer
                var integral = true
                switch composed {
                case let .conv(c):
                    integral = (c.weight + c.bias).allSatisfy { $0 == $0.rounded() }
                    let op = Convolution(outChannels: c.outChannels, vertical: Window(kernel: c.kernel.0, stride: c.stride.0, padding: c.padding.0, dilation: c.dilation.0),
                                         horizontal: Window(kernel: c.kernel.1, stride: c.stride.1, padding: c.padding.1, dilation: c.dilation.1), groups: c.groups)
                    layer = Layer(name: path, op: .conv2d(op), inputs: [source], parameterKey: path)
                    let origin = "\(file): \(through.isEmpty ? "identity into '\(path)'" : through.map { "'\($0)'" }.joined(separator: " -> "))"
                    store["\(path).weight"] = .loaded(Tensor(shape: [c.outChannels, c.inPerGroup, c.kernel.0, c.kernel.1], values: c.weight) ?? Tensor(repeating: 0, shape: [0]), origin: origin)
                    store["\(path).bias"] = .loaded(Tensor(shape: [c.outChannels], values: c.bias) ?? Tensor(repeating: 0, shape: [0]), origin: origin)
                case let .dense(rows, bias):
                    integral = (rows.flatMap { $0 } + bias).allSatisfy { $0 == $0.rounded() }
                    layer = Layer(name: path, op: .dense(Dense(outFeatures: rows.count)), inputs: [source], parameterKey: path)
                    let origin = "\(file): " + through.map { "'\($0)'" }.joined(separator: " -> ")
                    let inCount = sourceShape.c * sourceShape.h * sourceShape.w
                    store["\(path).weight"] = .loaded(Tensor(shape: [rows.count, inCount], values: rows.flatMap { $0 }) ?? Tensor(repeating: 0, shape: [0]), origin: origin)
                    store["\(path).bias"] = .loaded(Tensor(shape: [rows.count], values: bias) ?? Tensor(repeating: 0, shape: [0]), origin: origin)
                case let .pool(sum, pooling):
                    integral = sum
                    layer = Layer(name: path, op: sum ? .sumpool(pooling) : .avgpool(pooling), inputs: [source])
                }
                // The IR shape of the layer: a dense layer's is (out, 1, 1) whatever the
                // neuron node's array shape (a Flatten only renames it).
                let irShape: (c: Int, h: Int, w: Int)
                if case let .dense(rows, _) = composed { irShape = (rows.count, 1, 1) } else { irShape = out }
                let flatCount = irShape.c * irShape.h * irShape.w
                guard out.c * out.h * out.w == flatCount else {
                    throw DiagnosticError("\(f.label): its input has \(out.c * out.h * out.w) values but the layer \(flatCount)")
                }
                let neuron = try NIRNeuron.read(f, shape: [irShape.c, irShape.h, irShape.w], semantics: semantics, integral: integral)
                warnings += neuron.warnings
                if neuron.strict { rules.strict.insert(path) }
                if neuron.delayedSubtract { rules.delayedSubtract.insert(path) }
                var lowered = layer
                lowered.neuron = neuron.model
                layers.append(lowered)
                shapes[path] = irShape
            case _ where linear.contains(node.type), "NIRGraph":
                break  // composed into the neuron nodes that read them
            default:
                throw DiagnosticError("\(f.label): unknown primitive")
            }
        }
        guard !outputs.isEmpty else { throw DiagnosticError("\(file): no Output node reads a neuron node; Tessera needs at least one spiking output") }
        let spikeGraph = SpikeGraph(name: name ?? "nir", layers: layers, outputs: outputs, parameters: store)
        let verified = try Verifier.verify(spikeGraph)
        return Lowered(graph: verified.graph, warnings: warnings.map { Diagnostic(.warning, $0) } + verified.warnings, rules: rules)
    }
}
