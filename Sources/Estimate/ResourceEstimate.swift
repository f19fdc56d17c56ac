import CoreMap
import Hardware

/// What a core map occupies, counted from the map itself: cores and chips, neurons, axons
/// and synapses programmed, relay (splitter) cores, input and output pins, and the same
/// per layer with utilisation. Every figure is a count over the map's cores.
///
///     let resources = ResourceEstimate(map)
///     print(resources.cores, resources.chips, resources.layers.map(\.axonUtilisation))
public struct ResourceEstimate: Sendable, Encodable {
    /// One layer's share of the map (``CoreMap/layers``; cores without a label go to "-").
    public struct Layer: Sendable, Encodable {
        public var name: String
        public var op: String
        public var cores: Int
        /// Network neurons of the layer, and hardware neurons its cores use (copies for
        /// fan-out, partial sums, merges and relays included).
        public var neurons: Int
        public var hardwareNeurons: Int
        /// Axons with at least one synapse, and synapses (crossbar ones).
        public var axonsUsed: Int
        public var synapses: Int
        public var axonUtilisation: Double
        public var neuronUtilisation: Double
        public var relayCores: Int
        public var partialCores: Int
        public var mergeCores: Int
    }

    public var cores: Int
    public var chips: Int
    public var hardwareNeurons: Int
    public var networkNeurons: Int
    /// Hardware neurons of whole and merge cores beyond the layer's network neurons: copies
    /// made because a neuron has one destination.
    public var duplicatedNeurons: Int
    public var axonsUsed: Int
    public var synapses: Int
    public var relayCores: Int
    public var partialCores: Int
    public var mergeCores: Int
    /// Axons fed from outside the board (input pins), and neurons that drive an output port.
    public var inputPins: Int
    public var outputPins: Int
    public var axonUtilisation: Double
    public var neuronUtilisation: Double
    public var layers: [Layer]

    /// Counts a loaded map: packed, then counted from its tables.
    public init(_ map: CoreMap) { self.init(PackedCoreMap(map)) }

    /// Counts a packed map from its shared tables (the same figures as the unpacked map's).
    public init(_ map: PackedCoreMap) {
        var tally = BoardTally(header: map.header, rate: 0, inputRate: 0)
        let tables = BoardTally.PackedTables(map, inputPins: tally.inputPins)
        for c in 0..<map.coreCount { tally.add(packed: map, core: c, tables: tables) }
        self = tally.resources()
    }

    /// Totals and utilisation from per-layer rows (``BoardTally/resources()``).
    init(rows: [Layer], header: CoreMap, cores: Int, chips: Int, layerCopies: [Int], inputPins: Int, outputPins: Int) {
        let g = header.geometry
        var rows = rows
        for i in rows.indices where rows[i].cores > 0 {
            rows[i].axonUtilisation = Double(rows[i].axonsUsed) / Double(rows[i].cores * g.axons)
            rows[i].neuronUtilisation = Double(rows[i].hardwareNeurons) / Double(rows[i].cores * g.neurons)
        }
        layers = rows
        self.cores = cores
        self.chips = chips
        hardwareNeurons = rows.reduce(0) { $0 + $1.hardwareNeurons }
        networkNeurons = header.layers.reduce(0) { $0 + $1.neurons }
        duplicatedNeurons = zip(header.layers, layerCopies).reduce(0) { $0 + max(0, $1.1 - $1.0.neurons) }
        axonsUsed = rows.reduce(0) { $0 + $1.axonsUsed }
        synapses = rows.reduce(0) { $0 + $1.synapses }
        relayCores = rows.reduce(0) { $0 + $1.relayCores }
        partialCores = rows.reduce(0) { $0 + $1.partialCores }
        mergeCores = rows.reduce(0) { $0 + $1.mergeCores }
        self.inputPins = inputPins
        self.outputPins = outputPins
        axonUtilisation = cores == 0 ? 0 : Double(axonsUsed) / Double(cores * g.axons)
        neuronUtilisation = cores == 0 ? 0 : Double(hardwareNeurons) / Double(cores * g.neurons)
    }
}
