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

    /// The score of whole sets of maps: `predicted[i]` against `truth[i]` for every i.
    public init(classes: Int, predicted: [[Int]], truth: [[Int]]) {
        self.init(classes: classes)
        for (p, t) in zip(predicted, truth) { add(predicted: p, truth: t) }
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
