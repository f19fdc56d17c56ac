import CoreMap

/// Everything a tile core's crossbar depends on: the layer, the input channels the tile
/// reads (groups and slice), the numbering of its axons (rows and columns it touches, and
/// the lanes: a split by sign reads one lane per part), and
/// for each neuron its output channel (whose weights it takes) with the taps of its row
/// and column, each tap given as (kernel offset, the axon row or column it lands on).
/// Two tiles with equal keys connect their neurons to their axons identically.
struct TileCrossbarKey: WordsKey {
    let words: [Int32]
    let digest: Int
}

extension TileCrossbarKey {
    /// The key of layer `layer`'s tile core holding `slots` of `tile`, whose axons are `axons`.
    init(layer: Int, op: LocalOp, tile: Tile, axons: TileAxons, slots: [Slot], width: Int, perChannel: Int) {
        var w: [Int32] = [Int32(layer), Int32(tile.channels.lowerBound / op.outPerGroup), Int32((tile.channels.upperBound - 1) / op.outPerGroup),
                          Int32(tile.slice.lowerBound), Int32(tile.slice.upperBound), Int32(axons.main.rows.count), Int32(axons.main.cols.count),
                          Int32(axons.lanes.count)] + axons.lanes.map { Int32($0) }
        w.reserveCapacity(w.count + 3 * slots.count + 4 * (tile.rows.count + tile.cols.count))
        /// Each output row's (column's) taps as (kernel offset, axon row (column)) in `block`.
        func append(_ block: TileAxons.Block, rowTaps: [[(tap: Int, index: Int)]], colTaps: [[(tap: Int, index: Int)]]) {
            for y in tile.rows {
                w.append(Int32(rowTaps[y].count))
                for (ky, iy) in rowTaps[y] { w.append(Int32(ky)); w.append(block.rowIndex[iy]) }
            }
            for x in tile.cols {
                w.append(Int32(colTaps[x].count))
                for (kx, ix) in colTaps[x] { w.append(Int32(kx)); w.append(block.colIndex[ix]) }
            }
        }
        append(axons.main, rowTaps: op.rowTaps, colTaps: op.colTaps)
        if let s = op.shortcut, let block = axons.shortcut, !block.channels.isEmpty {
            w += [Int32(block.rows.count), Int32(block.cols.count)]
            append(block, rowTaps: s.rowTaps, colTaps: s.colTaps)
        }
        for slot in slots {
            let j = Int(slot.element)
            let (co, y, x) = (j / perChannel, (j / width) % (perChannel / width), j % width)
            w.append(Int32(co)); w.append(Int32(tile.rows.position(of: y))); w.append(Int32(tile.cols.position(of: x)))
        }
        self.init(words: w)
    }
}
