import SpikeIR

extension Compiler {
    /// Plans a structured layer tile by tile: the chosen ``TileShape`` cuts the output into
    /// blocks (position-major), each block's hardware neurons are cut into cores in order, and every core
    /// reads the block's window (see ``TileAxons``). With a split fan-in, each input part
    /// (a slice of input channels on every lane, or on one sign's lane: ``SplitLayout``)
    /// gets its own partial-sum cores and ``planMerges`` adds them up. A net or offset split
    /// cuts each tile by its own window (``SplitLayout/positionSlices``): border tiles, whose
    /// windows read fewer input rows and columns, take fewer parts.
    func planTiled(_ k: Int, _ op: LocalOp, _ given: LayerAnalysis, routes: RouteTable, state: inout PlanState) -> (TileShape, LayerAnalysis, SplitLayout)? {
        let layer = layers[k]
        let spec = target.core
        let (h, w) = (op.output.height, op.output.width)
        let count = op.output.count
        let totalCopies = (0..<count).reduce(0) { $0 + routes.copies($1) }
        func search(_ analysis: LayerAnalysis) -> TileShape? {
            let slots: [Int32] = (0..<count).map { Int32(analysis.slots($0, routes: routes)) }
            let unit = analysis.layout(slices: 1)
            return TileSearch(op: op, lanes: analysis.lanes(ofGroup: 0).count, axonsPerCore: spec.axons, neuronsPerCore: spec.neurons,
                              slots: slots, groups: unit.groups, mergeSigns: unit.neuronsPerPart, totalCopies: totalCopies).best(split: analysis.split)
        }
        // Split by sign only where it costs less than the net split (on a small layer its
        // parts may fill fewer neurons per core); the net split on a tie.
        var analysis = given
        var best = search(given)
        if given.bySign {
            var net = given
            net.bySign = false
            if let other = search(net), best.map({ other.cost <= $0.cost }) ?? true { (analysis, best) = (net, other) }
        }
        guard let shape = best else {
            let why = given.stagger > 1
                ? "with \(given.stagger) staggered partial neurons per part and sign, no split's merge fits a core; a smaller stagger may"
                : "one input channel's window needs more"
            state.diagnostics.error("\(layer.op.name) '\(layer.name)': no tile fits a core of \(spec.axons) axons and \(spec.neurons) neurons (\(why))", at: layer.location)
            return nil
        }
        let slots: [Int32] = (0..<count).map { Int32(analysis.slots($0, routes: routes)) }
        let columns = shape.colAxes(outputs: w)
        var layout = analysis.layout(slices: shape.slices, sliceSize: shape.slice, shortcutSliceSize: shape.shortcutSlice)
        if analysis.split && TileSearch.slicesPerTile(op, groups: layout.groups) {
            layout.positionSlices = positionSlices(op, shape: shape, lanes: analysis.lanes(ofGroup: 0).count, columns: columns)
        }
        if analysis.split { planMerges(k, analysis, layout: layout, routes: routes, state: &state) }
        let stageDepth = analysis.split ? analysis.depth - 1 : analysis.depth
        let perElement: (Int) -> Int = { Int(slots[$0]) }
        // Tiles position-major: every channel block of one spatial block, then the next, so
        // that consecutive cores (which placement in blocks keeps together) cover one patch
        // of the image rather than one channel across a row.
        // A dilated layer's phases (rowStep, colStep > 1) come one after the other.
        for rows in shape.rowAxes(outputs: h) {
            for cols in columns {
                // This tile's parts and input channels per part (the shape's, or its own window's).
                let parts = layout.parts(of: rows.first * w + cols.first, positions: h * w)
                let size = layout.positionSlices == nil ? shape.slice : op.sliceSize(slices: parts)
                for c0 in stride(from: 0, to: op.output.channels, by: shape.channels) {
                    for part in 0..<parts {
                        let s = layout.slice(of: part)
                        let slice = op.channels(ofSlice: s, size: size, shortcutSize: shape.shortcutSlice)
                        let tile = Tile(channels: c0..<min(c0 + shape.channels, op.output.channels), rows: rows, cols: cols, slice: slice)
                        let runs = tile.runs(capacity: spec.neurons, height: h, width: w, perElement: perElement)
                        guard !runs.isEmpty else { continue }
                        let axons = TileAxons(op, tile: tile, lanes: analysis.lanes(ofGroup: layout.group(of: part)))
                        for (start, length) in runs {
                            let core = state.recipes.count
                            let stage: CoreRecipe.Stage = analysis.split ? .partial(part: part) : .whole
                            state.recipes.append(CoreRecipe(layer: k, stage: stage, body: .tile(tile, first: start, count: length)))
                            // Where this core's neurons send their spikes.
                            let slotList = tile.slots(from: start, count: length, height: h, width: w, perElement: perElement)
                            let destinations = slotList.compactMap { slot -> Int32? in
                                analysis.split ? state.mergeHome[k]?[Int(slot.element)].core : routes.route(Int(slot.element), copy: Int(slot.sub))?.core
                            }
                            state.addTraffic(from: core, to: destinations)
                            // What it needs from its sources.
                            axons.forEachSource { a, input, element in
                                request(wiring.origin(wiring.inputs[k][input], element), core: core, axon: a, depth: stageDepth, for: k, state: &state)
                            }
                        }
                    }
                }
            }
        }
        return (shape, analysis, layout)
    }

    /// Per output position, the input slices its tile is cut into: as many as the most
    /// channels whose window (the input rows and columns the tile reads, on every lane, in
    /// every group of its block) a core's axons hold need, as ``TileSearch`` costs it
    /// (``TileSearch/slicing(_:window:axonsPerCore:)``).
    private func positionSlices(_ op: LocalOp, shape: TileShape, lanes: Int, columns: [TileAxis]) -> [UInt16] {
        let (h, w) = (op.output.height, op.output.width)
        let groups = TileSearch.groupsPerBlock(op, channels: shape.channels)
        var slices = [UInt16](repeating: 0, count: h * w)
        let columnReads = columns.map { LocalOp.union(op.colTaps, $0).count }
        for rows in shape.rowAxes(outputs: h) {
            let rowReads = LocalOp.union(op.rowTaps, rows).count
            for (cols, reads) in zip(columns, columnReads) {
                let n = UInt16(TileSearch.slicing(op.inPerGroup, window: groups * rowReads * reads * lanes, axonsPerCore: target.core.axons).slices)
                for y in rows { for x in cols { slices[y * w + x] = n } }
            }
        }
        return slices
    }

    /// Asks `source` for a route to (core, axon) with the delay that aligns it to a
    /// reader at hardware depth `depth`.
    func request(_ source: Source, core: Int, axon: Int, depth: Int, for k: Int, state: inout PlanState) {
        let isInput = layers[source.layer].op.isInput
        let delay = isInput ? depth - 1 : depth - (analyses[source.layer]?.depth ?? 0)
        let route = Route(core: Int32(core), axon: Int32(axon), delay: Int32(delay))
        if isInput ? delay == 0 : target.timing.delays.contains(delay) {
            state.requests[source.layer].append((Int32(source.element), route))
        } else if delay > (isInput ? 0 : target.timing.delays.upperBound) {
            // Read late (an input, or a neuron beyond the longest axonal delay): relays.
            state.delayed[source.layer].append((Int32(source.element), route))
        } else if state.reportedDelay.insert(k).inserted {
            state.diagnostics.error("\(layers[k].op.name) '\(layers[k].name)' needs a delay of \(delay) ticks from '\(layers[source.layer].name)', below the target's shortest \(target.timing.delays.lowerBound)", at: layers[k].location)
        }
    }
}
