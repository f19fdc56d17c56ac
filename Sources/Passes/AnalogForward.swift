import SpikeIR

/// The network read as the ANN it was converted from: each layer with neurons is
/// ReLU(weighted sum + bias), clipped at its ``Layer/ceiling`` and quantised to its
/// ``Layer/levels`` if it has them (``Layer/activation(_:)``), average pooling divides by its
/// window, flatten and concat are wiring. Conversion passes calibrate on these activations (threshold balancing)
/// and tests take their float accuracy from it.
///
///     let acts = try AnalogForward(graph).run(["image": pixels])
///     let scores = acts[graph.layers.count - 1]
public struct AnalogForward: Sendable {
    public let graph: SpikeGraph
    let position: [String: Int]
    /// Layers read by a batch norm: their neuron acts after it (ReLU(BN(conv x))), so they
    /// hand the batch norm their pre-activations.
    let normalised: Set<Int>

    public init(_ graph: SpikeGraph) {
        self.graph = graph
        let position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.position = position
        normalised = Set(graph.layers.compactMap { layer -> Int? in
            guard case .batchnorm = layer.op else { return nil }
            return layer.inputs.first.flatMap { position[$0] }
        })
    }

    /// Activations of every layer (C x H x W order) for one sample; `inputs[port]` holds
    /// each input layer's values. Layers named in `linear` (the classifier's scores, say)
    /// keep their pre-activations, unclipped.
    public func run(_ inputs: [String: [Double]], linear: Set<String> = []) -> [[Double]] {
        var acts = [[Double]](repeating: [], count: graph.layers.count)
        for (k, layer) in graph.layers.enumerated() {
            let shape = layer.shape
            switch layer.op {
            case .input:
                acts[k] = inputs[layer.name] ?? Array(repeating: 0, count: shape?.count ?? 0)
            case .flatten:
                acts[k] = layer.inputs.first.flatMap { position[$0] }.map { acts[$0] } ?? []
            case .concat:
                acts[k] = layer.inputs.compactMap { position[$0] }.flatMap { acts[$0] }
            case let .batchnorm(bn):
                let source = layer.inputs.first.flatMap { position[$0] }
                let x = source.map { acts[$0] } ?? []
                let y = BatchNormParameters(layer, graph: graph, epsilon: bn.epsilon).map { p in
                    x.indices.map { i in p.scale[p.channel(i, count: x.count)] * x[i] + p.shift[p.channel(i, count: x.count)] }
                } ?? x
                let rectified = source.map { graph.layers[$0].neuron != nil && !linear.contains(layer.name) } ?? false
                if rectified, let source {
                    let owner = graph.layers[source]
                    acts[k] = y.map { owner.activation($0) }
                } else {
                    acts[k] = y
                }
            default:
                let sources = layer.inputs.compactMap { position[$0] }
                var sum = LayerKernel.apply(layer, inputs: sources.map { acts[$0] }, shapes: sources.compactMap { graph.layers[$0].shape }) { suffix in
                    layer.parameterKey.flatMap { graph.parameters.tensor("\($0).\(suffix)")?.values }
                }
                if case let .avgpool(pool) = layer.op {
                    let window = Double(pool.vertical.kernel * pool.horizontal.kernel)
                    sum = sum.map { $0 / window }
                }
                if let bias = layer.parameterKey.flatMap({ graph.parameters.tensor("\($0).bias")?.values }), !bias.isEmpty {
                    let perChannel = max(sum.count / max(bias.count, 1), 1)
                    for i in sum.indices { sum[i] += bias[min(i / perChannel, bias.count - 1)] }
                }
                acts[k] = layer.neuron == nil || linear.contains(layer.name) || normalised.contains(k) ? sum : sum.map { layer.activation($0) }
            }
        }
        return acts
    }
}

extension AnalogForward {
    /// The fraction of samples whose largest score, in `output` (by default the last output
    /// layer) read without its ReLU, is at the label's index.
    public func accuracy(_ samples: [[String: [Double]]], labels: [Int], output: String? = nil) -> Double {
        guard let output = output ?? graph.outputs.last, let k = position[output] else { return 0 }
        let correct = zip(samples, labels).filter { sample, label in
            let scores = run(sample, linear: [output])[k]
            return scores.firstIndex(of: scores.max() ?? 0) == label
        }.count
        return Double(correct) / Double(max(samples.count, 1))
    }
}

/// A batch-norm layer's per-channel affine map y = scale * x + shift, from its
/// `running_mean`, `running_var`, `weight` (gamma) and `bias` (beta) tensors.
struct BatchNormParameters {
    var scale: [Double]
    var shift: [Double]

    init?(_ layer: Layer, graph: SpikeGraph, epsilon: Double) {
        guard let key = layer.parameterKey,
              let mean = graph.parameters.tensor("\(key).running_mean")?.values,
              let variance = graph.parameters.tensor("\(key).running_var")?.values else { return nil }
        let gamma = graph.parameters.tensor("\(key).weight")?.values ?? Array(repeating: 1, count: mean.count)
        let beta = graph.parameters.tensor("\(key).bias")?.values ?? Array(repeating: 0, count: mean.count)
        (scale, shift) = BatchNorm(epsilon: epsilon).affine(gamma: gamma, beta: beta, mean: mean, variance: variance)
    }

    func channel(_ i: Int, count: Int) -> Int { min(i / max(count / max(scale.count, 1), 1), scale.count - 1) }
}
