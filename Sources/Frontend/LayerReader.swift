import SpikeIR
import TesseraSupport
import Yams

/// Reads one layer mapping of a network file into a ``LayerEntry``, reporting every
/// problem at the node it concerns.
struct LayerReader {
    /// The largest kernel, stride, padding or dilation a layer may give, per axis: far
    /// beyond any image network's, and small enough that a window's taps times its channels
    /// stay within an Int (a fuzzed kernel of 10^18 overflowed the fan-in).
    static let largestWindow = 1 << 16

    var reader: YAMLReader
    let defaults: LayerDefaults

    mutating func read(_ node: Node) -> LayerEntry? {
        guard case .mapping = node else {
            reader.error("expected a layer mapping such as { name: c1, op: conv2d, ... }, got \(reader.describe(node))", at: node)
            return nil
        }
        if node["block"] != nil { return readInstance(node) }
        guard let opNode = node["op"] else {
            reader.error("layer\(nameHint(node)) needs 'op' (one of: \(OpSchema.ops.joined(separator: ", "))) or 'block'", at: node)
            return nil
        }
        if let name = opNode.string, ["maxpool", "maxpool2d", "max_pool", "max_pool2d", "maxpooling"].contains(name.lowercased()) {
            // A spiking max needs lateral inhibition or per-window winner-take-all circuits
            // the crossbar cannot express exactly; rate-coded networks pool by averaging.
            reader.error("max pooling is not supported: a spike count has no exact max on a neurosynaptic core. Use 'avgpool' (retrain with average pooling) or a strided 'conv2d' instead", at: opNode)
            return nil
        }
        guard let op = reader.choice(opNode, what: "op", among: OpSchema.ops), let opKeys = OpSchema.opKeys[op] else { return nil }
        guard let m = reader.mapping(node, what: "\(op) layer\(nameHint(node))", allowed: OpSchema.common + opKeys) else { return nil }
        guard let name = readName(m, node: node) else { return nil }
        let what = "\(op) '\(name)'"
        // A value from the layer, or else from `defaults: { <op>: ... }`.
        let fallback = defaults.ops[op]
        func value(_ key: String) -> Node? { m[key] ?? fallback?[key] }

        var inputs = readInputs(m, what: what)
        if op == "xcorr" {
            if m.has("input") || m.has("inputs") {
                reader.error("xcorr '\(name)' takes 'template:' and 'search:' instead of 'input'", at: m["input"] ?? m["inputs"] ?? node)
            }
            let template = m["template"].flatMap { reader.string($0, what: "xcorr template") }
            let search = m["search"].flatMap { reader.string($0, what: "xcorr search") }
            for key in ["template", "search"] where !m.has(key) { reader.error("xcorr '\(name)' needs '\(key):'", at: node) }
            guard let template, let search else { return nil }
            inputs = .some([template, search])
        }

        var neuron: NeuronModel?
        if let n = m["neuron"] {
            if OpSchema.neuronless.contains(op) {
                reader.error("\(what) has no neurons of its own (it only \(op == "batchnorm" ? "rescales the layer before it" : "rearranges wires")); remove 'neuron'", at: n)
                return nil
            }
            guard let model = reader.neuron(n, base: defaults.neuron) else { return nil }
            neuron = model
        } else if !OpSchema.neuronless.contains(op) {
            neuron = defaults.neuron
        }

        guard let operation = readOperation(op, what: what, value: value, node: node) else { return nil }
        var layer = Layer(name: name, op: operation, neuron: neuron,
                          parameterKey: operation.parameterSlots(input: TensorShape(1, 1, 1)).isEmpty ? nil : name,
                          location: reader.location(of: node))
        if let n = m["ceiling"] {
            guard neuron != nil, let v = reader.double(n, what: "ceiling"), v > 0 else {
                reader.error("ceiling is the positive value where the ANN clipped a spiking layer's activation (ReLU6: 6)", at: n)
                return nil
            }
            layer.ceiling = v
        }
        if let n = m["levels"] {
            guard layer.ceiling != nil else {
                reader.error("levels counts the steps a quantised ReLU (QCFS) takes from 0 to its ceiling; give 'ceiling' too", at: n)
                return nil
            }
            guard let v = reader.int(n, what: "levels", atLeast: 1, atMost: 1 << 16) else { return nil }
            layer.levels = v
        }
        guard let weights = readWeights(m, what: what, hasParameters: layer.parameterKey != nil) else { return nil }
        return .layer(layer, inputs: inputs ?? nil, weights: weights, node: node)
    }

    private mutating func nameHint(_ node: Node) -> String {
        node["name"]?.string.map { " '\($0)'" } ?? ""
    }

