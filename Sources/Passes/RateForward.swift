import SpikeIR

/// The firing rates a converted spiking network stands for, read as the ANN it approximates:
/// an integrate-and-fire neuron driven by a constant current I per tick fires I / θ spikes per
/// tick in the long run, at most one. So each neuron layer's rate is its current (the
/// crossbar sum of its inputs' rates, average pooling with unit weights as on the chip, plus
/// leak and bias) over its channel's threshold, clipped to [0, 1]; a binary neuron fires
/// iff its current reaches the threshold. On a balanced network this is the ANN's
/// activation over lambda, so it is the target bias calibration steers the measured rates to.
///
///     let rates = RateForward(balanced).run(["image": pixels])   // per layer, C x H x W
struct RateForward {
    let graph: SpikeGraph
    let position: [String: Int]

    init(_ graph: SpikeGraph) {
        self.graph = graph
        position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Rates of every layer for one sample (`inputs[port]`: the input's values in [0, 1]).
    /// Layers in `linear` give current over threshold unclipped (a classifier's scores).
    func run(_ inputs: [String: [Double]], linear: Set<Int> = []) -> [[Double]] {
        var rates = [[Double]](repeating: [], count: graph.layers.count)
        for (k, layer) in graph.layers.enumerated() {
            let sources = layer.inputs.compactMap { position[$0] }
            switch layer.op {
            case .input:
                rates[k] = inputs[layer.name] ?? Array(repeating: 0, count: layer.shape?.count ?? 0)
                continue
            case .flatten, .concat:
                rates[k] = sources.flatMap { rates[$0] }
                continue
            default:
                break
            }
            let parameter = { (suffix: String) in layer.parameterKey.flatMap { graph.parameters.tensor("\($0).\(suffix)")?.values } }
            let current = LayerKernel.apply(layer, inputs: sources.map { rates[$0] }, shapes: sources.compactMap { graph.layers[$0].shape }, parameter: parameter)
            guard let neuron = layer.neuron, let shape = layer.shape else { rates[k] = current; continue }
            let bias = parameter("bias") ?? []
            let plane = max(shape.height * shape.width, 1)
            rates[k] = current.indices.map { i in
                let c = i / plane
                let x = current[i] + neuron.leak + (bias.isEmpty ? 0 : bias[min(c, bias.count - 1)])
                let theta = neuron.threshold(channel: c)
                if neuron.kind == .binary { return x >= theta ? 1 : 0 }
                return linear.contains(k) ? x / theta : min(max(x / theta, 0), 1)
            }
        }
        return rates
    }
}
