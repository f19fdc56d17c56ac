import CoreMap
import TesseraSupport

/// Input that is spikes already, as event cameras record it (N-MNIST, DVS, DDD17): per
/// input port a tensor [T, ...port shape] (one sample) or [N, T, ...port shape] (a batch),
/// where a value of 1 or more at (t, i) is a spike of element i in tick t. A TrueNorth input
/// axon takes one spike per tick, so a count above 1 is one spike (``Samples/clipped``
/// counts them); ticks beyond the run are left out (``Samples/dropped``).
///
///     let s = try EventInput.samples(["image": tensor], ports: map.inputs, ticks: 40)
public enum EventInput {
    public struct Samples: Sendable {
        public var inputs: [SpikeInput]
        public var isBatch: Bool
        /// Events whose count was above 1, taken as one spike.
        public var clipped: Int
        /// Events past the last tick of the run.
        public var dropped: Int
    }

    public struct ShapeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `tensors[port]` as (shape, values row-major). A run of `ticks`, or, with nil, of the
    /// tensors' own T (the longest, where inputs differ).
    public static func samples(_ tensors: [String: (shape: [Int], values: [Double])], ports: [InputPort], ticks: Int?) throws(ShapeError) -> Samples {
        var perPort: [String: [[SpikeInput.Event]]] = [:]
        var isBatch = false, clipped = 0, dropped = 0, longest = 0
        for port in ports {
            guard let (shape, values) = tensors[port.name] else { continue }
            let size = port.shape.reduce(1, *)
            // The trailing dimensions must be the port's shape (or its element count).
            func fits(_ trailing: ArraySlice<Int>) -> Bool { Array(trailing) == port.shape || (trailing.count == 1 && trailing.first == size) }
            let (n, t): (Int, Int)
            if shape.count >= 2, fits(shape.dropFirst(1)) {
                (n, t) = (1, shape[0])
            } else if shape.count >= 3, fits(shape.dropFirst(2)) {
                (n, t) = (shape[0], shape[1])
                isBatch = true
            } else {
                throw ShapeError(description: "input '\(port.name)': event tensor of shape (\(shape.map(String.init).joined(separator: ", "))) is neither (T, \(port.shape.map(String.init).joined(separator: ", "))) nor (N, T, \(port.shape.map(String.init).joined(separator: ", ")))")
            }
            longest = max(longest, t)
            let run = ticks ?? t
            if let bad = values.firstIndex(where: { !($0 >= 0) || $0 != $0.rounded() }) {
                throw ShapeError(description: "input '\(port.name)': element \(bad) of the event tensor is \(values[bad]); events are 0/1 or whole counts")
            }
            var samples: [[SpikeInput.Event]] = []
            for k in 0..<n {
                var events: [SpikeInput.Event] = []
                for tick in 0..<t {
                    let base = (k * t + tick) * size
                    for i in 0..<size where values[base + i] >= 1 {
                        if values[base + i] > 1 { clipped += 1 }
                        if tick < run { events.append(.init(tick: tick, index: i)) } else { dropped += 1 }
                    }
                }
                samples.append(events)
            }
            perPort[port.name] = samples
        }
        let counts = Set(perPort.values.map(\.count))
        guard counts.count <= 1, let batch = counts.first else {
            throw ShapeError(description: perPort.isEmpty ? "no input given" : "inputs have different batch sizes: \(perPort.mapValues(\.count).sorted { $0.key < $1.key })")
        }
        let inputs = (0..<batch).map { k in SpikeInput(ticks: ticks ?? longest, spikes: perPort.mapValues { $0[k] }) }
        return Samples(inputs: inputs, isBatch: isBatch, clipped: clipped, dropped: dropped)
    }
}
