import CoreMap
import Emulator
import Reference
import SpikeIR
import TesseraSupport

/// Bias calibration (SNN Calibration, Li et al. 2021, its light pipeline): a converted
/// network fires a little less or more than the ANN it stands for, through quantisation,
/// truncated spike counts and inputs that are themselves spike trains. Layer by layer, in
/// order, the pass runs the spiking network on a few calibration samples, measures each
/// output channel's mean rate and moves the channel's bias (its leak per tick) by the rate
/// it misses times its threshold, so that the mean matches the ANN's on those samples. Each
/// layer is measured with the layers before it already corrected, so errors do not pile up.
///
///     let calibrated = try CalibrateBias(samples: 64, ticks: 32).run(quantised, reference: balanced, calibration: images)
///
/// The ANN's rates come from `reference`, the network before quantisation (``RateForward``:
/// its activations over lambda once balanced); the measured ones from ``FloatSimulator``
/// with the chip's sums (rate-coded inputs, every layer in the same tick). Weighted layers
/// move their bias per output channel; pooling, sums and upsampling have no weights to hold
/// a bias, so their leak moves by the mean over their channels. On an integer network the
/// new biases are rounded and kept within the target's leak width. With `calibratesGain`
/// (the advanced form) each weighted layer first has its gain fitted, through its threshold.
public struct CalibrateBias: Sendable {
    public var samples: Int
    public var ticks: Int
    /// Integer biases and leaks (the network was quantised).
    public var rounds: Bool
    /// The largest leak magnitude the target holds.
    public var biasLimit: Double?

    /// Raise every class's score of a readout by one common amount first, so that on every
    /// calibration sample the winning class fires (``shiftReadout(_:reference:samples:)``).
    public var shiftsReadout: Bool

    /// The advanced form: before its bias, each weighted layer's gain per output channel
    /// (``calibrateGain(_:_:target:measured:)``).
    public var calibratesGain: Bool
    /// The largest threshold the target holds.
    public var thresholdLimit: Double?

    public init(samples: Int, ticks: Int = 32, rounds: Bool = true, biasLimit: Double? = nil, shiftsReadout: Bool = false,
                calibratesGain: Bool = false, thresholdLimit: Double? = nil) {
        self.samples = samples
        self.ticks = ticks
        self.rounds = rounds
        self.biasLimit = biasLimit
        self.shiftsReadout = shiftsReadout
        self.calibratesGain = calibratesGain
        self.thresholdLimit = thresholdLimit
    }

    public func run(_ graph: SpikeGraph, reference: SpikeGraph, calibration: [[String: [Double]]]) throws(DiagnosticError) -> PassResult {
        guard samples >= 1 else { throw DiagnosticError("calibration needs at least one sample (asked for \(samples))") }
        guard ticks >= 1 else { throw DiagnosticError("calibration needs at least one tick per sample (asked for \(ticks))") }
        guard calibration.count >= samples else {
            throw DiagnosticError("calibration asks for \(samples) samples, but the calibration set has \(calibration.count)")
        }
        let set = Array(calibration.prefix(samples))
        let inputs = try encode(set, graph: graph)
        var out = graph, reference = reference
        var log: [String] = []
        if shiftsReadout { log += shiftReadout(&out, reference: &reference, samples: set) }
        let forward = RateForward(reference)
        let targetRates = set.map { forward.run($0) }
        let target = meanRates(targetRates, graph: graph)
        var rates = simulateRates(out, inputs)
        var measured = meanRates(rates, graph: graph)
        let before = measured
        var changes: [Int: String] = [:]
        for k in graph.layers.indices {
            guard out.layers[k].neuron.map({ $0.kind != .binary }) == true, !target[k].isEmpty else { continue }
            var done: [String] = []
            if calibratesGain, let change = calibrateGain(&out, k, target: targetRates.map { $0[k] }, measured: rates.map { $0[k] }) {
                done.append(change)
                rates = simulateRates(out, inputs)
                measured = meanRates(rates, graph: graph)
            }
            guard let neuron = out.layers[k].neuron else { continue }
            let channels = target[k].count
            let shift = (0..<channels).map { c in (target[k][c] - measured[k][c]) * neuron.threshold(channel: c) }
            if let change = correct(&out, k, shift: shift) {
                done.append(change)
                rates = simulateRates(out, inputs)
                measured = meanRates(rates, graph: graph)
            }
            if !done.isEmpty { changes[k] = done.joined(separator: ", ") }
        }
        for (k, layer) in graph.layers.enumerated() {
            guard let change = changes[k] else { continue }
            let mean = { (r: [Double]) in r.reduce(0, +) / Double(max(r.count, 1)) }
            log.append("\(layer.name): mean rate \(fmt(mean(before[k]))) -> \(fmt(mean(measured[k]))) (ANN \(fmt(mean(target[k])))), \(change)")
        }
        if log.isEmpty { log.append("no layer needed a correction on \(samples) samples x \(ticks) ticks") }
        return PassResult(graph: out, log: log)
    }