    private mutating func readName(_ m: YAMLMapping, node: Node) -> String? {
        guard let n = m["name"] else {
            reader.error("layer needs a 'name'", at: node)
            return nil
        }
        guard let name = reader.string(n, what: "layer name") else { return nil }
        // '/' separates a block instance from its layers ("z/conv1"), so names cannot use it.
        guard !name.contains("/") else {
            reader.error("layer name '\(name)' may not contain '/' (reserved for block instances, e.g. 'z/conv1')", at: n)
            return nil
        }
        return name
    }

    /// `input: x` or `inputs: [a, b]`: some(list); neither: some(nil); an error: nil.
    private mutating func readInputs(_ m: YAMLMapping, what: String) -> [String]?? {
        if let single = m["input"], let list = m["inputs"] {
            reader.error("\(what) has both 'input' and 'inputs'; use one", at: list)
            _ = single
            return nil
        }
        if let single = m["input"] {
            guard let names = reader.names(single, what: "input") else { return nil }
            return .some(names)
        }
        if let list = m["inputs"] {
            guard let names = reader.names(list, what: "inputs") else { return nil }
            return .some(names)
        }
        return .some(nil)
    }

    private mutating func readInstance(_ node: Node) -> LayerEntry? {
        guard let m = reader.mapping(node, what: "block instance\(nameHint(node))", allowed: OpSchema.instanceKeys + ["op"]) else { return nil }
        if let op = m["op"] {
            reader.error("a layer has either 'op' or 'block', not both", at: op)
            return nil
        }
        guard let name = readName(m, node: node), let blockNode = m["block"],
              let block = reader.string(blockNode, what: "block name") else { return nil }
        guard let inputs = readInputs(m, what: "block instance '\(name)'") else { return nil }
        return .instance(name: name, block: block, inputs: inputs, node: node)
    }

    /// A residual convolution's shortcut, the skip path from its second input:
    /// `shortcut: identity`, or `shortcut: { kernel: 1, stride: 2 }` (a projection, whose
    /// weights are `<name>.shortcut`; padding 0 unless given).
    private mutating func readShortcut(_ node: Node, what: String) -> Shortcut? {
        if case .scalar = node {
            guard let word = reader.string(node, what: "shortcut") else { return nil }
            guard word == "identity" else {
                reader.error("\(what): shortcut is 'identity' or a window such as { kernel: 1, stride: 2 }, got '\(word)'", at: node)
                return nil
            }
            return Shortcut(identity: true)
        }
        guard let m = reader.mapping(node, what: "\(what) shortcut", allowed: ["kernel", "stride", "padding"]) else { return nil }
        let kernel = m["kernel"].map { reader.ints($0, what: "shortcut kernel", count: 2, atLeast: 1, atMost: Self.largestWindow) } ?? [1, 1]
        let stride = m["stride"].map { reader.ints($0, what: "shortcut stride", count: 2, atLeast: 1, atMost: Self.largestWindow) } ?? [1, 1]
        let padding = m["padding"].map { reader.ints($0, what: "shortcut padding", count: 2, atLeast: 0, atMost: Self.largestWindow) } ?? [0, 0]
        guard let kernel, let stride, let padding else { return nil }
        return Shortcut(vertical: Window(kernel: kernel[0], stride: stride[0], padding: padding[0]),
                        horizontal: Window(kernel: kernel[1], stride: stride[1], padding: padding[1]))
    }

