import CoreMap
import TesseraSupport

/// Turns real-valued input tensors into spikes for a core map's input ports.
///
/// - `rate`: deterministic; a value x in [0, 1] spikes at tick t iff
///   `floor((t + 1) * x + 1/2) > floor(t * x + 1/2)`: evenly spread, `floor(x * ticks + 1/2)`
///   spikes, x * ticks rounded. Counting from a half (as a neuron started at half its
///   threshold) makes the count unbiased: from zero it would be x * ticks rounded down, half a
///   spike short on average, which a network converted for a few ticks cannot spare.
/// - `poisson`: a spike at tick t iff a uniform draw is below x; one SplitMix64 stream per
///   sample seeded with `seed + sample`, drawn tick by tick, element by element (row-major).
/// - `binary`: one tick; element spikes at tick 0 iff x >= 0.5.
///
/// Event tensors (`events`) are spikes already; ``EventInput`` reads them.
public enum InputEncoder {
    public struct ValueError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Spikes for one sample: `values[port]` holds each port's elements, row-major.
    public static func encode(_ values: [String: [Double]], ports: [InputPort], encoding: InputEncoding,
                              ticks: Int, seed: UInt64, sample: Int = 0) throws(ValueError) -> SpikeInput {
        var spikes: [String: [SpikeInput.Event]] = [:]
        var random = SeededRandom(seed: seed &+ UInt64(sample))
        for port in ports {
            guard let x = values[port.name] else { continue }
            guard x.count == port.count else {
                throw ValueError(description: "input '\(port.name)' has \(x.count) values, the core map's port has \(port.count) (shape \(port.shape))")
            }
            if encoding != .binary, let bad = x.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                throw ValueError(description: "input '\(port.name)' element \(bad) is \(x[bad]); \(encoding.rawValue) encoding needs values in [0, 1] (scale your data first)")
            }
            var events: [SpikeInput.Event] = []
            switch encoding {
            case .rate:
                for t in 0..<ticks {
                    for (i, v) in x.enumerated() where (Double(t + 1) * v + 0.5).rounded(.down) > (Double(t) * v + 0.5).rounded(.down) {
                        events.append(.init(tick: t, index: i))
                    }
                }
            case .poisson:
                for t in 0..<ticks {
                    for (i, v) in x.enumerated() where random.nextUnit() < v { events.append(.init(tick: t, index: i)) }
                }
            case .binary:
                for (i, v) in x.enumerated() where v >= 0.5 { events.append(.init(tick: 0, index: i)) }
            case .events:
                throw ValueError(description: "input '\(port.name)': events are spike tensors with a tick dimension, read by EventInput, not values to encode")
            }
            spikes[port.name] = events
        }
        return SpikeInput(ticks: ticks, spikes: spikes)
    }
}
