import Foundation
import Tessera

/// `tessera evaluate --compare-passes`: the accuracy (or mean IoU) per tick count for each
/// combination of the rate-coding passes, every one converted, compiled and emulated anew
/// from the same settings: balancing and quantisation alone, + residual elimination, + bias
/// calibration, + both. The passes the settings do not ask for take their defaults (half
/// the threshold; calibration on 64 samples at 32 ticks). So the effect of each pass on the
/// whole curve is read in one table (docs/conversion.md).
struct PassComparison {
    var network: Network
    var settings: ConversionSettings
    var target: Target
    var samples: [[String: [Double]]]
    var ticks: [Int]
    var encoding: InputEncoding
    var seed: UInt64
    var output: String?

    /// The combinations, named, from the settings with both passes off.
    var combinations: [(name: String, settings: ConversionSettings)] {
        var base = settings
        base.initialPotential = nil
        base.calibrate = nil
        let fraction = settings.initialPotential ?? 0.5
        let calibrate = settings.calibrate ?? ConversionSettings.Calibrate(samples: 64)
        var residual = base, calibrated = base, both = base
        residual.initialPotential = fraction
        calibrated.calibrate = calibrate
        both.initialPotential = fraction
        both.calibrate = calibrate
        let c = "calibration (\(calibrate.samples) samples, \(calibrate.ticks) ticks\(calibrate.shiftReadout ? ", readout shifted" : "")\(calibrate.gain ? ", gain" : ""))"
        return [("balancing and quantisation", base), ("+ residual elimination (\(fraction))", residual), ("+ \(c)", calibrated),
                ("+ \(c) + residual elimination", both)]
    }

    /// One row per combination: its figure (accuracy, or mean IoU with `masks`) per tick count.
    func run(labels: [Int]?, masks: [[Int]]?) throws(DiagnosticError) -> [[String]] {
        var table = [["conversion"] + ticks.map { "T=\($0)" }]
        for (name, settings) in combinations {
            let converted = try network.convert(settings, target: target).network
            let compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: target)).compile()
            let figures: [Double]
            if let masks {
                figures = try SegmentationCurve.measure(compiled.map, samples: samples, masks: masks, ticks: ticks, encoding: encoding,
                                                        seed: seed, target: target, output: output).scores.map(\.meanIoU)
            } else {
                figures = try AccuracyCurve.measure(compiled.map, samples: samples, labels: labels ?? [], ticks: ticks, encoding: encoding,
                                                    seed: seed, target: target, output: output).accuracy
            }
            table.append([name] + figures.map(EvaluationRun.percent))
        }
        return table
    }
}
