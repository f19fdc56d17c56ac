/// A layer cut out of its graph to be run alone on a sample of its neurons: a tile of a
/// convolution's outputs with the input window that tile reads (taken inside the input, so
/// that no padding is involved), some of its output channels, or the whole layer on inputs
/// of its sources' shapes. Compile's sampled error of a split layer (`SampledError`) and
/// the decay approximation of a layer too large to run whole (`ApproximateDecay`) measure
/// on such cuts.
///
///     let cut = LayerCut.cut(conv, source: TensorShape(64, 56, 56), output: TensorShape(64, 56, 56), tile: (4, 4), from: graph)
///     // an input of 64 x 6 x 6 (4 outputs of a 3 x 3 kernel read 6 rows), then the layer
public enum LayerCut {
    /// The cuts of a convolution to try, smallest sample last: a tile of `side` x `side`
    /// outputs for each side (every channel), then for each of `channelCounts` below the
    /// layer's, that many output channels at every position and on each tile (an ungrouped
    /// layer only: a grouped one's channels read different inputs).
    ///
    ///     LayerCut.cuts(output: TensorShape(64, 32, 32), groups: 1, sides: [4], channelCounts: [16])
    ///     // [(4x4, all), (every position, 16 channels), (4x4, 16 channels)]
    public static func cuts(output: TensorShape, groups: Int, sides: [Int], channelCounts: [Int]) -> [(tile: (Int, Int)?, channels: [Int]?)] {
        let tiles: [(Int, Int)?] = sides.map { (min($0, output.height), min($0, output.width)) }
        var cuts: [(tile: (Int, Int)?, channels: [Int]?)] = tiles.map { ($0, nil) }
        guard groups == 1 else { return cuts }
        for n in channelCounts where n < output.channels {
            cuts += ([nil] + tiles).map { ($0, spread(n, of: output.channels)) }
        }
        return cuts
    }

    /// `n` of `count` channels, evenly spaced from channel 0.
    ///
    ///     LayerCut.spread(4, of: 1024)   // [0, 256, 512, 768]
    public static func spread(_ n: Int, of count: Int) -> [Int] {
        (0..<min(n, count)).map { $0 * count / min(n, count) }
    }

    /// The layer alone on an input of `source`'s shape (tile nil), or, for a convolution, a
    /// tile of rows x columns outputs on the input window they read, placed at the centre
    /// where that window lies inside the input (nil if it nowhere does). With `channels`, an
    /// ungrouped convolution keeps only those output channels: their weights, biases and
    /// thresholds.
    public static func cut(_ layer: Layer, source: TensorShape, output: TensorShape, tile: (Int, Int)?, channels: [Int]? = nil,
                    from graph: SpikeGraph) -> SpikeGraph? {
        var op = layer.op
        var input = source
        var neuron = layer.neuron
        if let channels {
            guard case var .conv2d(conv) = op, conv.groups == 1, conv.shortcut == nil,
                  channels.allSatisfy({ (0..<conv.outChannels).contains($0) }) else { return nil }
            conv.outChannels = channels.count
            op = .conv2d(conv)
            if let thresholds = neuron?.channelThresholds {
                guard thresholds.count == output.channels else { return nil }
                neuron?.channelThresholds = channels.map { thresholds[$0] }
            }
        }
        if let (rows, columns) = tile {
            guard case var .conv2d(conv) = op,
                  let height = window(conv.vertical, outputs: rows, of: output.height, inputs: source.height),
                  let width = window(conv.horizontal, outputs: columns, of: output.width, inputs: source.width) else { return nil }
            conv.vertical.padding = 0
            conv.horizontal.padding = 0
            op = .conv2d(conv)
            input = TensorShape(source.channels, height, width)
        }
        let x = Layer(name: layer.inputs[0], op: .input(shape: input, encoding: .rate))
        // The layer itself, with every attribute, reading the cut-out input; shape re-inferred.
        var cut = layer
        (cut.op, cut.inputs, cut.shape, cut.neuron) = (op, [x.name], nil, neuron)
        guard let parameters = parameters(of: layer, channels: channels, of: output.channels, from: graph) else { return nil }
        return SpikeGraph(name: "\(graph.name)/\(layer.name)", layers: [x, cut], outputs: [cut.name], parameters: parameters)
    }

    /// The layer's tensors; with `channels`, only those of its `count` output channels (the
    /// rows of each tensor led by the output channel: weight, bias), nil if a tensor is not.
    private static func parameters(of layer: Layer, channels: [Int]?, of count: Int, from graph: SpikeGraph) -> ParameterStore? {
        var parameters = ParameterStore()
        guard let key = layer.parameterKey else { return parameters }
        for name in graph.parameters.keys where name.hasPrefix(key + ".") {
            guard let channels else {
                parameters[name] = graph.parameters[name]
                continue
            }
            guard let tensor = graph.parameters.tensor(name), tensor.shape.first == count else { return nil }
            let row = tensor.count / count
            let values = channels.flatMap { tensor.values[($0 * row)..<(($0 + 1) * row)] }
            guard let picked = Tensor(shape: [channels.count] + tensor.shape.dropFirst(), values: values) else { return nil }
            parameters[name] = .loaded(picked, origin: (graph.parameters.origin(of: name) ?? name) + " (\(channels.count) of \(count) output channels)")
        }
        return parameters
    }

    /// The layer alone, reading a rate-coded input of each of its inputs' shapes (named as
    /// they are, once each). xcorr's template side has no synapses once its template is
    /// bound, so its input only keeps the layer's shape.
    public static func whole(_ layer: Layer, sources: [TensorShape], from graph: SpikeGraph) -> SpikeGraph? {
        var inputs: [Layer] = []
        for (name, shape) in zip(layer.inputs, sources) where !inputs.contains(where: { $0.name == name }) {
            inputs.append(Layer(name: name, op: .input(shape: shape, encoding: .rate)))
        }
        var cut = layer
        cut.shape = nil
        guard let parameters = parameters(of: layer, channels: nil, of: 0, from: graph) else { return nil }
        return SpikeGraph(name: "\(graph.name)/\(layer.name)", layers: inputs + [cut], outputs: [cut.name], parameters: parameters)
    }

    /// The input length `outputs` consecutive outputs of a window read, if some run of them
    /// (of `total`) reads only inside an input of `inputs` positions: (outputs - 1) x stride
    /// + extent.
    public static func window(_ w: Window, outputs: Int, of total: Int, inputs: Int) -> Int? {
        let length = (outputs - 1) * w.stride + w.extent
        // Output o reads o * stride - padding ..< that + extent.
        let first = (w.padding + w.stride - 1) / w.stride
        let last = (inputs - length + w.padding) / w.stride   // the latest first output that fits
        guard length <= inputs, first <= last, first + outputs <= total else { return nil }
        return length
    }
}
