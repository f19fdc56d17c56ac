import Foundation
import Tessera

/// `tessera evaluate --encoding events --masks ...`: a spiking segmenter trained directly
/// (Sinabs, snnTorch, exported to NIR) scored on event input. The chip's class maps are
/// scored against the masks, against the framework's own output counts when given, and
/// against Tessera's float reading of the file (the framework's firing rules, no chip).
///
///     tessera evaluate examples/segmentation/sinabs.nir --from sinabs --encoding events \
///       --images examples/segmentation/test-events.npy --masks examples/segmentation/test-masks.npy \
///       --framework examples/segmentation/sinabs-counts.npy
struct EventSegmentation {
    var run: EvaluationRun
    var rules: FiringRules
    var events: [SpikeInput]
    /// Where to draw one sample beside its segmentations (`--picture`, `--picture-sample`).
    var picture: (path: String, sample: Int)?

    /// What the scoring reads, checked before the compile: the output's name and geometry,
    /// the masks' class maps and the framework's (when given).
    struct Inputs {
        var output: String
        var geometry: Segmentation.Geometry
        var masks: [[Int]]
        var framework: (path: String, maps: [[Int]])?
    }

    /// Checks masks ([N, H, W]: the output's height and width, or the same whole multiple
    /// of both, as a NIR graph has no upsampling node) and the framework's counts against
    /// the graph's output and the `samples` event samples.
    static func inputs(graph: SpikeGraph, output: String?, samples: Int, masks: Tensor,
                       framework: (path: String, counts: Tensor)?) throws(DiagnosticError) -> Inputs {
        guard masks.shape.count == 3, masks.shape[0] == samples else {
            throw DiagnosticError("masks have shape \(masks.shape); expected [\(samples), H, W], one per event sample")
        }
        let name = output ?? graph.outputs.last ?? ""
        guard let shape = graph.layer(named: name)?.shape, !shape.isVector else {
            throw DiagnosticError("output '\(name)' is a vector; a segmentation reads [classes, H, W]")
        }
        let output = [shape.channels, shape.height, shape.width]
        guard let geometry = Segmentation.Geometry.matching(elements: shape.count, output: output, maskHeight: masks.shape[1], maskWidth: masks.shape[2]) else {
            throw DiagnosticError("masks are \(masks.shape[1])x\(masks.shape[2]) per image; output '\(name)' is \(shape) (classes x H x W): masks must be its height and width, or the same whole multiple of both")
        }
        let maps = EvaluationRun.maps(masks)
        for (i, m) in maps.enumerated() {
            if let bad = m.first(where: { !(0..<geometry.classes).contains($0) }) {
                throw DiagnosticError("mask \(i): class \(bad) is not a class of output '\(name)' (0..<\(geometry.classes))")
            }
        }
        let reference = try framework.map { f throws(DiagnosticError) in (f.path, try frameworkMaps(f.counts, path: f.path, samples: samples, geometry: geometry)) }
        return Inputs(output: name, geometry: geometry, masks: maps, framework: reference)
    }

    /// The class maps of a framework's output counts, [N, classes, H, W] (or [N, T, classes,
    /// H, W] spikes, summed over T).
    static func frameworkMaps(_ counts: Tensor, path: String, samples n: Int, geometry: Segmentation.Geometry) throws(DiagnosticError) -> [[Int]] {
        let size = geometry.elements
        guard n > 0, counts.shape.first == n, counts.count >= n * size, counts.count % (n * size) == 0 else {
            throw DiagnosticError("\(path): framework counts have shape \(counts.shape); expected [\(n), \(geometry.classes), \(geometry.height), \(geometry.width)] (or [\(n), T, ...] spikes), one output per event sample")
        }
        let ticks = counts.count / (n * size)
        return (0..<n).map { i in
            var sum = [Double](repeating: 0, count: size)
            for t in 0..<ticks {
                let base = (i * ticks + t) * size
                for e in 0..<size { sum[e] += counts.values[base + e] }
            }
            return geometry.read(sum)
        }
    }

