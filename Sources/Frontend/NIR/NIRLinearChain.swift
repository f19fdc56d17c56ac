import SpikeIR
import TesseraSupport

/// The linear nodes between two neuron nodes (or an input and a neuron node), composed into
/// the one weight layer Tessera gives the neurons: in NIR only IF, LIF and Threshold nodes
/// spike, so a SumPool2d then a Conv2d, or a pooling then a Flatten then an Affine, is one
/// linear map, not two layers of neurons.
struct NIRLinearChain {
    /// What the chain composes to.
    enum Composed {
        /// A convolution (also a lone Scale or identity, as a depthwise 1 x 1 one).
        case conv(NIRConvolution)
        /// A dense layer over the flattened source: rows (out x in) and bias.
        case dense(rows: [[Double]], bias: [Double])
        /// A lone SumPool2d or AvgPool2d: the IR's pooling layer, with no weights.
        case pool(sum: Bool, Pooling)
    }

    enum Step {
        case conv(NIRConvolution, node: String)
        case scale([Double], node: String)
        case flatten
        case dense(rows: [[Double]], bias: [Double], node: String)
    }

    let file: String

    /// The chain's nodes as steps (one per node), with the shape each step reads and the
    /// shape after the last; `shape` is the source's.
    func steps(_ nodes: [NIRFields], from shape: (c: Int, h: Int, w: Int)) throws(DiagnosticError)
        -> (steps: [Step], inputs: [(c: Int, h: Int, w: Int)], shape: (c: Int, h: Int, w: Int)) {
        var steps: [Step] = []
        var inputs: [(c: Int, h: Int, w: Int)] = []
        var shape = shape
        for f in nodes {
            inputs.append(shape)
            switch f.node.type {
            case "Conv2d":
                let (ws, w) = try f.numbers("weight")
                guard ws.count == 4 else { throw f.error("weight", "has shape \(describeShape(ws)), expected (out, in / groups, kh, kw)") }
                let groups = f.node.fields["groups"] == nil ? 1 : try f.integer("groups")
                guard groups >= 1, ws[0] % groups == 0 else { throw f.error("groups", "is \(groups), which does not divide the \(ws[0]) output channels") }
                // Exporters write PyTorch's layout, (out, in / groups, kh, kw).
                guard ws[1] * groups == shape.c else {
                    throw f.error("weight", "reads \(ws[1]) channels per group x \(groups) groups = \(ws[1] * groups), but its input has \(shape.c) (weights are (out, in / groups, kh, kw), as PyTorch lays them out)")
                }
                let stride = try f.pair("stride", default: 1), dilation = try f.pair("dilation", default: 1)
                guard stride.0 > 0, stride.1 > 0 else { throw f.error("stride", "must be positive") }
                guard dilation.0 > 0, dilation.1 > 0 else { throw f.error("dilation", "must be positive") }
                let padding: (Int, Int)
                switch f.text("padding") {
                case "valid"?: padding = (0, 0)
                case "same"?:
                    let extent = (dilation.0 * (ws[2] - 1), dilation.1 * (ws[3] - 1))
                    guard stride == (1, 1), extent.0 % 2 == 0, extent.1 % 2 == 0 else {
                        throw f.error("padding", "'same' needs stride 1 and an odd kernel extent here (Tessera pads both sides alike)")
                    }
                    padding = (extent.0 / 2, extent.1 / 2)
                case let other?: throw f.error("padding", "is '\(other)', expected 'same', 'valid' or numbers")
                case nil: padding = try f.pair("padding", default: 0)
                }
                let bias = try f.optionalNumbers("bias")?.values ?? Array(repeating: 0, count: ws[0])
                guard bias.count == ws[0] else { throw f.error("bias", "has \(bias.count) values for \(ws[0]) output channels") }
                let conv = NIRConvolution(inChannels: shape.c, outChannels: ws[0], groups: groups, kernel: (ws[2], ws[3]), stride: stride,
                                          padding: padding, dilation: dilation, weight: w, bias: bias)
                let out = conv.outputShape(shape)
                guard out.h > 0, out.w > 0 else { throw f.error("weight", "a \(ws[2])x\(ws[3]) kernel does not fit the \(shape.h)x\(shape.w) input") }
                steps.append(.conv(conv, node: f.path))
                shape = out
            case "SumPool2d", "AvgPool2d":
                let kernel = try f.pair("kernel_size"), padding = try f.pair("padding", default: 0)
                let stride = f.node.fields["stride"] == nil ? kernel : try f.pair("stride")
                guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0 else { throw f.error("kernel_size", "kernel and stride must be positive") }
                let scale = f.node.type == "AvgPool2d" ? 1 / Double(kernel.0 * kernel.1) : 1
                let conv = NIRConvolution.depthwise(channels: shape.c, scale: Array(repeating: scale, count: shape.c), kernel: kernel, stride: stride, padding: padding)
                let out = conv.outputShape(shape)
                guard out.h > 0, out.w > 0 else { throw f.error("kernel_size", "a \(kernel.0)x\(kernel.1) window does not fit the \(shape.h)x\(shape.w) input") }
                steps.append(.conv(conv, node: f.path))
                shape = out
            case "Scale":
                let (_, s) = try f.numbers("scale")
                let count = shape.c * shape.h * shape.w
                if s.count == 1 || s.count == shape.c {
                    let perChannel = s.count == 1 ? Array(repeating: s[0], count: shape.c) : s
                    steps.append(.conv(.depthwise(channels: shape.c, scale: perChannel, kernel: (1, 1), stride: (1, 1), padding: (0, 0)), node: f.path))
                } else if s.count == count {
                    steps.append(.scale(s, node: f.path))
                } else {
                    throw f.error("scale", "has \(s.count) values for an input of \(shape.c)x\(shape.h)x\(shape.w)")
                }
            case "Flatten":
                steps.append(.flatten)
                shape = (shape.c * shape.h * shape.w, 1, 1)
            case "Affine", "Linear":
                let (ws, w) = try f.numbers("weight")
                let count = shape.c * shape.h * shape.w
                guard ws.count == 2, ws[1] == count else {
                    throw f.error("weight", "has shape \(describeShape(ws)), but its input has \(count) values (weights are (out, in))")
                }
                let bias = f.node.type == "Affine" ? try f.array("bias", shape: [ws[0]]) : Array(repeating: 0, count: ws[0])
                let rows = (0..<ws[0]).map { Array(w[($0 * ws[1])..<(($0 + 1) * ws[1])]) }
                steps.append(.dense(rows: rows, bias: bias, node: f.path))
                shape = (ws[0], 1, 1)
            default:
                throw DiagnosticError("\(f.label) is not a linear node")
            }
        }
        return (steps, inputs, shape)
    }

