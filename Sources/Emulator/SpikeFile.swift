import CoreMap
import Foundation
import TesseraSupport

/// Reads and writes the spike files of `docs/coremap-format.md`.
///
/// Input: `{"ticks": 32, "spikes": {"image": [[tick, index], ...]}}`.
/// Output: `{"ticks": 32, "outputs": {"logits": {"shape": [10], "spikes": [[t, i], ...],
/// "counts": [...], "argmax": 3}}, "stats": {...}}`, or for a batch
/// `{"ticks": 32, "samples": [<one output object per sample>]}`.
public enum SpikeFile {
    /// Reads an input spike file and checks it against the map's ports.
    public static func readInput(path: String, ports: [InputPort]) throws(DiagnosticError) -> SpikeInput {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError("cannot read spike file '\(path)': no such file or not readable")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data), let top = json as? [String: Any] else {
            throw DiagnosticError("\(path): not a JSON object; expected {\"ticks\": N, \"spikes\": {\"port\": [[tick, index], ...]}}")
        }
        var problems: [Diagnostic] = []
        func fail(_ message: String) { if problems.count < 20 { problems.append(.error("\(path): \(message)")) } }
        for key in top.keys.sorted() where key != "ticks" && key != "spikes" { fail("unknown field '\(key)'") }
        guard let ticks = (top["ticks"] as? NSNumber)?.intValue, ticks >= 0 else {
            throw DiagnosticError("\(path): 'ticks' must be a non-negative integer")
        }
        guard let table = top["spikes"] as? [String: Any] else {
            throw DiagnosticError("\(path): 'spikes' must be an object mapping input names to [[tick, index], ...]")
        }
        let byName = Dictionary(uniqueKeysWithValues: ports.map { ($0.name, $0) })
        var spikes: [String: [SpikeInput.Event]] = [:]
        for name in table.keys.sorted() {
            guard let port = byName[name] else {
                fail("input '\(name)' is not a port of the core map\(Suggestion.hint(for: name, among: byName.keys)); ports: \(byName.keys.sorted().joined(separator: ", "))")
                continue
            }
            guard let list = table[name] as? [Any] else { fail("spikes of '\(name)' must be a list of [tick, index] pairs"); continue }
            var events: [SpikeInput.Event] = []
            for (k, item) in list.enumerated() {
                guard let pair = item as? [NSNumber], pair.count == 2 else { fail("spikes of '\(name)'[\(k)] must be a [tick, index] pair"); continue }
                let tick = pair[0].intValue, index = pair[1].intValue
                guard tick >= 0 && tick < ticks else { fail("spikes of '\(name)'[\(k)]: tick \(tick) is outside 0..\(ticks - 1)"); continue }
                guard (0..<port.count).contains(index) else { fail("spikes of '\(name)'[\(k)]: index \(index) is outside the port's \(port.count) elements"); continue }
                events.append(.init(tick: tick, index: index))
            }
            spikes[name] = events.sorted()
        }
        guard problems.isEmpty else { throw DiagnosticError(problems) }
        return SpikeInput(ticks: ticks, spikes: spikes)
    }

    public static func json(_ input: SpikeInput) -> String {
        let ports = input.spikes.keys.sorted().map { name in
            "\(quote(name)): " + pairs(input.spikes[name] ?? [])
        }
        return "{ \"ticks\": \(input.ticks), \"spikes\": { " + ports.joined(separator: ", ") + " } }\n"
    }

    /// One result as a JSON object (no trailing newline).
    public static func json(_ result: EmulationResult, indent: String = "", withStats: Bool = true) -> String {
        var lines = ["{", "\(indent)  \"ticks\": \(result.ticks),", "\(indent)  \"outputs\": {"]
        for (k, port) in result.outputs.enumerated() {
            var fields = ["\"shape\": \(list(port.shape))", "\"spikes\": \(pairs(port.spikes))", "\"counts\": \(list(port.counts))"]
            fields.append("\"argmax\": \(port.argmax.map(String.init) ?? "null")")
            lines.append("\(indent)    \(quote(port.name)): { " + fields.joined(separator: ", ") + " }" + (k + 1 < result.outputs.count ? "," : ""))
        }
        guard withStats else {
            lines.append("\(indent)  }")
            lines.append("\(indent)}")
            return lines.joined(separator: "\n")
        }
        lines.append("\(indent)  },")
        let s = result.stats
        var stats = "\(indent)  \"stats\": { \"spikes\": \(s.spikes), \"synapticEvents\": \(s.synapticEvents), \"hops\": \(s.hops), \"chipCrossings\": \(s.chipCrossings), \"activeCoreTicks\": \(s.activeCoreTicks) }"
        if let layers = result.layerSpikes {
            stats += ",\n\(indent)  \"layerSpikes\": { \"names\": [" + layers.names.map(quote).joined(separator: ", ") + "], \"perTick\": ["
            stats += layers.perTick.map { "\n\(indent)    " + list($0) }.joined(separator: ",") + "\n\(indent)  ] }"
        }
        if let trace = result.trace {
            stats += ",\n\(indent)  \"trace\": { \"core\": \(trace.core), \"neurons\": \(list(trace.neurons)), \"potentials\": ["
            stats += trace.potentials.map { "\n\(indent)    " + list($0) }.joined(separator: ",") + "\n\(indent)  ] }"
        }
        lines.append(stats)
        lines.append("\(indent)}")
        return lines.joined(separator: "\n")
    }

    /// A batch: one result per sample.
    public static func json(batch results: [EmulationResult], ticks: Int, withStats: Bool = true) -> String {
        "{\n  \"ticks\": \(ticks),\n  \"samples\": [\n    " + results.map { json($0, indent: "    ", withStats: withStats) }.joined(separator: ",\n    ") + "\n  ]\n}\n"
    }

    static func pairs(_ events: [SpikeInput.Event]) -> String {
        "[" + events.map { "[\($0.tick), \($0.index)]" }.joined(separator: ", ") + "]"
    }

    static func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }

    static func quote(_ s: String) -> String { CoreMapWriter.quote(s) }
}
