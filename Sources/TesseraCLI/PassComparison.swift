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
    /// The evaluation whose samples, ticks, encoding and readout every combination is
    /// measured with; its map is replaced by each combination's.
    var run: EvaluationRun

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
        var table = [["conversion"] + run.ticks.map { "T=\($0)" }]
        for (name, settings) in combinations {
            let converted = try network.convert(settings, target: run.target).network
            var combination = run
            combination.compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: run.target)).compile()
            let figures = if let masks { try combination.segmentationCurve(masks: masks).scores.map(\.meanIoU) } else {
                try combination.accuracyCurve(labels: labels ?? []).accuracy
            }
            table.append([name] + figures.map(EvaluationRun.percent))
        }
        return table
    }
}
