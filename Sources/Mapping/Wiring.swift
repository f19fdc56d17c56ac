import SpikeIR

/// Sees through `flatten` and `concat`, which are pure wiring: C x H x W order makes a
/// flatten the identity and a channel concatenation the concatenation of flat arrays. Lets
/// the compiler name the neuron behind any element without a per-element table.
struct Wiring: Sendable {
    let layers: [Layer]
    let inputs: [[Int]]

    init(_ graph: SpikeGraph) {
        layers = graph.layers
        let position = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1.name, $0) })
        inputs = layers.map { $0.inputs.compactMap { position[$0] } }
    }

    /// The input layer or neuron layer that produces element `e` of layer `k`'s output.
    func origin(_ k: Int, _ e: Int) -> Source {
        switch layers[k].op {
        case .flatten:
            return inputs[k].first.map { origin($0, e) } ?? Source(layer: k, element: e)
        case .concat:
            var e = e
            for i in inputs[k] {
                let n = layers[i].shape?.count ?? 0
                if e < n { return origin(i, e) }
                e -= n
            }
            return Source(layer: k, element: e)
        default:
            return Source(layer: k, element: e)
        }
    }

    /// Every element layer k reads, input by input in order, as the neuron behind it: the
    /// order in which a split irregular layer cuts its fan-in into parts.
    func sources(of k: Int) -> [Source] {
        inputs[k].flatMap { i in (0..<(layers[i].shape?.count ?? 0)).map { origin(i, $0) } }
    }

    /// The layers with neurons (or network inputs) that feed layer k, through wiring.
    func sourceLayers(_ k: Int) -> Set<Int> {
        var result = Set<Int>()
        for i in inputs[k] {
            switch layers[i].op {
            case .flatten, .concat: result.formUnion(sourceLayers(i))
            default: result.insert(i)
            }
        }
        return result
    }
}
