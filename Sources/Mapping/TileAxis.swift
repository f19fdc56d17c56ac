/// The output rows (or columns) of a ``Tile``: `count` of them from `first`, `step` apart.
///
/// A step of 1 is a contiguous block. A larger step is one phase of a dilated layer (phase
/// decomposition): outputs `dilation` apart read inputs `dilation` apart, so a tile of
/// rows y, y + d, y + 2d reads 2 + its height input rows for a 3-tap kernel, where a
/// contiguous tile of the same height reads 2d + its height. Every input row a core reads
/// is one of its 256 axons, so the phase tile packs more neurons per core.
///
///     let phase = TileAxis(first: 1, count: 3, step: 12)   // rows 1, 13, 25
struct TileAxis: Sendable, Equatable, RandomAccessCollection {
    var first: Int
    var count: Int
    var step: Int

    init(first: Int, count: Int, step: Int = 1) {
        self.first = first
        self.count = count
        self.step = step
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(i: Int) -> Int { first + i * step }

    /// The index in the tile of output row (column) `y`, which must be one of its own.
    @inline(__always) func position(of y: Int) -> Int { (y - first) / step }
}
