/// A planned core, described compactly: a tile of a layer and a run of its hardware
/// neurons, or a list for irregular layers. The core map entry (crossbar, neuron
/// parameters, destinations) is materialised from it only when the map is built or
/// written, so planning a network of a million cores keeps no crossbars in memory.
struct CoreRecipe: Sendable {
    /// Which hardware neurons of the layer the core holds.
    enum Stage: Sendable, Equatable {
        /// The layer's neurons (copies for fan-out included).
        case whole
        /// Partial sums over input part `part` (fan-in split; ``SplitLayout``).
        case partial(part: Int)
        /// Merge neurons adding the partial sums of every part (fan-in split).
        case merge
        /// Relay neurons re-emitting the layer's spikes with further delay or fan-out.
        case relay
    }

    enum Body: Sendable {
        /// Slots `first ..< first + count` of a tile's enumeration (see ``Tile``).
        case tile(Tile, first: TileCursor, count: Int)
        /// Merge neurons of the layer's elements in `elements` that have copies.
        case merge(elements: MergeElements)
        /// Irregular layers: explicit slots and axons.
        case list(slots: [Slot], axons: [AxonKey])
        /// Relay neurons, each reading one of `axons` axons (type 0).
        case relay(neurons: [RelayNeuron], axons: Int)
    }

    var layer: Int
    var stage: Stage
    var body: Body
}

extension CoreRecipe.Stage {
    /// Whether this is a partial-sum stage.
    var isPartial: Bool {
        if case .partial = self { return true }
        return false
    }

    /// The lane group a core of this stage reads (``SplitLayout``): a partial core's part's,
    /// else 0.
    func group(in layout: SplitLayout) -> Int {
        if case let .partial(part) = self { return layout.group(of: part) }
        return 0
    }
}

/// One hardware neuron of a core: layer neuron `element`; `sub` is its copy index (whole
/// and merge stages) or its partial neuron in the part (partial stage: its sign under
/// ``PartialSums/net``, 0 by sign; ``SplitLayout/sign(part:sub:)``).
struct Slot: Sendable, Equatable {
    var element: Int32
    var sub: Int32
}

/// A block of output neurons of a ``LocalOp`` (channels x rows x cols) and the input
/// channels (within each group) its cores read. Its slots are enumerated channel, row,
/// column, then copy (or sign). Rows and columns are contiguous, or one phase of a dilated
/// layer (``TileAxis``).
struct Tile: Sendable, Equatable {
    var channels: Range<Int>
    var rows: TileAxis
    var cols: TileAxis
    var slice: Range<Int>

    var elementCount: Int { channels.count * rows.count * cols.count }

    /// The layer element at position `p` of the tile (channel-major).
    @inline(__always) func element(_ p: Int, height: Int, width: Int) -> Int {
        let (c, rest) = p.quotientAndRemainder(dividingBy: rows.count * cols.count)
        let (y, x) = rest.quotientAndRemainder(dividingBy: cols.count)
        return ((channels.lowerBound + c) * height + rows[y]) * width + cols[x]
    }

    /// `count` slots from `cursor`, where element j has `perElement(j)` slots.
    func slots(from cursor: TileCursor, count: Int, height: Int, width: Int, perElement: (Int) -> Int) -> [Slot] {
        var result: [Slot] = []
        result.reserveCapacity(count)
        var (p, sub) = (cursor.position, cursor.sub)
        while result.count < count && p < elementCount {
            let j = element(p, height: height, width: width)
            let n = perElement(j)
            while sub < n && result.count < count {
                result.append(Slot(element: Int32(j), sub: Int32(sub)))
                sub += 1
            }
            if sub >= n { (p, sub) = (p + 1, 0) }
        }
        return result
    }

    /// Cuts the tile's slots into runs of at most `capacity`: (start, length) per core.
    func runs(capacity: Int, height: Int, width: Int, perElement: (Int) -> Int) -> [(TileCursor, Int)] {
        var runs: [(TileCursor, Int)] = []
        var start = TileCursor(position: 0, sub: 0), length = 0
        for p in 0..<elementCount {
            let n = perElement(element(p, height: height, width: width))
            var sub = 0
            while sub < n {
                let take = min(n - sub, capacity - length)
                if length == 0 { start = TileCursor(position: p, sub: sub) }
                length += take
                sub += take
                if length == capacity { runs.append((start, length)); length = 0 }
            }
        }
        if length > 0 { runs.append((start, length)) }
        return runs
    }
}

/// A position in a tile's slot enumeration.
struct TileCursor: Sendable, Equatable {
    var position: Int
    var sub: Int
}
