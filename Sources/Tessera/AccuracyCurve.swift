import CoreMap
import Emulator
import Hardware
import TesseraSupport

/// Classification accuracy of an emulated core map as a function of the ticks each sample
/// is shown for, read on one output port (by default the last): the predicted class after
/// T ticks is the output neuron with the most spikes in the first T ticks after the port's
/// latency (ties to the lower index; no spike is a miss). A signed output's score is its
/// positive count minus its negative count, and it is a miss only where every class scores
/// the same. One emulation per sample, of the
/// longest T, gives the whole curve.
///
/// ```swift
/// let curve = try AccuracyCurve.measure(map, samples: images, labels: labels, ticks: [1, 2, 4, 8, 16, 32, 64, 128])
/// print(curve.accuracy)   // one figure per entry of ticks
/// ```
public struct AccuracyCurve: Sendable, Equatable {
    public var ticks: [Int]
    /// Fraction correct at each entry of `ticks`.
    public var accuracy: [Double]
    public var samples: Int
    public var encoding: InputEncoding

    public static func measure(_ map: CoreMap, samples: [[String: [Double]]], labels: [Int], ticks: [Int],
                               encoding: InputEncoding = .rate, seed: UInt64 = 1, target: Target? = nil,
                               output: String? = nil) throws(DiagnosticError) -> AccuracyCurve {
        let readout = try EmulatedReadout(map, ticks: ticks, target: target, output: output)
        guard labels.count == samples.count else { throw DiagnosticError("\(samples.count) samples but \(labels.count) labels") }
        let classes = readout.port.shape.reduce(1, *)
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw DiagnosticError("label \(bad) is not a class of output '\(readout.port.name)' (0..<\(classes))")
        }
        var correct = [Int](repeating: 0, count: ticks.count)
        for (i, sample) in samples.enumerated() {
            for (k, counts) in try readout.counts(sample, index: i, encoding: encoding, seed: seed).enumerated() {
                guard let best = counts.max(), let worst = counts.min() else { continue }
                let decided = readout.isSigned ? best > worst : best > 0
                if decided, counts.firstIndex(of: best) == labels[i] { correct[k] += 1 }
            }
        }
        return AccuracyCurve(ticks: ticks, accuracy: correct.map { Double($0) / Double(max(samples.count, 1)) },
                             samples: samples.count, encoding: encoding)
    }
}
