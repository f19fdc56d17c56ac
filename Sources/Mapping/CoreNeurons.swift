import CoreMap
import Hardware
import Reference
import SpikeIR

/// How the neurons of one planned core are configured: each neuron's parameters (from its
/// layer's neuron model, weights and bias, and the core's stage) and its destination (from
/// the layer's routes). Parameters depend on a slot only through ``parameterIndex(_:)``,
/// which is what lets the cores of one layer share a neuron block.
struct CoreNeurons {
    let stage: CoreRecipe.Stage
    let layer: Layer
    let model: NeuronModel
    let analysis: LayerAnalysis
    let routes: RouteTable
    let perChannel: Int
    let bias: [Int]?
    let spec: CoreSpec
    let target: Target
    let mergeHome: [(core: Int32, first: Int32)]?
    let layout: SplitLayout
    let step: PartialStep
    /// Whether partial neurons start at half their step (``Compiler/Options/partialRounding``).
    let rounds: Bool
    /// Per weight table and part count, the offset coding of an offset-coded split layer.
    let codes: [OffsetCode]?
    /// The layer's distinct part counts (``SplitLayout/partCounts``).
    let partCounts: [Int]

    init?(_ compiled: Compiled, recipe: CoreRecipe) {
        let k = recipe.layer
        let layer = compiled.compiler.layers[k]
        guard let analysis = compiled.compiler.analyses[k], let routes = compiled.routes[k], let model = layer.neuron, let out = layer.shape else { return nil }
        (stage, self.layer, self.model, self.analysis, self.routes) = (recipe.stage, layer, model, analysis, routes)
        perChannel = out.height * out.width
        bias = compiled.compiler.network.parameter(layer, "bias")
        (spec, target) = (compiled.compiler.target.core, compiled.compiler.target)
        mergeHome = compiled.mergeHome[k]
        layout = compiled.layouts[k]
        step = compiled.compiler.options.partialStep
        rounds = compiled.compiler.options.partialRounding
        codes = layout.offset ? compiled.offsetCodes[k] : nil
        partCounts = layout.partCounts
    }

    /// The offset coding of element j's neurons, when its layer is offset-coded: its weight
    /// table's, for its part count (``Compiler/offsetCodes(_:_:layout:)``).
    func code(_ j: Int, parts: Int) -> OffsetCode? {
        let i = table(of: j) * partCounts.count + (partCounts.firstIndex(of: parts) ?? 0)
        return codes.flatMap { codes in codes.indices.contains(i) ? codes[i] : nil }
    }

    /// The weight table of element j: its channel's for tiled layers, its own otherwise.
    func table(of j: Int) -> Int { analysis.local == nil ? j : channel(j) }

    /// Whether partial spikes stand for a whole threshold (``PartialStep/threshold``; not for
    /// binary layers, whose merge threshold cannot be rescaled).
    var rescalesMerge: Bool { step == .threshold && model.kind != .binary }

    /// The output channel of element j (whose threshold and bias it takes).
    func channel(_ j: Int) -> Int { j / max(perChannel, 1) }

    /// A neuron's parameters depend, besides the layer and stage, only on its weight table,
    /// its channel (a function of the table), for a partial sum its sign and, staggered,
    /// its phase, and for an offset-coded layer the parts its element has: numbered here as
    /// ((table x signs + sign) x stagger + phase) x part counts + the index of its element's
    /// part count (``SplitLayout/partCounts``), `parameterCount` numbers in all.
    var parameterCount: Int { analysis.tables.count * signs * layout.stagger * partCounts.count }

    private var signs: Int { max(analysis.signs.count, 1) }

    func parameterIndex(_ slot: Slot) -> Int {
        let j = Int(slot.element)
        let table = table(of: j)
        let counts = partCounts.count
        let count = counts == 1 ? 0 : partCounts.firstIndex(of: layout.parts(of: j, positions: perChannel)) ?? 0
        if case let .partial(part) = stage {
            let sub = Int(slot.sub)
            return ((table * signs + layout.sign(part: part, sub: sub)) * layout.stagger + layout.phase(sub: sub)) * counts + count
        }
        return table * signs * layout.stagger * counts + count
    }

    /// The parameters of every neuron whose ``parameterIndex(_:)`` is `p`.
    func parameters(index p: Int) -> NeuronConfig {
        let counts = partCounts.count
        let (rest, count) = (p / counts, p % counts)
        let (q, phase) = (rest / layout.stagger, rest % layout.stagger)
        let (table, sign) = (q / signs, q % signs)
        let element = analysis.local == nil ? table : table * max(perChannel, 1)
        let sub = phase * layout.signsPerPart + (layout.bySign ? 0 : sign)
        return parameters(Slot(element: Int32(element), sub: Int32(sub)), index: 0, parts: partCounts[count])
    }

    /// The neuron computing `slot` as neuron `index` of its core, without its destination.
    func parameters(_ slot: Slot, index: Int) -> NeuronConfig {
        parameters(slot, index: index, parts: layout.parts(of: Int(slot.element), positions: perChannel))
    }

