/// A network layer as the core map names it: what a core computes, for reports and
/// pictures. `neurons` counts the layer's network neurons, so hardware neurons beyond it
/// are copies made for fan-out.
public struct LayerLabel: Sendable, Equatable {
    public var name: String
    public var op: String
    public var neurons: Int
    /// The firing rate (spikes per neuron per tick) compile weighed this layer's routes by,
    /// so that `tessera report MAP` can count at it without a rate option; nil when unknown
    /// (maps built by hand or written before rates were kept). Its source is
    /// ``CoreMap/rateSource``.
    public var rate: Double?

    public init(name: String, op: String, neurons: Int, rate: Double? = nil) {
        self.name = name
        self.op = op
        self.neurons = neurons
        self.rate = rate
    }
}

/// What a core's neurons are to their layer: the layer's neurons themselves, partial sums
/// or merges of a split fan-in, or relays (splitters that re-send a layer's spikes with
/// more delay or fan-out).
public enum CoreRole: String, Sendable, Equatable, CaseIterable {
    case whole, partial, merge, relay
}
