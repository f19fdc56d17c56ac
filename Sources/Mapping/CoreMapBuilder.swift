import CoreMap
import Hardware
import Reference
import SpikeIR

extension Compiled {
    /// What a planned core is before its neurons are built: its axon types, its crossbar
    /// and the slot each of its neurons computes, in neuron order.
    struct CoreBody {
        var types: [UInt8]
        var crossbar: HashedTable<Crossbar>
        var slots: [Slot]
        /// The neurons' parameters and destinations.
        var neurons: CoreNeurons
    }

    /// The body of non-relay core `c`; nil for a relay core or a layer without analysis.
    func body(_ c: Int) -> CoreBody? {
        let spec = compiler.target.core
        let recipe = recipes[c]
        let k = recipe.layer
        let layer = compiler.layers[k]
        guard let analysis = compiler.analyses[k], let routes = routes[k], let neurons = CoreNeurons(self, recipe: recipe), let out = layer.shape else {
            return nil
        }
        var types = [UInt8](repeating: 0, count: spec.axons)
        let perChannel = out.height * out.width
        switch recipe.body {
        case let .tile(tile, first, count):
            guard let op = analysis.local else { return nil }
            let axons = TileAxons(op, tile: tile, lanes: analysis.lanes(ofGroup: recipe.stage.group(in: layouts[k])))
            // Lanes vary fastest, and each block starts on a whole number of them: axon a
            // carries lane a mod lanes (``TileAxons/source(of:)``).
            let laneTypes = axons.lanes.map { UInt8(analysis.encoding.hardwareType($0)) }
            for a in 0..<axons.count { types[a] = laneTypes[a % laneTypes.count] }
            let slots = tile.slots(from: first, count: count, height: out.height, width: out.width) { analysis.slots($0, routes: routes) }
            let key = TileCrossbarKey(layer: k, op: op, tile: tile, axons: axons, slots: slots, width: out.width, perChannel: perChannel)
            let crossbar = crossbars.value(key) {
                var built = Crossbar(axons: spec.axons, neurons: spec.neurons)
                for (i, slot) in slots.enumerated() {
                    let j = Int(slot.element)
                    let (co, y, x) = (j / perChannel, (j / out.width) % out.height, j % out.width)
                    let table = analysis.tables[co]
                    let group = co / op.outPerGroup
                    /// Connects neuron i to the lanes of `weight` at every tap of its window in `block`.
                    func connect(_ block: TileAxons.Block, channel: Int, rowTaps: [(tap: Int, index: Int)], colTaps: [(tap: Int, index: Int)],
                                 weight: (Int, Int) -> Int) {
                        for (ky, iy) in rowTaps {
                            let r = Int(block.rowIndex[iy])
                            for (kx, ix) in colTaps {
                                var mask = analysis.encoding.laneMask(weight(ky, kx), table: table)
                                let col = Int(block.colIndex[ix])
                                while mask != 0 {
                                    let li = Int(axons.laneIndex[mask.trailingZeroBitCount])
                                    if li >= 0 { built[axons.axon(block, channel, r, col, li), i] = true }
                                    mask &= mask - 1
                                }
                            }
                        }
                    }
                    for ci in tile.slice.clamped(to: 0..<op.inPerGroup) {
                        connect(axons.main, channel: Int(axons.main.channelIndex[group * op.inPerGroup + ci]), rowTaps: op.rowTaps[y], colTaps: op.colTaps[x]) {
                            op.weight(co, ci, $0, $1)
                        }
                    }
                    if let s = op.shortcut, let block = axons.shortcut {
                        for c in block.channels {
                            connect(block, channel: Int(block.channelIndex[c]), rowTaps: s.rowTaps[y], colTaps: s.colTaps[x]) { s.weight(co, c, $0, $1) }
                        }
                    }
                }
                return HashedTable(built)
            }
            return CoreBody(types: types, crossbar: crossbar, slots: slots, neurons: neurons)
        case let .merge(elements):
            var slots: [Slot] = []
            var copies: [Int32] = []
            let signs = analysis.signs, layout = layouts[k]
            // Each element's parts, where they vary from tile to tile (``SplitLayout/positionSlices``).
            var parts: [Int32] = []
            for j in elements {
                let n = routes.copies(j)
                guard n > 0 else { continue }
                copies.append(Int32(n))
                if layout.positionSlices != nil { parts.append(Int32(layout.parts(of: j, positions: perChannel))) }
                for r in 0..<n { slots.append(Slot(element: Int32(j), sub: Int32(r))) }
            }
            let wiring = mergeWirings.value(MergeCrossbarKey(layout: layout, signs: signs, copies: copies, parts: parts)) {
                // Neuron i (copy r of the local-th element with copies) reads that element's
                // axon of every partial neuron of every part, typed by the neuron's sign.
                var types = types
                var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
                var i = 0, first = 0
                for (local, n) in copies.enumerated() {
                    let own = parts.isEmpty ? layout.parts : Int(parts[local])
                    defer { first += own }
                    for _ in 0..<n {
                        for part in 0..<own {
                            for sub in 0..<layout.neuronsPerPart {
                                let axon = layout.mergeAxon(first: first, part: part, sub: sub)
                                types[axon] = UInt8(signs[layout.sign(part: part, sub: sub)])
                                crossbar[axon, i] = true
                            }
                        }
                        i += 1
                    }
                }
                return MergeWiring(types: types, crossbar: HashedTable(crossbar))
            }
            return CoreBody(types: wiring.types, crossbar: wiring.crossbar, slots: slots, neurons: neurons)
        case let .list(slots, axons):
            var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
            var index: [AxonKey: Int] = [:]
            for (a, key) in axons.enumerated() {
                index[key] = a
                types[a] = UInt8(analysis.encoding.hardwareType(key.lane))
            }
            let inputIndices = compiler.wiring.inputs[k]
            let shapes = inputIndices.compactMap { compiler.layers[$0].shape }
            var connections: [Int32: [(Source, Int)]] = [:]
            for (i, slot) in slots.enumerated() {
                let list = connections[slot.element] ?? compiler.network.connections(of: layer, neuron: Int(slot.element), wiring: compiler.wiring, inputs: inputIndices, shapes: shapes)
                connections[slot.element] = list
                let table = analysis.tables[Int(slot.element)]
                for (source, w) in list {
                    var mask = analysis.encoding.laneMask(w, table: table)
                    while mask != 0 {
                        if let a = index[AxonKey(source: source, lane: mask.trailingZeroBitCount)] { crossbar[a, i] = true }
                        mask &= mask - 1
                    }
                }
            }
            return CoreBody(types: types, crossbar: HashedTable(crossbar), slots: slots, neurons: neurons)
        case .relay:
            return nil
        }
    }

