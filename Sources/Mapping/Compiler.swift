import CoreMap
import Hardware
import Placement
import Reference
import SpikeIR
import TesseraSupport

/// Lowers an ``IntegerNetwork`` onto the cores of a target.
///
/// 1. Analysis, inputs first: each layer's weight encoding, fan-in in axons, whether the
///    fan-in must be split into partial sums, and its hardware depth.
/// 2. Partition, outputs first, so that each layer knows how many copies of each neuron
///    its readers need (a neuron has one destination): structured layers are tiled
///    (``TileSearch``), irregular ones packed neuron by neuron.
/// 3. Placement on the board (``Placer``, module Placement), which returns each core's slot
///    and the placement report.
///
/// Exact layers make `emulate(compile(net))` equal `simulate(net)` tick for tick; split
/// layers approximate and are reported (``Compiled/approximations``).
///
///     let compiled = try Compiler(try IntegerNetwork.check(graph, target: tiny)).compile()
///     try compiled.map.save(to: "net.coremap.json")
public struct Compiler: Sendable {
    /// Choices a user makes on the command line.
    public struct Options: Sendable {
        /// Refuse to split a fan-in into partial sums (an approximation): error instead.
        public var strict = false
        /// Firing rates to weigh traffic by in placement; nil measures them on random input
        /// (``FiringRates/measure(_:ticks:seed:budget:)``) when the network is small enough,
        /// else estimates them in one pass (``FiringRates/estimate(_:)``).
        public var rates: FiringRates?
        /// How cores are placed on the board (``PlacementStrategy``).
        public var placement: PlacementStrategy
        /// What a partial-sum spike stands for in a split layer (``PartialStep``).
        public var partialStep: PartialStep
        /// How a split layer's parts divide its inputs (``PartialSums``).
        public var partialSums: PartialSums
        /// Whether a partial-sum neuron of the `net` and `by-sign` schemes starts at half its
        /// step, so that what it holds back is a rounding (half a step either way) rather
        /// than a floor (up to a whole step, half on average, always short). Offset-coded
        /// partial neurons always start at half (``OffsetCode``). Off by default: it helps
        /// deep classifiers at short runs and costs others (docs/mapping.md, "Rounding").
        public var partialRounding: Bool
        /// Partial neurons per part and sign in the `net` and `by-sign` schemes, started
        /// `1 / stagger` of a step apart: together they hold back at most a `stagger`-th of a
        /// step and still send up to a whole step a tick (docs/mapping.md, "Stagger").
        public var partialStagger: Int
        public init(strict: Bool = false, rates: FiringRates? = nil, placement: PlacementStrategy = .auto, partialStep: PartialStep = .weight,
                    partialSums: PartialSums = .net, partialRounding: Bool = false, partialStagger: Int = 1) {
            self.partialStagger = partialStagger
            self.strict = strict
            self.rates = rates
            self.placement = placement
            self.partialStep = partialStep
            self.partialSums = partialSums
            self.partialRounding = partialRounding
        }
    }

    let network: IntegerNetwork
    let target: Target
    let layers: [Layer]
    let wiring: Wiring
    let options: Options
    /// Filled by the analysis step; nil for inputs and wiring layers.
    var analyses: [LayerAnalysis?] = []

    public init(_ network: IntegerNetwork, options: Options = Options()) {
        self.network = network
        self.target = network.target
        self.layers = network.graph.layers
        self.wiring = Wiring(network.graph)
        self.options = options
    }

    public func compile(progress: (@Sendable (String) -> Void)? = nil) throws(DiagnosticError) -> Compiled {
        var compiler = self
        var diagnostics = Diagnostics()
        var profile = StageProfile()
        // 1. Analysis, inputs first.
        var analyses = [LayerAnalysis?](repeating: nil, count: layers.count)
        for k in layers.indices where layers[k].neuron != nil {
            let below = wiring.sourceLayers(k).map { analyses[$0]?.depth ?? 0 }.max() ?? 0
            analyses[k] = analyse(k, depthOfSources: below, diagnostics: &diagnostics)
        }
        try diagnostics.throwIfErrors()
        compiler.analyses = analyses
        profile.lap("analysis")
        return try compiler.partition(progress: progress, profile: profile)
    }

