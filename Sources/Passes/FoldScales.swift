import SpikeIR
import TesseraSupport

/// Folds the trained scales of binary (XNOR-Net style) layers into the weights they
/// multiply, exactly. A layer's `weight_scale` (one value, or one per output channel)
/// multiplies its own weights: y_c = alpha_c (W x)_c + b_c. Its `activation_scale` (one
/// value, or one per output channel) is what one of its spikes stands for, so it multiplies
/// the weights of every weighted layer that reads it (directly, or through flatten and
/// concat), per input element; a pooling or upsampling layer that reads it instead divides
/// its threshold by it (fire iff beta x sum >= theta is sum >= theta / beta). Binary layers
/// then reach `binarise-activations` with weights of one magnitude per channel, alpha_c x
/// beta, which that pass folds into their thresholds and biases.
///
///     let folded = try FoldScales().run(graph)   // log: "h1: weights x 0.25..3 per channel"
///
/// A scale must be positive and finite (a negative one would flip the comparison the
/// neuron makes); an add whose inputs carry different scales is refused, as unit weights
/// cannot weigh them.
public struct FoldScales: Sendable {
    public init() {}

    /// Whether any layer of `graph` carries a trained scale.
    public static func applies(to graph: SpikeGraph) -> Bool {
        graph.layers.contains { l in ["weight_scale", "activation_scale"].contains { graph.tensor(l, $0) != nil } }
    }

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        var diagnostics = Diagnostics()
        let position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        /// Per layer, its scale tensor's values by channel (nil when it has none).
        func scales(_ k: Int, _ suffix: String) -> [Double]? {
            guard let t = graph.tensor(graph.layers[k], suffix) else { return nil }
            if let bad = t.values.first(where: { !($0 > 0 && $0.isFinite) }) {
                diagnostics.error("\(graph.layers[k].op.name) '\(graph.layers[k].name)': \(graph.layers[k].parameterKey ?? "").\(suffix) holds \(bad); a trained scale must be positive", at: graph.layers[k].location)
                return nil
            }
            return t.values
        }
        let own = graph.layers.indices.map { scales($0, "weight_scale") }
        let activation = graph.layers.indices.map { scales($0, "activation_scale") }
        try diagnostics.throwIfErrors()
        /// What each element of layer j's output stands for: its activation scale, or 1;
        /// wiring passes its sources' on.
        func elementScale(_ j: Int) -> [Double] {
            let layer = graph.layers[j]
            switch layer.op {
            case .flatten, .concat: return layer.inputs.compactMap { position[$0] }.flatMap(elementScale)
            default:
                let count = layer.shape?.count ?? 0, channels = max(layer.shape?.channels ?? 1, 1)
                guard let a = activation[j] else { return Array(repeating: 1, count: count) }
                return (0..<count).map { a[min($0 / max(count / channels, 1), a.count - 1)] }
            }
        }
        var out = graph
        var log: [String] = []
        for (k, layer) in graph.layers.enumerated() {
            guard let shape = layer.shape else { continue }
            let sources = layer.inputs.compactMap { position[$0] }
            let input = sources.flatMap(elementScale)
            let scaled = input.contains { $0 != 1 }
            var notes: [String] = []
            switch layer.op {
            case .dense, .conv2d, .convTranspose2d:
                guard let w = graph.tensor(layer, "weight"), let inShape = sources.first.flatMap({ graph.layers[$0].shape }) else { continue }
                guard own[k] != nil || scaled else { continue }
                let channelOf = layer.op.outputChannel(weightShape: w.shape)
                var values = w.values
                for i in values.indices {
                    let alpha = own[k].map { $0[min(channelOf(i), $0.count - 1)] } ?? 1
                    let beta = input[layer.op.inputElement(weight: i, weightShape: w.shape, input: inShape, output: shape, count: input.count)]
                    values[i] *= alpha * beta
                }
                out.set(layer, "weight", Tensor(shape: w.shape, values: values) ?? w, origin: "scales folded")
                if let a = own[k] { notes.append("weights x \(fmtRange(a)) (its weight scale)") }
                if scaled { notes.append("weights x \(fmtRange(input)) (its inputs' activation scales)") }
            case .avgpool, .upsample, .add:
                guard scaled, var neuron = layer.neuron else { continue }
                let channels = max(shape.channels, 1), part = input.count / max(layer.inputs.count, 1)
                let perChannel = (0..<channels).map { c in input[min(c * max(part / channels, 1), max(input.count - 1, 0))] }
                if case .add = layer.op, input.indices.contains(where: { input[$0] != input[$0 % max(part, 1)] }) {
                    diagnostics.error("add '\(layer.name)': its inputs carry different activation scales (\(fmtRange(input))), which unit weights cannot weigh", at: layer.location)
                    continue
                }
                let thresholds = (0..<channels).map { neuron.threshold(channel: $0) / perChannel[$0] }
                if Set(thresholds).count == 1 { neuron.threshold = thresholds[0]; neuron.channelThresholds = nil } else { neuron.channelThresholds = thresholds }
                out.layers[k].neuron = neuron
                notes.append("threshold / \(fmtRange(perChannel)) (its input's activation scale)")
            default:
                continue
            }
            log.append("\(layer.name): " + notes.joined(separator: ", "))
        }
        try diagnostics.throwIfErrors()
        // The scales live in the weights and thresholds now.
        for layer in graph.layers {
            guard let key = layer.parameterKey else { continue }
            out.parameters["\(key).weight_scale"] = nil
            out.parameters["\(key).activation_scale"] = nil
        }
        for (k, layer) in graph.layers.enumerated() where activation[k] != nil && graph.outputs.contains(layer.name) {
            log.append("\(layer.name): its activation scale is not applied to its own spikes, which are read as they are")
        }
        return PassResult(graph: out, log: log)
    }

}
