/// Chooses the tile shape of a ``LocalOp``: output rows x columns x channel block, and for
/// a split fan-in the input channels per part. The shape minimises the layer's cores plus
/// the axons they need (each axon is a hardware neuron copy upstream), under the core's
/// axon and neuron limits, from closed-form counts per tile (prefix sums of the slots
/// each neuron needs) rather than by building any tile.
struct TileShape: Sendable, Equatable {
    var height: Int
    var width: Int
    /// Rows (columns) apart within a tile: 1, or a dilated layer's phase step (``TileAxis``).
    var rowStep: Int = 1
    var colStep: Int = 1
    /// Output channels per block (a whole group for ordinary convolutions).
    var channels: Int
    /// Input channels per part (all of a group's when the fan-in is not split).
    var slice: Int
    /// A split residual convolution's shortcut channels per part: its parts follow the main
    /// input's and are cut by its own, smaller window (0 otherwise; ``LocalOp/channels(ofSlice:size:shortcutSize:)``).
    var shortcutSlice = 0
    /// Parts of the fan-in (1 when not split): `groups` x ``slices``.
    var parts: Int
    /// Lane groups a split's parts read (``SplitLayout``): 2 by sign, else 1.
    var groups: Int = 1
    /// Input slices per lane group.
    var slices: Int { parts / max(groups, 1) }
    /// The objective: cores x neurons per core + axons of all cores.
    var cost: Int
    var cores: Int

    /// The tiles along one axis of `outputs` positions, in phase-major order: every tile of
    /// phase 0 (positions 0, step, 2 step, ...), then of phase 1, and so on.
    static func axes(outputs: Int, length: Int, step: Int) -> [TileAxis] {
        var result: [TileAxis] = []
        for phase in 0..<min(step, outputs) {
            let inPhase = (outputs - phase + step - 1) / step
            for i in stride(from: 0, to: inPhase, by: length) {
                result.append(TileAxis(first: phase + i * step, count: min(length, inPhase - i), step: step))
            }
        }
        return result
    }

    /// As the per-layer table prints it: rows x columns x channels, the phase step of a
    /// dilated layer's tiles (`step 12x12`), and the input channels per part of a split.
    var summary: String {
        "\(height)x\(width)x\(channels)" + (rowStep > 1 || colStep > 1 ? " step \(rowStep)x\(colStep)" : "")
            + (parts > 1 ? " / \(slice) in" + (shortcutSlice > 0 ? " + \(shortcutSlice)" : "") + (groups > 1 ? " by sign" : "") : "")
    }

    /// The tiles' rows (columns) over an output axis of `outputs` positions.
    func rowAxes(outputs: Int) -> [TileAxis] { Self.axes(outputs: outputs, length: height, step: rowStep) }
    func colAxes(outputs: Int) -> [TileAxis] { Self.axes(outputs: outputs, length: width, step: colStep) }
}

struct TileSearch {
    let op: LocalOp
    /// Lanes per input on one part's cores.
    let lanes: Int
    let axonsPerCore: Int
    let neuronsPerCore: Int
    /// Slots per output element on one part's cores: copies (whole layer) or partial
    /// neurons (split).
    let slots: [Int32]
    /// For a split: lane groups (``SplitLayout/groups``), each cut into the same slices.
    var groups = 1
    /// For a split: the merge neurons' axons per element per part, and copies, to cost the merge.
    let mergeSigns: Int
    let totalCopies: Int

    /// Prefix sums of slots over (channel, row position, column position), positions in
    /// the phase-major orders given, so that every tile is a box.
    private func prefix(rowOrder: [Int], colOrder: [Int]) -> [Int64] {
        let (c, h, w) = (op.output.channels, op.output.height, op.output.width)
        var p = [Int64](repeating: 0, count: (c + 1) * (h + 1) * (w + 1))
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { (i * (h + 1) + j) * (w + 1) + k }
        for i in 1...c {
            for j in 1...h {
                for k in 1...w {
                    p[at(i, j, k)] = Int64(slots[((i - 1) * h + rowOrder[j - 1]) * w + colOrder[k - 1]])
                        + p[at(i - 1, j, k)] + p[at(i, j - 1, k)] + p[at(i, j, k - 1)]
                        - p[at(i - 1, j - 1, k)] - p[at(i - 1, j, k - 1)] - p[at(i, j - 1, k - 1)]
                        + p[at(i - 1, j - 1, k - 1)]
                }
            }
        }
        return p
    }

    /// One axis tiled with one step: the positions in phase-major order and, per tile
    /// length t (index t), each tile's span of those positions and how many distinct
    /// inputs it reads.
    private struct AxisTilings {
        var order: [Int] = []
        var spans: [[Range<Int>]] = [[]]
        var reads: [[Int]] = [[]]
        var longest: Int { spans.count - 1 }

