import CoreMap
import Hardware
import Reference
import SpikeIR

extension Compiler {
    /// Turns planned cores into a core map: places cores row-major over the board, sets
    /// crossbars and neuron parameters, and gives each hardware neuron its destination.
    func build(plans: [PlannedCore], demands: [Source: [Demand]], encodings: [WeightEncoding?], outputs: Set<Int>,
               placer: Placer, slots: [Int]) -> CoreMap {
        let spec = target.core
        let board = target.board
        var map = CoreMap(target: target.name, geometry: CoreGeometry(axons: spec.axons, neurons: spec.neurons, axonTypes: spec.axonTypes),
                          chips: board.chips, coresPerChip: board.coresPerChip)
        let beta = CoreSpec.unsignedRange(bits: spec.negThresholdBits).upperBound
        var nextDemand: [Source: Int] = [:]
        for (c, plan) in plans.enumerated() {
            let layer = layers[plan.layer]
            let encoding = encodings[plan.layer] ?? .signed
            let inputIndices = layer.inputs.compactMap { position[$0] }
            let shapes = inputIndices.compactMap { layers[$0].shape }
            let leaks = network.leak(of: layer)
            var types = [UInt8](repeating: 0, count: spec.axons)
            for (key, axon) in plan.axons { types[axon] = UInt8(key.type) }
            var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
            var neurons: [NeuronConfig] = []
            var connectionsOf: [Int: [(Source, Int)]] = [:]
            for (slot, j) in plan.neurons.enumerated() {
                let connections = connectionsOf[j] ?? network.connections(of: layer, neuron: j, origins: origins, inputs: inputIndices, shapes: shapes)
                connectionsOf[j] = connections
                for (source, weight) in connections {
                    for type in 0..<4 where encoding.connects(weight, type: type) {
                        if let axon = plan.axons[AxonKey(source: source, type: type)] { crossbar[axon, slot] = true }
                    }
                }
                let model = layer.neuron ?? NeuronModel()
                var n = NeuronConfig(index: slot, weights: weights(encoding, connections), leak: leaks.isEmpty ? 0 : leaks[j],
                                     threshold: Int(model.threshold), negThreshold: beta, negative: .saturate)
                switch model.reset {
                case .subtract: n.reset = .linear
                case .zero: n.reset = .normal
                case .none: n.reset = .none
                }
                // Copies of neuron j take its destinations in order, the output port last.
                let source = Source(layer: plan.layer, element: j)
                let used = nextDemand[source, default: 0]
                if let list = demands[source], used < list.count {
                    n.destination = .axon(core: list[used].core, axon: list[used].axon, delay: list[used].delay)
                } else if outputs.contains(plan.layer) {
                    n.destination = .output(port: layer.name, index: j)
                }
                nextDemand[source] = used + 1
                neurons.append(n)
            }
            let p = placer.position(slots[c])
            map.cores.append(CoreConfig(id: c, chip: [p.chipX, p.chipY],
                                        place: [p.x - p.chipX * board.coresPerChip[0], p.y - p.chipY * board.coresPerChip[1]],
                                        seed: UInt64(c), axonTypes: types, crossbar: crossbar, neurons: neurons))
        }
        map.inputs = network.graph.inputLayers.compactMap { input in
            guard let k = position[input.name], let shape = input.shape else { return nil }
            let targets = (0..<shape.count).map { e in
                (demands[Source(layer: k, element: e)] ?? []).map { AxonAddress(core: $0.core, axon: $0.axon) }
            }
            return InputPort(name: input.name, shape: [shape.channels, shape.height, shape.width], targets: targets)
        }
        map.outputs = network.graph.outputs.compactMap { name in
            guard let k = position[name], let shape = layers[k].shape, let d = depth[k] else { return nil }
            return OutputPort(name: name, shape: [shape.count], latency: d - 1)
        }
        return map
    }

    /// s[0..3] of a neuron for the encoding.
    func weights(_ encoding: WeightEncoding, _ connections: [(Source, Int)]) -> [Int] {
        switch encoding {
        case .signed:
            return [connections.map(\.1).first { $0 > 0 } ?? 0, connections.map(\.1).first { $0 < 0 } ?? 0, 0, 0]
        case .bitSliced4:
            return [1, 2, 4, -8]
        }
    }
}
