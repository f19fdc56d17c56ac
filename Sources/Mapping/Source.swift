/// Where a neuron's synaptic input comes from: a network input element or a neuron of an
/// earlier layer, after `flatten` and `concat` (pure wiring) are seen through.
struct Source: Hashable, Comparable {
    /// Index of the layer in the graph (an input layer or a layer with neurons).
    var layer: Int
    var element: Int

    static func < (a: Source, b: Source) -> Bool { (a.layer, a.element) < (b.layer, b.element) }
}

/// One axon of a core: the source whose spikes it carries and its lane (which copy of
/// the input; ``WeightEncoding/hardwareType(_:)`` gives its axon type).
struct AxonKey: Hashable {
    var source: Source
    var lane: Int
}
