import CoreMap
import Emulator
import Hardware
import TesseraSupport

/// Segmentation quality of an emulated core map as a function of the ticks each image is
/// shown for: after T ticks, each pixel's class is read from the output port's spike
/// counts ([classes, H, W], H x W being the masks' size) by `Segmentation.classes`, and
/// scored against the true masks by `SegmentationScore` (mean IoU, pixel accuracy). One emulation per image, of the
/// longest T, gives the whole curve; `agreement`, when a reference segmentation is given
/// (the float network's, say), scores the emulated maps against it instead of the truth.
///
/// ```swift
/// let curve = try SegmentationCurve.measure(map, samples: images, masks: masks, ticks: [16, 32, 64])
/// print(curve.scores.map(\.meanIoU))
/// ```
public struct SegmentationCurve: Sendable, Equatable {
    public var ticks: [Int]
    /// Against the true masks, one score per entry of `ticks`.
    public var scores: [SegmentationScore]
    /// Against `reference` (when one was given), one score per entry of `ticks`.
    public var agreement: [SegmentationScore]
    /// The emulated class maps after the longest T, one per sample.
    public var predictions: [[Int]]
    public var encoding: InputEncoding

    public static func measure(_ map: CoreMap, samples: [[String: [Double]]], masks: [[Int]], ticks: [Int],
                               reference: [[Int]]? = nil, encoding: InputEncoding = .rate, seed: UInt64 = 1,
                               target: Target? = nil, output: String? = nil,
                               geometry: Segmentation.Geometry? = nil) throws(DiagnosticError) -> SegmentationCurve {
        let readout = try EmulatedReadout(map, ticks: ticks, target: target, output: output)
        return try score(readout, count: samples.count, masks: masks, reference: reference, encoding: encoding, geometry: geometry) { i throws(DiagnosticError) in
            try readout.counts(samples[i], index: i, encoding: encoding, seed: seed)
        }
    }

    /// The same scores for input that is spikes already: one ``SpikeInput`` per sample, as
    /// ``EventInput`` reads an event tensor.
    public static func measure(_ map: CoreMap, events: [SpikeInput], masks: [[Int]], ticks: [Int],
                               reference: [[Int]]? = nil, target: Target? = nil, output: String? = nil,
                               geometry: Segmentation.Geometry? = nil) throws(DiagnosticError) -> SegmentationCurve {
        let readout = try EmulatedReadout(map, ticks: ticks, target: target, output: output)
        return try score(readout, count: events.count, masks: masks, reference: reference, encoding: .events, geometry: geometry) { i in
            readout.counts(events[i])
        }
    }

    private static func score(_ readout: EmulatedReadout, count: Int, masks: [[Int]], reference: [[Int]]?, encoding: InputEncoding,
                              geometry: Segmentation.Geometry?,
                              counts: (Int) throws(DiagnosticError) -> [[Int]]) throws(DiagnosticError) -> SegmentationCurve {
        // A core map's port is a flat vector: without a geometry the masks give H x W, the
        // port's size / (H x W) the classes (channel-major, as the network's [classes, H, W]).
        let elements = readout.port.shape.reduce(1, *)
        let pixels = masks.first?.count ?? 0
        guard let shape = geometry ?? Segmentation.Geometry.matching(elements: elements, output: nil, maskHeight: 1, maskWidth: pixels) else {
            throw DiagnosticError("output '\(readout.port.name)' has \(elements) elements, not a whole number of classes for masks of \(pixels) pixels")
        }
        guard shape.elements == elements, shape.maskPixels == pixels else {
            throw DiagnosticError("output '\(readout.port.name)' has \(elements) elements and masks \(pixels) pixels; expected \(shape.elements) and \(shape.maskPixels) (\(shape.classes) classes of \(shape.height)x\(shape.width), scale \(shape.scale))")
        }
        let classes = shape.classes
        guard masks.count == count else { throw DiagnosticError("\(count) samples but \(masks.count) masks") }
        for (name, maps) in [("mask", masks), ("reference", reference ?? [])] {
            for (i, m) in maps.enumerated() {
                guard m.count == pixels else { throw DiagnosticError("\(name) \(i) has \(m.count) pixels; mask 0 has \(pixels)") }
                if let bad = m.first(where: { !(0..<classes).contains($0) }) {
                    throw DiagnosticError("\(name) \(i): class \(bad) is not a class of output '\(readout.port.name)' (0..<\(classes))")
                }
            }
        }
        if let reference, reference.count != count { throw DiagnosticError("\(count) samples but \(reference.count) reference maps") }
        let ticks = readout.ticks
        var scores = Array(repeating: SegmentationScore(classes: classes), count: ticks.count)
        var agreement = reference == nil ? [] : scores
        var predictions: [[Int]] = []
        let longest = ticks.firstIndex(of: ticks.max() ?? 1) ?? 0
        for i in 0..<count {
            for (k, values) in try counts(i).enumerated() {
                let predicted = shape.read(values)
                scores[k].add(predicted: predicted, truth: masks[i])
                if let reference { agreement[k].add(predicted: predicted, truth: reference[i]) }
                if k == longest { predictions.append(predicted) }
            }
        }
        return SegmentationCurve(ticks: ticks, scores: scores, agreement: agreement, predictions: predictions, encoding: encoding)
    }
}
