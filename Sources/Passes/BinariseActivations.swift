import Foundation
import SpikeIR
import TesseraSupport

/// Brings the binary (Eedn) layers of a network trained with binary activations to exact
/// integers: a binary neuron of channel c fires iff a_c s + b_c + leak >= theta_c, where s is
/// the integer sum of its +-1 (or integer) weights over the input bits and a_c its channel's
/// weight magnitude. Since s is an integer, that is s >= m_c = ceil((theta_c - b_c - leak) / a_c),
/// so the layer becomes weights w / a_c, bias 1 - m_c, leak 0 and threshold 1, firing on
/// exactly the same inputs. Real-valued scales, biases and thresholds thus cost nothing.
///
/// A channel qualifies when its nonzero weights share one magnitude a_c (XNOR-style
/// binary or trinary weights), or when they are all integers (a_c = 1). Anything else is
/// an error naming the layer: quantise it to trinary first.
///
///     let exact = try BinariseActivations().run(graph)   // log: "h1: 64 channels, fires iff s >= -3..5"
public struct BinariseActivations: Sendable {
    public init() {}

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        var out = graph
        var log: [String] = []
        var diagnostics = Diagnostics()
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron, neuron.kind == .binary, let shape = layer.shape,
                  let w = graph.tensor(layer, "weight") else { continue }
            let channels = max(shape.channels, 1)
            let members = layer.op.channelMembers(weightShape: w.shape, count: w.count, channels: channels)
            let bias = graph.tensor(layer, "bias")?.values
            var weights = w.values
            var minimum = [Double](repeating: 0, count: channels)
            for c in 0..<channels {
                let magnitudes = Set(members[c].map { abs(w.values[$0]) }.filter { $0 != 0 })
                let alpha: Double
                if magnitudes.count <= 1 {
                    alpha = magnitudes.first ?? 1
                } else if magnitudes.allSatisfy({ $0 == $0.rounded() }) {
                    alpha = 1
                } else {
                    diagnostics.error("binary \(layer.op.name) '\(layer.name)': channel \(c) has \(magnitudes.count) distinct non-integer weight magnitudes; a binary layer needs one magnitude per channel (quantise it to trinary first) or integer weights", at: layer.location)
                    break
                }
                for i in members[c] { weights[i] = w.values[i] / alpha }
                // s ranges over [-fan-in, fan-in]: clamping m keeps it exact and small.
                let fanIn = Double(members[c].reduce(0) { $0 + abs(Int(weights[$1])) })
                let b = bias.map { $0[min(c, $0.count - 1)] } ?? 0
                let needed = ((neuron.threshold(channel: c) - b - neuron.leak) / alpha).rounded(.up)
                minimum[c] = min(max(needed, -fanIn), fanIn + 1)
            }
            out.set(layer, "weight", Tensor(shape: w.shape, values: weights) ?? w, origin: "binarised")
            out.layers[k].op = layer.op.withBias
            out.set(out.layers[k], "bias", Tensor(shape: [channels], values: minimum.map { 1 - $0 }) ?? w, origin: "binarised")
            neuron.threshold = 1
            neuron.channelThresholds = nil
            neuron.leak = 0
            out.layers[k].neuron = neuron
            log.append("\(layer.name): \(channels) binary channels fire iff their integer sum reaches \(Int(minimum.min() ?? 0))..\(Int(minimum.max() ?? 0)) (bias 1 - m, threshold 1)")
        }
        try diagnostics.throwIfErrors()
        return PassResult(graph: out, log: log)
    }
}