    private func partition(progress: (@Sendable (String) -> Void)?, profile given: StageProfile) throws(DiagnosticError) -> Compiled {
        var profile = given
        let spec = target.core
        var state = PlanState(layers: layers.count)
        state.analyses = analyses
        var reports: [LayerReport] = []
        let outputs = Set(network.graph.outputs.compactMap { name in layers.firstIndex { $0.name == name } })
        for k in layers.indices.reversed() {
            // Every reader of k is planned: its routes that need relays can be built.
            planRelays(k, state: &state)
            guard var analysis = analyses[k], let shape = layers[k].shape else { continue }
            progress?("partitioning \(layers[k].name) (\(layers.count - k) of \(layers.count) layers, \(state.recipes.count) cores so far)")
            let routes = RouteTable(requests: state.requests[k], elements: shape.count, isOutput: outputs.contains(k))
            state.requests[k] = []
            let first = state.recipes.count
            if let most = (0..<shape.count).map(routes.copies).max(), most > spec.neurons, analysis.split {
                state.diagnostics.error("\(layers[k].op.name) '\(layers[k].name)': a merge neuron feeds \(most) axons, more copies than a core's \(spec.neurons) neurons, and a merge neuron's partial sums have one destination each; reduce this layer's fan-out or its fan-in", at: layers[k].location)
                continue
            }
            var tile: TileShape?
            var layout = SplitLayout.whole
            if let op = analysis.local {
                if let (shape, chosen, planned) = planTiled(k, op, analysis, routes: routes, state: &state) {
                    (tile, analysis, layout) = (shape, chosen, planned)
                    state.analyses[k] = chosen
                } else {
                    layout = analysis.layout(slices: 1)
                }
            } else {
                layout = planGeneral(k, analysis, routes: routes, state: &state)
            }
            state.routes[k] = routes
            state.layouts[k] = layout
            if layout.offset { state.offsetCodes[k] = offsetCodes(k, analysis, layout: layout) }
            reports.append(report(k, analysis, routes: routes, cores: first..<state.recipes.count, recipes: state.recipes, tile: tile, layout: layout))
        }
        try state.diagnostics.throwIfErrors()
        guard state.recipes.count <= target.board.coresTotal else {
            throw DiagnosticError("the network needs \(state.recipes.count) cores but target '\(target.name)' has \(target.board.coresTotal) (\(target.board.chips[0])x\(target.board.chips[1]) chips of \(target.board.coresPerChipTotal))"
                                  + Self.largerTarget(than: target, cores: state.recipes.count))
        }
        profile.lap("partition (tile search, recipes, routes)")
        progress?("measuring firing rates for placement")
        // Measured when the reference run is affordable, else estimated in one pass: routes
        // are always weighed by expected spikes.
        let rates = options.rates ?? FiringRates.measure(network) ?? FiringRates.estimate(network)
        let byLayer = layers.map { rates.rate(of: $0.name) }
        let coreRates = state.recipes.map { byLayer[$0.layer] }
        profile.lap("firing rates")
        progress?("placing \(state.recipes.count) cores")
        let placer = Placer(target: target, cores: state.recipes.count, traffic: state.traffic, coreRates: coreRates)
        let placed = placer.placement(options.placement, rateSource: rates.source)
        profile.append(placed.profile, prefix: "placement: ")
        let inputs = network.graph.inputLayers.compactMap { input -> (String, [Int], RouteTable)? in
            guard let k = layers.firstIndex(where: { $0.name == input.name }), let shape = input.shape else { return nil }
            return (input.name, [shape.channels, shape.height, shape.width],
                    RouteTable(requests: state.requests[k], elements: shape.count, isOutput: false))
        }
        // The map is built from the analyses as planned (a split by sign may have been
        // given up for the net one).
        var planned = self
        planned.analyses = state.analyses
        var compiled = Compiled(compiler: planned, recipes: state.recipes, routes: state.routes, mergeHome: state.mergeHome, layouts: state.layouts, offsetCodes: state.offsetCodes,
                        inputs: inputs, slots: placed.slots, placer: placer,
                        rates: rates,
                        labelIndex: Compiled.labelIndex(state.recipes, layers: layers.count), layers: reports.reversed(),
                        placement: placed.report,
                        relayedRoutes: state.relayedRoutes)
        compiled.profile = profile
        return compiled
    }
}

extension Operation {
    var isInput: Bool {
        if case .input = self { true } else { false }
    }
}

extension Compiler {
    /// "; ..." naming the smallest bundled target with the same cores that holds `cores`
    /// cores and how many of its chips they take, or "" when none does.
    static func largerTarget(than target: Target, cores: Int) -> String {
        let fits = BundledTargets.files.keys.sorted().compactMap { file -> Target? in
            guard let t = try? TargetLoader.load(path: TargetLocator.bundledFolder + "/" + file) else { return nil }
            return t.core == target.core && t.board.coresPerChipTotal == target.board.coresPerChipTotal && t.board.coresTotal >= cores ? t : nil
        }
        guard let best = fits.min(by: { ($0.board.coresTotal, $0.name) < ($1.board.coresTotal, $1.name) }) else { return "" }
        let chips = (cores + best.board.coresPerChipTotal - 1) / best.board.coresPerChipTotal
        return "; the smallest bundled target that holds it is '\(best.name)' (\(best.board.chips[0])x\(best.board.chips[1]) chips), on \(chips) of its chips: --target \(best.name)"
    }
}