    /// The core map entry of planned core `c`: axon types, crossbar and neurons, derived
    /// from its recipe, the layer's weights and the routes of its neurons.
    func core(_ c: Int) -> CoreConfig {
        let spec = compiler.target.core
        if case let .relay(relays, _) = recipes[c].body { return relayCore(c, relays) }
        guard let body = body(c) else {
            return CoreConfig(id: c, chip: [0, 0], place: [0, 0], axonTypes: [], crossbar: Crossbar(axons: spec.axons, neurons: spec.neurons), neurons: [])
        }
        let neurons = body.slots.enumerated().map { i, slot in
            var n = body.neurons.parameters(slot, index: i)
            n.destination = body.neurons.destination(slot)
            return n
        }
        return placed(CoreConfig(id: c, chip: [0, 0], place: [0, 0], seed: UInt64(c), axonTypes: body.types, crossbar: body.crossbar.value, neurons: neurons))
    }

    /// The core with its chip and place on the chip from the placement.
    private func placed(_ core: CoreConfig) -> CoreConfig {
        var core = core
        let labels = self.labels(core.id)
        (core.chip, core.place, core.layer, core.role) = (labels.chip, labels.place, labels.layer, labels.role)
        return core
    }

    /// A relay core: neuron i reads axon `relays[i].axon` with weight 1 and threshold 1,
    /// resets to 0, and so fires in each tick its axon has a spike, towards its route.
    func relayCore(_ c: Int, _ relays: [RelayNeuron]) -> CoreConfig {
        let spec = compiler.target.core
        var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
        let neurons = relays.enumerated().map { i, relay in
            crossbar[Int(relay.axon), i] = true
            return NeuronConfig(index: i, weights: [1, 0, 0, 0], threshold: 1, reset: .normal,
                                destination: .axon(core: Int(relay.route.core), axon: Int(relay.route.axon), delay: Int(relay.route.delay)))
        }
        return placed(CoreConfig(id: c, chip: [0, 0], place: [0, 0], seed: UInt64(c), axonTypes: [UInt8](repeating: 0, count: spec.axons),
                                 crossbar: crossbar, neurons: neurons))
    }

    /// What one partial-sum spike adds to its merge neuron: the neuron's threshold, capped by
    /// the widest synaptic weight (with ``PartialStep/threshold`` the merge neuron's threshold
    /// and leak are rescaled to match, so that a partial spike is worth one threshold).
    static func mergeWeight(_ threshold: Int, target: Target) -> Int {
        max(1, min(threshold, target.core.weightRange.upperBound))
    }

    /// The whole map in memory (for tests and small networks; `write(to:)` streams).
    public var map: CoreMap {
        var map = header
        map.cores = (0..<recipes.count).map(core)
        return map
    }

