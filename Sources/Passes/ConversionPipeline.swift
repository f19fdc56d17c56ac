import SpikeIR
import TesseraSupport

/// The conversion passes in their fixed order, as ``ConversionSettings`` enable them:
/// fold trained scales (whenever a layer has one), fold batch norm, compose pools, approximate decay,
/// balance thresholds, quantise weights, eliminate residual, calibrate bias, signed readout,
/// binarise activations. Each stage keeps the graph after it and the pass's log, so a caller can
/// print the IR after each pass.
///
///     let stages = try ConversionPipeline(settings).run(graph, calibration: samples)
///     let converted = stages.last?.result.graph ?? graph
public struct ConversionPipeline: Sendable {
    /// One pass's name and what it produced.
    public struct Stage: Sendable {
        public var pass: String
        public var result: PassResult
    }

    public var settings: ConversionSettings
    /// The target's bias and threshold widths, which quantisation scales must respect.
    public var limits: QuantiseWeights.Limits?

    public init(_ settings: ConversionSettings, limits: QuantiseWeights.Limits? = nil) {
        self.settings = settings
        self.limits = limits
    }

    /// Whether `settings` compose `graph`'s pools: when asked and it has any.
    public static func composesPools(_ settings: ConversionSettings, _ graph: SpikeGraph) -> Bool {
        settings.composePools && graph.layers.contains { switch $0.op { case .avgpool, .sumpool: true; default: false } }
    }

    public func run(_ graph: SpikeGraph, calibration: [[String: [Double]]] = []) throws(DiagnosticError) -> [Stage] {
        var stages: [Stage] = []
        var current = graph
        func record(_ pass: String, _ result: PassResult) {
            stages.append(Stage(pass: pass, result: result))
            current = result.graph
        }
        if FoldScales.applies(to: graph) { record("fold-scales", try FoldScales().run(current)) }
        let hasBatchNorm = graph.layers.contains { if case .batchnorm = $0.op { true } else { false } }
        if settings.foldBatchNorm && hasBatchNorm { record("fold-batchnorm", try FoldBatchNorm().run(current)) }
        if Self.composesPools(settings, current) { record("compose-pools", try ComposePools().run(current)) }
        if settings.approximateDecay && current.layers.contains(where: { $0.neuron?.decay != nil }) {
            record("approximate-decay", try ApproximateDecay().run(current))
        }
        if let balance = settings.balance {
            record("balance-thresholds", try BalanceThresholds(percentile: balance.percentile, granularity: balance.granularity).run(current, calibration: calibration))
        } else if current.layers.contains(where: { $0.levels != nil }) {
            // Quantised ReLUs carry their trained scale, which the spikes must stand for.
            record("balance-thresholds", try BalanceThresholds().run(current, calibration: []))
        }
        // Calibration steers the final network towards this one's rates: the ANN as balanced,
        // before quantisation rounds it.
        let reference = current
        if let quantise = settings.quantise {
            record("quantise-weights", try QuantiseWeights(quantise.format, granularity: quantise.granularity, limits: limits, layers: quantise.layers).run(current))
        }
        if let fraction = settings.initialPotential {
            record("eliminate-residual", try EliminateResidual(fraction: fraction).run(current))
        }
        if let calibrate = settings.calibrate {
            let pass = CalibrateBias(samples: calibrate.samples, ticks: calibrate.ticks, rounds: settings.quantise != nil, biasLimit: limits?.bias,
                                     shiftsReadout: calibrate.shiftReadout, calibratesGain: calibrate.gain, thresholdLimit: limits?.threshold)
            record("calibrate-bias", try pass.run(current, reference: reference, calibration: calibration))
        }
        let quantisedReLUs = current.layers.contains { $0.levels != nil }
        if settings.signedReadout ?? quantisedReLUs {
            var result = try SignedReadout().run(current)
            if settings.signedReadout == nil {
                result.log.insert("on by default: the network has quantised ReLUs (--no-signed-readout or compile.signed_readout: false turns it off)", at: 0)
            }
            record("signed-readout", result)
        }
        if settings.binarise && current.layers.contains(where: { $0.neuron?.kind == .binary }) {
            record("binarise-activations", try BinariseActivations().run(current))
        }
        return stages
    }
}
