extension Compiler {
    /// Plans the merge neurons of a split layer: element j's merge neuron reads one axon
    /// per partial-sum neuron of every part (type 0 for positive sums, adding +w; type 1
    /// for negative ones, adding -w; ``SplitLayout/mergeAxon(first:part:sub:)``) and
    /// carries the layer's threshold, leak and reset, so it fires as the unsplit neuron would up to the partial sums' rounding.
    /// Merge cores take whole elements in position-major order while their axons (each
    /// element's parts, ``SplitLayout/parts(of:positions:)``, x partial neurons) and copies fit.
    func planMerges(_ k: Int, _ analysis: LayerAnalysis, layout: SplitLayout, routes: RouteTable, state: inout PlanState) {
        let spec = target.core
        let shape = layers[k].shape
        let count = shape?.count ?? 0
        let (channels, positions) = (max(1, shape?.channels ?? 1), max(1, (shape?.height ?? 1) * (shape?.width ?? 1)))
        var home = [(core: Int32, first: Int32)](repeating: (-1, -1), count: count)
        var start = 0, neurons = 0, local = 0, first = 0
        var destinations: [Int32] = []
        func close(_ end: Int) {
            guard local > 0 else { return }
            state.addTraffic(from: state.recipes.count, to: destinations)
            state.recipes.append(CoreRecipe(layer: k, stage: .merge, body: .merge(elements: MergeElements(run: start..<end, channels: channels, positions: positions))))
            (neurons, local, first, destinations) = (0, 0, 0, [])
        }
        // Position-major (see ``MergeElements``): q is the order, j the element.
        let order = MergeElements(run: 0..<count, channels: channels, positions: positions)
        for q in order.indices {
            let j = order[q]
            let copies = routes.copies(j)
            guard copies > 0 else { continue }
            let own = layout.parts(of: j, positions: positions)
            if (first + own) * layout.neuronsPerPart > spec.axons || neurons + copies > spec.neurons {
                close(q)
                start = q
            }
            if local == 0 { start = q }
            home[j] = (Int32(state.recipes.count), Int32(first))
            first += own
            local += 1
            neurons += copies
            for r in 0..<copies { if let route = routes.route(j, copy: r) { destinations.append(route.core) } }
        }
        close(count)
        state.mergeHome[k] = home
    }
}
