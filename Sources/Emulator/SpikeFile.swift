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
        var sink = JSONTextSink()
        sink.append("{ \"ticks\": \(input.ticks), \"spikes\": { ")
        for (k, name) in input.spikes.keys.sorted().enumerated() {
            sink.append((k > 0 ? ", " : "") + "\(quote(name)): ")
            appendPairs(input.spikes[name] ?? [], to: &sink)
        }
        sink.append(" } }\n")
        return sink.text
    }

    /// One result as a JSON object (no trailing newline).
    public static func json(_ result: EmulationResult, indent: String = "", withStats: Bool = true) -> String {
        var sink = JSONTextSink()
        append(result, to: &sink, indent: indent, withStats: withStats)
        return sink.text
    }

    /// A batch: one result per sample.
    public static func json(batch results: [EmulationResult], ticks: Int, withStats: Bool = true) -> String {
        var sink = JSONTextSink()
        append(batch: results, ticks: ticks, to: &sink, withStats: withStats)
        return sink.text
    }

    /// The output file of `results`: one result followed by a newline unless `isBatch`,
    /// else the batch.
    public static func json(_ results: [EmulationResult], isBatch: Bool, ticks: Int, withStats: Bool = true) -> String {
        var sink = JSONTextSink()
        append(results, isBatch: isBatch, ticks: ticks, to: &sink, withStats: withStats)
        return sink.text
    }

    /// Writes the output file of `results` to `path`, streamed: the same bytes as
    /// ``json(_:isBatch:ticks:withStats:)`` without holding the text in memory.
    public static func write(_ results: [EmulationResult], isBatch: Bool, ticks: Int, withStats: Bool = true,
                             to path: String) throws(DiagnosticError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw DiagnosticError("cannot write '\(path)': cannot create the file")
        }
        defer { try? handle.close() }
        var sink = JSONTextSink(streamingTo: handle)
        append(results, isBatch: isBatch, ticks: ticks, to: &sink, withStats: withStats)
        sink.finish()
        if let failure = sink.failure { throw DiagnosticError("cannot write '\(path)': \(failure.localizedDescription)") }
    }

    static func append(_ results: [EmulationResult], isBatch: Bool, ticks: Int, to sink: inout JSONTextSink, withStats: Bool) {
        if results.count == 1 && !isBatch {
            append(results[0], to: &sink, indent: "", withStats: withStats)
            sink.append("\n")
        } else {
            append(batch: results, ticks: ticks, to: &sink, withStats: withStats)
        }
    }

    static func append(batch results: [EmulationResult], ticks: Int, to sink: inout JSONTextSink, withStats: Bool) {
        sink.append("{\n  \"ticks\": ")
        sink.append(ticks)
        sink.append(",\n  \"samples\": [\n    ")
        for (k, result) in results.enumerated() {
            if k > 0 { sink.append(",\n    ") }
            append(result, to: &sink, indent: "    ", withStats: withStats)
        }
        sink.append("\n  ]\n}\n")
    }

    static func append(_ result: EmulationResult, to sink: inout JSONTextSink, indent: String, withStats: Bool) {
        sink.append("{\n\(indent)  \"ticks\": \(result.ticks),\n\(indent)  \"outputs\": {")
        for (k, port) in result.outputs.enumerated() {
            sink.append("\n\(indent)    \(quote(port.name)): { \"shape\": ")
            sink.append(list: port.shape)
            sink.append(", \"spikes\": ")
            appendPairs(port.spikes, to: &sink)
            sink.append(", \"counts\": ")
            sink.append(list: port.counts)
            sink.append(", \"argmax\": \(port.argmax.map(String.init) ?? "null") }" + (k + 1 < result.outputs.count ? "," : ""))
        }
        guard withStats else {
            sink.append("\n\(indent)  }\n\(indent)}")
            return
        }
        sink.append("\n\(indent)  },")
        let s = result.stats
        sink.append("\n\(indent)  \"stats\": { \"spikes\": \(s.spikes), \"synapticEvents\": \(s.synapticEvents), \"hops\": \(s.hops), \"chipCrossings\": \(s.chipCrossings), \"activeCoreTicks\": \(s.activeCoreTicks) }")
        if let layers = result.layerSpikes {
            sink.append(",\n\(indent)  \"layerSpikes\": { \"names\": [" + layers.names.map(quote).joined(separator: ", ") + "], \"perTick\": [")
            appendRows(layers.perTick, to: &sink, indent: indent)
        }
        if let trace = result.trace {
            sink.append(",\n\(indent)  \"trace\": { \"core\": \(trace.core), \"neurons\": ")
            sink.append(list: trace.neurons)
            sink.append(", \"potentials\": [")
            appendRows(trace.potentials, to: &sink, indent: indent)
        }
        sink.append("\n\(indent)}")
    }

    /// Rows of a table, one to a line, closing the table's list and object.
    private static func appendRows(_ rows: [[Int]], to sink: inout JSONTextSink, indent: String) {
        for (k, row) in rows.enumerated() {
            sink.append((k > 0 ? "," : "") + "\n\(indent)    ")
            sink.append(list: row)
        }
        sink.append("\n\(indent)  ] }")
    }

    /// `[[tick, index], ...]`.
    private static func appendPairs(_ events: [SpikeInput.Event], to sink: inout JSONTextSink) {
        sink.append("[")
        for (n, event) in events.enumerated() {
            sink.append(n == 0 ? "[" : ", [")
            sink.append(event.tick)
            sink.append(", ")
            sink.append(event.index)
            sink.append("]")
        }
        sink.append("]")
    }

    static func quote(_ s: String) -> String { CoreMapWriter.quote(s) }
}
