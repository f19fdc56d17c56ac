import Testing
@testable import Mapping
@testable import Reference
@testable import Tessera

/// Every synapse of the IR is in the core map exactly once: the weight matrix rebuilt from
/// the map (for each hardware neuron, the sum over its crossbar bits of its weight for the
/// axon's type, keyed by which input or neuron feeds that axon) equals the IR's, derived
/// from the reference's own per-op loops (``IntegerNetwork/current(of:inputs:shapes:)``)
/// on one-hot inputs. Every copy of a neuron must agree, every used axon has exactly one
/// feeder, and no core exceeds the target's axons or neurons.
@Suite struct EffectiveWeightTests {
    /// The IR's weights of layer k: element -> source -> weight.
    static func irWeights(_ network: IntegerNetwork, wiring: Wiring, layer k: Int) -> [[Source: Int]] {
        let layers = network.graph.layers
        let inputs = wiring.inputs[k]
        let shapes = inputs.compactMap { layers[$0].shape }
        var result = [[Source: Int]](repeating: [:], count: layers[k].shape?.count ?? 0)
        for (m, input) in inputs.enumerated() {
            for e in 0..<shapes[m].count {
                var spikes = shapes.map { [Int](repeating: 0, count: $0.count) }
                spikes[m][e] = 1
                for (j, w) in network.current(of: layers[k], inputs: spikes, shapes: shapes).enumerated() where w != 0 {
                    result[j][wiring.origin(input, e), default: 0] += w
                }
            }
        }
        return result
    }

    /// The map's weights per hardware neuron, with its identity.
    static func mapWeights(_ compiled: Compiled, _ map: CoreMap, inputs: [String: Int], limits: CoreSpec) -> [(layer: Int, element: Int, weights: [Source: Int])] {
        var feeders: [AxonAddress: [Source]] = [:]
        for port in map.inputs {
            guard let k = inputs[port.name] else { continue }
            for (e, targets) in port.targets.enumerated() { for t in targets { feeders[t, default: []].append(Source(layer: k, element: e)) } }
        }
        let identities = map.cores.indices.map { compiled.identities(of: $0) }
        for (c, core) in map.cores.enumerated() {
            for (i, n) in core.neurons.enumerated() {
                guard case let .axon(target, axon, _)? = n.destination else { continue }
                let id = identities[c][i]
                feeders[AxonAddress(core: target, axon: axon), default: []].append(Source(layer: id.layer, element: id.element))
            }
        }
        // No core exceeds the target's axons or neurons: every axon something feeds, every
        // crossbar row with a bit set and every neuron index lie below the target's counts.
        // (The crossbar may be allocated wider than the target; what matters is what is used.)
        let tooHigh = feeders.keys.filter { $0.axon < 0 || $0.axon >= limits.axons }
        #expect(tooHigh.isEmpty, "axons fed beyond the target's \(limits.axons): \(tooHigh.prefix(4))")
        var result: [(layer: Int, element: Int, weights: [Source: Int])] = []
        for (c, core) in map.cores.enumerated() {
            let usedRows = (0..<core.crossbar.axons).filter { !core.crossbar.isEmptyRow($0) }
            #expect(usedRows.allSatisfy { $0 < limits.axons }, "core \(c) uses crossbar rows up to \(usedRows.last ?? -1), the target has \(limits.axons) axons")
            #expect(core.neurons.count <= limits.neurons && core.neurons.allSatisfy { (0..<limits.neurons).contains($0.index) },
                    "core \(c): \(core.neurons.count) neurons, indices up to \(core.neurons.map(\.index).max() ?? -1), the target has \(limits.neurons)")
            for (i, n) in core.neurons.enumerated() where identities[c][i].stage == .whole {
                var weights: [Source: Int] = [:]
                for a in 0..<map.geometry.axons where core.crossbar[a, i] {
                    let from = feeders[AxonAddress(core: c, axon: a)] ?? []
                    #expect(from.count == 1, "core \(c) axon \(a) has \(from.count) feeders")
                    let w = n.weights[Int(core.axonTypes[a])]
                    #expect(w != 0, "core \(c) neuron \(i) axon \(a): a crossbar bit of weight 0")
                    if let source = from.first { weights[source, default: 0] += w }
                }
                result.append((identities[c][i].layer, identities[c][i].element, weights.filter { $0.value != 0 }))
            }
        }
        return result
    }

    func check(_ graph: SpikeGraph, on target: Target) throws {
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        let map = compiled.map
        #expect(CoreMapValidator.validate(map, target: target).isEmpty)
        let wiring = compiled.compiler.wiring
        let inputs = Dictionary(uniqueKeysWithValues: graph.layers.enumerated().map { ($1.name, $0) })
        var expected: [Int: [[Source: Int]]] = [:]
        var seen = Set<[Int]>()
        for (k, j, weights) in Self.mapWeights(compiled, map, inputs: inputs, limits: target.core) {
            if expected[k] == nil { expected[k] = Self.irWeights(network, wiring: wiring, layer: k) }
            #expect(weights == expected[k]?[j], "\(graph.layers[k].name)[\(j)]")
            seen.insert([k, j])
        }
        // Every neuron that something reads (or an output) is on the chip.
        for (k, layer) in graph.layers.enumerated() where layer.neuron != nil {
            let present = (0..<(layer.shape?.count ?? 0)).filter { seen.contains([k, $0]) }.count
            #expect(present > 0, "\(layer.name) has no hardware neuron")
        }
    }

    @Test(arguments: StructuredMappingTests.seeds(40, axons: 16))
    func structuredNetworks(seed: UInt64) throws {
        try check(try #require(StructuredMappingTests.network(seed: seed, axons: 16)), on: StructuredMappingTests.tiny)
    }

    @Test(arguments: 0..<30)
    func irregularNetworks(seed: Int) throws {
        try check(try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed), small: true)).graph, on: CompilerPropertyTests.tiny)
    }
}
