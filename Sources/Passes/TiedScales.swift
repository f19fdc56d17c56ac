import SpikeIR

/// The scales threshold balancing must share across an add. An add's neurons sum their
/// inputs with unit weights (a core has no per-input gain to spare), so a spike from
/// either input must stand for the same value: the layers that set those inputs' scales
/// take one common lambda, the largest of theirs (no input then saturates), and the
/// weights of their own inputs absorb the change.
///
/// Per channel, pooling and upsampling pass their input's lambdas on, so the scales are
/// set by the weighted layers behind them (the add's *owners*); per layer, every layer
/// has its own lambda and the add's direct inputs are tied. Network inputs (lambda 1) and
/// wiring (concat, flatten) cannot be rescaled: an add reading them is left alone, and
/// balancing logs that its scales differ.
struct TiedScales {
    /// The common lambda of each tied layer.
    var scales: [Int: [Double]] = [:]
    /// The names of the other layers each tied layer shares its lambda with.
    var partners: [Int: [String]] = [:]

    init(_ graph: SpikeGraph, perChannel: Bool, own: [[Double]]) {
        let position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        /// The layers whose lambda layer j's output carries, nil if one cannot be rescaled.
        func owners(_ j: Int) -> [Int]? {
            let layer = graph.layers[j]
            guard layer.neuron != nil else { return nil }
            switch layer.op {
            case .dense, .conv2d, .convTranspose2d: return [j]
            case .avgpool, .sumpool, .upsample, .add:
                guard perChannel else { return [j] }
                var all: [Int] = []
                for name in layer.inputs {
                    guard let i = position[name], let o = owners(i) else { return nil }
                    all += o
                }
                return all
            default:
                return nil
            }
        }
        // Groups of layers that must share a lambda, merged where they overlap.
        var groups: [Set<Int>] = []
        for layer in graph.layers {
            guard case .add = layer.op else { continue }
            var group = Set<Int>()
            for name in layer.inputs {
                guard let i = position[name], let o = owners(i) else { group = []; break }
                group.formUnion(o)
            }
            guard group.count > 1 else { continue }
            let overlapping = groups.filter { !$0.isDisjoint(with: group) }
            groups.removeAll { !$0.isDisjoint(with: group) }
            groups.append(overlapping.reduce(group) { $0.union($1) })
        }
        for group in groups {
            let members = group.sorted()
            let width = members.map { own[$0].count }.max() ?? 1
            // Channel c's common lambda: the largest member's (a layer-wide lambda counts for every channel).
            let common = (0..<width).map { c in members.map { own[$0][min(c, own[$0].count - 1)] }.max() ?? 1 }
            for m in members {
                scales[m] = own[m].count == width ? common : [common.max() ?? 1]
                partners[m] = members.filter { $0 != m }.map { graph.layers[$0].name }
            }
        }
    }
}
