import SpikeIR
import TesseraSupport

/// Data-based threshold balancing for rate-coded ANN-to-SNN conversion (Rueckauer et al.
/// 2017): each layer's activations are scaled by lambda, a robust maximum (a percentile of
/// its positive activations on a calibration set, 99.9th by default), so a neuron firing
/// every tick stands for lambda. Weights become W * lambda_in / lambda, biases (now leaks)
/// bias / lambda, thresholds 1 with reset by subtraction; average pooling keeps its unit
/// weights and takes k^2 * lambda / lambda_in as threshold.
///
/// A layer whose ANN activation was a quantised ReLU (``Layer/levels``, QCFS) keeps the
/// clip it was trained with as its lambda, and needs no calibration: with only such layers
/// to scale, the pass runs without samples, and the other layers keep lambda 1.
///
///     let balanced = try BalanceThresholds(percentile: 99.9).run(graph, calibration: samples)
public struct BalanceThresholds: Sendable {
    /// One lambda for a whole layer, or one per output channel (channels whose activations
    /// differ in range keep more resolution; the threshold stays 1 because lambda_c goes
    /// into channel c's weights and bias).
    public typealias Granularity = ScaleGranularity

    public var percentile: Double
    public var granularity: Granularity

    public init(percentile: Double = 99.9, granularity: Granularity = .layer) {
        self.percentile = percentile
        self.granularity = granularity
    }

