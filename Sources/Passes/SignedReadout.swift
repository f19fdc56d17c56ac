import CoreMap
import SpikeIR
import TesseraSupport

/// Gives each output a negative half: a copy of the weighted layer behind it (and of the
/// upsampling or flattening between them) with its weights, shortcut, bias and leak negated,
/// whose spikes go to a second output `<name>.negative`. The output is then read as the
/// difference of the two ports' counts (``OutputPort/negativeSuffix``).
///
///     let signed = try SignedReadout().run(converted)   // outputs: [fc, fc.negative]
///
/// Why: a classifier's score is its neuron's input summed over the run, but a neuron fires
/// only upwards: its count follows the running score's highest point, and a class whose
/// score stays below zero never fires, so the losing classes all read 0 and late evidence
/// against a class is lost. The negative neuron fires at the running score's lowest point,
/// so the pair reads (highest + lowest) / threshold: the score itself wherever it moves one
/// way, and the order of scores that stay negative. Both neurons keep their potential below
/// zero (they saturate at the widest negative threshold, as every rate-coded neuron does).
/// Worked: threshold 2, a score that rises by 4 and then falls by 6 reads 2 - 1 = 1 (a
/// single neuron: 2); one that falls by 6 reads 0 - 3 = -3 (a single neuron: 0).
public struct SignedReadout: Sendable {
    public init() {}

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        var out = graph
        var log: [String] = []
        let byName = graph.layersByName
        var outputs: [String] = []
        for name in graph.outputs {
            outputs.append(name)
            if let positive = OutputPort.positiveName(ofNegative: name), graph.outputs.contains(positive) { continue }
            let negative = OutputPort.negativeName(of: name)
            if byName[negative] != nil || graph.outputs.contains(negative) {
                log.append("\(name): already has a negative half '\(negative)'")
                continue
            }
            guard let path = Self.readoutPath(to: name, in: byName) else {
                log.append("\(name): left alone (a signed readout needs a dense or conv2d layer of integrate-and-fire or leaky neurons behind it)")
                continue
            }
            var previous: String?
            for layer in path {
                var copy = layer
                copy.name = OutputPort.negativeName(of: layer.name)
                if let previous { copy.inputs = [previous] } else {
                    let key = layer.parameterKey ?? layer.name
                    copy.parameterKey = OutputPort.negativeName(of: key)
                    Self.negateParameters(of: key, into: OutputPort.negativeName(of: key), in: &out.parameters)
                    copy.neuron?.leak = -(layer.neuron?.leak ?? 0)
                }
                copy.location = layer.location
                out.layers.append(copy)
                previous = copy.name
            }
            outputs.append(negative)
            log.append("\(name): read signed, its negative half '\(negative)' has \(path[0].name)'s weights, bias and leak negated")
        }
        out.outputs = outputs
        return PassResult(graph: out, log: log)
    }

    /// The layers from the weighted layer computing output `name` to the output itself,
    /// through upsampling and flattening; nil when no dense or conv2d layer of rate or leaky
    /// neurons computes it.
    static func readoutPath(to name: String, in byName: [String: Layer]) -> [Layer]? {
        var path: [Layer] = []
        var current = byName[name]
        while let layer = current {
            path.insert(layer, at: 0)
            switch layer.op {
            case .upsample, .flatten:
                guard layer.inputs.count == 1 else { return nil }
                current = byName[layer.inputs[0]]
            case .dense, .conv2d:
                guard let kind = layer.neuron?.kind, kind != .binary else { return nil }
                return path
            default:
                return nil
            }
        }
        return nil
    }

    /// Copies every tensor `<key>.*` to `<negative>.*`, the weights, shortcut and bias negated
    /// (symmetric integer weights stay in range) and trained scales as they are.
    static func negateParameters(of key: String, into negative: String, in store: inout ParameterStore) {
        for k in store.keys where k.hasPrefix(key + ".") {
            let suffix = String(k.dropFirst(key.count + 1))
            guard !suffix.contains("."), let tensor = store.tensor(k) else { continue }
            let negated = ["weight", "bias", "shortcut"].contains(suffix)
            let values = negated ? tensor.values.map { $0 == 0 ? 0 : -$0 } : tensor.values
            guard let copy = Tensor(shape: tensor.shape, values: values) else { continue }
            store["\(negative).\(suffix)"] = .loaded(copy, origin: "\(negated ? "negated " : "")\(store.origin(of: k) ?? k)")
        }
    }
}
