import ArgumentParser
import Foundation
import Tessera

/// The conversion passes' options on the command line; each one overrides the same setting
/// of the network file's `compile:` section (docs/conversion.md).
struct ConversionOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Fold batch norm into the layer before it (default on).")
    var foldBatchnorm: Bool?

    @Flag(inversion: .prefixedNo, help: "Compose each average or sum pool into the convolution that reads it: exact where a pooling layer rounds, but wider windows (default off).")
    var composePools: Bool?

    @Flag(inversion: .prefixedNo, help: "Replace lif decays by the measured best linear leak (default on).")
    var approximateDecay: Bool?

    @Option(help: "Calibration samples for threshold balancing: PATH.npy (the only input) or INPUT=PATH.npy; repeat for several inputs.")
    var calibration: [String] = []

    @Option(help: "Percentile of positive activations taken as each layer's maximum (default 99.9).")
    var percentile: Double?

    @Option(help: "Balance per layer or per channel.")
    var balancePer: ScaleGranularity?

    @Option(help: "Quantise weights to 2..8-bit integers or trinary.")
    var quantise: String?

    @Option(help: "Quantisation scale per layer or per channel.")
    var quantisePer: ScaleGranularity?

    @Option(help: "Residual elimination: rate-coded neurons start at this fraction of their threshold (0.5 in explicit current control; 0 turns it off).")
    var initialPotential: Double?

    @Option(help: "Bias calibration on the first N calibration samples (layer by layer, on the spiking network's measured rates); 0 turns it off.")
    var calibrate: Int?

    @Option(help: "Ticks each calibration sample is shown for (default 32).")
    var calibrateTicks: Int?

    @Flag(inversion: .prefixedNo, help: "With --calibrate: raise a classifier's scores by one common amount so that its winning class always fires (the class order is unchanged).")
    var shiftReadout: Bool?

    @Flag(inversion: .prefixedNo, help: "With --calibrate: the advanced form, each weighted layer's gain per channel (its threshold) before its bias.")
    var calibrateGain: Bool?

    @Flag(inversion: .prefixedNo, help: "Read each output as the difference of two ports, <name> counting how far its score rises and <name>.negative how far it falls (default: on for networks with quantised ReLUs).")
    var signedReadout: Bool?

    @Flag(inversion: .prefixedNo, help: "Bring binary (Eedn) layers to exact integer form (default on).")
    var binarise: Bool?

    @Flag(name: .long, help: "Print the IR after each pass of the pipeline.")
    var printAfterEachPass = false

    func validate() throws {
        if let percentile, !(percentile > 0 && percentile <= 100) { throw ValidationError("--percentile must be in (0, 100]") }
        if let initialPotential, !NeuronModel.initialFractions.contains(initialPotential) {
            throw ValidationError("--initial-potential is a fraction of the threshold in -1...1")
        }
        if let calibrate, calibrate < 0 { throw ValidationError("--calibrate takes a number of samples (0 turns calibration off)") }
        if let calibrateTicks, calibrateTicks < 1 { throw ValidationError("--calibrate-ticks must be at least 1") }
        if let quantise {
            guard let format = WeightFormat(quantise) else { throw ValidationError("--quantise '\(quantise)': expected 2..8 or trinary") }
            if case let .bits(k) = format, !(2...8).contains(k) { throw ValidationError("--quantise \(k): k must be 2..8") }
        }
    }

    /// The file's settings with these options applied; command-line paths are relative to
    /// the working directory.
    func apply(to file: ConversionSettings, inputs: [String]) throws(DiagnosticError) -> ConversionSettings {
        var s = file
        if let foldBatchnorm { s.foldBatchNorm = foldBatchnorm }
        if let composePools { s.composePools = composePools }
        if let approximateDecay { s.approximateDecay = approximateDecay }
        if let binarise { s.binarise = binarise }
        if let signedReadout { s.signedReadout = signedReadout }
        if !calibration.isEmpty || percentile != nil || balancePer != nil {
            var balance = s.balance ?? ConversionSettings.Balance()
            if let percentile { balance.percentile = percentile }
            if let balancePer { balance.granularity = balancePer }
            if !calibration.isEmpty {
                let cwd = FileManager.default.currentDirectoryPath
                balance.calibration = try namedPaths(calibration, names: inputs, option: "--calibration").mapValues { path in
                    path.hasPrefix("/") ? path : URL(fileURLWithPath: cwd).appendingPathComponent(path).path
                }
            }
            if balance.calibration.isEmpty { throw DiagnosticError("threshold balancing needs calibration samples: --calibration PATH.npy") }
            s.balance = balance
        }
        if quantise != nil || quantisePer != nil {
            var q = s.quantise ?? ConversionSettings.Quantise(format: .bits(4))
            if let quantise, let format = WeightFormat(quantise) { q.format = format }
            if let quantisePer { q.granularity = quantisePer }
            q.byDefault = false
            s.quantise = q
        }
        if let initialPotential { s.initialPotential = initialPotential == 0 ? nil : initialPotential }
        if calibrate == 0 {
            s.calibrate = nil
        } else if calibrate != nil || calibrateTicks != nil || shiftReadout != nil || calibrateGain != nil {
            var c = s.calibrate ?? ConversionSettings.Calibrate(samples: 0)
            if let calibrate { c.samples = calibrate }
            if let calibrateTicks { c.ticks = calibrateTicks }
            if let shiftReadout { c.shiftReadout = shiftReadout }
            if let calibrateGain { c.gain = calibrateGain }
            if c.samples < 1 { throw DiagnosticError("--calibrate-ticks and --shift-readout need --calibrate N (how many calibration samples)") }
            s.calibrate = c
        }
        return s
    }

    /// Loads the network and runs the enabled passes, printing each pass's log (and the IR
    /// after it when asked).
    func convert(_ path: String, target: Target, nir: NIRSemantics = NIRSemantics()) throws(DiagnosticError) -> (original: Network, conversion: Conversion) {
        let net = try Network.load(path, nir: nir)
        report(net.warnings)
        if printAfterEachPass { print("== after load ==\n\(net.text)") }
        let settings = try apply(to: net.conversion, inputs: net.graph.inputLayers.map(\.name))
        let conversion = try net.convert(settings, target: target)
        for stage in conversion.stages {
            print("\(stage.pass):" + (stage.result.log.isEmpty ? " nothing to do" : ""))
            stage.result.log.forEach { print("  \($0)") }
            if printAfterEachPass { print("== after \(stage.pass) ==\n\(GraphPrinter.render(stage.result.graph))") }
        }
        return (net, conversion)
    }
}

extension ScaleGranularity: ExpressibleByArgument {}
