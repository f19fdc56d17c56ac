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
        layer.thresholds().map { Int($0) }
    }

    /// The constant added every tick: the neuron's leak plus its channel's bias.
    public func leak(of layer: Layer) -> [Int] {
        layer.constants(bias: parameter(layer, "bias").map { $0.map(Double.init) }).map { Int($0) }
    }
}

extension Layer {
    /// Each output element's value of `perChannel(channel)`, in C x H x W order (empty for a
    /// layer without neurons or shape).
    func perElement<T>(_ perChannel: (Int) -> T) -> [T] {
        guard let out = shape, neuron != nil else { return [] }
        let size = max(out.count / max(out.channels, 1), 1)
        return (0..<out.count).map { perChannel($0 / size) }
    }

    /// Each element's threshold: the layer's, or its channel's.
    func thresholds() -> [Double] {
        guard let neuron else { return [] }
        return perElement { neuron.threshold(channel: $0) }
    }

    /// Each element's starting potential, exact (``NeuronModel/initialPotential(channel:)``).
    func initialPotentials() -> [Double] {
        guard let neuron else { return [] }
        return perElement { neuron.initialPotential(channel: $0) }
    }

    /// Each element's constant per tick: the neuron's leak plus its channel's `bias`.
    func constants(bias: [Double]?) -> [Double] {
        guard let neuron else { return [] }
        guard let bias, !bias.isEmpty else { return perElement { _ in neuron.leak } }
        return perElement { neuron.leak + bias[min($0, bias.count - 1)] }
    }
}
