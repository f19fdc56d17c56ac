import SpikeIR
import TesseraSupport

/// A residual block's Add, `relu(bn(conv(h)) + x)`: the branches are not rectified (a
/// convolution's sum, through its batch norm), so no spiking layer carries either alone. The
/// block becomes one convolution whose neurons read both: its own window on h, and a
/// shortcut on the skip input, the identity (unit weights, one channel onto the same one) or
/// a projection (a 1x1 convolution, strided or not, with its batch norm). Batch norms are
/// folded into the weights here, since the two branches meet inside one layer.
extension ONNXLowering {
    /// One unrectified branch of a residual Add: the convolution, its weights and bias with
    /// any batch norm after it folded in, and the layers that lowering replaces.
    struct Branch {
        var index: Int
        var conv: Convolution
        var weight: Tensor
        var bias: [Double]
        /// The layer names this branch was made of (the conv, and its batch norm).
        var names: [String]
    }

    mutating func lowerResidual(_ node: ONNXNode, _ a: Activation, _ b: Activation) throws(DiagnosticError) {
        let pending = [a, b].filter { $0.state != .rectified }
        for v in [a, b] where v.chain != nil && v.state != .rectified {
            throw node.error("adds the output of elementwise ops on \(v.producer) that are not an activation; a residual Add reads a convolution's sum (or its batch norm) and a rectified tensor or another sum")
        }
        guard a.shape == b.shape else {
            throw node.error("adds \(a.producer) (\(a.shape)) and \(b.producer) (\(b.shape)); the branches of a residual block must have one shape (a projection shortcut, a strided 1x1 Conv, makes them meet)")
        }
        let main: Branch, shortcut: Shortcut, skipInput: String, skipWeight: Tensor, skipBias: [Double]
        var replaced: [String]
        if pending.count == 1 {
            // Identity shortcut: the rectified branch is the skip input, read one to one.
            let (sum, skip) = a.state == .rectified ? (b, a) : (a, b)
            main = try branch(node, sum)
            let c = skip.shape.channels
            // The identity is stored as a full matrix, c x c weights.
            guard c <= 1 << 12 else { throw node.error("its identity shortcut has \(c) channels; Tessera writes an identity shortcut as a c x c matrix and takes at most 4096") }
            guard let identity = Tensor(shape: [c, c, 1, 1], values: (0..<(c * c)).map { $0 / c == $0 % c ? 1 : 0 }) else { throw node.error("has no channels") }
            (shortcut, skipInput, skipWeight, skipBias, replaced) = (Shortcut(), skip.layer, identity, [], main.names)
        } else {
            // Projection: the branch that is a dense convolution, the smaller one, is the shortcut.
            let first = try branch(node, a), second = try branch(node, b)
            func dense(_ x: Branch) -> Bool { x.conv.groups == 1 && x.conv.vertical.dilation == 1 && x.conv.horizontal.dilation == 1 }
            func taps(_ x: Branch) -> Int { x.conv.vertical.kernel * x.conv.horizontal.kernel }
            let firstIsSkip = dense(first) && (!dense(second) || taps(first) < taps(second))
            guard dense(first) || dense(second) else {
                throw node.error("adds two convolutions with groups or dilation (\(a.producer), \(b.producer)); a shortcut must be a dense convolution (ResNet's 1x1 projection)")
            }
            let (sum, skip) = firstIsSkip ? (second, first) : (first, second)
            main = sum
            guard let input = layers[skip.index].inputs.first else { throw node.error("its shortcut reads nothing") }
            (shortcut, skipInput, skipWeight, skipBias) = (Shortcut(vertical: skip.conv.vertical, horizontal: skip.conv.horizontal), input, skip.weight, skip.bias)
            replaced = main.names + skip.names
        }
        var conv = main.conv
        conv.shortcut = shortcut
        conv.bias = true
        let bias = main.bias.indices.map { main.bias[$0] + (skipBias.isEmpty ? 0 : skipBias[$0]) }
        guard let mainInput = layers[main.index].inputs.first, let biasTensor = Tensor(shape: [bias.count], values: bias) else {
            throw node.error("its convolution reads nothing")
        }
        let name = layers[main.index].name
        let origin = "\(file): residual block at \(node.brief)"
        // The block's layer takes the Add's place at the end (its inputs all come before it)
        // and the layers it replaces go.
        var layer = layers[main.index]
        (layer.op, layer.inputs, layer.parameterKey, layer.shape) = (.conv2d(conv), [mainInput, skipInput], name, a.shape)
        layers.removeAll { replaced.contains($0.name) }
        for key in tensors.keys where replaced.contains(where: { key.hasPrefix($0 + ".") }) { tensors[key] = nil }
        layers.append(layer)
        tensors["\(name).weight"] = (main.weight, origin)
        tensors["\(name).bias"] = (biasTensor, origin)
        tensors["\(name).shortcut"] = (skipWeight, origin)
        define(node, .activation(Activation(layer: name, shape: a.shape, state: .pending, flat: false,
                                            producer: "residual conv2d layer '\(name)' (\(node.brief))")))
    }

    /// The convolution behind an unrectified tensor, with its batch norm folded in.
    func branch(_ node: ONNXNode, _ v: Activation) throws(DiagnosticError) -> Branch {
        var names = [v.layer]
        var convName = v.layer
        var affine: (scale: [Double], shift: [Double])?
        if v.state == .normalised, let bn = layers.first(where: { $0.name == v.layer }), case let .batchnorm(norm) = bn.op, let source = bn.inputs.first {
            convName = source
            names.append(source)
            guard let gamma = tensors["\(bn.name).weight"]?.tensor.values, let beta = tensors["\(bn.name).bias"]?.tensor.values,
                  let mean = tensors["\(bn.name).running_mean"]?.tensor.values, let variance = tensors["\(bn.name).running_var"]?.tensor.values else {
                throw node.error("the batch norm '\(bn.name)' before it has no statistics")
            }
            affine = norm.affine(gamma: gamma, beta: beta, mean: mean, variance: variance)
        }
        guard let index = layers.firstIndex(where: { $0.name == convName }), case let .conv2d(conv) = layers[index].op,
              let w = tensors["\(convName).weight"]?.tensor else {
            throw node.error("adds \(v.producer) before any Relu; Tessera lowers a residual Add whose unrectified branches are convolutions (through their batch norm)")
        }
        var bias = tensors["\(convName).bias"]?.tensor.values ?? Array(repeating: 0, count: conv.outChannels)
        var weight = w
        if let (scale, shift) = affine {
            weight = w.scaledPerChannel(scale)
            bias = bias.indices.map { scale[$0] * bias[$0] + shift[$0] }
        }
        return Branch(index: index, conv: conv, weight: weight, bias: bias, names: names)
    }
}