    /// The value at `percentile` of sorted `values` (nearest rank), nil when empty.
    static func robustMaximum(_ sorted: [Double], percentile: Double) -> Double? {
        sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int((percentile / 100 * Double(sorted.count - 1)).rounded()))]
    }

    public func run(_ graph: SpikeGraph, calibration: [[String: [Double]]]) throws(DiagnosticError) -> PassResult {
        let trained = Set(graph.layers.indices.filter { graph.layers[$0].levels != nil && graph.layers[$0].ceiling != nil })
        guard !calibration.isEmpty || !trained.isEmpty else { throw DiagnosticError("threshold balancing needs a calibration set (no samples given)") }
        guard percentile > 0 && percentile <= 100 else { throw DiagnosticError("percentile \(percentile) is not in (0, 100]") }
        let forward = AnalogForward(graph)
        let perChannel = granularity == .channel
        /// Positive activations per layer and (in per-channel mode) per channel.
        var samples = graph.layers.map { layer in [[Double]](repeating: [], count: perChannel ? max(layer.shape?.channels ?? 1, 1) : 1) }
        for sample in calibration {
            for (k, a) in forward.run(sample).enumerated() where graph.layers[k].neuron != nil {
                let plane = max(a.count / max(samples[k].count, 1), 1)
                for (i, x) in a.enumerated() where x > 0 { samples[k][min(i / plane, samples[k].count - 1)].append(x) }
            }
        }
        // lambda per layer and channel: inputs (values in [0, 1]) are 1; wiring passes its source's on.
        var lambda = graph.layers.map { _ in [1.0] }
        // Each layer's own lambdas (one per channel, or one for the layer: then `samples` has
        // one bucket), before an add ties some of them together.
        let readout = graph.readoutLayers
        let own = samples.enumerated().map { k, buckets in
            // A quantised ReLU (QCFS) was trained with its clip, its lambda: it stays.
            if trained.contains(k), let ceiling = graph.layers[k].ceiling { return Array(repeating: ceiling, count: buckets.count) }
            // A readout shares one lambda over its channels (``SpikeGraph/readoutLayers``).
            return (perChannel && readout.contains(k) ? [buckets.flatMap { $0 }] : buckets).map {
                Self.robustMaximum($0.sorted(), percentile: percentile).map { $0 > 0 ? $0 : 1 } ?? 1
            }
        }
        let tied = TiedScales(graph, perChannel: perChannel, own: own)
        var log: [String] = []
        var out = graph
        let position = forward.position
        /// The lambda of output element i of layer j.
        func scale(_ j: Int, _ i: Int) -> Double {
            let l = lambda[j], plane = max((graph.layers[j].shape?.count ?? 1) / l.count, 1)
            return l[min(i / plane, l.count - 1)]
        }
        /// Per element of a layer's inputs (concatenated), the lambda it carries.
        func inputScale(_ k: Int) -> [Double] {
            graph.layers[k].inputs.compactMap { position[$0] }.flatMap { j -> [Double] in
                switch graph.layers[j].op {
                case .flatten, .concat: inputScale(j)
                default: (0..<(graph.layers[j].shape?.count ?? 0)).map { scale(j, $0) }
                }
            }
        }
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron, let shape = layer.shape else { continue }
            let input = inputScale(k)
            let counts = samples[k].map(\.count).reduce(0, +)
            switch layer.op {
            case .dense, .conv2d, .convTranspose2d:
                lambda[k] = tied.scales[k] ?? own[k]
                guard let w = graph.tensor(layer, "weight"), let inShape = graph.layers[position[layer.inputs[0]] ?? 0].shape else { continue }
                let channelOf = layer.op.outputChannel(weightShape: w.shape)
                var scaled = w.values
                for i in scaled.indices {
                    // The lambda carried by the input element or channel weight i reads.
                    let s = input[layer.op.inputElement(weight: i, weightShape: w.shape, input: inShape, output: shape, count: input.count)]
                    let co = channelOf(i)
                    scaled[i] *= s / lambda[k][min(co, lambda[k].count - 1)]
                }
                out.set(layer, "weight", Tensor(shape: w.shape, values: scaled) ?? w, origin: "balanced")
                // A residual block's shortcut reads the second input, whose scales follow the
                // first input's in `input`; its weights carry that scale as the others do.
                if let s = graph.tensor(layer, "shortcut"), s.shape.count == 4, let skipIndex = layer.inputs.dropFirst().first.flatMap({ position[$0] }),
                   let skip = graph.layers[skipIndex].shape {
                    let (taps, plane) = (s.shape[2] * s.shape[3], skip.height * skip.width)
                    let values = s.values.indices.map { i in
                        let co = i / max(skip.channels * taps, 1), ci = (i / max(taps, 1)) % max(skip.channels, 1)
                        return s.values[i] * input[min(inShape.count + ci * plane, max(input.count - 1, 0))] / lambda[k][min(co, lambda[k].count - 1)]
                    }
                    out.set(layer, "shortcut", Tensor(shape: s.shape, values: values) ?? s, origin: "balanced")
                }
                if let b = graph.tensor(layer, "bias") {
                    let balanced = b.values.indices.map { b.values[$0] / lambda[k][min($0, lambda[k].count - 1)] }
                    out.set(layer, "bias", Tensor(shape: b.shape, values: balanced) ?? b, origin: "balanced")
                }
                neuron.threshold = 1
            default:
                // Unit-weight layers (pooling, add, upsampling) cannot rescale per input, so
                // the threshold carries the ratio: window x lambda / lambda_in. Per channel,
                // they keep their input's lambdas and only the window remains.
                let window: Double = if case let .avgpool(p) = layer.op { Double(p.vertical.kernel * p.horizontal.kernel) } else { 1 }
                if perChannel {
                    // Channel c of a pooling, sum or upsampling layer reads channel c of its input.
                    let plane = max(input.count / max(shape.channels, 1), 1)
                    lambda[k] = (0..<max(shape.channels, 1)).map { input[min($0 * plane, max(input.count - 1, 0))] }
                    neuron.threshold = window
                } else {
                    lambda[k] = tied.scales[k] ?? own[k]
                    neuron.threshold = window * lambda[k][0] / (input.first ?? 1)
                }
                // An add's inputs (equal shapes, concatenated in `input`) must carry one scale
                // per element; TiedScales arranges it unless an input cannot be rescaled.
                let part = input.count / max(layer.inputs.count, 1)
                if case .add = layer.op, part > 0,
                   input.indices.contains(where: { abs(input[$0] - input[$0 % part]) > 1e-9 * input[$0 % part] }) {
                    log.append("\(layer.name): warning: its inputs carry different scales (\(fmt(input.min() ?? 0))..\(fmt(input.max() ?? 0))), which unit weights cannot equalise")
                }
            }
            neuron.channelThresholds = nil
            neuron.reset = .subtract
            neuron.kind = .integrateAndFire
            out.layers[k].neuron = neuron
            if trained.contains(k), let ceiling = layer.ceiling, let l = lambda[k].first {
                out.layers[k].ceiling = ceiling / l
            }
            let l = lambda[k]
            var range = l.count == 1 ? "lambda = \(fmt(l[0]))" : "lambda per channel \(fmt(l.min() ?? 0))..\(fmt(l.max() ?? 0))"
            if perChannel && readout.contains(k) && l.count == 1 { range += " for all channels (a readout)" }
            var source = tied.scales[k] == nil ? "\(fmt(percentile))th percentile of \(counts) positive activations"
                : "tied with \(tied.partners[k, default: []].joined(separator: ", ")) for their add"
            if trained.contains(k), tied.scales[k] == nil, let levels = layer.levels {
                source = "trained: a quantised ReLU of \(levels) levels, which needs at least \(levels) ticks"
            } else if calibration.isEmpty {
                source = "no calibration data: spikes stand for 1"
            }
            log.append("\(layer.name): \(range) (\(source)), threshold \(fmt(neuron.threshold))")
        }
        return PassResult(graph: out, log: log)
    }
}
