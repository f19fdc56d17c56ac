import SpikeIR

/// The axons of a core holding part of a ``Tile``: every input channel the tile's groups
/// read (within the slice) x every input row and column its windows touch x every lane
/// the layer's encoding uses, in that order. Derived from the tile alone, so the
/// planner and the map builder agree on axon numbers without storing them.
struct TileAxons {
    let channels: [Int]
    let rows: [Int]
    let cols: [Int]
    let lanes: [Int]
    /// Input channel, row, column -> its index in the lists above, or -1.
    let channelIndex: [Int32]
    let rowIndex: [Int32]
    let colIndex: [Int32]
    /// Lane -> its index in `lanes`, or -1.
    let laneIndex: [Int32]

    init(_ op: LocalOp, tile: Tile, lanes: [Int]) {
        let firstGroup = tile.channels.lowerBound / op.outPerGroup
        let lastGroup = (tile.channels.upperBound - 1) / op.outPerGroup
        channels = (firstGroup...lastGroup).flatMap { g in tile.slice.map { g * op.inPerGroup + $0 } }
        rows = LocalOp.union(op.rowTaps, tile.rows)
        cols = LocalOp.union(op.colTaps, tile.cols)
        self.lanes = lanes
        func index(_ list: [Int], size: Int) -> [Int32] {
            var table = [Int32](repeating: -1, count: size)
            for (i, v) in list.enumerated() { table[v] = Int32(i) }
            return table
        }
        channelIndex = index(channels, size: op.input.channels)
        rowIndex = index(rows, size: op.input.height)
        colIndex = index(cols, size: op.input.width)
        laneIndex = index(lanes, size: 32)
    }

    var count: Int { channels.count * rows.count * cols.count * lanes.count }

    /// Axon of (input channel index, row index, column index, type index).
    @inline(__always) func axon(_ c: Int, _ r: Int, _ x: Int, _ t: Int) -> Int {
        ((c * rows.count + r) * cols.count + x) * lanes.count + t
    }

    /// The input element (C x H x W index) and lane an axon carries.
    func source(of axon: Int, input: TensorShape) -> (element: Int, lane: Int) {
        let (rest, t) = axon.quotientAndRemainder(dividingBy: lanes.count)
        let (rest2, x) = rest.quotientAndRemainder(dividingBy: cols.count)
        let (c, r) = rest2.quotientAndRemainder(dividingBy: rows.count)
        return ((channels[c] * input.height + rows[r]) * input.width + cols[x], lanes[t])
    }
}
