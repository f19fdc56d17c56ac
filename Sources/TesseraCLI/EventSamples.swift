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
        let ports = InputOptions.ports(of: graph)
        // Each sample runs for its tensor's own T (the dimension before the input's shape).
        let (inputs, isBatch) = try InputOptions.events(files, ports: ports, ticks: nil)
        guard isBatch, let ticks = inputs.first?.ticks, ticks > 0 else {
            let paths = files.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
            throw DiagnosticError("\(paths): one event sample, [T, C, H, W]; evaluate reads a batch, [N, T, C, H, W]")
        }
        return EventSamples(inputs: inputs, ticks: ticks)
    }
}
