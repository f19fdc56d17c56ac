import CoreMap

/// The spikes that leave through the output ports, gathered tick by tick: per port the
/// element of each spike as 4 bytes, sorted within its tick, with where each tick ends.
/// ``ports`` turns them into the result's (tick, element) events once, at the size it
/// needs. A full-size DeepLab frame sends 64 million spikes out; gathering them as 16-byte
/// events in a growing array, then sorting it, held three times what the result keeps.
struct OutputRecorder {
    private var elements: [[Int32]]
    private var tickEnds: [[Int]]
    private(set) var counts: [[Int]]

    init(_ ports: [OutputPort]) {
        elements = ports.map { _ in [] }
        tickEnds = ports.map { _ in [] }
        counts = ports.map { Array(repeating: 0, count: $0.count) }
    }

    /// One spike of the tick being recorded, on `port`'s `element`.
    mutating func record(port: Int, element: Int) {
        elements[port].append(Int32(truncatingIfNeeded: element))
        counts[port][element] += 1
    }

    /// Closes the tick: its spikes in element order.
    mutating func endTick() {
        for p in elements.indices {
            let start = tickEnds[p].last ?? 0
            elements[p][start...].sort()
            tickEnds[p].append(elements[p].count)
        }
    }

    /// The result's ports: each spike as (tick, element), by tick, then by element.
    mutating func ports(_ ports: [OutputPort]) -> [EmulationResult.Port] {
        ports.enumerated().map { p, port in
            var spikes: [SpikeInput.Event] = []
            spikes.reserveCapacity(elements[p].count)
            var start = 0
            for (tick, end) in tickEnds[p].enumerated() {
                for k in start..<end { spikes.append(SpikeInput.Event(tick: tick, index: Int(elements[p][k]))) }
                start = end
            }
            elements[p] = []
            return EmulationResult.Port(name: port.name, shape: port.shape, spikes: spikes, counts: counts[p])
        }
    }
}
