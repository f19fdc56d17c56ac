import SpikeIR
import TesseraSupport

/// Data-based threshold balancing for rate-coded ANN-to-SNN conversion (Rueckauer et al.
/// 2017): each layer's activations are scaled by lambda, a robust maximum (a percentile of
/// its positive activations on a calibration set, 99.9th by default), so a neuron firing
/// every tick stands for lambda. Weights become W * lambda_in / lambda, biases (now leaks)
/// bias / lambda, thresholds 1 with reset by subtraction; average pooling keeps its unit
/// weights and takes k^2 * lambda / lambda_in as threshold.
///
///     let balanced = try BalanceThresholds(percentile: 99.9).run(graph, calibration: samples)
public struct BalanceThresholds: Sendable {
    public var percentile: Double

    public init(percentile: Double = 99.9) { self.percentile = percentile }

    public func run(_ graph: SpikeGraph, calibration: [[String: [Double]]]) throws(DiagnosticError) -> PassResult {
        guard !calibration.isEmpty else { throw DiagnosticError("threshold balancing needs a calibration set (no samples given)") }
        guard percentile > 0 && percentile <= 100 else { throw DiagnosticError("percentile \(percentile) is not in (0, 100]") }
        let forward = AnalogForward(graph)
        var samples = [[Double]](repeating: [], count: graph.layers.count)
        for sample in calibration {
            for (k, a) in forward.run(sample).enumerated() where graph.layers[k].neuron != nil { samples[k] += a.filter { $0 > 0 } }
        }
        // lambda per layer: inputs (values in [0, 1]) are 1; wiring passes its source's on.
        var lambda = [Double](repeating: 1, count: graph.layers.count)
        var log: [String] = []
        var out = graph
        let position = forward.position
        /// Per element of a layer's first input, the lambda of the layer that produced it.
        func inputScale(_ k: Int) -> [Double] {
            let layer = graph.layers[k]
            return layer.inputs.compactMap { position[$0] }.flatMap { j -> [Double] in
                switch graph.layers[j].op {
                case .flatten, .concat: inputScale(j)
                default: Array(repeating: lambda[j], count: graph.layers[j].shape?.count ?? 0)
                }
            }
        }
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron, let shape = layer.shape else { continue }
            let values = samples[k].sorted()
            let l = values.isEmpty ? 1 : values[min(values.count - 1, Int((percentile / 100 * Double(values.count - 1)).rounded()))]
            lambda[k] = l > 0 ? l : 1
            let scale = inputScale(k)
            switch layer.op {
            case .dense, .conv2d:
                guard let w = graph.tensor(layer, "weight"), let input = graph.layers[position[layer.inputs[0]] ?? 0].shape else { continue }
                var scaled = w.values
                for i in scaled.indices {
                    // The input element (dense, [out, in]) or input channel (conv,
                    // [out, in/groups, kh, kw]) weight i reads, and the lambda it carries.
                    let s: Double
                    if case .dense = layer.op { s = scale[i % max(input.count, 1)] } else {
                        let inPerGroup = w.shape[1], taps = w.shape[2] * w.shape[3]
                        let co = i / (inPerGroup * taps), ci = (i / taps) % inPerGroup
                        let outPerGroup = shape.channels / max(input.channels / inPerGroup, 1)
                        s = scale[min((co / outPerGroup * inPerGroup + ci) * input.height * input.width, scale.count - 1)]
                    }
                    scaled[i] *= s / lambda[k]
                }
                out.set(layer, "weight", Tensor(shape: w.shape, values: scaled) ?? w, origin: "balanced")
                if let b = graph.tensor(layer, "bias") {
                    out.set(layer, "bias", Tensor(shape: b.shape, values: b.values.map { $0 / lambda[k] }) ?? b, origin: "balanced")
                }
                neuron.threshold = 1
            case let .avgpool(pool):
                neuron.threshold = Double(pool.vertical.kernel * pool.horizontal.kernel) * lambda[k] / (scale.first ?? 1)
            default:  // sum pooling, add, upsampling: unit weights
                neuron.threshold = lambda[k] / (scale.first ?? 1)
            }
            neuron.reset = .subtract
            neuron.kind = .integrateAndFire
            out.layers[k].neuron = neuron
            log.append("\(layer.name): lambda = \(fmt(lambda[k])) (\(fmt(percentile))th percentile of \(values.count) positive activations), threshold \(fmt(neuron.threshold))")
        }
        return PassResult(graph: out, log: log)
    }
}
