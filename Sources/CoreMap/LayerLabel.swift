/// A network layer as the core map names it: what a core computes, for reports and
/// pictures. `neurons` counts the layer's network neurons, so hardware neurons beyond it
/// are copies made for fan-out.
public struct LayerLabel: Sendable, Equatable {
    public var name: String
    public var op: String
    public var neurons: Int

    public init(name: String, op: String, neurons: Int) {
        self.name = name
        self.op = op
        self.neurons = neurons
    }
}

/// What a core's neurons are to their layer: the layer's neurons themselves, partial sums
/// or merges of a split fan-in, or relays (splitters that re-send a layer's spikes with
/// more delay or fan-out).
public enum CoreRole: String, Sendable, Equatable, CaseIterable {
    case whole, partial, merge, relay
}
