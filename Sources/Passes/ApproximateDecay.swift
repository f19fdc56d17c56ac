import SpikeIR
import TesseraSupport

/// Replaces the multiplicative decay of `lif` layers (V <- d V each tick, as training
/// frameworks model it) by the constant leak a core has (V <- V + leak). A linear leak
/// removes (1 - d) V only at one membrane level, so the pass measures instead of guessing:
/// it drives the layer alone with seeded random spike trains (each input at its own rate,
/// uniform in [0, 1)) for `ticks` ticks, runs both neurons on the same currents, and keeps
/// the leak -(1 - d) theta j / 16, j = 0...16, whose firing rates differ least from the
/// decaying neuron's. The log reports that leak and its rate error next to the error of
/// ignoring the decay (j = 0).
///
///     let linear = try ApproximateDecay(ticks: 256, seed: 1).run(graph)
public struct ApproximateDecay: Sendable {
    public var ticks: Int
    public var seed: UInt64

    public init(ticks: Int = 256, seed: UInt64 = 1) {
        self.ticks = ticks
        self.seed = seed
    }

    /// The rate error of one candidate leak: mean and largest |rate_lif - rate_linear| over
    /// the layer's neurons, in spikes per tick.
    public struct RateError: Sendable, Equatable {
        public var mean: Double
        public var max: Double
    }

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        guard ticks > 0 else { throw DiagnosticError("decay approximation needs at least one tick (got \(ticks))") }
        var out = graph
        var log: [String] = []
        let index = graph.layersByName
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron, let decay = neuron.decay, let shape = layer.shape else { continue }
            let shapes = graph.inputShapes(of: layer, in: index)
            let currents = self.currents(layer, graph: graph, shapes: shapes, seed: seed &+ UInt64(k))
            let bias = graph.tensor(layer, "bias")?.values ?? []
            let perChannel = max(shape.count / max(shape.channels, 1), 1)
            let constant = (0..<shape.count).map { i in bias.isEmpty ? 0 : bias[min(i / perChannel, bias.count - 1)] }
            let reference = Self.rates(currents, constant: constant, neuron: neuron) { v, i in decay * v + i }
            var best: (leak: Double, error: RateError)?
            var ignored: RateError?
            for j in 0...16 {
                let leak = neuron.leak - (1 - decay) * neuron.threshold * Double(j) / 16
                let rates = Self.rates(currents, constant: constant, neuron: neuron) { v, i in v + i + leak }
                let diffs = zip(reference, rates).map { abs($0 - $1) }
                let error = RateError(mean: diffs.reduce(0, +) / Double(max(diffs.count, 1)), max: diffs.max() ?? 0)
                if j == 0 { ignored = error }
                if best.map({ error.mean < $0.error.mean }) ?? true { best = (leak, error) }
            }
            guard let best, let ignored else { continue }
            neuron.decay = nil
            neuron.leak = best.leak
            out.layers[k].neuron = neuron
            log.append("\(layer.name): decay \(fmt(decay)) -> linear leak \(fmt(best.leak)); rate error over \(ticks) ticks of random input (seed \(seed &+ UInt64(k))): mean \(fmt(best.error.mean)), max \(fmt(best.error.max)) spikes/tick (ignoring the decay: mean \(fmt(ignored.mean)))")
        }
        return PassResult(graph: out, log: log)
    }

    /// The layer's synaptic current per tick and neuron for seeded random input spikes.
    func currents(_ layer: Layer, graph: SpikeGraph, shapes: [TensorShape], seed: UInt64) -> [[Double]] {
        var random = SeededRandom(seed: seed)
        let rates = shapes.map { s in (0..<s.count).map { _ in Double.random(in: 0..<1, using: &random) } }
        return (0..<ticks).map { _ in
            let spikes = rates.map { r in r.map { Double.random(in: 0..<1, using: &random) < $0 ? 1.0 : 0.0 } }
            return LayerKernel.apply(layer, inputs: spikes, shapes: shapes) { suffix in
                layer.parameterKey.flatMap { graph.parameters.tensor("\($0).\(suffix)")?.values }
            }
        }
    }

    /// Firing rates of the layer's neurons under `update` (the membrane after one tick's
    /// current, before the threshold test), with the neuron's threshold and reset.
    static func rates(_ currents: [[Double]], constant: [Double], neuron: NeuronModel,
                      update: (Double, Double) -> Double) -> [Double] {
        guard let count = currents.first?.count else { return [] }
        var v = [Double](repeating: 0, count: count), fired = [Double](repeating: 0, count: count)
        for current in currents {
            for i in 0..<count {
                var x = update(v[i], current[i] + constant[min(i, constant.count - 1)])
                let threshold = neuron.threshold
                if x >= threshold {
                    fired[i] += 1
                    switch neuron.reset {
                    case .subtract: x -= threshold
                    case .zero: x = 0
                    case .none: break
                    }
                }
                v[i] = x
            }
        }
        return fired.map { $0 / Double(currents.count) }
    }
}