        init(_ taps: [[(tap: Int, index: Int)]], inputs: Int, step: Int) {
            let n = taps.count
            // One tile per phase, as long as the axis, lists the phase-major order; tiles of
            // any length come in that order, so each one's span starts where the last ended.
            order = TileShape.axes(outputs: n, length: n, step: step).flatMap { $0 }
            var stamp = [Int](repeating: -1, count: inputs)
            var mark = 0
            for t in stride(from: 1, through: (n + step - 1) / step, by: 1) {
                var spans: [Range<Int>] = [], reads: [Int] = []
                var first = 0
                for axis in TileShape.axes(outputs: n, length: t, step: step) {
                    mark += 1
                    var size = 0
                    for o in axis {
                        for tap in taps[o] where stamp[tap.index] != mark {
                            stamp[tap.index] = mark
                            size += 1
                        }
                    }
                    spans.append(first..<(first + axis.count))
                    first += axis.count
                    reads.append(size)
                }
                self.spans.append(spans)
                self.reads.append(reads)
            }
        }
    }

    /// The cheapest shape, or nil when even one output neuron's window does not fit
    /// (`split` false) or one input channel's window does not (`split` true). Every step
    /// the layer offers is tried per axis; on equal cost the contiguous tile wins.
    func best(split: Bool) -> TileShape? {
        let (outC, outH, outW) = (op.output.channels, op.output.height, op.output.width)
        guard outC > 0, outH > 0, outW > 0 else { return nil }
        var best: TileShape?
        // A residual convolution's shortcut window, tiled over the same output positions.
        func tilings(_ taps: [[(tap: Int, index: Int)]], inputs: Int, step: Int, shortcut: [[(tap: Int, index: Int)]]?, shortcutInputs: Int) -> Tilings {
            Tilings(main: AxisTilings(taps, inputs: inputs, step: step), shortcut: shortcut.map { AxisTilings($0, inputs: shortcutInputs, step: step) })
        }
        let s = op.shortcut
        let columns = op.colSteps.map {
            (step: $0, tilings: tilings(op.colTaps, inputs: op.input.width, step: $0, shortcut: s?.colTaps, shortcutInputs: s?.input.width ?? 0))
        }
        for rowStep in op.rowSteps {
            let rows = tilings(op.rowTaps, inputs: op.input.height, step: rowStep, shortcut: s?.rowTaps, shortcutInputs: s?.input.height ?? 0)
            for (colStep, cols) in columns {
                let found = cheapest(split: split, rows: rows, cols: cols, rowStep: rowStep, colStep: colStep)
                if let found, best.map({ found.cost < $0.cost }) ?? true { best = found }
            }
        }
        return best
    }

    /// One axis's tilings of the main window and of a residual convolution's shortcut.
    private struct Tilings {
        let main: AxisTilings
        let shortcut: AxisTilings?
        var order: [Int] { main.order }
        var spans: [[Range<Int>]] { main.spans }
        var longest: Int { main.longest }
        /// Per tile length, the most inputs one channel of either window reads in a tile.
        var largest: [Int] {
            main.reads.indices.map { t in max(main.reads[t].max() ?? 0, shortcut?.reads[t].max() ?? 0) }
        }
    }

    /// Channels per slice, balanced, for `channels` whose window takes `window` axons each:
    /// as many slices as the most channels a core's axons hold need, each as even as it can be.
    ///
    ///     TileSearch.slicing(32, window: 36, axonsPerCore: 256)   // (slices: 5, size: 7)
    static func slicing(_ channels: Int, window: Int, axonsPerCore: Int) -> (slices: Int, size: Int) {
        let raw = min(max(1, axonsPerCore / max(window, 1)), channels)
        let slices = (channels + raw - 1) / raw
        return (slices, (channels + slices - 1) / slices)
    }

    /// The groups a block of `channels` output channels reads: one for ordinary
    /// convolutions (a block is a whole group), one per channel for depthwise layers.
    static func groupsPerBlock(_ op: LocalOp, channels: Int) -> Int { op.outPerGroup == 1 ? channels : 1 }

    /// Whether a split of `op` cuts each tile by its own window (``SplitLayout/positionSlices``):
    /// net and offset splits of a layer without a shortcut (by sign, and a residual layer's
    /// two windows, keep one slicing).
    static func slicesPerTile(_ op: LocalOp, groups: Int) -> Bool { groups == 1 && op.shortcut == nil }

