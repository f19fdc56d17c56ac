import Foundation
import SpikeIR
import TesseraSupport

/// Input samples read from `.npy` files, one file per network input: an array with the
/// input's element count is one sample (any shape, e.g. (8, 8) for [1, 8, 8]); one with a
/// leading dimension more is a batch of N samples. Calibration sets for threshold balancing,
/// test images for accuracy and inputs for emulation all come this way.
///
///     let set = try SampleSet.load(["image": "calibration.npy"], shapes: ["image": [1, 8, 8]])
///     set.samples.count        // N
///     set.samples[0]["image"]  // 64 values, C x H x W order
public struct SampleSet: Sendable {
    /// `samples[k][input]`: the values of one input for sample k, row-major.
    public var samples: [[String: [Double]]]
    /// Whether the arrays carried a batch dimension (even a batch of one).
    public var isBatch: Bool

    public static func load(_ files: [String: String], shapes: [String: [Int]], relativeTo base: String? = nil) throws(DiagnosticError) -> SampleSet {
        var perInput: [String: [[Double]]] = [:]
        var isBatch = false
        for (name, file) in files.sorted(by: { $0.key < $1.key }) {
            guard let shape = shapes[name] else {
                throw DiagnosticError("'\(name)' is not an input\(Suggestion.hint(for: name, among: shapes.keys)); inputs: \(shapes.keys.sorted().joined(separator: ", "))")
            }
            let path = base.map { file.hasPrefix("/") ? file : URL(fileURLWithPath: $0).appendingPathComponent(file).path } ?? file
            let tensor: Tensor
            do { tensor = try NPYFile.read(path: path) } catch { throw DiagnosticError("\(path): \(error.message)") }
            let size = shape.reduce(1, *)
            if tensor.count == size {
                perInput[name] = [tensor.values]
            } else if tensor.shape.count >= 2, tensor.shape.dropFirst().reduce(1, *) == size {
                isBatch = true
                perInput[name] = (0..<tensor.shape[0]).map { Array(tensor.values[($0 * size)..<(($0 + 1) * size)]) }
            } else {
                throw DiagnosticError("\(path): shape \(describeShape(tensor.shape)) matches neither input '\(name)' of shape \(describeShape(shape)) nor a batch of it (N, \(shape.map(String.init).joined(separator: ", ")))")
            }
        }
        let counts = Set(perInput.values.map(\.count))
        guard counts.count <= 1, let batch = counts.first else {
            throw DiagnosticError(perInput.isEmpty ? "no input given" : "inputs have different batch sizes: \(perInput.mapValues(\.count).sorted { $0.key < $1.key })")
        }
        return SampleSet(samples: (0..<batch).map { k in perInput.mapValues { $0[k] } }, isBatch: isBatch)
    }

    /// Samples for every input of a graph.
    public static func load(_ files: [String: String], for graph: SpikeGraph, relativeTo base: String? = nil) throws(DiagnosticError) -> SampleSet {
        let shapes = Dictionary(graph.inputLayers.compactMap { l in l.shape.map { (l.name, [$0.channels, $0.height, $0.width]) } }, uniquingKeysWith: { a, _ in a })
        return try load(files, shapes: shapes, relativeTo: base)
    }
}
