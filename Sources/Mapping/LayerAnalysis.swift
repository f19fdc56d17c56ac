import Hardware
import Reference
import SpikeIR
import TesseraSupport

/// What the compiler decides about a layer before placing any neuron: its shape of
/// computation (structured window or irregular), weight encoding, whether its fan-in
/// needs splitting, and its hardware depth (a split adds a tick for the merge).
struct LayerAnalysis: Sendable {
    /// The structured description, for layers tiled directly.
    var local: LocalOp?
    var encoding: WeightEncoding
    /// s[0..3] per output channel (structured layers) or per neuron (irregular ones).
    var tables: [[Int]]
    /// Axon lanes each input needs (``WeightEncoding/lanes(positive:negative:)``).
    var lanes: [Int]
    /// Partial-sum signs a split needs: 0 (positive part), 1 (negative part).
    var signs: [Int]
    /// The most axons one neuron needs (its fan-in times the axon copies per input).
    var fanIn: Int
    var split: Bool
    /// Whether a split's parts each read one sign's lanes (``PartialSums/bySign``).
    var bySign = false
    /// Whether a split's parts each have one offset-coded partial neuron (``PartialSums/offset``).
    var offset = false
    /// Staggered partial neurons per part and sign (``SplitLayout/stagger``).
    var stagger = 1
    /// Ticks from the network inputs to this layer's (merge) neurons, as in the hardware.
    var depth: Int

    /// Hardware neurons element j takes in one part's cores of this layer: its copies, or
    /// its partial-sum neurons when the fan-in is split: one per sign (``PartialSums/net``)
    /// or one (``PartialSums/bySign``); none if nothing reads it.
    func slots(_ j: Int, routes: RouteTable) -> Int {
        let copies = routes.copies(j)
        return split ? (copies > 0 ? (bySign || offset ? 1 : signs.count) * stagger : 0) : copies
    }

    /// The lanes the cores of lane group `group` read: one sign's lane by sign, else all.
    func lanes(ofGroup group: Int) -> [Int] {
        bySign ? [lanes[group]] : lanes
    }

    /// Per lane group, the mask of its lanes (bit l for lane l), for counting fan-ins by group.
    var laneGroupMasks: [UInt32] {
        (0..<(bySign ? lanes.count : 1)).map { g in lanes(ofGroup: g).reduce(0) { $0 | 1 << UInt32($1) } }
    }

    /// The layout of a split into `slices` input slices per group (``SplitLayout``).
    func layout(slices: Int, sliceSize: Int = 0, shortcutSliceSize: Int = 0) -> SplitLayout {
        split ? SplitLayout(slices: slices, bySign: bySign, signs: signs.count, offset: offset, sliceSize: sliceSize, shortcutSliceSize: shortcutSliceSize, stagger: stagger) : .whole
    }

    /// The table of neuron j.
    func table(_ j: Int, perChannel: Int) -> [Int] {
        local == nil ? tables[j] : tables[j / max(perChannel, 1)]
    }
}

extension Compiler {
    /// Encoding, fan-in and split decision for one neuron layer; nil (with a diagnostic)
    /// when the layer cannot be lowered exactly or split.
    func analyse(_ k: Int, depthOfSources: Int, diagnostics: inout Diagnostics) -> LayerAnalysis? {
        let layer = layers[k]
        guard let shape = layer.shape, let neuron = layer.neuron else { return nil }
        let spec = target.core
        let inputIndices = wiring.inputs[k]
        let shapes = inputIndices.compactMap { layers[$0].shape }
        let sets: [Set<Int>]
        let local = LocalOp(layer, inputs: shapes, network: network)
        var positive = false, negative = false
        var connections: [[(Source, Int)]] = []
        if let op = local {
            sets = (0..<op.output.channels).map { Set(op.channelWeights($0).map { Int($0) }.filter { $0 != 0 }) }
        } else {
            connections = (0..<shape.count).map { network.connections(of: layer, neuron: $0, wiring: wiring, inputs: inputIndices, shapes: shapes) }
            sets = connections.map { Set($0.map(\.1)) }
        }
        for set in sets { positive = positive || set.contains { $0 > 0 }; negative = negative || set.contains { $0 < 0 } }
        guard let encoding = WeightEncoding.choose(sets, weightRange: target.core.weightRange) else {
            let all = sets.flatMap { $0 }
            diagnostics.error("\(layer.op.name) '\(layer.name)': weights \(all.min() ?? 0)...\(all.max() ?? 0) take more than 4 values per neuron and their digits' place values do not fit \(target.name)'s \(target.core.weightBits)-bit synaptic weights", at: layer.location)
            return nil
        }
        let lanes = encoding.lanes(positive: positive, negative: negative)
        // Fan-in in axons: the largest window of one neuron (structured), or its distinct
        // (source, lane) pairs (irregular).
        var fanIn = 0
        if let op = local {
            fanIn = op.largestWindow * lanes.count
        } else {
            for (j, list) in connections.enumerated() {
                fanIn = max(fanIn, encoding.axonKeys(list, table: encoding.table(sets[j])).count)
            }
        }
        let split = fanIn > spec.axons
        if split {
            let canSplit: Bool
            switch layer.op {
            case .conv2d, .convTranspose2d, .dense, .xcorr: canSplit = local.map { $0.sliceChannels > 1 } ?? true
            default: canSplit = false
            }
            let binary = neuron.kind == .binary
            if options.strict || !canSplit || binary {
                let why = options.strict ? "--strict forbids splitting it into partial sums"
                    : binary ? "binary neurons cannot be split (partial sums carry current across ticks)" : "this op cannot be split into partial sums"
                diagnostics.error("\(layer.op.name) '\(layer.name)': a neuron needs \(fanIn) axons (fan-in x \(lanes.count) axon lanes per input), a core has \(spec.axons); \(why)", at: layer.location)
                return nil
            }
        }
        // By sign, each lane of the signed encoding is one sign's current (type 0 adds p_j,
        // type 1 subtracts n_j), so a part reading one lane sums a current of one sign.
        let bySign = split && options.partialSums == .bySign && encoding == .signed && positive && negative
        // Offset coding's account holds while the merge neuron is linear in what it receives:
        // a reset to zero drops the part of a partial spike's worth above the threshold, so
        // such layers keep the net scheme.
        let offset = split && options.partialSums == .offset && neuron.reset != .zero
        // Offset-coded parts step by their range, not by the threshold, so any threshold
        // takes a stagger there (``OffsetCode``); net and by-sign steps need SplitLayout.canStagger.
        let stagger = split && (offset || SplitLayout.canStagger(neuron, by: options.partialStagger)) ? max(options.partialStagger, 1) : 1
        return LayerAnalysis(local: local, encoding: encoding, tables: sets.map { encoding.table($0) }, lanes: lanes,
                             signs: (positive ? [0] : []) + (negative ? [1] : []), fanIn: fanIn, split: split, bySign: bySign,
                             offset: offset, stagger: stagger, depth: depthOfSources + 1 + (split ? 1 : 0))
    }
}
