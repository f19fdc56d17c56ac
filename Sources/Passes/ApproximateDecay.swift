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
/// The cost stays with the sample, not the layer: a convolution whose synaptic events over
/// the run exceed `budget` is measured on a cut of it (``LayerCut``: a tile of its outputs
/// from the input window the tile reads, and if need be some of its output channels), and
/// at most `neuronLimit` neurons' currents are kept, evenly spaced. The inputs are random
/// and alike everywhere, so a sample's neurons see what the layer's do.
///
///     let linear = try ApproximateDecay(ticks: 256, seed: 1).run(graph)
public struct ApproximateDecay: Sendable {
    public var ticks: Int
    public var seed: UInt64
    /// Synaptic events (synapses x ticks) a convolution may cost before it is cut: about a
    /// second on this project's 2-core machine.
    public var budget = 500_000_000
    /// Neurons whose currents are kept over the run (8 bytes each a tick).
    public var neuronLimit = 65_536

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
            let (measured, sample) = try self.measured(layer, graph: graph, shapes: graph.inputShapes(of: layer, in: index))
            let picked = LayerCut.spread(neuronLimit, of: measured.shape.count)
            let currents = self.currents(measured.layer, graph: measured.graph, shapes: measured.shapes, seed: seed &+ UInt64(k),
                                         picked: picked.count < measured.shape.count ? picked : nil)
            let bias = measured.graph.tensor(measured.layer, "bias")?.values ?? []
            let perChannel = max(measured.shape.count / max(measured.shape.channels, 1), 1)
            let constant = picked.map { i in bias.isEmpty ? 0 : bias[min(i / perChannel, bias.count - 1)] }
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
            log.append("\(layer.name): decay \(fmt(decay)) -> linear leak \(fmt(best.leak)); rate error over \(ticks) ticks of random input (seed \(seed &+ UInt64(k))): mean \(fmt(best.error.mean)), max \(fmt(best.error.max)) spikes/tick (ignoring the decay: mean \(fmt(ignored.mean)))"
                       + Self.describe(sample: sample, picked: picked.count, of: measured.shape.count, layer: shape.count))
        }
        return PassResult(graph: out, log: log)
    }

    /// The layer's synaptic current per tick and neuron for seeded random input spikes; with
    /// `picked`, only those neurons' (in that order).
    func currents(_ layer: Layer, graph: SpikeGraph, shapes: [TensorShape], seed: UInt64, picked: [Int]? = nil) -> [[Double]] {
        var random = SeededRandom(seed: seed)
        let rates = shapes.map { s in (0..<s.count).map { _ in Double.random(in: 0..<1, using: &random) } }
        return (0..<ticks).map { _ in
            let spikes = rates.map { r in r.map { Double.random(in: 0..<1, using: &random) < $0 ? 1.0 : 0.0 } }
            let all = LayerKernel.apply(layer, inputs: spikes, shapes: shapes) { suffix in
                layer.parameterKey.flatMap { graph.parameters.tensor("\($0).\(suffix)")?.values }
            }
            return picked.map { $0.map { all[$0] } } ?? all
        }
    }

    /// What is measured for one layer: the layer itself on its inputs, or for a convolution
    /// of one input whose synaptic events over the run exceed ``budget``, the first cut that
    /// fits (tiles of 16, 8, 4, 2 and 1 outputs a side, each with every output channel,
    /// then 64, 16, 4 or 1 of them), with the cut's tile and channels.
    func measured(_ layer: Layer, graph: SpikeGraph, shapes: [TensorShape]) throws(DiagnosticError)
        -> (measured: (layer: Layer, graph: SpikeGraph, shapes: [TensorShape], shape: TensorShape), sample: (tile: (Int, Int)?, channels: Int?)?) {
        let whole = (layer: layer, graph: graph, shapes: shapes, shape: layer.shape ?? TensorShape(0, 0, 0))
        guard let output = layer.shape, shapes.count == 1, case let .conv2d(conv) = layer.op else { return (whole, nil) }
        let perOutput = shapes[0].channels / max(conv.groups, 1) * conv.vertical.kernel * conv.horizontal.kernel
        guard output.count.multipliedReportingOverflow(by: perOutput * ticks).partialValue > budget else { return (whole, nil) }
        // As compile's sampled error cuts (``LayerCut``): tiles with every channel, then fewer
        // channels at every position (a dilation wider than the map leaves no tile inside
        // it) or on each tile.
        for (tile, channels) in LayerCut.cuts(output: output, groups: conv.groups, sides: [16, 8, 4, 2, 1], channelCounts: [64, 16, 4, 1]) {
            guard let cut = LayerCut.cut(layer, source: shapes[0], output: output, tile: tile, channels: channels, from: graph) else { continue }
            let verified = try Verifier.verify(cut).graph
            guard GraphSummary(verified).total.synapses * ticks <= budget, let last = verified.layers.last, let shape = last.shape,
                  let input = verified.layers.first?.shape else { continue }
            return ((last, verified, [input], shape), (tile, channels?.count))
        }
        return (whole, nil)
    }

    /// The log's note on what was measured, empty when the layer was run whole.
    static func describe(sample: (tile: (Int, Int)?, channels: Int?)?, picked: Int, of measured: Int, layer: Int) -> String {
        var parts: [String] = []
        if let sample {
            let tile = sample.tile.map { "a \($0.0)x\($0.1) tile of its outputs" } ?? "every output position"
            parts.append(tile + (sample.channels.map { ", \($0) of its output channels" } ?? ""))
        }
        if picked < measured { parts.append("\(picked) of \(measured) neurons, evenly spaced") }
        guard !parts.isEmpty else { return "" }
        return "; measured on " + parts.joined(separator: ", ") + (sample == nil ? "" : " (\(picked) of the layer's \(layer) neurons)")
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
