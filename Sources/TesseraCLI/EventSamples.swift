import Foundation
import Tessera

/// The event tensors `evaluate --encoding events` scores: one ``SpikeInput`` per sample,
/// each `T` ticks long, for the network's input layers (``EventInput`` reads them, and
/// names the input and the shape it expected when a tensor does not fit).
struct EventSamples {
    var inputs: [SpikeInput]
    /// The tensors' tick dimension.
    var ticks: Int

    static func load(_ files: [String: String], graph: SpikeGraph) throws(DiagnosticError) -> EventSamples {
        let ports = graph.inputLayers.map { InputPort(name: $0.name, shape: $0.shape.map { [$0.channels, $0.height, $0.width] } ?? [], targets: []) }
        var tensors: [String: (shape: [Int], values: [Double])] = [:]
        var ticks = 0
        for (name, path) in files.sorted(by: { $0.key < $1.key }) {
            let tensor = try EvaluateCommand.numbers(path)
            tensors[name] = (tensor.shape, tensor.values)
            // [N, T, C, H, W]: T is the dimension before the port's shape.
            let size = ports.first { $0.name == name }?.shape.count ?? 3
            if tensor.shape.count >= size + 2 { ticks = max(ticks, tensor.shape[tensor.shape.count - size - 1]) }
        }
        let samples: EventInput.Samples
        do { samples = try EventInput.samples(tensors, ports: ports, ticks: max(ticks, 1)) } catch { throw DiagnosticError(error.description) }
        guard samples.isBatch, !samples.inputs.isEmpty, ticks > 0 else {
            let shapes = tensors.sorted { $0.key < $1.key }.map { "'\($0.key)' \($0.value.shape)" }.joined(separator: ", ")
            throw DiagnosticError("event input: expected a batch of samples, [N, T, C, H, W] per input (got \(shapes))")
        }
        if samples.clipped > 0 { FileHandle.standardError.write(Data("note: \(samples.clipped) events counted more than 1 spike in a tick; an input axon takes one spike per tick, so each is one spike\n".utf8)) }
        return EventSamples(inputs: samples.inputs, ticks: ticks)
    }
}