    func score(_ inputs: Inputs) throws(DiagnosticError) -> AccuracyReport {
        let (name, geometry, maps) = (inputs.output, inputs.geometry, inputs.masks)
        let reference = inputs.framework?.maps
        // The float reading runs the events' own ticks, as the framework ran them.
        let longest = events.first?.ticks ?? 1
        let simulator = FloatSimulator(run.original, rules: rules)
        let floatMaps = events.map { input in geometry.read(simulator.run(input, ticks: input.ticks).outputs.first { $0.name == name }?.counts ?? []) }
        let curve = try SegmentationCurve.measure(run.compiled.map, events: events, masks: maps, ticks: run.ticks, reference: reference ?? floatMaps,
                                                  target: run.target, output: run.output, geometry: geometry)
        let classes = geometry.classes
        let floatScore = SegmentationScore(classes: classes, predicted: floatMaps, truth: maps)
        let latency = run.latency
        print("\(run.compiled.coreCount) cores on \(run.target.name); output latency \(latency) ticks; \(events.count) samples, events encoding")
        if geometry.scale > 1 { print("output '\(name)' is \(classes)x\(geometry.height)x\(geometry.width): each position reads the \(geometry.scale)x\(geometry.scale) mask pixels it covers") }
        var report = run.emptyReport(samples: events.count, encoding: "events")
        let against: String
        if let framework = inputs.framework {
            let score = SegmentationScore(classes: classes, predicted: framework.maps, truth: maps)
            let agree = SegmentationScore(classes: classes, predicted: floatMaps, truth: framework.maps)
            print("framework (\(framework.path)): mean IoU \(EvaluationRun.percent(score.meanIoU)), pixel accuracy \(EvaluationRun.percent(score.pixelAccuracy))")
            print("float reading (\(longest) ticks, no chip): mean IoU \(EvaluationRun.percent(floatScore.meanIoU)), pixels as the framework \(EvaluationRun.percent(agree.pixelAccuracy))")
            report.frameworkMeanIou = score.meanIoU
            report.frameworkPixelAccuracy = score.pixelAccuracy
            report.floatPixelsAsReference = agree.pixelAccuracy
            against = "framework"
        } else {
            print("float reading (\(longest) ticks, no chip): mean IoU \(EvaluationRun.percent(floatScore.meanIoU)), pixel accuracy \(EvaluationRun.percent(floatScore.pixelAccuracy))")
            against = "float"
        }
        report.floatMeanIou = floatScore.meanIoU
        report.floatPixelAccuracy = floatScore.pixelAccuracy
        var table = [["ticks", "ticks per frame", "mean IoU", "pixel accuracy", "mean IoU vs \(against)", "pixels as \(against)"]]
        for (k, t) in curve.ticks.enumerated() {
            let figures = [curve.scores[k].meanIoU, curve.scores[k].pixelAccuracy, curve.agreement[k].meanIoU, curve.agreement[k].pixelAccuracy]
            table.append(["\(t)", "\(t + latency)"] + figures.map(EvaluationRun.percent))
        }
        GraphPrinter.align(table, rightAligned: [0, 1, 2, 3, 4, 5]).forEach { print($0) }
        report.curve = curve.ticks.indices.map { k in
            .init(ticks: curve.ticks[k], ticksPerFrame: curve.ticks[k] + latency, meanIou: curve.scores[k].meanIoU,
                  pixelAccuracy: curve.scores[k].pixelAccuracy, meanIouVsReference: curve.agreement[k].meanIoU,
                  pixelsAsReference: curve.agreement[k].pixelAccuracy)
        }
        report.reference = against
        if let picture {
            try draw(picture, inputs: inputs, reference: (against, reference ?? floatMaps), chip: curve.predictions)
        }
        return report
    }

    /// The sample's event rate per pixel (its first input, first channel) beside the mask,
    /// the reference's classes and the chip's, at the masks' size.
    func draw(_ picture: (path: String, sample: Int), inputs: Inputs, reference: (String, [[Int]]), chip: [[Int]]) throws(DiagnosticError) {
        let k = picture.sample
        guard events.indices.contains(k) else { throw DiagnosticError("--picture-sample \(k): the input has \(events.count) samples (0..<\(events.count))") }
        let g = inputs.geometry
        let (height, width) = (g.height * g.scale, g.width * g.scale)
        var rate = [Double](repeating: 0, count: height * width)
        if let spikes = events[k].spikes.sorted(by: { $0.key < $1.key }).first?.value {
            for e in spikes where e.index < rate.count { rate[e.index] += 1 / Double(max(events[k].ticks, 1)) }
        }
        let drawing = SegmentationPicture.draw(image: rate, height: height, width: width,
                                               panels: [("mask", inputs.masks[k]), (reference.0, reference.1[k]), ("chip, \(run.ticks.max() ?? 1) ticks", chip[k])],
                                               classes: g.classes)
        try writePicture(drawing, to: picture.path, scale: 1)
        print("wrote \(picture.path)")
    }
}
