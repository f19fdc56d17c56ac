import SpikeIR
import TesseraSupport

extension FiringRates {
    /// Per-layer rates estimated in one pass over the weights instead of a simulation, for
    /// networks too large to simulate at compile time. Every input element fires at the mean
    /// rate of the seeded random input the reference measurement draws (0.5 spikes per
    /// tick), and each channel's neurons at clamp((weighted input rates + bias + leak) /
    /// threshold, 0, 1): the rate an integrate-and-fire neuron with reset by subtraction
    /// settles at for a steady input current. Inside a feature map every position of a
    /// channel then sees the same current, so a channel is computed once, not once per
    /// position (borders are read as the interior). Cost: one multiply-add per weight.
    public static func estimate(_ network: IntegerNetwork) -> FiringRates {
        let graph = network.graph
        let position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var acts = [ChannelRates](repeating: ChannelRates(values: [], perValue: 1), count: graph.layers.count)
        var rates: [String: Double] = [:]
        for (k, layer) in graph.layers.enumerated() {
            let sources = layer.inputs.compactMap { position[$0] }
            let inputs = sources.map { acts[$0] }
            let shapes = sources.compactMap { graph.layers[$0].shape }
            if case .input = layer.op {
                let shape = layer.shape ?? TensorShape(0, 1, 1)
                acts[k] = ChannelRates(values: Array(repeating: randomInputRate, count: shape.channels), perValue: shape.height * shape.width)
                continue
            }
            var current = ChannelRates.current(layer, inputs: inputs, shapes: shapes) { suffix in
                network.parameter(layer, suffix).map { $0.map(Double.init) }
            }
            guard let model = layer.neuron, let shape = layer.shape, !current.values.isEmpty else {
                acts[k] = current
                continue
            }
            let bias = network.parameter(layer, "bias")
            let perChannel = max(shape.count / max(shape.channels, 1), 1)
            var sum = 0.0
            for j in current.values.indices {
                let channel = min(j * current.perValue / perChannel, shape.channels - 1)
                let b = bias.map { Double($0[min(channel, $0.count - 1)]) } ?? 0
                let threshold = max(model.threshold(channel: channel), 1)
                current.values[j] = min(1, max(0, (current.values[j] + b + model.leak) / threshold))
                sum += current.values[j]
            }
            acts[k] = current
            rates[layer.name] = sum / Double(current.values.count)
        }
        return FiringRates(rates: rates, source: "estimate in one pass (steady-state rate of each channel for input at the random input's mean rate, \(randomInputRate)): the network is too large to simulate at compile time")
    }
}

/// A layer's activity as the estimate keeps it: element i of the layer (C x H x W order)
/// has `values[i / perValue]`, so a feature map holds one value per channel and a dense
/// layer one per neuron.
struct ChannelRates {
    var values: [Double]
    var perValue: Int

    func value(element i: Int) -> Double { values.isEmpty ? 0 : values[min(i / perValue, values.count - 1)] }

    /// The steady synaptic current per value of `layer` for inputs at these rates: each
    /// op's weights summed against the rates they read, as ``LayerKernel`` defines them
    /// for one interior position.
    static func current(_ layer: Layer, inputs: [ChannelRates], shapes: [TensorShape], parameter: (String) -> [Double]?) -> ChannelRates {
        guard let out = layer.shape, let x = shapes.first, let first = inputs.first else { return ChannelRates(values: [], perValue: 1) }
        let plane = out.height * out.width
        func channel(_ r: ChannelRates, _ c: Int, _ s: TensorShape) -> Double { r.value(element: c * s.height * s.width) }
        switch layer.op {
        case let .conv2d(conv):
            let w = parameter("weight") ?? []
            let inPerGroup = x.channels / max(conv.groups, 1), outPerGroup = conv.outChannels / max(conv.groups, 1)
            let taps = conv.vertical.kernel * conv.horizontal.kernel
            let values = (0..<out.channels).map { co in
                let group = co / max(outPerGroup, 1)
                var sum = 0.0
                for ci in 0..<inPerGroup {
                    let r = channel(first, group * inPerGroup + ci, x)
                    let base = (co * inPerGroup + ci) * taps
                    for t in 0..<taps where base + t < w.count { sum += w[base + t] * r }
                }
                // A residual block's shortcut, read from the second input.
                if let shortcut = conv.shortcut, inputs.count > 1, shapes.count > 1, let s = parameter("shortcut") {
                    let (z, skipTaps) = (shapes[1], shortcut.vertical.kernel * shortcut.horizontal.kernel)
                    for ci in 0..<z.channels {
                        let r = channel(inputs[1], ci, z)
                        let base = (co * z.channels + ci) * skipTaps
                        for t in 0..<skipTaps where base + t < s.count { sum += s[base + t] * r }
                    }
                }
                return sum
            }
            return ChannelRates(values: values, perValue: plane)
        case let .convTranspose2d(conv):
            // Each input position feeds kernel taps spread over stride x stride outputs.
            let w = parameter("weight") ?? []
            let inPerGroup = x.channels / max(conv.groups, 1), outPerGroup = conv.outChannels / max(conv.groups, 1)
            let taps = conv.vertical.kernel * conv.horizontal.kernel
            let spread = Double(max(conv.vertical.stride, 1) * max(conv.horizontal.stride, 1))
            var values = [Double](repeating: 0, count: out.channels)
            for ci in 0..<x.channels {
                let group = ci / max(inPerGroup, 1), r = channel(first, ci, x)
                for co in 0..<outPerGroup {
                    let base = (ci * outPerGroup + co) * taps
                    var sum = 0.0
                    for t in 0..<taps where base + t < w.count { sum += w[base + t] }
                    values[group * outPerGroup + co] += sum * r / spread
                }
            }
            return ChannelRates(values: values, perValue: plane)
        case .dense:
            let w = parameter("weight") ?? []
            let n = x.count
            let input = (0..<n).map { first.value(element: $0) }
            let values = (0..<out.count).map { o in
                var sum = 0.0
                for i in 0..<n where o * n + i < w.count { sum += w[o * n + i] * input[i] }
                return sum
            }
            return ChannelRates(values: values, perValue: 1)
        case let .avgpool(pool), let .sumpool(pool):
            let taps = Double(pool.vertical.kernel * pool.horizontal.kernel)
            return ChannelRates(values: (0..<out.channels).map { channel(first, $0, x) * taps }, perValue: plane)
        case .upsample, .flatten:
            return first
        case .add:
            return ChannelRates(values: (0..<out.channels).map { c in zip(inputs, shapes).reduce(0) { $0 + channel($1.0, c, $1.1) } }, perValue: plane)
        case .concat:
            return ChannelRates(values: zip(inputs, shapes).flatMap { r, s in (0..<s.channels).map { channel(r, $0, s) } }, perValue: plane)
        case .xcorr:
            // The bound template slides over the search map, the second input.
            guard shapes.count == 2, inputs.count == 2, let t = parameter("template") else { return ChannelRates(values: [], perValue: 1) }
            let (s, z) = (shapes[1], shapes[0])
            let area = z.height * z.width
            var sum = 0.0
            for c in 0..<s.channels {
                let r = channel(inputs[1], c, s)
                for i in 0..<area where c * area + i < t.count { sum += t[c * area + i] * r }
            }
            return ChannelRates(values: [sum], perValue: plane)
        case .input, .batchnorm:
            return ChannelRates(values: [], perValue: 1)
        }
    }
}