    private mutating func readOperation(_ op: String, what: String, value: (String) -> Node?, node: Node) -> Operation? {
        func required(_ key: String) -> Node? {
            if let n = value(key) { return n }
            reader.error("\(what) needs '\(key)'", at: node)
            return nil
        }
        func pair(_ key: String, default fallback: Int, atLeast minimum: Int) -> [Int]? {
            guard let n = value(key) else { return [fallback, fallback] }
            return reader.ints(n, what: key, count: 2, atLeast: minimum, atMost: Self.largestWindow)
        }
        func flag(_ key: String, default fallback: Bool) -> Bool? {
            guard let n = value(key) else { return fallback }
            return reader.bool(n, what: key)
        }
        func windows(kernel: [Int], strideDefault: [Int]) -> (Window, Window)? {
            let stride: [Int]? = value("stride").map { reader.ints($0, what: "stride", count: 2, atLeast: 1, atMost: Self.largestWindow) } ?? strideDefault
            let padding = pair("padding", default: 0, atLeast: 0)
            let dilation: [Int]? = OpSchema.opKeys[op]?.contains("dilation") == true ? pair("dilation", default: 1, atLeast: 1) : [1, 1]
            guard let stride, let padding, let dilation else { return nil }
            return (Window(kernel: kernel[0], stride: stride[0], padding: padding[0], dilation: dilation[0]),
                    Window(kernel: kernel[1], stride: stride[1], padding: padding[1], dilation: dilation[1]))
        }

        switch op {
        case "conv2d", "convtranspose2d":
            let out = required("out").flatMap { reader.int($0, what: "out (output channels)", atLeast: 1) }
            let kernel = required("kernel").flatMap { reader.ints($0, what: "kernel", count: 2, atLeast: 1, atMost: Self.largestWindow) }
            let groups = value("groups").map { reader.int($0, what: "groups", atLeast: 1) } ?? 1
            let bias = flag("bias", default: true)
            let outputPadding = op == "convtranspose2d" ? pair("output_padding", default: 0, atLeast: 0) : [0, 0]
            guard let kernel, let (v, h) = windows(kernel: kernel, strideDefault: [1, 1]),
                  let out, let groups, let bias, let outputPadding else { return nil }
            if op == "conv2d" {
                var shortcut: Shortcut?
                if let n = value("shortcut") {
                    guard let s = readShortcut(n, what: what) else { return nil }
                    guard groups == 1 else {
                        reader.error("\(what): a residual convolution (shortcut) takes groups = 1", at: n)
                        return nil
                    }
                    shortcut = s
                }
                return .conv2d(Convolution(outChannels: out, vertical: v, horizontal: h, groups: groups, bias: bias, shortcut: shortcut))
            }
            return .convTranspose2d(ConvolutionTranspose(outChannels: out, vertical: v, horizontal: h,
                                                         outputPadding: outputPadding, groups: groups, bias: bias))
        case "dense":
            let out = required("out").flatMap { reader.int($0, what: "out (output features)", atLeast: 1) }
            guard let out, let bias = flag("bias", default: true) else { return nil }
            return .dense(Dense(outFeatures: out, bias: bias))
        case "avgpool", "sumpool":
            guard let kernel = required("kernel").flatMap({ reader.ints($0, what: "kernel", count: 2, atLeast: 1, atMost: Self.largestWindow) }),
                  let (v, h) = windows(kernel: kernel, strideDefault: kernel) else { return nil }
            let pool = Pooling(vertical: v, horizontal: h)
            return op == "avgpool" ? .avgpool(pool) : .sumpool(pool)
        case "upsample":
            let factor = required("factor").flatMap { reader.int($0, what: "upsample factor", atLeast: 1) }
            let mode: Upsample.Mode? = value("mode").map {
                reader.choice($0, what: "upsample mode", among: Upsample.Mode.allCases.map(\.rawValue)).flatMap(Upsample.Mode.init)
            } ?? .nearest
            guard let factor, let mode else { return nil }
            return .upsample(Upsample(factor: factor, mode: mode))
        case "batchnorm":
            guard let eps = value("eps").map({ reader.double($0, what: "eps", atLeast: 0) }) ?? 1e-5 else { return nil }
            return .batchnorm(BatchNorm(epsilon: eps))
        case "add": return .add
        case "concat": return .concat
        case "flatten": return .flatten
        case "xcorr": return .xcorr
        default: return nil
        }
    }

    private mutating func readWeights(_ m: YAMLMapping, what: String, hasParameters: Bool) -> WeightSpec? {
        var spec = WeightSpec()
        if let n = m["weights"] {
            guard hasParameters else {
                reader.error("\(what) has no weights; remove 'weights'", at: n)
                return nil
            }
            if case .scalar = n {
                guard let path = reader.string(n, what: "weights file") else { return nil }
                spec.files["weight"] = (path, n)
            } else {
                let suffixes = ["weight", "bias", "running_mean", "running_var"]
                guard let files = reader.mapping(n, what: "weights of \(what)", allowed: suffixes) else { return nil }
                for entry in files.entries {
                    guard let path = reader.string(entry.value, what: "\(entry.key) file") else { return nil }
                    spec.files[entry.key] = (path, entry.value)
                }
            }
        }
        if let n = m["init"] {
            guard let synthetic = reader.initSpec(n) else { return nil }
            spec.synthetic = synthetic
        }
        return spec
    }
}

extension YAMLReader {
    /// `init: { seed: 7 }`: the seed of synthetic weights.
    mutating func initSpec(_ node: Node) -> SyntheticInit? {
        guard let m = mapping(node, what: "init", allowed: ["seed", "values"]) else { return nil }
        guard let seedNode = m["seed"] else {
            error("init needs 'seed' (a non-negative integer)", at: node)
            return nil
        }
        guard let seed = int(seedNode, what: "seed", atLeast: 0) else { return nil }
        var result = SyntheticInit(seed: UInt64(seed))
        if let values = m["values"] {
            guard let kind = choice(values, what: "values", among: ["uniform", "trinary"]) else { return nil }
            result.trinary = kind == "trinary"
        }
        return result
    }
}