    /// As above, for an element whose merge reads `parts` parts.
    private func parameters(_ slot: Slot, index: Int, parts: Int) -> NeuronConfig {
        let j = Int(slot.element)
        let threshold = Int(model.threshold(channel: channel(j)))
        let widest = Compiled.mergeWeight(threshold, target: target)
        // The partial neuron's step unless it stands for a threshold (``PartialStep``), and
        // the merge's unit when it does. Staggered, each of a part's `stagger` neurons of one
        // sign stands for a `stagger`-th of the step, so both are cut to a multiple of it:
        // what a partial spike adds to the merge stays exact.
        let k = layout.stagger
        let halved = step == .halfWeight && model.kind != .binary ? max(1, widest / 2) : widest
        let (stepWeight, unit) = (halved - halved % k, widest - widest % k)
        let mergeWeight = (rescalesMerge ? unit : stepWeight) / k
        let beta = CoreSpec.unsignedRange(bits: spec.negThresholdBits).upperBound
        if let code = code(j, parts: parts), stage == .merge || stage.isPartial {
            return offsetCoded(code, stage: stage, phase: layout.phase(sub: Int(slot.sub)), table: analysis.table(j, perChannel: perChannel),
                               index: index, negThreshold: beta)
        }
        switch stage {
        case let .partial(part):
            // Partial sum of one input part, positive or negative: integrates +-current,
            // floors at 0 and fires once per step of it (reset by subtraction): the merge
            // weight, or with ``PartialStep/threshold`` the layer's threshold. By sign, the
            // part's cores carry only its sign's lane, so the current is never negative.
            let sign = analysis.signs[layout.sign(part: part, sub: Int(slot.sub))] == 0 ? 1 : -1
            var n = NeuronConfig(index: index, weights: analysis.table(j, perChannel: perChannel).map { $0 * sign }, leak: 0,
                                 threshold: rescalesMerge ? threshold : stepWeight, negThreshold: 0, negative: .saturate)
            n.reset = .linear
            // Starting at half a step, a part's count is its running sum rounded rather than
            // floored, which would hold back half a step per part on average (net scheme;
            // by sign, the current is never negative and the same holds). Staggered, phase
            // p of s starts (p + 1/2) / s of a step up: the s neurons' counts add up to the
            // sum in steps of 1 / s (Hermite's identity).
            let phase = Double(layout.phase(sub: Int(slot.sub))) + (rounds ? 0.5 : 0)
            n.initialPotential = Int((Double(n.threshold) * phase / Double(k)).rounded(.down))
            return n
        case .whole, .merge, .relay:
            let leak = Int(model.leak) + (bias.map { $0[min(channel(j), $0.count - 1)] } ?? 0)
            let weights = stage == .merge ? [mergeWeight, -mergeWeight, 0, 0] : analysis.table(j, perChannel: perChannel)
            var n = NeuronConfig(index: index, weights: weights, leak: leak, threshold: threshold, negThreshold: beta, negative: .saturate)
            if stage == .merge && rescalesMerge && unit != threshold {
                // A partial spike is worth one threshold, but a synaptic weight is at most
                // the target's widest: the merge neuron counts in units of threshold /
                // unit, its threshold becomes unit and its leak is rescaled (rounded: the
                // one inexact step, for thresholds above the weight range).
                n.threshold = unit
                n.leak = Int((Double(leak) * Double(unit) / Double(threshold)).rounded())
            }
            // The starting potential, a fraction of this neuron's own threshold (a merge
            // neuron's may be the rescaled one), led by the leak of the ticks before its
            // first input arrives (hardware depth - 1), as the reference starts it.
            n.initialPotential = model.startingPotential(threshold: n.threshold, leak: n.leak, late: analysis.depth - 1, beta: beta)
            n.reset = reset
            if model.kind == .binary {
                // Membrane cleared every tick: V is 0 at every tick's start.
                n.leak = IntegerNetwork.binaryLeak(leak, threshold: threshold)
                n.threshold = 1
                n.reset = .normal
                n.negThreshold = 0
                n.negative = .reset
            }
            return n
        }
    }

    /// An offset-coded partial neuron (the part's net current plus the offset, once per
    /// step, never floored: its negative threshold is the widest; staggered, `phase` sets its
    /// start) or merge neuron (a partial spike on either axon type adds the merge weight; the
    /// leak removes the offsets).
    private func offsetCoded(_ code: OffsetCode, stage: CoreRecipe.Stage, phase: Int, table: [Int], index: Int, negThreshold beta: Int) -> NeuronConfig {
        if stage.isPartial {
            var n = NeuronConfig(index: index, weights: table, leak: code.offset, threshold: code.step, negThreshold: beta, negative: .saturate)
            n.reset = .linear
            n.initialPotential = code.start(phase: phase)
            return n
        }
        var n = NeuronConfig(index: index, weights: [code.mergeWeight, code.mergeWeight, 0, 0], leak: code.mergeLeak,
                             threshold: code.mergeThreshold, negThreshold: beta, negative: .saturate)
        // Led by the layer's bias over the ticks before the first partial spikes arrive (the
        // offsets cancel on their own: see OffsetCode.mergeStart).
        n.initialPotential = NeuronModel.leading(code.mergeStart, leak: code.mergeBias, late: analysis.depth - 1,
                                                 threshold: code.mergeThreshold, beta: beta)
        n.reset = reset
        return n
    }

    /// The layer's reset as the hardware's: subtract is linear, zero is normal (to R = 0).
    private var reset: NeuronConfig.Reset {
        switch model.reset {
        case .subtract: .linear
        case .zero: .normal
        case .none: .none
        }
    }

    /// Where the spikes of the neuron computing `slot` go: the merge neuron of its element
    /// (a partial sum), its route, or the layer's output port.
    func destination(_ slot: Slot) -> Destination? {
        let j = Int(slot.element)
        switch stage {
        case let .partial(part):
            guard let home = mergeHome?[j] else { return nil }
            let axon = layout.mergeAxon(first: Int(home.first), part: part, sub: Int(slot.sub))
            return .axon(core: Int(home.core), axon: axon, delay: 1)
        case .whole, .merge, .relay:
            if let route = routes.route(j, copy: Int(slot.sub)) {
                return .axon(core: Int(route.core), axon: Int(route.axon), delay: Int(route.delay))
            }
            return routes.isOutput ? .output(port: layer.name, index: j) : nil
        }
    }
}
