import CoreMap
import Emulator
import Hardware
import TesseraSupport

/// Reads one output port of an emulated core map the way a frame is read off the chip:
/// each sample is encoded and emulated once, for the longest tick count plus the port's
/// latency, and for every T in `ticks` the spikes each output element fired in the first
/// T ticks after the latency are counted. A signed output (a port with a negative half,
/// ``OutputPort/negativeSuffix``) counts its positive port's spikes minus its negative's.
/// Classification (`AccuracyCurve`) and
/// segmentation (`SegmentationCurve`) are both read from these counts.
struct EmulatedReadout {
    let map: CoreMap
    let port: OutputPort
    let slot: Int
    /// The negative half's slot, for a signed output.
    let negativeSlot: Int?
    let ticks: [Int]
    let emulator: Emulator

    /// Checks the port and the tick counts, and builds the emulator once.
    init(_ map: CoreMap, ticks: [Int], target: Target?, output: String?) throws(DiagnosticError) {
        let chosen = output ?? map.readablePorts.last?.name
        let readable = map.readablePorts.map(\.name)
        guard let slot = map.outputs.firstIndex(where: { $0.name == chosen }) else {
            throw DiagnosticError(map.outputs.isEmpty ? "the core map has no output port to read"
                                  : "'\(chosen ?? "")' is not an output port\(Suggestion.hint(for: chosen ?? "", among: readable)); ports: \(readable.joined(separator: ", "))")
        }
        guard !ticks.isEmpty, ticks.allSatisfy({ $0 >= 1 }) else { throw DiagnosticError("ticks must be at least 1 (got \(ticks))") }
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(map.target) }
        self.map = map
        self.port = map.outputs[slot]
        self.slot = slot
        self.negativeSlot = map.negativeHalf(of: map.outputs[slot].name).flatMap { half in map.outputs.firstIndex { $0.name == half.name } }
        self.ticks = ticks
        self.emulator = try Emulator(map: map, target: resolved)
    }

    /// Whether the counts are a signed output's differences, which may be negative.
    var isSigned: Bool { negativeSlot != nil }

    /// Spike counts per output element (a signed output's positive minus negative counts),
    /// one array per entry of `ticks`, for sample `index`.
    func counts(_ sample: [String: [Double]], index: Int, encoding: InputEncoding, seed: UInt64) throws(DiagnosticError) -> [[Int]] {
        let longest = ticks.max() ?? 1
        let input: SpikeInput
        do { input = try InputEncoder.encode(sample, ports: map.inputs, encoding: encoding, ticks: longest, seed: seed, sample: index) } catch {
            throw DiagnosticError("sample \(index): \(error.description)")
        }
        return counts(input)
    }

    /// Spike counts per output element for input that is spikes already (an event tensor's
    /// sample), one array per entry of `ticks`.
    func counts(_ input: SpikeInput) -> [[Int]] {
        let run = emulator.run(input, ticks: (ticks.max() ?? 1) + port.latency).outputs
        let spikes = run[slot].spikes
        let negative = negativeSlot.map { run[$0].spikes } ?? []
        let elements = port.shape.reduce(1, *)
        return ticks.map { t in
            var counts = [Int](repeating: 0, count: elements)
            for e in spikes where e.tick < t + port.latency { counts[e.index] += 1 }
            for e in negative where e.tick < t + port.latency { counts[e.index] -= 1 }
            return counts
        }
    }
}
