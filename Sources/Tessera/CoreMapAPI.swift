import CoreMap
import Emulator
import Foundation
import Frontend
import Hardware
import TesseraSupport

extension CoreMap {
    /// Loads a core map file, validating it against `target` or, if nil, against the
    /// bundled target the map names.
    public static func load(_ path: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        try CoreMapReader.load(path: path, target: target)
    }

    /// The map as JSON v1 text; writing a loaded map gives back the same bytes.
    public var json: String { CoreMapWriter.json(self) }

    public func save(to path: String) throws(DiagnosticError) {
        do {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
        }
    }

    /// Emulates the map for `ticks` ticks from reset (see ``Emulator``).
    public func emulate(_ input: SpikeInput, ticks: Int, target: Target? = nil, traceCore: Int? = nil) throws(DiagnosticError) -> EmulationResult {
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(self.target) }
        return try Emulator(map: self, target: resolved).run(input, ticks: ticks, traceCore: traceCore)
    }
}

/// Input tensors read from NumPy files for emulation: one sample, or a batch when the
/// array has one more leading dimension than the port.
public struct InputBatch: Sendable {
    /// `samples[k][port]`: the values of one port for sample k, row-major.
    public var samples: [[String: [Double]]]
    /// Whether the tensors carried a batch dimension (even a batch of one).
    public var isBatch: Bool

    /// Reads `files[port] = path.npy` and splits each into samples by the port's shape.
    public static func load(_ files: [String: String], ports: [InputPort]) throws(DiagnosticError) -> InputBatch {
        var perPort: [String: [[Double]]] = [:]
        var isBatch = false
        for (name, path) in files.sorted(by: { $0.key < $1.key }) {
            guard let port = ports.first(where: { $0.name == name }) else {
                throw DiagnosticError("input '\(name)' is not a port of the core map\(Suggestion.hint(for: name, among: ports.map(\.name))); ports: \(ports.map(\.name).joined(separator: ", "))")
            }
            let tensor: Tensor
            do { tensor = try NPYFile.read(path: path) } catch { throw DiagnosticError("\(path): \(error.message)") }
            let size = port.count
            // Same element count as the port: one sample (any shape, e.g. (8, 8) for [1, 8, 8]).
            // One leading dimension more: a batch of samples, each run from a reset chip.
            if tensor.count == size {
                perPort[name] = [tensor.values]
            } else if tensor.shape.count >= 2, tensor.shape.dropFirst().reduce(1, *) == size {
                let batch = tensor.shape[0]
                isBatch = true
                perPort[name] = (0..<batch).map { Array(tensor.values[($0 * size)..<(($0 + 1) * size)]) }
            } else {
                throw DiagnosticError("\(path): shape \(describeShape(tensor.shape)) matches neither input '\(name)' of shape \(describeShape(port.shape)) nor a batch of it (N, \(port.shape.map(String.init).joined(separator: ", ")))")
            }
        }
        let counts = Set(perPort.values.map(\.count))
        guard counts.count <= 1, let batch = counts.first else {
            throw DiagnosticError(perPort.isEmpty ? "no input given" : "inputs have different batch sizes: \(perPort.mapValues(\.count).sorted { $0.key < $1.key })")
        }
        return InputBatch(samples: (0..<batch).map { k in perPort.mapValues { $0[k] } }, isBatch: isBatch)
    }
}
