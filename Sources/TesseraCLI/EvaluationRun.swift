import Foundation
import Tessera

/// One `tessera evaluate` run after conversion and compile: the samples emulated on the
/// core map and read either as classes (`classify`) or as per-pixel class maps
/// (`segment`), printed as a table per tick count and returned as the report.
struct EvaluationRun {
    var original: SpikeGraph
    var compiled: Compiled
    var target: Target
    var samples: [[String: [Double]]]
    var ticks: [Int]
    var encoding: InputEncoding
    var seed: UInt64
    var output: String?
    var passes: [AccuracyReport.Pass]

    var latency: Int { compiled.map.outputs.first { $0.name == (output ?? compiled.map.readablePorts.last?.name) }?.latency ?? 0 }

    func classify(labels: Tensor) throws(DiagnosticError) -> AccuracyReport {
        let labelValues = labels.values.map { Int($0) }
        let floatAccuracy = original.layers.contains(where: { $0.neuron?.kind == .binary }) ? nil
            : AnalogForward(original).accuracy(samples, labels: labelValues, output: output)
        let curve = try accuracyCurve(labels: labelValues)
        printHeader()
        print("float (ANN) accuracy: " + (floatAccuracy.map { Self.percent($0) } ?? "n/a (binary layers have no ReLU reading)"))
        var table = [["ticks", "ticks per frame", "accuracy"]]
        for (t, a) in zip(curve.ticks, curve.accuracy) { table.append(["\(t)", "\(t + latency)", Self.percent(a)]) }
        GraphPrinter.align(table, rightAligned: [0, 1, 2]).forEach { print($0) }
        var report = emptyReport()
        report.floatAccuracy = floatAccuracy
        report.curve = zip(curve.ticks, curve.accuracy).map { .init(ticks: $0, ticksPerFrame: $0 + latency, accuracy: $1) }
        return report
    }

    func segment(masks: Tensor) throws(DiagnosticError) -> AccuracyReport {
        guard masks.shape.count == 3, masks.shape[0] == samples.count else {
            throw DiagnosticError("masks have shape \(masks.shape); expected [\(samples.count), H, W], one per image")
        }
        let name = output ?? original.outputs.last ?? ""
        if let shape = original.layer(named: name)?.shape, !shape.isVector, [shape.height, shape.width] != Array(masks.shape[1...]) {
            throw DiagnosticError("masks are \(masks.shape[1])x\(masks.shape[2]) per image; output '\(name)' is \(shape) (classes x H x W)")
        }
        let maps = Self.maps(masks)
        guard let float = AnalogForward(original).segmentation(samples, output: output) else {
            throw DiagnosticError("output '\(name)' is a vector; a segmentation reads [classes, H, W]")
        }
        let curve = try segmentationCurve(masks: maps, reference: float)
        let floatScore = SegmentationScore(classes: curve.scores.first?.classes ?? 1, predicted: float, truth: maps)
        printHeader()
        print("float (ANN): mean IoU \(Self.percent(floatScore.meanIoU)), pixel accuracy \(Self.percent(floatScore.pixelAccuracy))")
        var table = [["ticks", "ticks per frame", "mean IoU", "pixel accuracy", "mean IoU vs float"]]
        for (k, t) in curve.ticks.enumerated() {
            table.append(["\(t)", "\(t + latency)", Self.percent(curve.scores[k].meanIoU), Self.percent(curve.scores[k].pixelAccuracy),
                          Self.percent(curve.agreement[k].meanIoU)])
        }
        GraphPrinter.align(table, rightAligned: [0, 1, 2, 3, 4]).forEach { print($0) }
        var report = emptyReport()
        report.floatMeanIou = floatScore.meanIoU
        report.floatPixelAccuracy = floatScore.pixelAccuracy
        report.curve = curve.ticks.indices.map { k in
            .init(ticks: curve.ticks[k], ticksPerFrame: curve.ticks[k] + latency, meanIou: curve.scores[k].meanIoU,
                  pixelAccuracy: curve.scores[k].pixelAccuracy, meanIouVsFloat: curve.agreement[k].meanIoU)
        }
        return report
    }

    /// The compiled map's accuracy per tick count on these samples.
    func accuracyCurve(labels: [Int]) throws(DiagnosticError) -> AccuracyCurve {
        try AccuracyCurve.measure(compiled.map, samples: samples, labels: labels, ticks: ticks, encoding: encoding,
                                  seed: seed, target: target, output: output)
    }

    /// The compiled map's segmentation scores per tick count on these samples.
    func segmentationCurve(masks: [[Int]], reference: [[Int]]? = nil) throws(DiagnosticError) -> SegmentationCurve {
        try SegmentationCurve.measure(compiled.map, samples: samples, masks: masks, ticks: ticks, reference: reference,
                                      encoding: encoding, seed: seed, target: target, output: output)
    }

    /// One class map per image of an [N, H, W] mask tensor.
    static func maps(_ masks: Tensor) -> [[Int]] {
        let count = masks.shape.first ?? 0, pixels = masks.shape.dropFirst().reduce(1, *)
        return (0..<count).map { i in masks.values[i * pixels..<(i + 1) * pixels].map { Int($0) } }
    }

    private func printHeader() {
        print("\(compiled.coreCount) cores on \(target.name); output latency \(latency) ticks; \(samples.count) samples, \(encoding.rawValue) encoding")
    }

    func emptyReport(samples count: Int? = nil, encoding name: String? = nil) -> AccuracyReport {
        AccuracyReport(network: original.name, target: target.name, samples: count ?? samples.count, encoding: name ?? encoding.rawValue,
                       cores: compiled.coreCount, latency: latency, curve: [], passes: passes)
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
}
