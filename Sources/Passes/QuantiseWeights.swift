import Foundation
import SpikeIR
import TesseraSupport

/// Weight quantisation to the integers a core holds, after threshold balancing: a channel's
/// real weights, bias, leak and threshold are multiplied by one scale S and rounded, so
/// firing (sum + bias >= threshold) is preserved up to rounding. The quantisation error is
/// reported as SQNR per layer: 10 log10(sum w^2 / sum (w - w_q / S)^2).
///
/// - `bits(k)`: symmetric k-bit integers, |w_q| <= 2^(k-1) - 1. S maximises the SQNR
///   among 1 to 4 times top / largest weight (weights beyond the top clip: with 2 or 3 bits
///   clipping a few outliers beats rounding most weights to 0), rounded to an integer when
///   at least 1 so an integer threshold stays exact.
/// - `trinary`: per output channel, w_q in {-a_c, 0, +a_c}: inputs with |w| above 0.7 x the
///   channel's mean |w| keep their sign, a_c is their mean |w| x S (the channel's scale
///   becomes its neurons' per-type weight); S = 127 / the largest channel's a.
///
/// Per layer, one S serves the whole layer. Per channel, each output channel c gets its own
/// S_c (k-bit: from its own largest weight; trinary: 127 / a_c, so every weight is +-127)
/// and its threshold becomes theta x S_c: a hardware neuron has its own threshold, so
/// channels with small weights keep their resolution. A linear leak then joins each
/// channel's bias, because the IR keeps one leak per layer.
///
/// With `limits` (a target's widths), a scale is capped so that biases and thresholds
/// still fit their registers; the log says where a cap applied.
///
///     let q = try QuantiseWeights(.bits(4), granularity: .channel).run(balanced)
public struct QuantiseWeights: Sendable {
    public typealias Mode = WeightFormat
    public typealias Granularity = ScaleGranularity

    /// The largest |bias| and threshold a neuron can hold (a target's leak and threshold widths).
    public struct Limits: Sendable, Equatable {
        public var bias: Double
        public var threshold: Double
        public init(bias: Int, threshold: Int) {
            self.bias = Double(bias)
            self.threshold = Double(threshold)
        }
    }

    public var mode: Mode
    public var granularity: Granularity
    public var limits: Limits?
    /// Layers quantised otherwise than `mode`, by name.
    public var layerModes: [String: Mode]
    public init(_ mode: Mode, granularity: Granularity = .layer, limits: Limits? = nil, layers: [String: Mode] = [:]) {
        self.mode = mode
        self.granularity = granularity
        self.limits = limits
        self.layerModes = layers
    }

    /// The scale of `values` onto integers in [-top, top] with the least squared error.
    static func scale(_ values: [Double], top: Double) -> Double {
        guard let largest = values.map(abs).max(), largest > 0 else { return 1 }
        var best = (scale: 1.0, noise: Double.infinity)
        for step in 0...60 {
            var s = top / largest * (1 + Double(step) / 20)
            if s >= 1 { s = s.rounded() }
            let noise = values.reduce(0) { n, w in let e = w - min(max((w * s).rounded(), -top), top) / s; return n + e * e }
            if noise < best.noise { best = (s, noise) }
        }
        return best.scale
    }

    /// `scale` lowered, if needed, so that bias x scale and threshold x scale fit `limits`.
    func capped(_ scale: Double, bias: Double, threshold: Double) -> Double {
        guard let limits else { return scale }
        var s = scale
        if abs(bias) * s > limits.bias { s = limits.bias / abs(bias) }
        if threshold * s > limits.threshold { s = limits.threshold / threshold }
        return s >= 1 && s < scale ? s.rounded(.down) : s
    }

