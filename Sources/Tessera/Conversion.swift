import Frontend
import Hardware
import Mapping
import Passes
import SpikeIR
import TesseraSupport

/// A network after the conversion passes: the converted network, and each pass's graph and
/// log in order (for `--print-after-each-pass`).
///
/// ```swift
/// let net = try Network.load("Tests/TesseraTests/Fixtures/digits/mlp.yaml")
/// var settings = net.conversion
/// settings.quantise = .init(format: .bits(4), granularity: .channel)
/// let converted = try net.convert(settings).network     // integer weights, ready to compile
/// ```
public struct Conversion: Sendable {
    public var stages: [ConversionPipeline.Stage]
    public var network: Network
}

extension Network {
    /// Runs the conversion passes that `settings` (by default the file's `compile:` section)
    /// enable. Balancing reads its calibration set from the settings' `.npy` files unless
    /// `calibration` is given. With a `target`, quantisation keeps biases and thresholds
    /// within its leak and threshold widths, and weights that the target cannot hold as they
    /// are (floats, or integers beyond its weight width) are quantised even when the settings
    /// do not ask: to 8 bits per output channel, or the target's width if narrower
    /// (``defaultQuantise(for:)``), which the quantise pass's log says.
    public func convert(_ settings: ConversionSettings? = nil, calibration: [[String: [Double]]]? = nil,
                        target: Target? = nil) throws(DiagnosticError) -> Conversion {
        var settings = settings ?? conversion
        var defaulted: String?
        if settings.quantise?.byDefault ?? true, let target, let name = QuantiseWeights.firstInexactWeights(in: graph, range: target.core.weightRange) {
            var quantise = settings.quantise ?? Self.defaultQuantise(for: target)
            // Windows as the target will see them: after pools are composed into convolutions.
            let windows = ConversionPipeline.composesPools(settings, graph) ? try ComposePools().run(graph).graph : graph
            let narrowed = Self.narrowed(windows, quantise: &quantise, target: target)
            if settings.quantise == nil {
                defaulted = "no quantise setting, and \(name) is not integers in \(target.core.weightRange.lowerBound)..\(target.core.weightRange.upperBound): "
                    + "\(quantise.format) weights per output channel, the default (--quantise or compile.quantise chooses)"
                    + narrowed.map { "; " + $0 }.joined()
            } else if !narrowed.isEmpty {
                defaulted = "\(quantise.format) weights per output channel, the imported model's default; " + narrowed.joined(separator: "; ")
            }
            settings.quantise = quantise
        }
        var samples = calibration ?? []
        if calibration == nil, let files = settings.balance?.calibration, !files.isEmpty {
            samples = try SampleSet.load(files, for: graph, relativeTo: settings.baseDirectory).samples
        }
        if let asked = settings.calibrate?.samples {
            let files = (settings.balance?.calibration ?? [:]).sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
            if samples.isEmpty {
                throw DiagnosticError("bias calibration needs calibration samples: give balance's calibration set (compile.balance.calibration, or --calibration PATH.npy)")
            }
            if samples.count < asked {
                throw DiagnosticError("\(calibration == nil ? files : "the calibration set"): calibration asks for \(asked) samples, but it holds \(samples.count)")
            }
        }
        let limits = target.map { t in
            QuantiseWeights.Limits(bias: CoreSpec.signedRange(bits: t.core.leakBits).upperBound, threshold: t.core.thresholdRange.upperBound)
        }
        var stages = try ConversionPipeline(settings, limits: limits).run(graph, calibration: samples)
        if let defaulted, let k = stages.firstIndex(where: { $0.pass == "quantise-weights" }) { stages[k].result.log.insert(defaulted, at: 0) }
        var converted = self
        converted.graph = stages.last?.result.graph ?? graph
        return Conversion(stages: stages, network: converted)
    }

    /// The quantisation a network gets when its weights do not fit `target` and nothing
    /// asks for one: symmetric 8-bit per output channel, the finest a 9-bit weight holds and
    /// each channel with its own scale; narrower where the target's signed weight width is
    /// (k bits hold 2^(k-1) - 1).
    public static func defaultQuantise(for target: Target) -> ConversionSettings.Quantise {
        ConversionSettings.Quantise(format: .bits(max(2, min(8, target.core.weightBits - 1))), granularity: .channel)
    }

    /// Narrows the default quantisation in each kernel layer where one input channel's
    /// window, at the default width, needs more axons than a core has: a split fan-in's
    /// part holds at least one channel's whole window, so the layer would not map at all.
    /// A sum pool composed into the convolution after it (36 live taps) takes 16 lanes a tap
    /// at 8 bits, 576 axons; 5-bit weights take 7, 252. Returns what it did, for the log.
    static func narrowed(_ graph: SpikeGraph, quantise: inout ConversionSettings.Quantise, target: Target) -> [String] {
        guard case let .bits(k) = quantise.format else { return [] }
        let axons = target.core.axons
        var notes: [String] = []
        for layer in graph.layers {
            guard let key = layer.parameterKey, let w = graph.parameters.tensor("\(key).weight"), let window = ChannelWindow(weights: w) else { continue }
            let needed = window.axons(bits: k)
            guard needed > axons, let fit = window.widestFitting(axons: axons, bits: k) else { continue }
            quantise.layers[layer.name] = .bits(fit)
            notes.append("\(fit)-bit in \(layer.name), where one input channel's window of \(window.taps) live taps takes \(needed) axons at \(k) bits and a core has \(axons)")
        }
        return notes
    }
}
