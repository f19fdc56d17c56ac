import CoreMap
import Hardware
import Reference
import SpikeIR
import TesseraSupport

/// Lowers an ``IntegerNetwork`` onto the cores of a target (first version: the exact path
/// for layers whose fan-in fits one core; see docs/mapping.md for what is not done yet).
///
/// Layers are partitioned from the outputs back, so that each layer knows how many copies
/// of each of its neurons its consumers need (a neuron has one destination: it is
/// duplicated once per destination axon), then placed row-major on the board. Delays make
/// branches arrive as ``ReferenceSimulator`` defines, so `emulate(compile(net))` equals
/// `simulate(net)` tick for tick.
public struct Compiler {
    public struct LayerReport: Sendable {
        public var layer: String
        public var neurons: Int
        /// Hardware neurons, copies for fan-out included.
        public var hardwareNeurons: Int
        public var cores: Int
        public var encoding: WeightEncoding
        public var axonsUsed: Int
        /// The fewest cores any partition could use: max(ceil(hardware neurons / neurons per
        /// core), ceil(distinct axons the layer needs / axons per core)).
        public var lowerBound: Int
    }

    public struct Result: Sendable {
        public var map: CoreMap
        public var layers: [LayerReport]
        /// Traffic-weighted mesh hops and chip crossings of the placement used, and of the
        /// naive row-major placement it was improved from.
        public var placement: PlacementReport
    }

    public struct PlacementReport: Sendable {
        public var hops: Int
        public var chipCrossings: Int
        public var rowMajorHops: Int
        public var rowMajorChipCrossings: Int
        /// What a chip crossing costs in hops when placing (target's chipCrossing / hop energy).
        public var crossingCost: Int
    }

    let network: IntegerNetwork
    let target: Target
    let layers: [Layer]
    let position: [String: Int]
    let depth: [Int?]
    let origins: [[Source]]