    /// The first weight tensor of `graph` (by name) holding a value that is not an integer in
    /// `range`, or nil when every weight already fits a core: such a network cannot be
    /// compiled until it is quantised.
    public static func firstInexactWeights(in graph: SpikeGraph, range: ClosedRange<Int>) -> String? {
        for layer in graph.layers where layer.neuron != nil {
            guard let key = layer.parameterKey, let w = graph.tensor(layer, "weight") else { continue }
            if w.values.contains(where: { $0 != $0.rounded() || !range.contains(Int($0)) }) { return "\(key).weight" }
        }
        return nil
    }

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        for case let .bits(k) in [mode] + layerModes.values where !(2...8).contains(k) {
            throw DiagnosticError("weight quantisation to \(k) bits: k must be 2...8")
        }
        var out = graph
        var log: [String] = []
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron else { continue }
            let mode = layerModes[layer.name] ?? self.mode
            let binary = neuron.kind == .binary
            guard let w = graph.tensor(layer, "weight"), let shape = layer.shape else {
                // Pooling and sums keep unit weights: only their threshold is rounded.
                let rounded = binary ? neuron.threshold.rounded() : max(1, neuron.threshold.rounded())
                if rounded != neuron.threshold { log.append("\(layer.name): threshold \(fmt(neuron.threshold)) rounded to \(Int(rounded))") }
                neuron.threshold = rounded
                out.layers[k].neuron = neuron
                continue
            }
            let channels = max(shape.channels, 1)
            // A residual convolution's shortcut weights feed the same neurons: each channel's
            // members are its weights and then its shortcut weights, under one scale.
            let shortcut = graph.tensor(layer, "shortcut")
            let values = w.values + (shortcut?.values ?? [])
            var members = layer.op.channelMembers(weightShape: w.shape, count: w.count, channels: channels)
            if let shortcut {
                let per = max(shortcut.count / channels, 1)
                for i in shortcut.values.indices { members[min(i / per, channels - 1)].append(w.count + i) }
            }
            guard values.contains(where: { $0 != 0 }) else { continue }
            var q = [Double](repeating: 0, count: values.count)
            var scales = [Double](repeating: 1, count: channels)
            let bias = graph.tensor(layer, "bias")
            var capped = false
            /// Scales within `limits`: per channel each on its own, per layer all by the tightest.
            func capping(_ proposed: [Double]) -> [Double] {
                var result = proposed.indices.map { c in
                    self.capped(proposed[c], bias: (bias.map { $0.values[min(c, $0.count - 1)] } ?? 0) + neuron.leak,
                                threshold: neuron.threshold(channel: c))
                }
                if granularity == .layer, let low = result.min() { result = result.map { _ in low } }
                capped = zip(result, proposed).contains { $0 < $1 }
                return result
            }
            switch mode {
            case let .bits(bits):
                let top = Double((1 << (bits - 1)) - 1)
                let layerScale = granularity == .layer ? Self.scale(values, top: top) : 1
                scales = members.map { m in granularity == .channel ? Self.scale(m.map { values[$0] }, top: top) : layerScale }
                scales = capping(scales)
                for c in 0..<channels { for i in members[c] { q[i] = min(max((values[i] * scales[c]).rounded(), -top), top) } }
            case .trinary:
                var alphas = [Double](repeating: 0, count: channels), signs = [Double](repeating: 0, count: values.count)
                for c in 0..<channels where !members[c].isEmpty {
                    let row = members[c].map { values[$0] }
                    let delta = 0.7 * row.map(abs).reduce(0, +) / Double(row.count)
                    let kept = row.filter { abs($0) > delta }
                    alphas[c] = kept.isEmpty ? 0 : kept.map(abs).reduce(0, +) / Double(kept.count)
                    for i in members[c] { signs[i] = abs(values[i]) > delta ? (values[i] > 0 ? 1 : -1) : 0 }
                }
                let layerScale = 127 / max(alphas.max() ?? 1, .leastNonzeroMagnitude)
                scales = capping(alphas.map { granularity == .channel && $0 > 0 ? 127 / $0 : layerScale })
                for c in 0..<channels { for i in members[c] { q[i] = signs[i] * (alphas[c] * scales[c]).rounded() } }
            }
            var signal = 0.0, noise = 0.0
            if capped { log.append("\(layer.name): scale lowered so that biases and thresholds fit the target's widths") }
            for c in 0..<channels {
                for i in members[c] {
                    signal += values[i] * values[i]
                    noise += (values[i] - q[i] / scales[c]) * (values[i] - q[i] / scales[c])
                }
            }
            let sqnr = noise == 0 ? Double.infinity : 10 * log10(signal / noise)
            out.set(layer, "weight", Tensor(shape: w.shape, values: Array(q[..<w.count])) ?? w, origin: "quantised \(mode)")
            if let shortcut {
                out.set(layer, "shortcut", Tensor(shape: shortcut.shape, values: Array(q[w.count...])) ?? shortcut, origin: "quantised \(mode)")
            }
            let floor: Double = binary ? -.infinity : 1
            var note = ""
            if granularity == .channel {
                // Each channel's leak, bias and threshold take that channel's scale.
                let leak = neuron.leak
                let values = (0..<channels).map { c in ((bias.map { $0.values[min(c, $0.count - 1)] } ?? 0) + leak) * scales[c] }
                if bias != nil || leak != 0 {
                    out.layers[k].op = layer.op.withBias
                    out.set(layer, "bias", Tensor(shape: [channels], values: values.map { $0.rounded() }) ?? w, origin: "quantised \(mode)")
                }
                neuron.leak = 0
                let thresholds = (0..<channels).map { c in (neuron.threshold(channel: c) * scales[c]).rounded() }
                if thresholds.contains(where: { $0 < floor }) { note = "; thresholds below 1 after scaling set to 1" }
                neuron.channelThresholds = thresholds.map { max(floor, $0) }
            } else {
                let scale = scales[0]
                if let bias { out.set(layer, "bias", Tensor(shape: bias.shape, values: bias.values.map { ($0 * scale).rounded() }) ?? bias, origin: "quantised \(mode)") }
                neuron.leak = (neuron.leak * scale).rounded()
                let threshold = (neuron.threshold * scale).rounded()
                if threshold < floor { note = "; threshold below 1 after scaling, set to 1" }
                neuron.threshold = max(floor, threshold)
                neuron.channelThresholds = nil
            }
            out.layers[k].neuron = neuron
            let scaleText = granularity == .channel ? "scales \(fmt(scales.min() ?? 0))..\(fmt(scales.max() ?? 0)) per channel" : "scale \(fmt(scales[0]))"
            let thresholdText = neuron.channelThresholds.map { "thresholds \(Int($0.min() ?? 0))..\(Int($0.max() ?? 0))" } ?? "threshold \(Int(neuron.threshold))"
            log.append("\(layer.name): \(mode), \(scaleText), \(thresholdText), SQNR \(fmt(sqnr)) dB\(note)")
        }
        return PassResult(graph: out, log: log)
    }
}
