import SpikeIR
import TesseraSupport

/// The elementwise ops after a weighted op: each extends the activation's ``ScalarChain``,
/// and while the chain composes to a ReLU (clipped or not) or a quantised ReLU, its layer
/// takes that activation (``Layer/ceiling``, ``Layer/levels``, the neuron's initial fraction
/// as the shift) and its output counts as rectified. A chain that never gets there is refused
/// where it is read, naming its nodes and what they compute.
extension ONNXLowering {
    /// Mul, Div, Add and Sub of an activation and a scalar constant.
    mutating func lowerArithmetic(_ node: ONNXNode) throws(DiagnosticError) {
        guard let x = node.input(0), let y = node.input(1) else { throw node.error("needs two inputs") }
        switch (values[x], values[y]) {
        case let (.activation(v)?, .constant(t)?) where !Self.isUniform(t):
            return try foldPerChannel(node, v, t, read: x, constantFirst: false)
        case let (.constant(t)?, .activation(v)?) where !Self.isUniform(t):
            return try foldPerChannel(node, v, t, read: y, constantFirst: true)
        default: break
        }
        let a: Activation, c: Double, constantFirst: Bool
        switch (values[x], values[y]) {
        case let (.activation(v)?, .constant?):
            (a, c, constantFirst) = (v, try scalar(node, 1), false)
        case let (.constant?, .activation(v)?):
            (a, c, constantFirst) = (v, try scalar(node, 0), true)
        case (.activation?, .activation?):
            throw node.error("\(Self.verbs[node.op] ?? node.op) two activations; a spiking layer only scales and shifts its sum by constants, and those belong in the weights and bias")
        default:
            throw node.error("\(Self.verbs[node.op] ?? node.op) two constants; fold them before export")
        }
        let (scale, offset): (Double, Double)
        switch node.op {
        case "Mul": (scale, offset) = (c, 0)
        case "Add": (scale, offset) = (1, c)
        case "Sub": (scale, offset) = constantFirst ? (-1, c) : (1, -c)
        default:  // Div
            guard !constantFirst else { throw node.error("divides a constant by the activation, which is not a scale of it and has no spiking form") }
            guard c != 0 else { throw node.error("divides by 0") }
            (scale, offset) = (1 / c, 0)
        }
        guard scale != 0 else { throw node.error("multiplies by 0: the activation becomes a constant") }
        try extend(node, a) { chain throws(ScalarChain.Refusal) in chain.affine(scale: scale, offset: offset, node: node.brief) }
    }

    static func isUniform(_ t: ONNXTensor) -> Bool { t.values.allSatisfy { $0 == t.values.first } }

    /// Ops whose weights lead with the output channel ([out, ...]), so that a per-channel
    /// factor scales one block of them.
    static func scalesPerOutputChannel(_ op: SpikeIR.Operation) -> Bool {
        switch op {
        case let .conv2d(c): c.shortcut == nil
        case .dense: true
        default: false
        }
    }

    /// A Mul, Div or Sub of a conv2d's or dense layer's weighted sum and one constant per
    /// output channel ([1, C, 1, 1] or [C, 1, 1] for a map, [C] or [1, C] for a vector),
    /// as tf2onnx writes a Keras batch norm: folded into the layer's weights and bias, exact
    /// since it comes before the activation. The sum must have no other reader.
    mutating func foldPerChannel(_ node: ONNXNode, _ a: Activation, _ t: ONNXTensor, read name: String, constantFirst: Bool) throws(DiagnosticError) {
        let channels = a.shape.channels
        let perChannel = a.flat ? (t.dims == [channels] || t.dims == [1, channels]) : (t.dims == [1, channels, 1, 1] || t.dims == [channels, 1, 1])
        guard a.state == .pending, a.chain == nil, perChannel,
              let k = layers.lastIndex(where: { $0.name == a.layer }), Self.scalesPerOutputChannel(layers[k].op) else {
            throw node.error("its operand '\(t.name)' (dims \(t.dims)) holds different values; Tessera composes elementwise ops with one number each, and folds one per channel only into the weighted sum of a Conv or MatMul right before it")
        }
        let readers = model.graph.node.filter { $0.input.contains(name) }.count + (model.graph.output.contains { $0.name == name } ? 1 : 0)
        guard readers == 1 else { throw node.error("scales '\(name)' per channel, but \(readers) nodes or outputs read it; Tessera folds a per-channel scale into weights only when nothing else reads the sum") }
        guard let weight = tensors["\(a.layer).weight"], let bias = tensors["\(a.layer).bias"] else { throw node.error("finds no weights of \(a.producer) to fold into") }
        var scale = [Double](repeating: 1, count: channels), shift = [Double](repeating: 0, count: channels)
        switch node.op {
        case "Mul": scale = t.values
        case "Div":
            guard !constantFirst else { throw node.error("divides a constant by the activation, which is not a scale of it and has no spiking form") }
            guard !t.values.contains(0) else { throw node.error("divides by 0") }
            scale = t.values.map { 1 / $0 }
        default:  // Sub (an Add of a constant is the sum's bias: lowerAdd)
            guard !constantFirst else { throw node.error("subtracts the activation from a constant, which flips its sign; fold the constants into the weights before export") }
            shift = t.values.map { -$0 }
        }
        tensors["\(a.layer).weight"] = (weight.tensor.scaledPerChannel(scale), weight.origin)
        var b = bias.tensor
        b.values = b.values.indices.map { b.values[$0] * scale[$0] + shift[$0] }
        tensors["\(a.layer).bias"] = (b, bias.origin)
        var out = a
        out.producer = "\(a.producer) with \(node.op) '\(node.proto.name)' per channel"
        define(node, .activation(out))
    }