    /// A classifier's spike counts can only rank classes whose scores are positive: a sample
    /// whose every score is negative gets no spike at all, and counts as a miss, although
    /// the ANN ranks it. Adding one amount to every class's score keeps the ANN's order (the
    /// argmax, and a softmax, ignore a common shift), so each weighted readout layer's
    /// scores (``SpikeGraph/readoutLayers``) are raised by the least amount that gives the
    /// winner, at every position of every calibration sample, one spike in `ticks`. Both the
    /// network and its reference move, so bias calibration then matches the shifted rates.
    func shiftReadout(_ graph: inout SpikeGraph, reference: inout SpikeGraph, samples set: [[String: [Double]]]) -> [String] {
        var log: [String] = []
        let readout = graph.readoutLayers.filter { k in
            switch graph.layers[k].op {
            case .dense, .conv2d, .convTranspose2d: graph.layers[k].neuron.map { $0.kind != .binary } ?? false
            default: false
            }
        }
        for k in readout.sorted() {
            guard let shape = reference.layers[k].shape, shape.count > 0 else { continue }
            let plane = max(shape.height * shape.width, 1)
            // The lowest winning score (current over threshold) over samples and positions.
            var lowest = Double.infinity
            let forward = RateForward(reference)
            for sample in set {
                let z = forward.run(sample, linear: [k])[k]
                guard z.count == shape.count else { continue }
                for p in 0..<plane {
                    lowest = min(lowest, stride(from: p, to: z.count, by: plane).map { z[$0] }.max() ?? .infinity)
                }
            }
            let shift = 1 / Double(ticks) - lowest
            guard lowest.isFinite, shift > 0 else { continue }
            let channels = max(shape.channels, 1)
            _ = correct(&reference, k, shift: (0..<channels).map { shift * (reference.layers[k].neuron?.threshold(channel: $0) ?? 1) }, rounds: false)
            let moved = correct(&graph, k, shift: (0..<channels).map { shift * (graph.layers[k].neuron?.threshold(channel: $0) ?? 1) }, rounds: rounds)
            log.append("\(graph.layers[k].name): every class's score raised by \(fmt(shift)) of a threshold, so that the winner fires on all \(set.count) samples (the lowest winning score was \(fmt(lowest))); \(moved ?? "no change")")
        }
        return log
    }

    /// Moves layer k's bias (per channel) or leak (its mean) by `shift` current per tick;
    /// returns what changed, nil when nothing did.
    private func correct(_ graph: inout SpikeGraph, _ k: Int, shift: [Double], rounds: Bool? = nil) -> String? {
        let layer = graph.layers[k]
        let limit = biasLimit ?? .infinity, rounds = rounds ?? self.rounds
        func settle(_ x: Double) -> Double { min(max(rounds ? x.rounded() : x, -limit), limit) }
        switch layer.op {
        case .dense, .conv2d, .convTranspose2d:
            let old = graph.tensor(layer, "bias")?.values ?? Array(repeating: 0, count: shift.count)
            guard old.count == shift.count else { return nil }
            let new = old.indices.map { settle(old[$0] + shift[$0]) }
            let moved = new.indices.map { new[$0] - old[$0] }
            guard moved.contains(where: { $0 != 0 }) else { return nil }
            guard let tensor = Tensor(shape: [new.count], values: new) else { return nil }
            graph.layers[k].op = layer.op.withBias
            graph.set(graph.layers[k], "bias", tensor, origin: "calibrated")
            return "bias moved by \(fmt(moved.min() ?? 0))..\(fmt(moved.max() ?? 0)) per channel"
        default:
            guard var neuron = layer.neuron else { return nil }
            let old = neuron.leak
            neuron.leak = settle(old + shift.reduce(0, +) / Double(max(shift.count, 1)))
            guard neuron.leak != old else { return nil }
            graph.layers[k].neuron = neuron
            return "leak \(fmt(old)) -> \(fmt(neuron.leak))"
        }
    }

