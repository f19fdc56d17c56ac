import SpikeIR
import TesseraSupport

/// Folds each inference-form batch norm into the conv, transposed conv or dense layer before
/// it: y = s_c (W x + b) + t_c becomes W' = s_c W and b' = s_c b + t_c per output channel c,
/// with s = gamma / sqrt(var + eps) and t = beta - s mean. A core has no per-channel affine
/// stage, so a batch norm must vanish into weights and bias before mapping.
///
/// The batch-norm layer is removed and whatever read it (layers, outputs) reads the folded
/// layer. In the IR `conv -> batchnorm`, the conv's neuron acts after the normalisation
/// (as ReLU(BN(conv x)) in the trained network), which is why folding is exact.
///
///     let folded = try FoldBatchNorm().run(graph)   // log: "bn1 into e1: scale 0.93..1.1"
public struct FoldBatchNorm: Sendable {
    public init() {}

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        var out = graph
        var log: [String] = []
        var diagnostics = Diagnostics()
        var removed: Set<String> = []
        var renamed: [String: String] = [:]
        let keyUsers = Dictionary(grouping: graph.layers.compactMap { l in l.parameterKey.map { ($0, l.name) } }, by: \.0).mapValues(\.count)
        for layer in graph.layers {
            guard case let .batchnorm(bn) = layer.op else { continue }
            guard let source = layer.inputs.first, let k = out.layers.firstIndex(where: { $0.name == source }) else { continue }
            let producer = out.layers[k]
            let consumers = graph.layers.filter { $0.inputs.contains(source) }.count + graph.outputs.filter { $0 == source }.count
            guard consumers == 1 else {
                diagnostics.error("batchnorm '\(layer.name)' cannot be folded: '\(source)' is also read elsewhere, which expects it unnormalised", at: layer.location)
                continue
            }
            guard let p = BatchNormParameters(layer, graph: graph, epsilon: bn.epsilon) else {
                diagnostics.error("batchnorm '\(layer.name)' has no running_mean/running_var to fold", at: layer.location)
                continue
            }
            guard let w = out.tensor(producer, "weight"), let shape = producer.shape, shape.channels == p.scale.count else {
                diagnostics.error("batchnorm '\(layer.name)' follows \(producer.op.name) '\(source)', which has no weights to fold into; place it after a conv2d, convtranspose2d or dense layer", at: layer.location)
                continue
            }
            let channelOf = producer.op.outputChannel(weightShape: w.shape)
            let weights = w.values.indices.map { w.values[$0] * p.scale[channelOf($0)] }
            let oldBias = out.tensor(producer, "bias")?.values ?? Array(repeating: 0, count: p.scale.count)
            let bias = p.scale.indices.map { p.scale[$0] * oldBias[$0] + p.shift[$0] }
            var folded = producer
            if let key = producer.parameterKey, keyUsers[key, default: 0] > 1 {
                // Shared weights (a block used twice): the fold is this use's alone.
                folded.parameterKey = "\(producer.name)@folded"
            }
            folded.op = folded.op.withBias
            out.layers[k] = folded
            out.set(folded, "weight", Tensor(shape: w.shape, values: weights) ?? w, origin: "folded \(layer.name)")
            out.set(folded, "bias", Tensor(shape: [bias.count], values: bias) ?? w, origin: "folded \(layer.name)")
            // A residual convolution's shortcut feeds the same neurons: it takes the same scale.
            if let s = out.tensor(producer, "shortcut") {
                out.set(folded, "shortcut", s.scaledPerChannel(p.scale), origin: "folded \(layer.name)")
            }
            removed.insert(layer.name)
            renamed[layer.name] = source
            log.append("\(layer.name) folded into \(source): scale \(fmt(p.scale.min() ?? 0))..\(fmt(p.scale.max() ?? 0)), shift \(fmt(p.shift.min() ?? 0))..\(fmt(p.shift.max() ?? 0)) over \(p.scale.count) channels")
        }
        try diagnostics.throwIfErrors()
        out.layers.removeAll { removed.contains($0.name) }
        for k in out.layers.indices { out.layers[k].inputs = out.layers[k].inputs.map { renamed[$0] ?? $0 } }
        out.outputs = out.outputs.map { renamed[$0] ?? $0 }
        return PassResult(graph: out, log: log)
    }
}
