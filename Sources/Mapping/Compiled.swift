import CoreMap
import Hardware
import Placement
import Reference
import SpikeIR
import TesseraSupport

/// A compiled network: the planned cores with their placement, per-layer figures, and the
/// core map they stand for (``map`` in memory, or streamed to a file by ``write(to:)``).
public struct Compiled: Sendable {
    let compiler: Compiler
    let recipes: [CoreRecipe]
    let routes: [RouteTable?]
    let mergeHome: [Int: [(core: Int32, first: Int32)]]
    /// Per layer, the parts of its fan-in (``SplitLayout/whole`` unless split).
    let layouts: [SplitLayout]
    /// Per offset-coded split layer, its ``OffsetCode`` per weight table (and part count, ``Compiler/offsetCodes(_:_:layout:)``).
    let offsetCodes: [Int: [OffsetCode]]
    let inputs: [(String, [Int], RouteTable)]
    let slots: [Int]
    let placer: Placer
    /// The firing rates placement weighed routes by; the map keeps them
    /// (``CoreMap/rateSource``) for `tessera report MAP`.
    let rates: FiringRates
    /// Per graph layer: its index in the map's `layers`, nil when it has no cores.
    let labelIndex: [Int?]
    /// One row per layer with neurons, in graph order.
    public let layers: [LayerReport]
    public let placement: PlacementReport
    /// Routes carried by relay neurons (delays beyond the target's range, inputs read late).
    public let relayedRoutes: Int
    /// Wall time and peak memory of each stage of the compile that made this value
    /// (`tessera compile --profile`).
    public internal(set) var profile = StageProfile()
    /// Tile crossbars built so far, shared by every copy of this value (see ``BuildOnceCache``;
    /// about 9 KB an entry).
    let crossbars = BuildOnceCache<TileCrossbarKey, HashedTable<Crossbar>>(capacity: 50_000)
    /// Merge cores' axon types and crossbars, likewise.
    let mergeWirings = BuildOnceCache<MergeCrossbarKey, MergeWiring>(capacity: 20_000)
    /// Neuron blocks built so far, shared likewise (see ``NeuronBlockCache``).
    let blocks = NeuronBlockCache()

    /// Relay cores (``Compiler/planRelays(_:state:)``).
    public var relayCores: Int { recipes.reduce(0) { $0 + ($1.stage == .relay ? 1 : 0) } }

    public var coreCount: Int { recipes.count }
    /// Chips holding at least one core.
    public var chipsUsed: Int { Set(slots.map { let p = placer.position($0); return [p.chipX, p.chipY] }).count }
    /// Layers whose fan-in was split into partial sums (an approximation).
    public var approximations: [LayerReport] { layers.filter { $0.parts > 1 && $0.cores > 0 } }

    /// The offset-coded layers where some part's negative range is more than the target's
    /// leak can offset (``OffsetCode/bounded``): there a part whose current stays negative
    /// loses it, so offset coding's bound does not hold (docs/mapping.md).
    public var unboundedOffsetLayers: [String] {
        offsetCodes.keys.sorted().filter { offsetCodes[$0]?.contains { !$0.bounded } ?? false }.map { compiler.layers[$0].name }
    }
    /// Ticks from input to each output's earliest spike, by output name.
    public var latencies: [(name: String, ticks: Int)] { outputPorts.map { ($0.name, $0.latency) } }
}

/// What the compiler did with one layer (a row of the table and of the JSON report).
public struct LayerReport: Encodable, Sendable {
    public var layer: String
    public var op: String
    public var neurons: Int
    /// Hardware neurons of the layer: copies for fan-out included (merge neurons when split).
    public var hardwareNeurons: Int
    /// All cores of the layer (partial-sum and merge cores included).
    public var cores: Int
    /// The fewest cores any partition could use: max(ceil(hardware neurons / neurons per
    /// core), ceil(distinct axons the layer needs / axons per core)).
    public var lowerBound: Int
    /// The fewest cores the layer's own scheme can reach: the lower bound, or for a split
    /// fan-in its partial-sum and merge cores counted apart (``SplitBound``).
    public var tightBound: Int
    public var axonsUsed: Int
    /// Neurons, of all the layer's cores, in use / available (0...1).
    public var neuronUtilisation: Double
    public var axonUtilisation: Double
    public var encoding: WeightEncoding
    /// Tile shape for structured layers, `rows x cols x channels` (and `/ input channels`
    /// per part when split); nil for irregular layers.
    public var tile: String?
    /// Input parts of a split fan-in (1 when exact), the cores of partial sums and merges.
    public var parts: Int
    /// How a split layer's parts divide its inputs (``PartialSums``); `net` when not split.
    public var partialSums: PartialSums
    public var partialCores: Int
    public var mergeCores: Int
    /// Axons one neuron needs: fan-in x axon copies per input.
    public var fanIn: Int
    /// Hardware depth: ticks from the inputs to this layer's spikes, plus one.
    public var depth: Int
}

