/// The size of one layer as hardware sees it: output neurons, synapses (connections from
/// an input element to an output neuron, padding excluded) and parameter count.
///
/// Synapses are counted structurally from the geometry, never by enumerating edges, so a
/// full-size network is costed in microseconds.
public struct LayerCost: Hashable, Sendable {
    public var neurons: Int
    public var synapses: Int
    public var parameters: Int

    public init(neurons: Int = 0, synapses: Int = 0, parameters: Int = 0) {
        self.neurons = neurons
        self.synapses = synapses
        self.parameters = parameters
    }

    public static func + (a: LayerCost, b: LayerCost) -> LayerCost {
        LayerCost(neurons: a.neurons + b.neurons, synapses: a.synapses + b.synapses, parameters: a.parameters + b.parameters)
    }
}

extension Layer {
    /// The cost of this layer given its inputs' shapes; requires an inferred `shape`.
    public func cost(inputShapes: [TensorShape]) -> LayerCost {
        guard let out = shape, let x = inputShapes.first else { return LayerCost() }
        let neurons = op.hasNeurons ? out.count : 0
        let parameters = op.parameterSlots(inputs: inputShapes).filter { !$0.optional }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        var synapses: Int
        switch op {
        case .input, .flatten, .concat, .batchnorm:
            synapses = 0
        case let .conv2d(c):
            synapses = c.outChannels * (x.channels / c.groups)
                * c.vertical.validTaps(input: x.height, output: out.height)
                * c.horizontal.validTaps(input: x.width, output: out.width)
            if let s = c.shortcut, inputShapes.count > 1 {
                let skip = inputShapes[1]
                synapses += c.outChannels * skip.channels * s.vertical.validTaps(input: skip.height, output: out.height)
                    * s.horizontal.validTaps(input: skip.width, output: out.width)
            }
        case let .convTranspose2d(c):
            synapses = x.channels * (c.outChannels / c.groups)
                * c.vertical.validTransposedTaps(input: x.height, output: out.height)
                * c.horizontal.validTransposedTaps(input: x.width, output: out.width)
        case .dense:
            synapses = x.count * out.count
        case let .avgpool(p), let .sumpool(p):
            synapses = x.channels * p.vertical.validTaps(input: x.height, output: out.height)
                * p.horizontal.validTaps(input: x.width, output: out.width)
        case let .upsample(u):
            switch u.mode {
            case .nearest:
                synapses = out.count
            case .bilinear:
                synapses = x.channels * bilinearTaps(input: x.height, factor: u.factor)
                    * bilinearTaps(input: x.width, factor: u.factor)
            }
        case .add:
            synapses = out.count * inputShapes.count
        case .xcorr:
            let template = inputShapes[0]
            synapses = out.count * template.count
        }
        return LayerCost(neurons: neurons, synapses: synapses, parameters: parameters)
    }
}

/// Connections along one axis of a bilinear upsampling by an integer factor (PyTorch,
/// align_corners = false): output `o` reads source coordinate `(o + 0.5) / f - 0.5`, clamped
/// at 0, from its floor and the next input with linear weights; a zero weight is no synapse.
/// Computed in integers: the coordinate is `(2o + 1 - f) / 2f`.
public func bilinearTaps(input: Int, factor f: Int) -> Int {
    var total = 0
    for o in 0..<(input * f) {
        let numerator = 2 * o + 1 - f
        if numerator <= 0 { total += 1; continue }  // clamped to input 0, weight 1
        let i0 = numerator / (2 * f)
        let fractional = numerator % (2 * f) != 0
        total += (fractional && i0 + 1 < input) ? 2 : 1
    }
    return total
}
