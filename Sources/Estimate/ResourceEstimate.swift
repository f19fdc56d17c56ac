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

    public init(_ map: CoreMap) {
        let g = map.geometry
        var rows = map.layers.map { Layer(name: $0.name, op: $0.op, cores: 0, neurons: $0.neurons, hardwareNeurons: 0, axonsUsed: 0, synapses: 0,
                                          axonUtilisation: 0, neuronUtilisation: 0, relayCores: 0, partialCores: 0, mergeCores: 0) }
        var unlabelled = Layer(name: "-", op: "-", cores: 0, neurons: 0, hardwareNeurons: 0, axonsUsed: 0, synapses: 0,
                               axonUtilisation: 0, neuronUtilisation: 0, relayCores: 0, partialCores: 0, mergeCores: 0)
        var layerCopies = [Int](repeating: 0, count: map.layers.count)
        var outputPins = 0
        for core in map.cores {
            var axons = 0, synapses = 0
            for a in 0..<g.axons {
                let ones = core.crossbar.fanOut(of: a)
                if ones > 0 { axons += 1 }
                synapses += ones
            }
            outputPins += core.neurons.reduce(0) { n, neuron in if case .output? = neuron.destination { n + 1 } else { n } }
            func add(_ row: inout Layer) {
                row.cores += 1
                row.hardwareNeurons += core.neurons.count
                row.axonsUsed += axons
                row.synapses += synapses
                switch core.role {
                case .relay: row.relayCores += 1
                case .partial: row.partialCores += 1
                case .merge: row.mergeCores += 1
                case .whole: break
                }
            }
            if let k = core.layer, rows.indices.contains(k) {
                add(&rows[k])
                if core.role == .whole || core.role == .merge { layerCopies[k] += core.neurons.count }
            } else {
                add(&unlabelled)
            }
        }
        if unlabelled.cores > 0 { rows.append(unlabelled) }
        for i in rows.indices where rows[i].cores > 0 {
            rows[i].axonUtilisation = Double(rows[i].axonsUsed) / Double(rows[i].cores * g.axons)
            rows[i].neuronUtilisation = Double(rows[i].hardwareNeurons) / Double(rows[i].cores * g.neurons)
        }
        layers = rows
        cores = map.cores.count
        chips = Set(map.cores.map(\.chip)).count
        hardwareNeurons = rows.reduce(0) { $0 + $1.hardwareNeurons }
        networkNeurons = map.layers.reduce(0) { $0 + $1.neurons }
        duplicatedNeurons = zip(map.layers, layerCopies).reduce(0) { $0 + max(0, $1.1 - $1.0.neurons) }
        axonsUsed = rows.reduce(0) { $0 + $1.axonsUsed }
        synapses = rows.reduce(0) { $0 + $1.synapses }
        relayCores = rows.reduce(0) { $0 + $1.relayCores }
        partialCores = rows.reduce(0) { $0 + $1.partialCores }
        mergeCores = rows.reduce(0) { $0 + $1.mergeCores }
        inputPins = Set(map.inputs.flatMap { $0.targets.flatMap { $0 } }.map { [$0.core, $0.axon] }).count
        self.outputPins = outputPins
        axonUtilisation = cores == 0 ? 0 : Double(axonsUsed) / Double(cores * g.axons)
        neuronUtilisation = cores == 0 ? 0 : Double(hardwareNeurons) / Double(cores * g.neurons)
    }
}