    /// Clip and Relu on a weighted sum, and on a chain already started.
    mutating func lowerClipChain(_ node: ONNXNode, lower: Double, upper: Double) throws(DiagnosticError) {
        try extend(node, try activation(node, 0)) { chain throws(ScalarChain.Refusal) in try chain.clip(lower, upper, node: node.brief) }
    }

    /// Floor, and Round as floor(x + 1/2) (ONNX's Round takes exact halves to even; a spiking
    /// neuron's count goes up at them, which differs only at exact ties).
    mutating func lowerFloor(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try activation(node, 0)
        let round = node.op == "Round"
        try extend(node, a) { chain throws(ScalarChain.Refusal) in
            if round { chain.affine(scale: 1, offset: 0.5, node: node.brief) }
            try chain.floor(node: node.brief)
        }
    }

    /// The value of a constant operand, which must hold one number (every element equal).
    func scalar(_ node: ONNXNode, _ k: Int) throws(DiagnosticError) -> Double {
        let t = try constant(node, k, what: "operand")
        guard let first = t.values.first else { throw node.error("its operand '\(t.name)' is empty") }
        guard Self.isUniform(t) else {
            throw node.error("its operand '\(t.name)' (dims \(t.dims)) holds different values; Tessera composes elementwise ops with one number each (fold per-channel scales into the weights before export)")
        }
        return first
    }

    /// Applies `step` to the chain on `a` (starting one on a weighted sum) and gives the
    /// layer the activation the chain now computes, if any.
    mutating func extend(_ node: ONNXNode, _ a: Activation, _ step: (inout ScalarChain) throws(ScalarChain.Refusal) -> Void) throws(DiagnosticError) {
        guard a.chain != nil || a.state != .rectified else {
            throw node.error("\(Self.verbs[node.op] ?? node.op) \(a.producer)'s output, which is rectified already; Tessera composes elementwise ops on a weighted sum (Conv, then the ops, then the next Conv)")
        }
        var a = a
        var chain = a.chain ?? ScalarChain()
        do { try step(&chain) } catch { throw DiagnosticError("\(node.file): \(error.reason)") }
        a.chain = chain
        // The layer whose sum the chain reads; through a batch norm, the one before it.
        var target = a.layer
        if let bn = layers.first(where: { $0.name == a.layer }), case .batchnorm = bn.op, let source = bn.inputs.first { target = source }
        guard let k = layers.firstIndex(where: { $0.name == target }) else { throw node.error("reads no layer") }
        let base: Activation.State = layers[k].name == a.layer ? .pending : .normalised
        switch chain.form() {
        case let .success(.relu(ceiling)):
            (layers[k].ceiling, layers[k].levels) = (ceiling, nil)
            layers[k].neuron?.initialFraction = 0
            a.state = .rectified
        case let .success(.quantised(ceiling, levels, shift)):
            (layers[k].ceiling, layers[k].levels) = (ceiling, levels)
            layers[k].neuron?.initialFraction = shift
            a.state = .rectified
        case .failure:
            (layers[k].ceiling, layers[k].levels) = (nil, nil)
            layers[k].neuron?.initialFraction = 0
            a.state = base
        }
        define(node, .activation(a))
    }

    static let verbs = ["Mul": "multiplies", "Div": "divides", "Add": "adds", "Sub": "subtracts", "Clip": "clips", "Relu": "rectifies",
                        "Floor": "floors", "Round": "rounds"]
}
