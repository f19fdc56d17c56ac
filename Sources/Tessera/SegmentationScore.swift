/// Intersection over union per class between predicted and true per-pixel class maps,
/// accumulated over samples, as segmentation benchmarks (PASCAL VOC) score a network:
/// IoU_c = |pred = c and truth = c| / |pred = c or truth = c| over all pixels seen, and the
/// mean over the classes that occur in either map.
///
/// ```swift
/// var score = SegmentationScore(classes: 11)
/// score.add(predicted: Segmentation.classes(counts, classes: 11), truth: mask)
/// print(score.meanIoU, score.pixelAccuracy)
/// ```
public struct SegmentationScore: Sendable, Equatable {
    public let classes: Int
    public private(set) var intersection: [Int]
    public private(set) var union: [Int]
    public private(set) var pixels = 0
    public private(set) var correct = 0

    public init(classes: Int) {
        self.classes = classes
        intersection = Array(repeating: 0, count: classes)
        union = Array(repeating: 0, count: classes)
    }

    /// Adds one sample's maps, pixel by pixel (equal lengths, classes in 0..<classes).
    public mutating func add(predicted: [Int], truth: [Int]) {
        for (p, t) in zip(predicted, truth) {
            pixels += 1
            if p == t {
                correct += 1
                intersection[t] += 1
                union[t] += 1
            } else {
                union[p] += 1
                union[t] += 1
            }
        }
    }

    /// IoU of each class, nil for a class that occurs in neither map.
    public var perClass: [Double?] {
        zip(intersection, union).map { i, u in u == 0 ? nil : Double(i) / Double(u) }
    }

    /// The mean IoU over the classes that occur (0 when nothing was added).
    public var meanIoU: Double {
        let present = perClass.compactMap { $0 }
        return present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
    }

    /// The fraction of pixels whose class is right.
    public var pixelAccuracy: Double { pixels == 0 ? 0 : Double(correct) / Double(pixels) }
}

/// Reading a per-pixel class map from a [classes, H, W] tensor of scores or spike counts.
public enum Segmentation {
    /// Per pixel (H x W, row-major), the class whose channel holds the largest value, the
    /// lower index on a tie; where no value is above zero, class 0, the background. A
    /// spiking output neuron fires only for a positive score, so a pixel whose neurons are
    /// all silent reads as background; reading the float network's scores by the same rule
    /// makes the two comparable.
    public static func classes<T: Comparable & Numeric>(_ values: [T], classes: Int) -> [Int] {
        guard classes > 0, !values.isEmpty else { return [] }
        let pixels = values.count / classes
        return (0..<pixels).map { p in
            var best = 0
            var top = values[p]
            for c in 1..<classes where values[c * pixels + p] > top {
                best = c
                top = values[c * pixels + p]
            }
            return top > 0 ? best : 0
        }
    }
}