    /// The cheapest shape for one step per axis.
    private func cheapest(split: Bool, rows: Tilings, cols: Tilings, rowStep: Int, colStep: Int) -> TileShape? {
        let (outC, outH, outW) = (op.output.channels, op.output.height, op.output.width)
        let largestRow = rows.largest, largestCol = cols.largest
        let skipChannels = op.shortcut?.input.channels ?? 0
        let p = prefix(rowOrder: rows.order, colOrder: cols.order)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { (i * (outH + 1) + j) * (outW + 1) + k }
        func sum(_ c0: Int, _ c1: Int, _ y0: Int, _ y1: Int, _ x0: Int, _ x1: Int) -> Int64 {
            p[at(c1, y1, x1)] - p[at(c0, y1, x1)] - p[at(c1, y0, x1)] - p[at(c1, y1, x0)]
                + p[at(c0, y0, x1)] + p[at(c0, y1, x0)] + p[at(c1, y0, x0)] - p[at(c0, y0, x0)]
        }
        // Channel blocks: a whole group for ordinary convolutions (every output channel of a
        // group reads the same inputs); a choice of channel counts for depthwise layers.
        let depthwise = op.outPerGroup == 1
        var blockSizes = [op.outPerGroup]
        if depthwise {
            var sizes = Set([outC])
            var d = 1
            while d <= outC { if outC % d == 0 { sizes.insert(d) }; sizes.insert(d); d *= 2 }
            for q in 1...min(outC, 64) { sizes.insert((outC + q - 1) / q) }
            blockSizes = sizes.sorted()
        }
        var best: TileShape?
        for th in stride(from: 1, through: rows.longest, by: 1) {
            for cg in blockSizes {
                let groupsPerBlock = Self.groupsPerBlock(op, channels: cg)
                let unitAxons = groupsPerBlock * largestRow[th] * lanes
                guard unitAxons <= axonsPerCore else { continue }
                // Widest tile that fits with at least one input channel per group.
                var maxTw = 0
                for tw in stride(from: 1, through: cols.longest, by: 1) where unitAxons * largestCol[tw] <= axonsPerCore { maxTw = tw }
                guard maxTw > 0 else { continue }
                var widths = Set([maxTw])
                for m in 1...cols.longest where (cols.longest + m - 1) / m <= maxTw { widths.insert((cols.longest + m - 1) / m) }
                for tw in widths.sorted() {
                    let slice: Int, parts: Int
                    var shortcutSlice = 0
                    if split {
                        func slicing(_ channels: Int, window: Int) -> (slices: Int, size: Int) {
                            Self.slicing(channels, window: window, axonsPerCore: axonsPerCore)
                        }
                        let main = slicing(op.inPerGroup, window: groupsPerBlock * (rows.main.reads[th].max() ?? 0) * (cols.main.reads[tw].max() ?? 0) * lanes)
                        var skip = (slices: 0, size: 0)
                        if let r = rows.shortcut, let c = cols.shortcut, skipChannels > 0 {
                            skip = slicing(skipChannels, window: (r.reads[th].max() ?? 0) * (c.reads[tw].max() ?? 0) * lanes)
                        }
                        (slice, shortcutSlice) = (main.size, skip.size)
                        parts = (main.slices + skip.slices) * groups
                    } else {
                        // Both windows of every tile on one core (the shortcut's tiles read fewer).
                        let mainWindow = (rows.main.reads[th].max() ?? 0) * (cols.main.reads[tw].max() ?? 0)
                        let skipWindow = (rows.shortcut?.reads[th].max() ?? 0) * (cols.shortcut?.reads[tw].max() ?? 0)
                        guard (op.inPerGroup * groupsPerBlock * mainWindow + skipChannels * skipWindow) * lanes <= axonsPerCore else { continue }
                        (slice, parts) = (op.sliceChannels, 1)
                    }
                    var cores = 0, axons = 0, mergeAxons = 0
                    // Split by its tiles' windows (``SplitLayout/positionSlices``): each tile
                    // cut into the slices its own window needs.
                    let perTile = split && Self.slicesPerTile(op, groups: groups)
                    for c0 in stride(from: 0, to: outC, by: cg) {
                        for (ty, ys) in rows.spans[th].enumerated() {
                            for (tx, xs) in cols.spans[tw].enumerated() {
                                let n = Int(sum(c0, min(c0 + cg, outC), ys.lowerBound, ys.upperBound, xs.lowerBound, xs.upperBound))
                                guard n > 0 else { continue }
                                let k = (n + neuronsPerCore - 1) / neuronsPerCore
                                let own = perTile ? Self.slicing(op.inPerGroup, window: groupsPerBlock * rows.main.reads[th][ty] * cols.main.reads[tw][tx] * lanes,
                                                                 axonsPerCore: axonsPerCore).slices : parts
                                cores += k * own
                                // Each present element's merge neuron reads signs x parts axons.
                                mergeAxons += n / max(mergeSigns, 1) * mergeSigns * own
                                var read = groupsPerBlock * op.inPerGroup * rows.main.reads[th][ty] * cols.main.reads[tw][tx]
                                if let r = rows.shortcut, let c = cols.shortcut { read += skipChannels * r.reads[th][ty] * c.reads[tw][tx] }
                                axons += k * read * lanes * (split ? groups : 1)
                            }
                        }
                    }
                    if split {
                        // Merge cores, from each element's merge axons.
                        guard mergeSigns * parts <= axonsPerCore else { continue }
                        cores += max((mergeAxons + axonsPerCore - 1) / axonsPerCore, (totalCopies + neuronsPerCore - 1) / neuronsPerCore)
                    }
                    let shape = TileShape(height: th, width: tw, rowStep: rowStep, colStep: colStep, channels: cg, slice: slice, shortcutSlice: shortcutSlice,
                                          parts: parts, groups: split ? groups : 1, cost: cores * neuronsPerCore + axons, cores: cores)
                    if best.map({ shape.cost < $0.cost }) ?? true { best = shape }
                }
            }
        }
        return best
    }
}
