import SpikeIR
import TesseraSupport

extension FiringRates {
    /// Per-layer rates estimated in one pass instead of a simulation, for networks too
    /// large to simulate at compile time: each input element gets the seeded random rate
    /// ``randomStimulus(_:ticks:seed:length:)`` would give it, and each layer's neurons
    /// fire at clamp((weighted input rates + bias + leak) / threshold, 0, 1) spikes per
    /// tick, the rate an integrate-and-fire neuron with reset by subtraction settles at for
    /// a steady input current. Cost: one multiply-add per synapse.
    public static func estimate(_ network: IntegerNetwork, seed: UInt64 = 1) -> FiringRates {
        let graph = network.graph
        var random = SeededRandom(seed: seed)
        let position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var acts = [[Double]](repeating: [], count: graph.layers.count)
        var rates: [String: Double] = [:]
        for (k, layer) in graph.layers.enumerated() {
            let sources = layer.inputs.compactMap { position[$0] }
            switch layer.op {
            case .input:
                acts[k] = (0..<(layer.shape?.count ?? 0)).map { _ in random.nextUnit() }
                continue
            case .flatten:
                acts[k] = sources.first.map { acts[$0] } ?? []
                continue
            case .concat:
                acts[k] = sources.flatMap { acts[$0] }
                continue
            default:
                break
            }
            var current = LayerKernel.apply(layer, inputs: sources.map { acts[$0] }, shapes: sources.compactMap { graph.layers[$0].shape }) { suffix in
                network.parameter(layer, suffix).map { $0.map(Double.init) }
            }
            guard let model = layer.neuron, !current.isEmpty else {
                acts[k] = current
                continue
            }
            let bias = network.parameter(layer, "bias")
            let perChannel = max(current.count / max(layer.shape?.channels ?? 1, 1), 1)
            var sum = 0.0
            for i in current.indices {
                let channel = i / perChannel
                let b = bias.map { Double($0[min(channel, $0.count - 1)]) } ?? 0
                let threshold = max(model.threshold(channel: channel), 1)
                current[i] = min(1, max(0, (current[i] + b + model.leak) / threshold))
                sum += current[i]
            }
            acts[k] = current
            rates[layer.name] = sum / Double(current.count)
        }
        return FiringRates(rates: rates, source: "estimate in one pass (steady-state rate of each neuron for the mean input rates; seeded random input rates, seed \(seed)): the network is too large to simulate at compile time")
    }
}
