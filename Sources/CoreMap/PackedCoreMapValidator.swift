import Hardware

/// Checks a packed (v2) core map: first that its arrays fit together (lengths, table
/// references, codes), then every rule of ``CoreMapValidator`` through the same
/// ``CoreMapRules``. A shared neuron block is checked once and its problems name the
/// first core that uses it; destinations are checked neuron by neuron.
public enum PackedCoreMapValidator {
    public static func validate(_ map: PackedCoreMap, target: Target) -> [String] {
        var problems = structure(map)
        guard problems.isEmpty else { return problems }
        problems = CoreMapRules.header(map.header, target: target)
        guard problems.isEmpty else { return problems }
        let limit = CoreMapValidator.limit
        func fail(_ message: String) { if problems.count < limit { problems.append(message) } }
        let h = map.header
        let rules = CoreMapRules(header: h, coreCount: map.coreCount, target: target)

        // Each block once, named by the first core that references it.
        var firstUser = [Int](repeating: -1, count: map.neuronBlocks.count)
        for c in 0..<map.coreCount where firstUser[Int(map.coreBlock[c])] < 0 { firstUser[Int(map.coreBlock[c])] = c }
        for (b, block) in map.neuronBlocks.enumerated() where firstUser[b] >= 0 {
            var previous = -1
            for n in block.neurons {
                let at = "core \(firstUser[b]), neuron \(n.index) (neuron block \(b))"
                guard rules.neuron(n, previous: previous, at: at, fail: fail) else { continue }
                previous = n.index
            }
        }
        var driven = rules.undriven()
        var places = PlaceSet(chips: h.chips, coresPerChip: h.coresPerChip)
        let names = h.outputs.map(\.name)
        for c in 0..<map.coreCount {
            if problems.count >= limit { break }
            rules.core(c, id: c, chip: (Int(map.coreChip[2 * c]), Int(map.coreChip[2 * c + 1])),
                       place: (Int(map.coreXY[2 * c]), Int(map.coreXY[2 * c + 1])), seed: map.coreSeed[c],
                       layer: map.coreLayer[c] < 0 ? nil : Int(map.coreLayer[c]), places: &places, fail: fail)
            let block = map.neuronBlocks[Int(map.coreBlock[c])].neurons
            let start = map.coreNeuronStart[c]
            for k in block.indices {
                let d = start + k
                switch map.destKind[d] {
                case 1:
                    rules.axonDestination(core: Int(map.destTarget[d]), axon: Int(map.destIndex[d]), delay: Int(map.destDelay[d]),
                                          at: "core \(c), neuron \(block[k].index)", fail: fail)
                case 2:
                    let port = Int(map.destTarget[d])
                    rules.outputDestination(port: port, name: names.indices.contains(port) ? names[port] : "#\(port)", index: Int(map.destIndex[d]),
                                            driven: &driven, at: "core \(c), neuron \(block[k].index)", fail: fail)
                default:
                    break
                }
            }
        }
        rules.inputs(h.inputs, fail: fail)
        rules.outputs(h.outputs, driven: driven, fail: fail)
        return problems
    }

    /// The arrays fit together: one entry per core in every per-core array, table references
    /// within their tables, codes within their enumerations, and destination arrays as long as
    /// the cores' blocks say. Nothing past this indexes out of range.
    public static func structure(_ map: PackedCoreMap) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { if problems.count < CoreMapValidator.limit { problems.append(message) } }
        let n = map.coreCount
        let g = map.header.geometry
        for (name, count) in [("core_chip", map.coreChip.count / 2), ("core_xy", map.coreXY.count / 2), ("core_layer", map.coreLayer.count),
                              ("core_role", map.coreRole.count), ("core_crossbar", map.coreCrossbar.count),
                              ("core_axon_types", map.coreAxonTypes.count), ("core_neurons", map.coreBlock.count)] where count != n {
            fail("\(name): \(count) entries for \(n) cores (core_seed)")
        }
        if map.coreChip.count != 2 * n || map.coreXY.count != 2 * n { fail("core_chip and core_xy must hold 2 integers per core") }
        if map.coreNeuronStart.count != n + 1 { fail("core_neuron_start: \(map.coreNeuronStart.count) entries, expected cores + 1 = \(n + 1)") }
        let neurons = map.destKind.count
        for (name, count) in [("dest_target", map.destTarget.count), ("dest_index", map.destIndex.count), ("dest_delay", map.destDelay.count)] where count != neurons {
            fail("\(name): \(count) entries, but dest_kind has \(neurons)")
        }
        for (k, crossbar) in map.crossbars.enumerated() where crossbar.axons != g.axons || crossbar.neurons != g.neurons {
            fail("crossbars[\(k)]: \(crossbar.axons) x \(crossbar.neurons), expected \(g.axons) axons x \(g.neurons) neurons")
        }
        for (k, types) in map.axonTypeTables.enumerated() {
            if types.count != g.axons { fail("axon_types[\(k)]: \(types.count) entries for \(g.axons) axons") }
            if let a = types.firstIndex(where: { Int($0) >= g.axonTypes }) {
                fail("axon_types[\(k)], axon \(a): axon type \(types[a]) is out of range 0..\(g.axonTypes - 1)")
            }
        }
        for (k, block) in map.neuronBlocks.enumerated() where block.count > g.neurons {
            fail("neuron block \(k): \(block.count) neurons, but a core has \(g.neurons)")
        }
        guard problems.isEmpty else { return problems }
        if map.coreNeuronStart.first != 0 { fail("core_neuron_start[0] is \(map.coreNeuronStart[0]), expected 0") }
        for c in 0..<n {
            if problems.count >= CoreMapValidator.limit { break }
            let (x, t, b) = (Int(map.coreCrossbar[c]), Int(map.coreAxonTypes[c]), Int(map.coreBlock[c]))
            if !map.crossbars.indices.contains(x) { fail("core \(c): core_crossbar \(x) is out of range: crossbars has \(map.crossbars.count) entries") }
            if !map.axonTypeTables.indices.contains(t) { fail("core \(c): core_axon_types \(t) is out of range: axon_types has \(map.axonTypeTables.count) entries") }
            if Int(map.coreRole[c]) >= CoreRole.allCases.count { fail("core \(c): core_role \(map.coreRole[c]) is out of range 0..\(CoreRole.allCases.count - 1)") }
            guard map.neuronBlocks.indices.contains(b) else {
                fail("core \(c): core_neurons \(b) is out of range: the neuron table has \(map.neuronBlocks.count) blocks")
                continue
            }
            let expected = map.coreNeuronStart[c] + map.neuronBlocks[b].count
            if map.coreNeuronStart[c + 1] != expected {
                fail("core \(c): core_neuron_start[\(c + 1)] is \(map.coreNeuronStart[c + 1]), expected \(expected) (its block has \(map.neuronBlocks[b].count) neurons)")
                break
            }
        }
        if problems.isEmpty, map.coreNeuronStart.last != neurons {
            fail("dest_kind has \(neurons) entries, but the cores' blocks hold \(map.coreNeuronStart.last ?? 0) neurons")
        }
        if problems.isEmpty, let k = map.destKind.firstIndex(where: { $0 > 2 }) {
            fail("dest_kind[\(k)] is \(map.destKind[k]): expected 0 (none), 1 (axon) or 2 (output)")
        }
        return problems
    }
}
