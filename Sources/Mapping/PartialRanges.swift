import SpikeIR

extension Compiler {
    /// The ``OffsetCode`` of each weight table of an offset-coded split layer (per output
    /// channel for tiled layers, per neuron for irregular ones): its step and offset cover
    /// the widest per-tick range of any one part, the sums of the part's positive weights
    /// and of its negated negative weights (every input spiking in one tick). A layer cut per
    /// tile (``SplitLayout/positionSlices``) has one code per table and part count, in that
    /// order (table x part counts + the count's index in ``SplitLayout/partCounts``), each
    /// from that slicing's parts.
    ///
    /// Tiled layers read this from the kernel (cost per channel, not per synapse); irregular
    /// ones from each neuron's connections.
    func offsetCodes(_ k: Int, _ analysis: LayerAnalysis, layout: SplitLayout) -> [OffsetCode] {
        let layer = layers[k]
        guard let model = layer.neuron else { return [] }
        // Per element, as the reference takes them: threshold, and leak plus bias.
        let (thresholds, leaks) = (network.threshold(of: layer), network.leak(of: layer))
        let perChannel = max(1, (layer.shape?.height ?? 1) * (layer.shape?.width ?? 1))
        func code(element: Int, range: (positive: Int, negative: Int), parts: Int) -> OffsetCode {
            OffsetCode(threshold: thresholds[element], bias: leaks[element], positive: range.positive, negative: range.negative,
                       parts: parts, initialFraction: model.initialFraction, perThreshold: options.partialStep == .threshold,
                       stagger: layout.stagger, spec: target.core)
        }
        let size = max(layout.sliceSize, 1)
        if let op = analysis.local {
            // One code per part count the layer's tiles use, from that slicing's parts.
            let slicings: [(slices: Int, size: Int)] = layout.positionSlices == nil ? [(layout.slices, size)]
                : layout.partCounts.map { ($0, op.sliceSize(slices: $0)) }
            return (0..<analysis.tables.count).flatMap { co in
                slicings.map { slicing in
                    var widest = (positive: 0, negative: 0)
                    for s in 0..<slicing.slices {
                        let (positive, negative) = op.range(of: co, channels: op.channels(ofSlice: s, size: slicing.size, shortcutSize: layout.shortcutSliceSize))
                        widest = (max(widest.positive, positive), max(widest.negative, negative))
                    }
                    return code(element: co * perChannel, range: widest, parts: slicing.slices)
                }
            }
        }
        // Irregular: part p reads elements p * size ..< (p + 1) * size of its inputs in order.
        let inputIndices = wiring.inputs[k]
        let shapes = inputIndices.compactMap { layers[$0].shape }
        var index: [Source: Int] = [:]
        for (i, source) in wiring.sources(of: k).enumerated() where index[source] == nil { index[source] = i }
        return (0..<analysis.tables.count).map { j in
            var positive = [Int](repeating: 0, count: layout.slices), negative = positive
            for (source, w) in network.connections(of: layer, neuron: j, wiring: wiring, inputs: inputIndices, shapes: shapes) {
                guard let i = index[source] else { continue }
                let s = min(i / size, layout.slices - 1)
                if w > 0 { positive[s] += w } else { negative[s] -= w }
            }
            return code(element: j, range: (positive.max() ?? 0, negative.max() ?? 0), parts: layout.parts)
        }
    }
}