    /// The map without its cores: geometry, board and ports.
    var header: CoreMap {
        let spec = compiler.target.core
        let board = compiler.target.board
        var map = CoreMap(target: compiler.target.name, geometry: CoreGeometry(axons: spec.axons, neurons: spec.neurons, axonTypes: spec.axonTypes),
                          chips: board.chips, coresPerChip: board.coresPerChip)
        map.inputs = inputs.map { name, shape, table in
            InputPort(name: name, shape: shape, targets: (0..<shape.reduce(1, *)).map { e in
                (0..<Int(table.offsets[e + 1] - table.offsets[e])).compactMap { r in
                    table.route(e, copy: r).map { AxonAddress(core: Int($0.core), axon: Int($0.axon)) }
                }
            })
        }
        map.outputs = outputPorts
        map.layers = compiler.layers.indices.compactMap { k in
            guard labelIndex[k] != nil, let shape = compiler.layers[k].shape else { return nil }
            let name = compiler.layers[k].name
            return LayerLabel(name: name, op: compiler.layers[k].op.name, neurons: shape.count, rate: rates.rate(of: name))
        }
        // A rates file's inputs are counted at its mean rate (as `report --rates` does); the
        // measured and estimated rates come from the random input.
        (map.rateSource, map.inputRate) = (rates.source, compiler.options.rates != nil ? rates.meanRate : FiringRates.randomInputRate)
        return map
    }

    /// Position in the map's `layers` of each graph layer that has cores (nil otherwise).
    static func labelIndex(_ recipes: [CoreRecipe], layers: Int) -> [Int?] {
        var used = [Bool](repeating: false, count: layers)
        for recipe in recipes { used[recipe.layer] = true }
        var next = 0
        return used.map { u in
            guard u else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Output ports: an output of hardware depth d has latency d - 1.
    var outputPorts: [OutputPort] {
        compiler.network.graph.outputs.compactMap { name in
            guard let k = compiler.layers.firstIndex(where: { $0.name == name }), let shape = compiler.layers[k].shape,
                  let analysis = compiler.analyses[k] else { return nil }
            return OutputPort(name: name, shape: [shape.count], latency: analysis.depth - 1)
        }
    }
}

extension Compiled {
    /// Which layer neuron each hardware neuron of core `c` computes, in neuron order: the
    /// layer (graph index), the element, and whether it is whole, a partial sum or a merge.
    func identities(of c: Int) -> [(layer: Int, element: Int, stage: CoreRecipe.Stage)] {
        let recipe = recipes[c]
        let k = recipe.layer
        guard let analysis = compiler.analyses[k], let routes = routes[k], let out = compiler.layers[k].shape else { return [] }
        switch recipe.body {
        case let .tile(tile, first, count):
            return tile.slots(from: first, count: count, height: out.height, width: out.width) { analysis.slots($0, routes: routes) }
                .map { (k, Int($0.element), recipe.stage) }
        case let .merge(elements):
            return elements.flatMap { j in Array(repeating: (k, j, recipe.stage), count: routes.copies(j)) }
        case let .list(slots, _):
            return slots.map { (k, Int($0.element), recipe.stage) }
        case let .relay(neurons, _):
            return neurons.map { _ in (k, -1, recipe.stage) }
        }
    }
}

extension Compiled {
    /// The map's layer labels (as ``map`` would list them), without building any core.
    public var layerLabels: [LayerLabel] { header.layers }

    /// The map without its cores: geometry, board, ports and layer labels.
    public var mapHeader: CoreMap { header }

    /// Core c as ``map`` would hold it, built alone (to count a board too large to hold).
    public func buildCore(_ c: Int) -> CoreConfig { core(c) }

    /// Core c's position on the board's mesh of cores and its chip, from the placement alone.
    public func meshPosition(of c: Int) -> (x: Int, y: Int, chip: [Int]) {
        let p = placer.position(slots[c])
        return (p.x, p.y, [p.chipX, p.chipY])
    }

    /// Core c's place, labels and neurons in use, from its recipe: what a picture or a
    /// count needs, without materialising its crossbar (for maps too large to write).
    public func coreSummary(_ c: Int) -> (chip: [Int], place: [Int], layer: Int?, role: CoreRole, neurons: Int) {
        let l = labels(c)
        return (l.chip, l.place, l.layer, l.role, identities(of: c).count)
    }

    /// Core c's chip, place on the chip, layer label and role.
    func labels(_ c: Int) -> (chip: [Int], place: [Int], layer: Int?, role: CoreRole) {
        let p = placer.position(slots[c])
        let board = compiler.target.board
        let role: CoreRole = switch recipes[c].stage {
        case .whole: .whole
        case .partial: .partial
        case .merge: .merge
        case .relay: .relay
        }
        return ([p.chipX, p.chipY], [p.x - p.chipX * board.coresPerChip[0], p.y - p.chipY * board.coresPerChip[1]],
                labelIndex[recipes[c].layer], role)
    }
}