    public init(_ network: IntegerNetwork) {
        self.network = network
        self.target = network.target
        let layers = network.graph.layers
        let position = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1.name, $0) })
        self.layers = layers
        self.position = position
        depth = ReferenceSimulator(network).depth
        var origins = [[Source]](repeating: [], count: layers.count)
        for (k, layer) in layers.enumerated() {
            switch layer.op {
            case .flatten, .concat: origins[k] = layer.inputs.compactMap { position[$0] }.flatMap { origins[$0] }
            default: origins[k] = (0..<(layer.shape?.count ?? 0)).map { Source(layer: k, element: $0) }
            }
        }
        self.origins = origins
    }

    /// One planned core: the hardware neurons (layer neuron index each) and its axons.
    struct PlannedCore {
        var layer: Int
        var neurons: [Int] = []
        var axons: [AxonKey: Int] = [:]
    }

    struct AxonKey: Hashable {
        var source: Source
        var type: Int
    }

    /// Where a source's spikes must go: (core, axon, delay).
    struct Demand {
        var core: Int
        var axon: Int
        var delay: Int
    }

    public func compile() throws(DiagnosticError) -> Result {
        let spec = target.core
        var diagnostics = Diagnostics()
        var demands: [Source: [Demand]] = [:]
        var plans: [PlannedCore] = []
        var reports: [LayerReport] = []
        var encodings = [WeightEncoding?](repeating: nil, count: layers.count)
        let outputs = Set(network.graph.outputs.compactMap { position[$0] })

        for k in layers.indices.reversed() {
            let layer = layers[k]
            guard let neuron = layer.neuron, let d = depth[k], let shape = layer.shape else { continue }
            if neuron.kind == .binary {
                diagnostics.error("\(layer.op.name) '\(layer.name)': binary neurons (membrane cleared every tick) are not lowered yet", at: layer.location)
                continue
            }
            let inputIndices = layer.inputs.compactMap { position[$0] }
            let shapes = inputIndices.compactMap { layers[$0].shape }
            let connections = (0..<shape.count).map {
                network.connections(of: layer, neuron: $0, origins: origins, inputs: inputIndices, shapes: shapes)
            }
            guard let encoding = chooseEncoding(connections) else {
                let all = connections.flatMap { $0.map(\.1) }
                diagnostics.error("\(layer.op.name) '\(layer.name)': weights \(all.min() ?? 0)...\(all.max() ?? 0) take more than one positive and one negative value per neuron and do not fit 4 bits; wider encodings are not implemented yet", at: layer.location)
                continue
            }
            encodings[k] = encoding
            let positive = connections.contains { $0.contains { $0.1 > 0 } }
            let negative = connections.contains { $0.contains { $0.1 < 0 } }
            let types = encoding.copies(positive: positive, negative: negative)
            // Copies of each neuron: one per destination axon, plus one for an output port.
            let copies = (0..<shape.count).map { (demands[Source(layer: k, element: $0)]?.count ?? 0) + (outputs.contains(k) ? 1 : 0) }
            var current = PlannedCore(layer: k)
            var layerCores = 0
            var layerKeys = Set<AxonKey>()
            func close() {
                if !current.neurons.isEmpty { plans.append(current); layerCores += 1 }
                current = PlannedCore(layer: k)
            }
            for j in 0..<shape.count where copies[j] > 0 {
                let keys = Set(connections[j].flatMap { c in types.filter { encoding.connects(c.1, type: $0) }.map { AxonKey(source: c.0, type: $0) } })
                if keys.count > spec.axons || copies[j] > spec.neurons {
                    diagnostics.error("\(layer.op.name) '\(layer.name)': neuron \(j) needs \(keys.count) axons (fan-in \(connections[j].count) x \(types.count) copies) and \(copies[j]) copies, a core has \(spec.axons) axons and \(spec.neurons) neurons; splitting fan-in over cores is not implemented yet", at: layer.location)
                    break
                }
                layerKeys.formUnion(keys)
                let added = keys.subtracting(current.axons.keys).count
                if current.axons.count + added > spec.axons || current.neurons.count + copies[j] > spec.neurons { close() }
                for key in keys.sorted(by: { ($0.source.layer, $0.source.element, $0.type) < ($1.source.layer, $1.source.element, $1.type) })
                where current.axons[key] == nil {
                    current.axons[key] = current.axons.count
                }
                current.neurons.append(contentsOf: Array(repeating: j, count: copies[j]))
            }
            close()
            // Record what this layer's cores need from their sources, with aligning delays.
            for c in (plans.count - layerCores)..<plans.count {
                for (key, axon) in plans[c].axons.sorted(by: { $0.value < $1.value }) {
                    let e = depth[key.source.layer] ?? 0
                    let delay = e == 0 ? d - 1 : d - e
                    if e == 0 && delay != 0 {
                        diagnostics.error("\(layer.op.name) '\(layer.name)' reads network input '\(layers[key.source.layer].name)' \(delay) ticks late to align its branches; delaying inputs needs relay neurons, not implemented yet", at: layer.location)
                    } else if e != 0 && !target.timing.delays.contains(delay) {
                        diagnostics.error("\(layer.op.name) '\(layer.name)' needs a delay of \(delay) ticks from '\(layers[key.source.layer].name)', beyond the target's \(target.timing.delays.upperBound)", at: layer.location)
                    }
                    demands[key.source, default: []].append(Demand(core: c, axon: axon, delay: delay))
                }
            }
            let hardwareNeurons = copies.reduce(0, +)
            let bound = max((hardwareNeurons + spec.neurons - 1) / spec.neurons, (layerKeys.count + spec.axons - 1) / spec.axons)
            reports.append(LayerReport(layer: layer.name, neurons: shape.count, hardwareNeurons: hardwareNeurons, cores: layerCores,
                                       encoding: encoding, axonsUsed: plans.suffix(layerCores).reduce(0) { $0 + $1.axons.count },
                                       lowerBound: bound))
        }
        try diagnostics.throwIfErrors()
        guard plans.count <= target.board.coresTotal else {
            throw DiagnosticError("the network needs \(plans.count) cores but target '\(target.name)' has \(target.board.coresTotal)")
        }
        // Traffic for placement: every axon a neuron feeds, from the core that holds it.
        var home: [Source: Int] = [:]
        for (c, plan) in plans.enumerated() { for j in plan.neurons { home[Source(layer: plan.layer, element: j)] = c } }
        let edges = demands.flatMap { source, list in
            list.compactMap { demand in home[source].map { (from: $0, to: demand.core) } }
        }
        let placer = Placer(target: target, cores: plans.count, edges: edges)
        let slots = placer.place()
        let (placed, naive) = (placer.cost(slots), placer.cost(Array(0..<plans.count)))
        let map = build(plans: plans, demands: demands, encodings: encodings, outputs: outputs, placer: placer, slots: slots)
        let problems = CoreMapValidator.validate(map, target: target)
        guard problems.isEmpty else { throw DiagnosticError(problems.map { .error("compiled map: \($0)") }) }
        return Result(map: map, layers: reports.reversed(),
                      placement: PlacementReport(hops: placed.hops, chipCrossings: placed.crossings, rowMajorHops: naive.hops,
                                                 rowMajorChipCrossings: naive.crossings, crossingCost: placer.crossingCost))
    }

    /// The cheapest exact encoding for a layer's connections, if one exists.
    func chooseEncoding(_ connections: [[(Source, Int)]]) -> WeightEncoding? {
        let signed = connections.allSatisfy { list in
            Set(list.map(\.1).filter { $0 > 0 }).count <= 1 && Set(list.map(\.1).filter { $0 < 0 }).count <= 1
        }
        if signed { return .signed }
        if connections.allSatisfy({ $0.allSatisfy { (-8...7).contains($0.1) } }) { return .bitSliced4 }
        return nil
    }
}
