import SpikeIR

extension Compiler {
    /// Plans an irregular layer (dense, add): neurons in index order share a core while the
    /// union of their (source, axon type) needs fits its axons and their copies fit its
    /// neurons; within a core one axon feeds every neuron through the crossbar. A dense
    /// layer whose fan-in is split gets partial-sum cores per input range instead: ranges of
    /// its inputs' elements taken in order, every input's (a residual convolution reads two).
    func planGeneral(_ k: Int, _ analysis: LayerAnalysis, routes: RouteTable, state: inout PlanState) -> SplitLayout {
        let layer = layers[k]
        let spec = target.core
        let count = layer.shape?.count ?? 0
        let inputIndices = wiring.inputs[k]
        let shapes = inputIndices.compactMap { layers[$0].shape }
        var cores = 0
        func emit(_ stage: CoreRecipe.Stage, _ slots: [Slot], _ axons: [AxonKey], depth: Int) {
            let core = state.recipes.count
            state.recipes.append(CoreRecipe(layer: k, stage: stage, body: .list(slots: slots, axons: axons)))
            let destinations = slots.compactMap { slot -> Int32? in
                stage == .whole ? routes.route(Int(slot.element), copy: Int(slot.sub))?.core : state.mergeHome[k]?[Int(slot.element)].core
            }
            state.addTraffic(from: core, to: destinations)
            for (a, key) in axons.enumerated() { request(key.source, core: core, axon: a, depth: depth, for: k, state: &state) }
            cores += 1
        }
        if analysis.split, !shapes.isEmpty {
            let sources = wiring.sources(of: k)
            let per = max(1, spec.axons / analysis.lanes(ofGroup: 0).count)
            let slices = (sources.count + per - 1) / per
            let size = (sources.count + slices - 1) / slices
            let layout = analysis.layout(slices: slices, sliceSize: size)
            guard layout.mergeInputs <= spec.axons else {
                state.diagnostics.error("\(layer.op.name) '\(layer.name)': its fan-in splits into \(layout.parts) parts, whose merge needs \(layout.mergeInputs) axons per neuron\(layout.stagger > 1 ? " (\(layout.stagger) staggered partial neurons per part and sign)" : ""), more than a core's \(spec.axons); merge trees are not implemented", at: layer.location)
                return layout
            }
            planMerges(k, analysis, layout: layout, routes: routes, state: &state)
            let present = (0..<count).filter { routes.copies($0) > 0 }
            for part in 0..<layout.parts {
                let s = layout.slice(of: part)
                let range = (s * size)..<min((s + 1) * size, sources.count)
                let lanes = analysis.lanes(ofGroup: layout.group(of: part))
                let axons = range.flatMap { i in lanes.map { AxonKey(source: sources[i], lane: $0) } }
                let slots = present.flatMap { j in (0..<layout.neuronsPerPart).map { Slot(element: Int32(j), sub: Int32($0)) } }
                for start in stride(from: 0, to: slots.count, by: spec.neurons) {
                    emit(.partial(part: part), Array(slots[start..<min(start + spec.neurons, slots.count)]), axons, depth: analysis.depth - 1)
                }
            }
            return layout
        }
        var slots: [Slot] = []
        var axons: [AxonKey] = []
        var index: [AxonKey: Int] = [:]
        func close() {
            if !slots.isEmpty { emit(.whole, slots, axons, depth: analysis.depth) }
            (slots, axons, index) = ([], [], [:])
        }
        for j in 0..<count {
            let copies = routes.copies(j)
            guard copies > 0 else { continue }
            let keys = analysis.encoding.axonKeys(network.connections(of: layer, neuron: j, wiring: wiring, inputs: inputIndices, shapes: shapes),
                                                   table: analysis.tables[j])
            let added = keys.filter { index[$0] == nil }.count
            if axons.count + added > spec.axons || slots.count + min(copies, spec.neurons) > spec.neurons { close() }
            let sorted = keys.sorted(by: { ($0.source, $0.lane) < ($1.source, $1.lane) })
            func addAxons() {
                for key in sorted where index[key] == nil {
                    index[key] = axons.count
                    axons.append(key)
                }
            }
            addAxons()
            // More copies than a core has neurons: the neuron is duplicated on further cores,
            // each reading its inputs again (its sources get a copy per core, as usual).
            for r in 0..<copies {
                if slots.count == spec.neurons {
                    close()
                    addAxons()
                }
                slots.append(Slot(element: Int32(j), sub: Int32(r)))
            }
        }
        close()
        return .whole
    }
}