    /// The steps composed into one layer; `inputs[i]` is the shape step i reads (the
    /// source's first). A chain of one unpadded pooling stays the IR's pooling layer (no
    /// synapses to store).
    func compose(_ steps: [Step], inputs: [(c: Int, h: Int, w: Int)], nodes: [NIRFields], from source: (c: Int, h: Int, w: Int)) throws(DiagnosticError) -> Composed {
        let names = nodes.map { "'\($0.path)'" }.joined(separator: " -> ")
        if nodes.count == 1, let f = nodes.first, f.node.type == "SumPool2d" || f.node.type == "AvgPool2d", case let .conv(c, _) = steps[0], c.padding == (0, 0) {
            return .pool(sum: f.node.type == "SumPool2d", Pooling(vertical: Window(kernel: c.kernel.0, stride: c.stride.0), horizontal: Window(kernel: c.kernel.1, stride: c.stride.1)))
        }
        let denseSteps = steps.enumerated().compactMap { i, step -> (at: Int, rows: [[Double]], bias: [Double])? in
            if case let .dense(rows, bias, _) = step { (i, rows, bias) } else { nil }
        }
        if let (last, lastRows, lastBias) = denseSteps.last {
            // Everything before the last dense step folds into its rows (the adjoint of each
            // step, last first); what follows can only scale its outputs.
            var rows = lastRows, bias = lastBias
            for (i, step) in steps[..<last].enumerated().reversed() {
                switch step {
                case let .conv(c, _):
                    let (back, added) = c.pullBack(rows, input: inputs[i])
                    rows = back
                    bias = zip(bias, added).map(+)
                case let .scale(s, _):
                    rows = rows.map { zip($0, s).map(*) }
                case .flatten: break
                case let .dense(r, b, _):
                    bias = zip(bias, rows.map { zip($0, b).reduce(0) { $0 + $1.0 * $1.1 } }).map(+)
                    rows = rows.map { row in
                        var out = [Double](repeating: 0, count: r.first?.count ?? 0)
                        for (k, w) in row.enumerated() where w != 0 { for j in out.indices { out[j] += w * r[k][j] } }
                        return out
                    }
                }
            }
            for step in steps[(last + 1)...] {
                switch step {
                case .flatten: break
                case let .scale(s, _):
                    rows = zip(rows, s).map { row, k in row.map { $0 * k } }
                    bias = zip(bias, s).map(*)
                case let .conv(c, _) where c.kernel == (1, 1) && c.groups == c.inChannels && c.inChannels == c.outChannels && c.stride == (1, 1) && c.padding == (0, 0):
                    rows = rows.enumerated().map { i, row in row.map { $0 * c.weight[i] } }
                    bias = bias.enumerated().map { i, b in b * c.weight[i] + c.bias[i] }
                case let .conv(_, node), let .dense(_, _, node):
                    throw DiagnosticError("\(file): nodes \(names): '\(node)' follows a dense node with no neurons between; Tessera composes a chain into one layer only where what follows a dense node scales its outputs")
                }
            }
            return .dense(rows: rows, bias: bias)
        }
        // Convolutions only: fold left to right, each composed conv reading the source.
        var acc: NIRConvolution?
        for (i, step) in steps.enumerated() {
            switch step {
            case let .conv(c, node):
                guard let a = acc else { acc = c; continue }
                switch c.composed(after: a, input: source) {
                case let .success(m): acc = m
                case let .failure(why): throw DiagnosticError("\(file): nodes \(names): '\(node)' does not compose exactly with what precedes it: \(why.reason); put neurons between them")
                }
            case .flatten:
                // A Flatten just before the neurons only renames their shape.
                guard steps[i...].allSatisfy({ if case .flatten = $0 { true } else { false } }) else {
                    throw DiagnosticError("\(file): nodes \(names): a Flatten before a convolution")
                }
            case let .scale(_, node):
                throw DiagnosticError("\(file): node '\(node)' (Scale) scales each element differently, and no dense node follows to take it; Tessera composes per-channel scales into convolutions")
            case .dense: break
            }
        }
        // No weights at all: the neurons read their source one to one.
        return .conv(acc ?? .depthwise(channels: source.c, scale: Array(repeating: 1, count: source.c), kernel: (1, 1), stride: (1, 1), padding: (0, 0)))
    }
}
