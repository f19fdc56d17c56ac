import Foundation
import SpikeIR
import TesseraSupport

/// Writes a verified ``SpikeGraph`` as a Tessera network file (docs/network-format.md) and
/// the tensors of its weights archive: what `tessera import` leaves for a user to read and
/// edit. Names are quoted (NIR names such as "0" would read as numbers) and '/' (reserved
/// in YAML files for block instances) becomes '_'. Per-channel thresholds, which the format
/// has no key for, are folded into each channel's weights and bias (exact without a leak).
///
///     let (yaml, tensors) = try NetworkWriter.write(graph, weights: "net.npz")
public enum NetworkWriter {
    public static func write(_ graph: SpikeGraph, weights: String, header: [String] = [], compile: String? = nil) throws(DiagnosticError) -> (yaml: String, tensors: [String: Tensor]) {
        var names: [String: String] = [:], used = Set<String>()
        for layer in graph.layers {
            var n = layer.name.replacingOccurrences(of: "/", with: "_")
            while used.contains(n) { n += "_" }
            used.insert(n)
            names[layer.name] = n
        }
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        func pair(_ a: Window, _ b: Window, _ key: KeyPath<Window, Int>) -> String { "[\(a[keyPath: key]), \(b[keyPath: key])]" }
        var lines = header.map { "# " + $0 }
        lines.append("network: \(quoted(graph.name))")
        lines.append("inputs:")
        var tensors: [String: Tensor] = [:]
        var body: [String] = []
        for layer in graph.layers {
            let name = names[layer.name] ?? layer.name
            let input = layer.inputs.first.map { "input: \(quoted(names[$0] ?? $0)), " } ?? ""
            var entry: String
            switch layer.op {
            case let .input(shape, encoding):
                lines.append("  \(quoted(name)): { shape: [\(shape.channels), \(shape.height), \(shape.width)], encoding: \(encoding.rawValue) }")
                continue
            case let .conv2d(c):
                let inputs = c.shortcut == nil ? input : "inputs: [\(layer.inputs.map { quoted(names[$0] ?? $0) }.joined(separator: ", "))], "
                entry = "op: conv2d, \(inputs)out: \(c.outChannels), kernel: \(pair(c.vertical, c.horizontal, \.kernel)), stride: \(pair(c.vertical, c.horizontal, \.stride)), padding: \(pair(c.vertical, c.horizontal, \.padding)), dilation: \(pair(c.vertical, c.horizontal, \.dilation)), groups: \(c.groups)"
                if let s = c.shortcut {
                    // Always as a window with its weights: after conversion an identity's are scaled.
                    entry += ", shortcut: { kernel: \(pair(s.vertical, s.horizontal, \.kernel)), stride: \(pair(s.vertical, s.horizontal, \.stride)), padding: \(pair(s.vertical, s.horizontal, \.padding)) }"
                }
            case let .dense(d):
                entry = "op: dense, \(input)out: \(d.outFeatures)"
            case let .avgpool(p), let .sumpool(p):
                entry = "op: \(layer.op.name), \(input)kernel: \(pair(p.vertical, p.horizontal, \.kernel)), stride: \(pair(p.vertical, p.horizontal, \.stride)), padding: \(pair(p.vertical, p.horizontal, \.padding))"
            case let .convTranspose2d(c):
                entry = "op: convtranspose2d, \(input)out: \(c.outChannels), kernel: \(pair(c.vertical, c.horizontal, \.kernel)), stride: \(pair(c.vertical, c.horizontal, \.stride)), padding: \(pair(c.vertical, c.horizontal, \.padding)), dilation: \(pair(c.vertical, c.horizontal, \.dilation)), output_padding: [\(c.outputPadding.map(String.init).joined(separator: ", "))], groups: \(c.groups)"
            case let .upsample(u):
                entry = "op: upsample, \(input)factor: \(u.factor), mode: \(u.mode.rawValue)"
            case let .batchnorm(b):
                entry = "op: batchnorm, \(input)eps: \(b.epsilon)"
            case .flatten:
                entry = "op: flatten, \(input)".trimmingCharacters(in: CharacterSet(charactersIn: ", "))
            case .add, .concat:
                entry = "op: \(layer.op.name), inputs: [\(layer.inputs.map { quoted(names[$0] ?? $0) }.joined(separator: ", "))]"
            default:
                throw DiagnosticError("layer '\(layer.name)': writing \(layer.op.name) layers is not supported by the network writer")
            }
            var scales: [Double]?
            if let n = layer.neuron {
                var neuron = n
                if let per = n.channelThresholds, let first = per.first {
                    guard n.leak == 0 else {
                        throw DiagnosticError("layer '\(layer.name)': per-channel thresholds with a leak cannot be written (the format has one threshold per layer)")
                    }
                    // Channel c's potential scaled by first / per[c]: the same spikes.
                    scales = per.map { first / $0 }
                    neuron.threshold = first
                }
                var keys = ["model: \(n.kind.rawValue)", "threshold: \(number(neuron.threshold))"]
                if n.leak != 0 { keys.append("leak: \(number(n.leak))") }
                if let d = n.decay { keys.append("decay: \(number(d))") }
                if n.kind != .binary { keys.append("reset: \(n.reset.rawValue)") }
                if n.initialFraction != 0 && n.kind != .binary { keys.append("initial: \(number(n.initialFraction))") }
                entry += ", neuron: { \(keys.joined(separator: ", ")) }"
            }
            if let c = layer.ceiling { entry += ", ceiling: \(number(c))" }
            if let l = layer.levels { entry += ", levels: \(l)" }
            body.append("  - { name: \(quoted(name)), \(entry) }")
            if let key = layer.parameterKey {
                for suffix in ["weight", "bias", "shortcut", "template", "running_mean", "running_var"] {
                    guard var t = graph.parameters.tensor("\(key).\(suffix)") else { continue }
                    if let scales, suffix != "template", let channels = t.shape.first, channels == scales.count, channels > 0 {
                        let per = t.values.count / channels
                        for i in t.values.indices { t.values[i] *= scales[i / per] }
                    }
                    tensors["\(name).\(suffix)"] = t
                }
            }
        }
        if !tensors.isEmpty { lines.append("weights: \(quoted(weights))") }
        lines.append("layers:")
        lines += body
        lines.append("outputs: [\(graph.outputs.map { quoted(names[$0] ?? $0) }.joined(separator: ", "))]")
        if let compile { lines.append("compile: \(compile)") }
        return (lines.joined(separator: "\n") + "\n", tensors)
    }
}
