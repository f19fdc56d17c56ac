import Hardware
import SpikeIR
import TesseraSupport

/// A verified graph whose every layer has the integer semantics of a hardware neuron, ready
/// for ``ReferenceSimulator``: weights, biases, thresholds and leaks are integers within the
/// target's widths, and every op has an exact integer meaning.
///
/// Networks in floating point reach this form through the conversion passes (quantisation,
/// threshold balancing); until then, ``check(_:target:)`` says which layer is not exact and why.
public struct IntegerNetwork: Sendable {
    public let graph: SpikeGraph
    public let target: Target
    /// Integer tensors by parameter key and suffix (`c1.weight`).
    let tensors: [String: [Int]]

    /// Ops with an exact integer meaning. avgpool and sumpool both add each spike in the
    /// window with weight 1 (avgpool's 1/k^2 belongs in its threshold, set by conversion).
    static func exactness(of op: Operation) -> String? {
        switch op {
        case .batchnorm: "batchnorm must be folded into the layer before it first"
        case let .upsample(u) where u.mode == .bilinear: "bilinear upsampling has fractional weights"
        default: nil
        }
    }

    public static func check(_ graph: SpikeGraph, target: Target) throws(DiagnosticError) -> IntegerNetwork {
        var diagnostics = Diagnostics()
        var tensors: [String: [Int]] = [:]
        let index = graph.layersByName
        let weights = target.core.weightRange, leaks = CoreSpec.signedRange(bits: target.core.leakBits)
        let thresholds = CoreSpec.unsignedRange(bits: target.core.thresholdBits)
        for layer in graph.layers {
            let at = layer.location
            if let reason = exactness(of: layer.op) {
                diagnostics.error("\(layer.op.name) '\(layer.name)' cannot be simulated exactly: \(reason)", at: at)
                continue
            }
            if let neuron = layer.neuron {
                if neuron.decay != nil {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': a multiplicative decay is not a hardware leak; it must be approximated first", at: at)
                }
                let channels = neuron.channelThresholds ?? [neuron.threshold]
                let checks = channels.map { ("threshold", $0, thresholds) } + [("leak", neuron.leak, leaks)]
                for (what, value, range) in checks where value != value.rounded() || !range.contains(Int(value)) {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': \(what) \(value) is not an integer in \(range.lowerBound)..\(range.upperBound) (the target's width)", at: at)
                    break
                }
                if !NeuronModel.initialFractions.contains(neuron.initialFraction) {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': initial potential \(neuron.initialFraction) of the threshold is not in -1...1", at: at)
                }
                if let count = neuron.channelThresholds?.count, count != layer.shape?.channels {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': \(count) per-channel thresholds for \(layer.shape?.channels ?? 0) channels", at: at)
                }
                if neuron.kind != .binary, let low = channels.min(), low < 1 {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': threshold must be at least 1 (found \(low))", at: at)
                }
            }
            let shapes = graph.inputShapes(of: layer, in: index)
            guard let key = layer.parameterKey, !shapes.isEmpty else { continue }
            for slot in layer.op.parameterSlots(inputs: shapes) {
                let name = "\(key).\(slot.suffix)"
                guard tensors[name] == nil, let tensor = graph.parameters.tensor(name) else { continue }
                if slot.optional {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': its trained scale \(name) must be folded into the weights first (the conversion's fold-scales pass)", at: at)
                    continue
                }
                let range = slot.suffix == "bias" ? leaks : weights
                if let bad = tensor.values.first(where: { $0 != $0.rounded() || !range.contains(Int($0)) }) {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': \(name) holds \(bad), not an integer in \(range.lowerBound)..\(range.upperBound); quantise the weights first", at: at)
                    continue
                }
                tensors[name] = tensor.values.map { Int($0) }
            }
        }
        let network = IntegerNetwork(graph: graph, target: target, tensors: tensors)
        // A binary neuron's hardware leak (``binaryLeak(_:threshold:)``) must fit the leak's width too.
        for layer in graph.layers {
            guard let neuron = layer.neuron, neuron.kind == .binary else { continue }
            let hardware = zip(network.leak(of: layer), network.threshold(of: layer)).map { binaryLeak($0, threshold: $1) }
            if let bad = hardware.first(where: { !leaks.contains($0) }) {
                diagnostics.error("\(layer.op.name) '\(layer.name)': a binary neuron's hardware leak (leak + bias - threshold + 1 = \(bad)) is not in \(leaks.lowerBound)..\(leaks.upperBound) (the target's width)", at: layer.location)
            }
        }
        try diagnostics.throwIfErrors()
        return network
    }

    /// The leak that runs a binary neuron (Eedn's: fire iff current + leak >= threshold,
    /// membrane cleared every tick) on a hardware neuron that keeps its membrane, given its
    /// leak plus bias: with threshold 1 it fires iff V >= 1, i.e. iff current + leak >=
    /// threshold, and resets to 0; a negative V is reset to 0 by a negative threshold of 0.
    public static func binaryLeak(_ leak: Int, threshold: Int) -> Int { leak - threshold + 1 }

    /// A layer's integer tensor (`weight`, `bias`), if it has one.
    public func parameter(_ layer: Layer, _ suffix: String) -> [Int]? {
        layer.parameterKey.flatMap { tensors["\($0).\(suffix)"] }
    }
}
