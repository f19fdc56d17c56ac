import SpikeIR

/// The synaptic input of one layer in one tick: for each output neuron, the integer sum of
/// weight x spike over its connections, computed by plain loops from each op's definition.
extension IntegerNetwork {
    /// `inputs[k]` holds input k's spikes (0 or 1) in C x H x W order.
    func current(of layer: Layer, inputs: [[Int]], shapes: [TensorShape]) -> [Int] {
        LayerKernel.apply(layer, inputs: inputs, shapes: shapes) { parameter(layer, $0) }
    }

    /// Each neuron's threshold: the layer's, or its channel's when thresholds are per channel.
    public func threshold(of layer: Layer) -> [Int] {
        guard let out = layer.shape, let neuron = layer.neuron else { return [] }
        let perChannel = max(out.count / max(out.channels, 1), 1)
        return (0..<out.count).map { Int(neuron.threshold(channel: $0 / perChannel)) }
    }

    /// The constant added every tick: the neuron's leak plus its channel's bias.
    public func leak(of layer: Layer) -> [Int] {
        guard let out = layer.shape, let neuron = layer.neuron else { return [] }
        let base = Int(neuron.leak)
        guard let bias = parameter(layer, "bias") else { return Array(repeating: base, count: out.count) }
        let perChannel = out.count / max(out.channels, 1)
        return (0..<out.count).map { base + bias[min($0 / max(perChannel, 1), bias.count - 1)] }
    }
}
