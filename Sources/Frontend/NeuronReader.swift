import SpikeIR
import TesseraSupport
import Yams

extension YAMLReader {
    static let neuronKeys = ["model", "threshold", "leak", "decay", "reset", "initial"]

    /// Reads a `neuron:` mapping on top of `base` (the defaults), so a layer can override
    /// only its threshold. Checks the combination: `decay` is for `lif`, thresholds of
    /// spiking models are positive, a decay lies in (0, 1], `initial` (the starting potential as
    /// a fraction of the threshold) in -1...1.
    mutating func neuron(_ node: Node, base: NeuronModel) -> NeuronModel? {
        guard let m = mapping(node, what: "neuron", allowed: Self.neuronKeys) else { return nil }
        var model = base
        var ok = true
        if let n = m["model"] {
            if let kind = choice(n, what: "neuron model", among: NeuronModel.Kind.allCases.map(\.rawValue)).flatMap(NeuronModel.Kind.init) { model.kind = kind } else { ok = false }
        }
        if let n = m["threshold"] {
            if let v = double(n, what: "threshold") { model.threshold = v } else { ok = false }
        }
        if let n = m["leak"] {
            if let v = double(n, what: "leak") { model.leak = v } else { ok = false }
        }
        if let n = m["decay"] {
            if let v = double(n, what: "decay") {
                if v <= 0 || v > 1 { error("decay must be in (0, 1] (the fraction of the membrane kept each tick), got \(v)", at: n); ok = false }
                model.decay = v
            } else { ok = false }
        }
        if let n = m["initial"] {
            // The starting potential as a fraction of the threshold (residual elimination).
            if let v = double(n, what: "initial (fraction of the threshold)") {
                if !NeuronModel.initialFractions.contains(v) { error("initial is the starting potential as a fraction of the threshold, in -1...1; got \(v)", at: n); ok = false }
                model.initialFraction = v
            } else { ok = false }
        }
        if let n = m["reset"] {
            if let reset = choice(n, what: "reset mode", among: NeuronModel.Reset.allCases.map(\.rawValue)).flatMap(NeuronModel.Reset.init) { model.reset = reset } else { ok = false }
        }
        guard ok else { return nil }
        if model.decay != nil && model.kind != .leakyIntegrateAndFire {
            error("'decay' is the multiplicative leak of model lif; this neuron is '\(model.kind.rawValue)' (use 'leak' for a linear leak)", at: m["decay"] ?? node)
            return nil
        }
        if model.kind != .binary && model.threshold <= 0 {
            error("threshold of a spiking (\(model.kind.rawValue)) neuron must be positive, got \(model.threshold)", at: m["threshold"] ?? node)
            return nil
        }
        return model
    }
}
