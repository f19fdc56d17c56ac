import SpikeIR

extension SpikeGraph {
    /// The layers whose channels a user reads side by side: each output, and behind an output
    /// that only moves values (upsampling, flatten), the weighted layer that computes it. A
    /// classifier's or segmenter's scores are compared across channels (the class with the
    /// most spikes wins), so they must share one scale: a per-channel scale, invisible inside
    /// the network because the next layer's weights undo it, would reorder the classes here.
    var readoutLayers: Set<Int> {
        let position = Dictionary(layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var found: Set<Int> = []
        var pending = outputs.compactMap { position[$0] }
        while let k = pending.popLast(), found.insert(k).inserted {
            switch layers[k].op {
            case .upsample, .flatten: pending += layers[k].inputs.compactMap { position[$0] }
            default: break
            }
        }
        return found
    }
}
