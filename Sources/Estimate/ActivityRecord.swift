import Foundation
import TesseraSupport

/// What an activity plot needs from one sample of a `tessera emulate` output file: the
/// spikes each layer fired per tick and the spikes of each output port.
///
///     let record = try ActivityRecord.load(path: "out.json", sample: 0)
public struct ActivityRecord: Sendable, Equatable {
    public struct Port: Sendable, Equatable {
        public var name: String
        public var count: Int
        /// (tick, element) pairs.
        public var spikes: [[Int]]

        public init(name: String, count: Int, spikes: [[Int]]) {
            self.name = name
            self.count = count
            self.spikes = spikes
        }
    }

    public var ticks: Int
    /// Layer names (the map's labels, then "(unlabelled)") and spikes per tick per layer.
    public var layerNames: [String]
    public var layerSpikes: [[Int]]
    public var outputs: [Port]

    /// Reads sample `sample` of an emulation output (sample 0 of a single result).
    public static func load(path: String, sample: Int = 0) throws(DiagnosticError) -> ActivityRecord {
        func fail(_ message: String) -> DiagnosticError { DiagnosticError("activity file '\(path)': \(message)") }
        let file = try EmulationOutputFile.load(path: path)
        let (ticks, samples) = (file.ticks, file.results)
        guard samples.indices.contains(sample) else { throw fail("has \(samples.count) sample(s); sample \(sample) does not exist") }
        let result = samples[sample]
        guard let layers = result["layerSpikes"] as? [String: Any] else {
            throw fail("has no 'layerSpikes'; write it with `tessera emulate MAP ... -o FILE`")
        }
        guard let names = layers["names"] as? [String], let rows = layers["perTick"] as? [[NSNumber]] else {
            throw fail("layerSpikes needs 'names' (strings) and 'perTick' (rows of integers)")
        }
        guard rows.count == ticks else { throw fail("layerSpikes.perTick has \(rows.count) rows for \(ticks) ticks") }
        let perTick = rows.map { $0.map(\.intValue) }
        for (t, row) in perTick.enumerated() where row.count != names.count || row.contains(where: { $0 < 0 }) {
            throw fail("layerSpikes.perTick[\(t)] must hold \(names.count) non-negative counts")
        }
        var outputs: [Port] = []
        let ports = result["outputs"] as? [String: Any] ?? [:]
        for name in ports.keys.sorted() {
            guard let port = ports[name] as? [String: Any], let shape = port["shape"] as? [NSNumber],
                  let spikes = port["spikes"] as? [[NSNumber]] else { throw fail("output '\(name)' needs 'shape' and 'spikes'") }
            let count = shape.reduce(1) { $0 * $1.intValue }
            let pairs = spikes.map { $0.map(\.intValue) }
            guard pairs.allSatisfy({ $0.count == 2 && (0..<ticks).contains($0[0]) && (0..<count).contains($0[1]) }) else {
                throw fail("output '\(name)': every spike must be [tick < \(ticks), element < \(count)]")
            }
            outputs.append(Port(name: name, count: count, spikes: pairs))
        }
        return ActivityRecord(ticks: ticks, layerNames: names, layerSpikes: perTick, outputs: outputs)
    }
}