    /// Per layer and output channel, the mean of `rates` over samples and positions.
    private func meanRates(_ rates: [[[Double]]], graph: SpikeGraph) -> [[Double]] {
        graph.layers.enumerated().map { k, layer in
            guard layer.neuron != nil, let shape = layer.shape, shape.count > 0 else { return [] }
            let plane = max(shape.count / max(shape.channels, 1), 1)
            var sum = [Double](repeating: 0, count: max(shape.channels, 1))
            for r in rates where r[k].count == shape.count {
                for (i, x) in r[k].enumerated() { sum[min(i / plane, sum.count - 1)] += x }
            }
            return sum.map { $0 / Double(max(plane * rates.count, 1)) }
        }
    }

    /// The advanced form (weight calibration, here as a gain): a layer whose spiking rates
    /// are a scaled copy of the ANN's, r = t / g, loses its ranking less than its
    /// resolution, and no bias fixes a slope. Per output channel (or for the layer when it
    /// has one threshold), g is the least-squares slope of the ANN's rates against the
    /// measured ones, sum t m / sum m^2, over the elements that fire and do not saturate
    /// (0 < m < 1); multiplying the weights and bias by g is dividing the threshold by it,
    /// which keeps the integer weights and their encoding. The new thresholds are rounded
    /// on an integer network and kept within 1 and the target's threshold width.
    func calibrateGain(_ graph: inout SpikeGraph, _ k: Int, target: [[Double]], measured: [[Double]]) -> String? {
        let layer = graph.layers[k]
        switch layer.op {
        case .dense, .conv2d, .convTranspose2d: break
        default: return nil
        }
        guard var neuron = layer.neuron, let shape = layer.shape, shape.count > 0 else { return nil }
        let channels = max(shape.channels, 1), plane = max(shape.count / channels, 1)
        let perChannel = neuron.channelThresholds != nil
        var (tm, mm) = ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
        for (t, m) in zip(target, measured) where t.count == shape.count && m.count == shape.count {
            for i in m.indices where m[i] > 0 && m[i] < 1 {
                let c = perChannel ? i / plane : 0
                tm[c] += t[i] * m[i]
                mm[c] += m[i] * m[i]
            }
        }
        let limit = thresholdLimit ?? .infinity
        let old = (0..<channels).map { neuron.threshold(channel: $0) }
        let new = (0..<channels).map { c -> Double in
            let g = mm[perChannel ? c : 0] > 0 ? tm[perChannel ? c : 0] / mm[perChannel ? c : 0] : 1
            guard g > 0, g.isFinite else { return old[c] }
            let theta = old[c] / g
            return min(max(rounds ? theta.rounded() : theta, 1), limit)
        }
        guard new != old else { return nil }
        if perChannel { neuron.channelThresholds = new } else { neuron.threshold = new[0] }
        graph.layers[k].neuron = neuron
        return "gain x \(fmtRange(new.indices.map { old[$0] / new[$0] })) (threshold \(fmt(old.min() ?? 0))..\(fmt(old.max() ?? 0)) -> \(fmt(new.min() ?? 0))..\(fmt(new.max() ?? 0)))"
    }

    /// The measured rates of every layer with neurons, per sample and element.
    private func simulateRates(_ graph: SpikeGraph, _ inputs: [SpikeInput]) -> [[[Double]]] {
        let simulator = FloatSimulator(graph, averagesPools: false)
        let names = Set(graph.layers.filter { $0.neuron != nil }.map(\.name))
        return inputs.map { input -> [[Double]] in
            let spikes = simulator.spikes(of: names, input, ticks: ticks)
            return graph.layers.map { layer in
                guard let perTick = spikes[layer.name], let first = perTick.first else { return [] }
                var count = [Double](repeating: 0, count: first.count)
                for tick in perTick { for (i, s) in tick.enumerated() where s != 0 { count[i] += 1 } }
                return count.map { $0 / Double(ticks) }
            }
        }
    }

    /// The samples as rate-coded spike trains, `ticks` long.
    private func encode(_ set: [[String: [Double]]], graph: SpikeGraph) throws(DiagnosticError) -> [SpikeInput] {
        let ports = graph.inputLayers.compactMap { l in l.shape.map { InputPort(name: l.name, shape: [$0.channels, $0.height, $0.width], targets: []) } }
        var inputs: [SpikeInput] = []
        for (i, sample) in set.enumerated() {
            do { inputs.append(try InputEncoder.encode(sample, ports: ports, encoding: .rate, ticks: ticks, seed: 0, sample: i)) } catch {
                throw DiagnosticError("calibration sample \(i): \(error.description)")
            }
        }
        return inputs
    }
}
