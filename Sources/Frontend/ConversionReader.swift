import Foundation
import SpikeIR
import TesseraSupport
import Yams

/// Reads a network file's `compile:` section into ``ConversionSettings``:
///
/// ```yaml
/// compile:
///   fold_batchnorm: true          # default true
///   compose_pools: true           # pools into the convolutions after them; default false
///   approximate_decay: true       # lif decay -> measured linear leak; default true
///   balance: { percentile: 99.9, per: layer, calibration: calibration.npy }
///   quantise: { weights: 4, per: channel }     # 2..8 bits or trinary
///   initial_potential: 0.5        # residual elimination: start at half the threshold
///   calibrate: { samples: 64, ticks: 32, shift_readout: true }   # bias calibration on balance's samples
///   signed_readout: true          # each output read as rises minus falls (two ports)
///   binarise: true                # binary layers to exact integers; default true
/// ```
///
/// `calibration` is one `.npy` path for a single-input network, or `{ input: path }`.
enum ConversionReader {
    static let keys = ["fold_batchnorm", "compose_pools", "approximate_decay", "balance", "quantise", "initial_potential", "calibrate", "signed_readout", "binarise"]

    static func read(_ node: Node, inputs: [String], reader: inout YAMLReader) -> ConversionSettings {
        var settings = ConversionSettings(baseDirectory: URL(fileURLWithPath: reader.file).deletingLastPathComponent().path)
        guard let m = reader.mapping(node, what: "compile", allowed: keys) else { return settings }
        if let n = m["fold_batchnorm"], let v = reader.bool(n, what: "fold_batchnorm") { settings.foldBatchNorm = v }
        if let n = m["compose_pools"], let v = reader.bool(n, what: "compose_pools") { settings.composePools = v }
        if let n = m["approximate_decay"], let v = reader.bool(n, what: "approximate_decay") { settings.approximateDecay = v }
        if let n = m["binarise"], let v = reader.bool(n, what: "binarise") { settings.binarise = v }
        if let n = m["signed_readout"], let v = reader.bool(n, what: "signed_readout") { settings.signedReadout = v }
        if let n = m["balance"], let b = reader.mapping(n, what: "compile.balance", allowed: ["percentile", "per", "calibration"]) {
            var balance = ConversionSettings.Balance()
            if let p = b["percentile"], let v = reader.double(p, what: "balance percentile", atLeast: 0.001, atMost: 100) { balance.percentile = v }
            if let p = b["per"], let v = granularity(p, reader: &reader) { balance.granularity = v }
            if let c = b["calibration"] {
                if case .scalar = c {
                    if inputs.count != 1 {
                        reader.error("this network has \(inputs.count) inputs; give calibration as { input: file.npy } for each of \(inputs.joined(separator: ", "))", at: c)
                    } else if let path = reader.string(c, what: "calibration file (.npy)") {
                        balance.calibration = [inputs[0]: path]
                    }
                } else if let table = reader.table(c, what: "calibration") {
                    for entry in table {
                        guard inputs.contains(entry.key) else {
                            reader.error("calibration names '\(entry.key)', which is not an input\(Suggestion.hint(for: entry.key, among: inputs))", at: entry.keyNode)
                            continue
                        }
                        if let path = reader.string(entry.value, what: "calibration file (.npy)") { balance.calibration[entry.key] = path }
                    }
                }
            } else {
                reader.error("balance needs 'calibration:' (a .npy of sample inputs, [N, C, H, W])", at: n)
            }
            settings.balance = balance
        }
        if let n = m["quantise"], let q = reader.mapping(n, what: "compile.quantise", allowed: ["weights", "per"]) {
            var format = WeightFormat.bits(4)
            if let w = q["weights"], let text = reader.string(w, what: "quantise weights") {
                if let f = WeightFormat(text), f == .trinary || (2...8).contains(f.bits ?? 0) { format = f } else {
                    reader.error("quantise weights '\(text)': expected 2..8 (bits) or trinary", at: w)
                }
            }
            var quantise = ConversionSettings.Quantise(format: format)
            if let p = q["per"], let v = granularity(p, reader: &reader) { quantise.granularity = v }
            settings.quantise = quantise
        }
        if let n = m["initial_potential"], let v = reader.double(n, what: "initial_potential (fraction of the threshold)", atLeast: -1, atMost: 1) {
            settings.initialPotential = v
        }
        if let n = m["calibrate"], let c = reader.mapping(n, what: "compile.calibrate", allowed: ["samples", "ticks", "shift_readout", "gain"]) {
            var calibrate = ConversionSettings.Calibrate(samples: 0)
            if let s = c["samples"], let v = reader.int(s, what: "calibrate samples", atLeast: 1) { calibrate.samples = v }
            if c["samples"] == nil { reader.error("calibrate needs 'samples:' (how many of balance's calibration samples to run)", at: n) }
            if let t = c["ticks"], let v = reader.int(t, what: "calibrate ticks", atLeast: 1) { calibrate.ticks = v }
            if let r = c["shift_readout"], let v = reader.bool(r, what: "calibrate shift_readout") { calibrate.shiftReadout = v }
            if let g = c["gain"], let v = reader.bool(g, what: "calibrate gain") { calibrate.gain = v }
            settings.calibrate = calibrate
        }
        return settings
    }

    static func granularity(_ node: Node, reader: inout YAMLReader) -> ScaleGranularity? {
        reader.choice(node, what: "granularity ('per')", among: ScaleGranularity.allCases.map(\.rawValue)).flatMap(ScaleGranularity.init(rawValue:))
    }
}

extension WeightFormat {
    /// k for `bits(k)`, nil for trinary.
    var bits: Int? { if case let .bits(k) = self { k } else { nil } }
}
