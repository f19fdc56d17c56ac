import CoreMap

/// The spikes that leave through the output ports, gathered tick by tick: per port and
/// tick the elements that fired, as 4 bytes each, sorted. ``ports(_:)`` turns them into
/// the result's (tick, element) events once, at the size it needs, releasing each tick's
/// list as it goes. A full-size DeepLab frame sends 64 million spikes out; gathering them
/// as 16-byte events in a growing array and sorting it at the end held three times what
/// the result keeps.
struct OutputRecorder {
    /// `elements[port][tick]`; the last tick is the one being recorded.
    private var elements: [[[Int32]]]
    private(set) var counts: [[Int]]

    init(_ ports: [OutputPort]) {
        elements = ports.map { _ in [[]] }
        counts = ports.map { Array(repeating: 0, count: $0.count) }
    }

    /// One spike of the tick being recorded, on `port`'s `element`.
    mutating func record(port: Int, element: Int) {
        elements[port][elements[port].count - 1].append(Int32(truncatingIfNeeded: element))
        counts[port][element] += 1
    }

    /// Closes the tick: its spikes in element order.
    mutating func endTick() {
        for p in elements.indices {
            elements[p][elements[p].count - 1].sort()
            elements[p].append([])
        }
    }

    /// The result's ports: each spike as (tick, element), by tick, then by element.
    mutating func ports(_ ports: [OutputPort]) -> [EmulationResult.Port] {
        ports.enumerated().map { p, port in
            var spikes: [SpikeInput.Event] = []
            spikes.reserveCapacity(elements[p].reduce(0) { $0 + $1.count })
            for tick in elements[p].indices {
                spikes.append(contentsOf: elements[p][tick].lazy.map { SpikeInput.Event(tick: tick, index: Int($0)) })
                elements[p][tick] = []
            }
            return EmulationResult.Port(name: port.name, shape: port.shape, spikes: spikes, counts: counts[p])
        }
    }
}
