import Foundation
import SpikeIR
import TesseraSupport

/// Weight quantisation to the integers a core holds, after threshold balancing: the layer's
/// real weights, bias and threshold are multiplied by one scale S and rounded, so firing
/// (sum >= threshold) is preserved up to rounding. The quantisation error is reported as
/// SQNR per layer: 10 log10(sum w^2 / sum (w - w_q / S)^2).
///
/// - `bits(k)`: symmetric k-bit integers, |w_q| <= 2^(k-1) - 1. S is the largest integer
///   that keeps the largest weight in range (so the threshold stays exact), or the exact
///   ratio when the weights are wider than that.
/// - `trinary`: per output channel, w_q in {-a_c, 0, +a_c}: inputs with |w| above 0.7 x the
///   channel's mean |w| keep their sign, a_c is their mean |w| x S (the channel's scale
///   becomes its neurons' per-type weight), S = 127 / the largest channel scale.
public struct QuantiseWeights: Sendable {
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        case bits(Int)
        case trinary
        public var description: String {
            switch self {
            case let .bits(k): "\(k)-bit"
            case .trinary: "trinary"
            }
        }
    }

    public var mode: Mode
    public init(_ mode: Mode) { self.mode = mode }

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        if case let .bits(k) = mode, !(2...8).contains(k) { throw DiagnosticError("weight quantisation to \(k) bits: k must be 2...8") }
        var out = graph
        var log: [String] = []
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron else { continue }
            guard let w = graph.tensor(layer, "weight") else {
                // Pooling and sums keep unit weights: only their threshold is rounded.
                let rounded = max(1, neuron.threshold.rounded())
                if rounded != neuron.threshold { log.append("\(layer.name): threshold \(fmt(neuron.threshold)) rounded to \(Int(rounded))") }
                neuron.threshold = rounded
                out.layers[k].neuron = neuron
                continue
            }
            let channels = max(w.shape.first ?? 1, 1), per = w.count / channels
            let largest = w.values.map(abs).max() ?? 0
            guard largest > 0 else { continue }
            var q = [Double](repeating: 0, count: w.count)
            let scale: Double
            switch mode {
            case let .bits(bits):
                let top = Double((1 << (bits - 1)) - 1)
                scale = top / largest >= 1 ? (top / largest).rounded(.down) : top / largest
                q = w.values.map { min(max(($0 * scale).rounded(), -top), top) }
            case .trinary:
                var alphas = [Double](repeating: 0, count: channels), masks = [[Double]](repeating: [], count: channels)
                for c in 0..<channels {
                    let row = Array(w.values[(c * per)..<((c + 1) * per)])
                    let delta = 0.7 * row.map(abs).reduce(0, +) / Double(per)
                    let kept = row.filter { abs($0) > delta }
                    alphas[c] = kept.isEmpty ? 0 : kept.map(abs).reduce(0, +) / Double(kept.count)
                    masks[c] = row.map { abs($0) > delta ? ($0 > 0 ? 1 : -1) : 0 }
                }
                scale = 127 / max(alphas.max() ?? 1, .leastNonzeroMagnitude)
                for c in 0..<channels {
                    let a = (alphas[c] * scale).rounded()
                    for i in 0..<per { q[c * per + i] = masks[c][i] * a }
                }
            }
            let signal = w.values.reduce(0) { $0 + $1 * $1 }
            let noise = zip(w.values, q).reduce(0) { $0 + ($1.0 - $1.1 / scale) * ($1.0 - $1.1 / scale) }
            let sqnr = noise == 0 ? Double.infinity : 10 * log10(signal / noise)
            out.set(layer, "weight", Tensor(shape: w.shape, values: q) ?? w, origin: "quantised \(mode)")
            var note = ""
            if let b = graph.tensor(layer, "bias") {
                out.set(layer, "bias", Tensor(shape: b.shape, values: b.values.map { ($0 * scale).rounded() }) ?? b, origin: "quantised \(mode)")
            }
            let threshold = (neuron.threshold * scale).rounded()
            if threshold < 1 { note = "; threshold below 1 after scaling, set to 1" }
            neuron.threshold = max(1, threshold)
            out.layers[k].neuron = neuron
            log.append("\(layer.name): \(mode), scale \(fmt(scale)), threshold \(Int(neuron.threshold)), SQNR \(fmt(sqnr)) dB\(note)")
        }
        return PassResult(graph: out, log: log)
    }
}
