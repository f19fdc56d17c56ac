import SpikeIR

/// The axons of a core holding part of a ``Tile``: every input channel the tile's groups
/// read (within the slice) x every input row and column its windows touch x every lane
/// the layer's encoding uses, in that order; then, for a residual convolution whose slice
/// reaches the shortcut's channels, the same for the shortcut's window. Derived from the
/// tile alone, so the planner and the map builder agree on axon numbers without storing them.
struct TileAxons {
    /// One window's axons: channels x rows x columns x lanes, from `first`. A class, so that
    /// reading an axon's source (for each axon of each core) shares its six lists instead
    /// of retaining each of them.
    final class Block: Sendable {
        let input: TensorShape
        let inputIndex: Int
        let first: Int
        let channels: [Int]
        let rows: [Int]
        let cols: [Int]
        /// Input channel, row, column -> its index in the lists above, or -1.
        let channelIndex: [Int32]
        let rowIndex: [Int32]
        let colIndex: [Int32]

        init(input: TensorShape, inputIndex: Int, first: Int, channels: [Int], rows: [Int], cols: [Int]) {
            func index(_ list: [Int], size: Int) -> [Int32] {
                var table = [Int32](repeating: -1, count: size)
                for (i, v) in list.enumerated() { table[v] = Int32(i) }
                return table
            }
            (self.input, self.inputIndex, self.first) = (input, inputIndex, first)
            (self.channels, self.rows, self.cols) = (channels, channels.isEmpty ? [] : rows, channels.isEmpty ? [] : cols)
            channelIndex = index(channels, size: input.channels)
            rowIndex = index(self.rows, size: input.height)
            colIndex = index(self.cols, size: input.width)
        }

        func count(lanes: Int) -> Int { channels.count * rows.count * cols.count * lanes }
    }

    /// The main window's axons, and the shortcut's after them (empty when the slice holds
    /// none of its channels, or the layer has no shortcut).
    let main: Block
    let shortcut: Block?
    let lanes: [Int]
    /// Lane -> its index in `lanes`, or -1.
    let laneIndex: [Int32]

    init(_ op: LocalOp, tile: Tile, lanes: [Int]) {
        let firstGroup = tile.channels.lowerBound / op.outPerGroup
        let lastGroup = (tile.channels.upperBound - 1) / op.outPerGroup
        let own = tile.slice.clamped(to: 0..<op.inPerGroup)
        main = Block(input: op.input, inputIndex: op.inputIndex, first: 0,
                     channels: (firstGroup...lastGroup).flatMap { g in own.map { g * op.inPerGroup + $0 } },
                     rows: LocalOp.union(op.rowTaps, tile.rows), cols: LocalOp.union(op.colTaps, tile.cols))
        if let s = op.shortcut {
            let channels = tile.slice.clamped(to: op.inPerGroup..<op.sliceChannels).map { $0 - op.inPerGroup }
            shortcut = Block(input: s.input, inputIndex: s.inputIndex, first: main.count(lanes: lanes.count), channels: channels,
                             rows: LocalOp.union(s.rowTaps, tile.rows), cols: LocalOp.union(s.colTaps, tile.cols))
        } else {
            shortcut = nil
        }
        self.lanes = lanes
        var table = [Int32](repeating: -1, count: 32)
        for (i, v) in lanes.enumerated() { table[v] = Int32(i) }
        laneIndex = table
    }

    var count: Int { main.count(lanes: lanes.count) + (shortcut?.count(lanes: lanes.count) ?? 0) }

    /// Axon of (input channel index, row index, column index, type index) in `block`.
    @inline(__always) func axon(_ block: Block, _ c: Int, _ r: Int, _ x: Int, _ t: Int) -> Int {
        block.first + ((c * block.rows.count + r) * block.cols.count + x) * lanes.count + t
    }

    /// Each axon's layer input (its index among the layer's inputs) and element (C x H x W
    /// index), in axon order: what ``source(of:)`` gives for every axon, without its
    /// divisions (the partition asks for every axon of every tile core).
    func forEachSource(_ body: (_ axon: Int, _ input: Int, _ element: Int) -> Void) {
        for block in [main] + (shortcut.map { [$0] } ?? []) {
            var a = block.first
            let (height, width) = (block.input.height, block.input.width)
            for c in block.channels {
                for r in block.rows {
                    let row = (c * height + r) * width
                    for x in block.cols {
                        for _ in lanes.indices {
                            body(a, block.inputIndex, row + x)
                            a += 1
                        }
                    }
                }
            }
        }
    }

    /// The layer input (its index among the layer's inputs), element (C x H x W index) and
    /// lane an axon carries.
    func source(of axon: Int) -> (input: Int, element: Int, lane: Int) {
        let block = shortcut.map { axon >= $0.first ? $0 : main } ?? main
        let (rest, t) = (axon - block.first).quotientAndRemainder(dividingBy: lanes.count)
        let (rest2, x) = rest.quotientAndRemainder(dividingBy: block.cols.count)
        let (c, r) = rest2.quotientAndRemainder(dividingBy: block.rows.count)
        return (block.inputIndex, (block.channels[c] * block.input.height + block.rows[r]) * block.input.width + block.cols[x], lanes[t])
    }
}