extension Compiler {
    /// The report row of layer k, counted from its cores' recipes.
    func report(_ k: Int, _ analysis: LayerAnalysis, routes: RouteTable, cores: Range<Int>, recipes: [CoreRecipe],
                tile: TileShape?, layout: SplitLayout) -> LayerReport {
        let spec = target.core
        let layer = layers[k]
        let count = layer.shape?.count ?? 0
        let hardware = (0..<count).reduce(0) { $0 + routes.copies($1) }
        var axonsUsed = 0, neuronsUsed = 0, partial = 0, merge = 0
        // A tile's cores follow each other and read the same axons: counted once per tile.
        var last: (tile: Tile, group: Int, axons: Int)?
        for c in cores {
            switch recipes[c].body {
            case let .tile(t, _, n):
                if let op = analysis.local {
                    let group = recipes[c].stage.group(in: layout)
                    if let last, last.tile == t, last.group == group {
                        axonsUsed += last.axons
                    } else {
                        let axons = TileAxons(op, tile: t, lanes: analysis.lanes(ofGroup: group)).count
                        axonsUsed += axons
                        last = (t, group, axons)
                    }
                }
                neuronsUsed += n
            case let .merge(elements):
                let present = elements.filter { routes.copies($0) > 0 }
                let positions = max(1, (layer.shape?.height ?? 1) * (layer.shape?.width ?? 1))
                axonsUsed += present.reduce(0) { $0 + layout.parts(of: $1, positions: positions) } * layout.neuronsPerPart
                neuronsUsed += present.reduce(0) { $0 + routes.copies($1) }
            case let .list(slots, axons):
                axonsUsed += axons.count
                neuronsUsed += slots.count
            case .relay: break
            }
            switch recipes[c].stage {
            case .partial: partial += 1
            case .merge: merge += 1
            case .whole, .relay: break
            }
        }
        // Distinct (input, type) axons the layer needs, whatever the partition, and for a
        // split each read element's own fan-in in axons (SplitBound).
        var needed = 0
        var fanIns: [[Int]] = []
        if let op = analysis.local {
            let rows = LocalOp.union(op.rowTaps, 0..<op.output.height).count, cols = LocalOp.union(op.colTaps, 0..<op.output.width).count
            needed = op.input.channels * rows * cols * analysis.lanes.count
            if let s = op.shortcut, wiring.inputs[k][s.inputIndex] != wiring.inputs[k][op.inputIndex] {
                let rows = LocalOp.union(s.rowTaps, 0..<op.output.height).count, cols = LocalOp.union(s.colTaps, 0..<op.output.width).count
                needed += s.input.channels * rows * cols * analysis.lanes.count
            }
            if analysis.split { fanIns = SplitBound.fanIns(op, analysis) { routes.copies($0) > 0 } }
        } else {
            let inputIndices = wiring.inputs[k]
            let shapes = inputIndices.compactMap { layers[$0].shape }
            var keys = Set<AxonKey>()
            for j in 0..<count where routes.copies(j) > 0 {
                let own = analysis.encoding.axonKeys(network.connections(of: layer, neuron: j, wiring: wiring, inputs: inputIndices, shapes: shapes),
                                                     table: analysis.tables[j])
                keys.formUnion(own)
                if analysis.split { fanIns.append(analysis.laneGroupMasks.map { m in own.filter { m & 1 << UInt32($0.lane) != 0 }.count }) }
            }
            needed = keys.count
        }
        let n = cores.count
        let lowerBound = hardware == 0 ? 0 : max((hardware + spec.neurons - 1) / spec.neurons, (needed + spec.axons - 1) / spec.axons)
        let splitBound = SplitBound(fanIns: fanIns, neuronsPerPart: layout.neuronsPerPart, axonsPerCore: spec.axons)
        return LayerReport(layer: layer.name, op: layer.op.name, neurons: count, hardwareNeurons: hardware, cores: n,
                           lowerBound: lowerBound,
                           tightBound: hardware == 0 || !analysis.split ? lowerBound
                               : splitBound.cores(hardwareNeurons: hardware, neededAxons: needed, axonsPerCore: spec.axons, neuronsPerCore: spec.neurons),
                           axonsUsed: axonsUsed,
                           neuronUtilisation: n == 0 ? 0 : Double(neuronsUsed) / Double(n * spec.neurons),
                           axonUtilisation: n == 0 ? 0 : Double(axonsUsed) / Double(n * spec.axons),
                           encoding: analysis.encoding,
                           tile: tile.map(\.summary),
                           parts: layout.parts, partialSums: layout.scheme, partialCores: partial, mergeCores: merge, fanIn: analysis.fanIn, depth: analysis.depth)
    }
}
