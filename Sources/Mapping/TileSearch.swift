/// Chooses the tile shape of a ``LocalOp``: output rows x columns x channel block, and for
/// a split fan-in the input channels per part. The shape minimises the layer's cores plus
/// the axons they need (each axon is a hardware neuron copy upstream), under the core's
/// axon and neuron limits, from closed-form counts per tile (prefix sums of the slots
/// each neuron needs) rather than by building any tile.
struct TileShape: Sendable, Equatable {
    var height: Int
    var width: Int
    /// Output channels per block (a whole group for ordinary convolutions).
    var channels: Int
    /// Input channels per part (all of a group's when the fan-in is not split).
    var slice: Int
    /// Parts of the fan-in (1 when not split).
    var parts: Int
    /// The objective: cores x neurons per core + axons of all cores.
    var cost: Int
    var cores: Int
}

struct TileSearch {
    let op: LocalOp
    let lanes: Int
    let axonsPerCore: Int
    let neuronsPerCore: Int
    /// Slots per output element: copies (whole layer) or signs (partial sums).
    let slots: [Int32]
    /// For a split: the merge neurons' axons per element and copies, to cost the merge.
    let mergeSigns: Int
    let totalCopies: Int

    /// Prefix sums of slots over (channel, row, column).
    private func prefix() -> [Int64] {
        let (c, h, w) = (op.output.channels, op.output.height, op.output.width)
        var p = [Int64](repeating: 0, count: (c + 1) * (h + 1) * (w + 1))
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { (i * (h + 1) + j) * (w + 1) + k }
        for i in 1...c {
            for j in 1...h {
                for k in 1...w {
                    p[at(i, j, k)] = Int64(slots[((i - 1) * h + j - 1) * w + k - 1])
                        + p[at(i - 1, j, k)] + p[at(i, j - 1, k)] + p[at(i, j, k - 1)]
                        - p[at(i - 1, j - 1, k)] - p[at(i - 1, j, k - 1)] - p[at(i, j - 1, k - 1)]
                        + p[at(i - 1, j - 1, k - 1)]
                }
            }
        }
        return p
    }

    /// Per axis and tile length t: union sizes of each tile start (index t).
    private static func unionSizes(_ taps: [[(tap: Int, index: Int)]], inputs: Int) -> [[Int]] {
        let n = taps.count
        var result = [[Int]](repeating: [], count: n + 1)
        var stamp = [Int](repeating: -1, count: inputs)
        var mark = 0
        for t in stride(from: 1, through: n, by: 1) {
            for start in stride(from: 0, to: n, by: t) {
                mark += 1
                var size = 0
                for o in start..<min(start + t, n) {
                    for tap in taps[o] where stamp[tap.index] != mark {
                        stamp[tap.index] = mark
                        size += 1
                    }
                }
                result[t].append(size)
            }
        }
        return result
    }

    /// The cheapest shape, or nil when even one output neuron's window does not fit
    /// (`split` false) or one input channel's window does not (`split` true).
    func best(split: Bool) -> TileShape? {
        let (outC, outH, outW) = (op.output.channels, op.output.height, op.output.width)
        guard outC > 0, outH > 0, outW > 0 else { return nil }
        let rowSizes = Self.unionSizes(op.rowTaps, inputs: op.input.height)
        let colSizes = Self.unionSizes(op.colTaps, inputs: op.input.width)
        let largestRow = rowSizes.map { $0.max() ?? 0 }, largestCol = colSizes.map { $0.max() ?? 0 }
        let p = prefix()
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
        for th in 1...outH {
            for cg in blockSizes {
                let groupsPerBlock = depthwise ? cg : 1
                let unitAxons = groupsPerBlock * largestRow[th] * lanes
                guard unitAxons <= axonsPerCore else { continue }
                // Widest tile that fits with at least one input channel per group.
                var maxTw = 0
                for tw in 1...outW where unitAxons * largestCol[tw] <= axonsPerCore { maxTw = tw }
                guard maxTw > 0 else { continue }
                var widths = Set([maxTw])
                for m in 1...outW where (outW + m - 1) / m <= maxTw { widths.insert((outW + m - 1) / m) }
                for tw in widths.sorted() {
                    let window = max(1, groupsPerBlock * largestRow[th] * largestCol[tw] * lanes)
                    let perChannel = max(1, axonsPerCore / window)
                    let slice: Int, parts: Int
                    if split {
                        let raw = min(perChannel, op.inPerGroup)
                        parts = (op.inPerGroup + raw - 1) / raw
                        slice = (op.inPerGroup + parts - 1) / parts
                    } else {
                        guard op.inPerGroup * window <= axonsPerCore else { continue }
                        (slice, parts) = (op.inPerGroup, 1)
                    }
                    var cores = 0, axons = 0
                    for c0 in stride(from: 0, to: outC, by: cg) {
                        for (ty, y0) in stride(from: 0, to: outH, by: th).enumerated() {
                            for (tx, x0) in stride(from: 0, to: outW, by: tw).enumerated() {
                                let n = Int(sum(c0, min(c0 + cg, outC), y0, min(y0 + th, outH), x0, min(x0 + tw, outW)))
                                guard n > 0 else { continue }
                                let k = (n + neuronsPerCore - 1) / neuronsPerCore
                                cores += k * parts
                                axons += k * groupsPerBlock * op.inPerGroup * rowSizes[th][ty] * colSizes[tw][tx] * lanes
                            }
                        }
                    }
                    if split {
                        // Merge cores: each element's merge neuron reads signs x parts axons.
                        let present = slots.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
                        let mergeAxons = present * mergeSigns * parts
                        guard mergeSigns * parts <= axonsPerCore else { continue }
                        cores += max((mergeAxons + axonsPerCore - 1) / axonsPerCore, (totalCopies + neuronsPerCore - 1) / neuronsPerCore)
                    }
                    let shape = TileShape(height: th, width: tw, channels: cg, slice: slice, parts: parts,
                                          cost: cores * neuronsPerCore + axons, cores: cores)
                    if best.map({ shape.cost < $0.cost }) ?? true { best = shape }
                }
            }
        }
        return best
    }
}
