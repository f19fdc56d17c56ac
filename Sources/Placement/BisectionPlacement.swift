import Hardware

/// Places cores by recursive bisection of the board (as METIS-based placers of large
/// neuromorphic and FPGA netlists do): the block of chips the map needs is cut in two along
/// a chip boundary, the core graph is cut in two by ``GraphBisection`` (least spike weight
/// across, each side no larger than its half), and each half goes on; below one chip the
/// same cuts run between core positions. Cores that talk end up on one chip, and chips that
/// talk end up side by side. Time grows with cores times the depth (the logarithm of the
/// board's positions), memory with the graph.
struct BisectionPlacement {
    let board: Board
    let graph: CoreGraph
    /// Below this many positions inside one chip, cores are laid row-major in their order
    /// (the partition's: a layer's tiles in sequence), which the cuts above already grouped.
    var leaf = 256
    /// Whether the chips are cut all at once (``ChipPartition``: one k-way cut into as many
    /// parts as chips, set on the board by ``ChipArrangement``) rather than by halves. A cut
    /// by halves minimises each cut's weight but not how far a cut route travels: near the
    /// top a route cut between two layers crosses half the board. The k-way cut weighs every
    /// chip boundary alike and the arrangement then shortens the routes it cut; it does best
    /// where the chips have room to spare, the cut by halves where they are full.
    var chipsAtOnce = false

    /// A rectangle of core positions on the board's mesh.
    struct Region: Equatable {
        var x: Int, y: Int, width: Int, height: Int
        var area: Int { width * height }
        /// Twice the centre's coordinates (integers, so that distances compare exactly).
        var centre: (x: Int, y: Int) { (2 * x + width, 2 * y + height) }
    }

    /// The block of chips, from the board's corner, that holds `cores` cores: the smallest
    /// chip count that fits, as near square as the board allows.
    static func region(for cores: Int, on board: Board) -> Region {
        let perChip = board.coresPerChipTotal
        let needed = max(1, (cores + perChip - 1) / perChip)
        var best: (w: Int, h: Int)?
        for w in 1...board.chips[0] {
            let h = (needed + w - 1) / w
            guard h <= board.chips[1] else { continue }
            if let b = best {
                let (area, bArea) = (w * h, b.w * b.h)
                if area < bArea || (area == bArea && abs(w - h) < abs(b.w - b.h)) { best = (w, h) }
            } else {
                best = (w, h)
            }
        }
        let (w, h) = best ?? (board.chips[0], board.chips[1])
        return Region(x: 0, y: 0, width: w * board.coresPerChip[0], height: h * board.coresPerChip[1])
    }

    /// The slot (``Placer/position(_:)`` numbering) of mesh position (x, y).
    static func slot(x: Int, y: Int, on board: Board) -> Int {
        let (cx, cy) = (board.coresPerChip[0], board.coresPerChip[1])
        let chip = (y / cy) * board.chips[0] + x / cx
        return chip * board.coresPerChipTotal + (y % cy) * cx + x % cx
    }

    /// The two halves of a region: across the middle chip boundary of its longer side in
    /// chips while it spans more than one chip, else across its longer side in cores.
    func halves(_ r: Region) -> (Region, Region) {
        let (cx, cy) = (board.coresPerChip[0], board.coresPerChip[1])
        let (chipsWide, chipsHigh) = (r.width / cx, r.height / cy)
        let spansChips = r.x % cx == 0 && r.y % cy == 0 && r.width % cx == 0 && r.height % cy == 0 && chipsWide * chipsHigh > 1
        if spansChips {
            if chipsWide >= chipsHigh {
                let w = chipsWide / 2 * cx
                return (Region(x: r.x, y: r.y, width: w, height: r.height), Region(x: r.x + w, y: r.y, width: r.width - w, height: r.height))
            }
            let h = chipsHigh / 2 * cy
            return (Region(x: r.x, y: r.y, width: r.width, height: h), Region(x: r.x, y: r.y + h, width: r.width, height: r.height - h))
        }
        if r.width >= r.height {
            let w = r.width / 2
            return (Region(x: r.x, y: r.y, width: w, height: r.height), Region(x: r.x + w, y: r.y, width: r.width - w, height: r.height))
        }
        let h = r.height / 2
        return (Region(x: r.x, y: r.y, width: r.width, height: h), Region(x: r.x, y: r.y + h, width: r.width, height: r.height - h))
    }

    /// Each core's slot, in `start` (else the block of chips from the board's corner that
    /// holds the cores). Deterministic for a seed.
    ///
    /// Regions are cut level by level (breadth first), and each cut knows where the rest
    /// of the cores went so far: a core's traffic to cores outside its region pulls it
    /// towards the half nearer them (terminal propagation, as in Dunlop and Kernighan's
    /// placement by min-cut). Without it, a route cut at the top lands anywhere in the two
    /// halves, and crosses many chips instead of one.
    func place(seed: UInt64, in start: Region? = nil) -> [Int] {
        let n = graph.vertices
        var slots = [Int](repeating: 0, count: n)
        guard n > 0 else { return slots }
        var bisection = GraphBisection(graph: graph)
        let metisSeed = Int32(truncatingIfNeeded: seed & 0x7FFF_FFFF)
        let whole = start ?? Self.region(for: n, on: board)
        // Each core's current region (an index into `regions`), whose centre stands for
        // where the core will be while it is not placed yet.
        var regions: [Region] = []
        var regionOf = [Int32](repeating: 0, count: n)
        var work: [(region: Int32, cores: [Int32])] = []
        let (cx, cy) = (board.coresPerChip[0], board.coresPerChip[1])
        let chipsWide = whole.width / cx, chipsHigh = whole.height / cy
        if chipsAtOnce, board.coresPerChipTotal > 1, chipsWide * chipsHigh > 1, whole.x % cx == 0, whole.y % cy == 0 {
            // Chips first: one part per chip of the block, the parts then set on the chips.
            let chips = ChipPartition(graph: graph)
            let parts = chipsWide * chipsHigh
            let part = chips.parts(parts, capacity: board.coresPerChipTotal, seed: metisSeed)
            let chipOf = ChipArrangement(graph: chips.quotient(part, parts: parts), width: chipsWide, height: chipsHigh).place(seed: seed)
            var members = [[Int32]](repeating: [], count: parts)
            for v in 0..<n { members[Int(part[v])].append(Int32(v)) }
            for p in 0..<parts {
                let (x, y) = (chipOf[p] % chipsWide, chipOf[p] / chipsWide)
                regions.append(Region(x: whole.x + x * cx, y: whole.y + y * cy, width: cx, height: cy))
                for v in members[p] { regionOf[Int(v)] = Int32(p) }
                work.append((Int32(p), members[p]))
            }
        } else {
            regions = [whole]
            work = [(0, (0..<n).map { Int32($0) })]
        }
        var next = 0
        while next < work.count {
            let (id, cores) = work[next]
            work[next].cores = []
            next += 1
            let r = regions[Int(id)]
            guard !cores.isEmpty else { continue }
            let withinChip = r.area <= board.coresPerChipTotal && r.x / board.coresPerChip[0] == (r.x + r.width - 1) / board.coresPerChip[0]
                && r.y / board.coresPerChip[1] == (r.y + r.height - 1) / board.coresPerChip[1]
            if r.area == 1 || (withinChip && r.area <= leaf) || cores.count == 1 {
                // Row-major over the region's positions, in the cores' order.
                for (k, c) in cores.enumerated() {
                    slots[Int(c)] = Self.slot(x: r.x + k % r.width, y: r.y + k / r.width, on: board)
                }
                continue
            }
            let (a, b) = halves(r)
            let pull = pulls(cores, region: id, towards: (a, b), regions: regions, regionOf: regionOf)
            let side = bisection.split(cores, capacity: (a.area, b.area), seed: metisSeed, pull: pull)
            var first: [Int32] = [], second: [Int32] = []
            for (i, c) in cores.enumerated() {
                if side[i] == 0 { first.append(c) } else { second.append(c) }
            }
            let (idA, idB) = (Int32(regions.count), Int32(regions.count + 1))
            regions.append(a)
            regions.append(b)
            for c in first { regionOf[Int(c)] = idA }
            for c in second { regionOf[Int(c)] = idB }
            work.append((idA, first))
            work.append((idB, second))
        }
        return slots
    }

    /// For each of `cores` (all in region `id`), the spike weight of its traffic to cores
    /// outside the region whose region centre is nearer half a, and nearer half b.
    func pulls(_ cores: [Int32], region id: Int32, towards halves: (Region, Region), regions: [Region],
               regionOf: [Int32]) -> [(Int, Int)] {
        let (ca, cb) = (halves.0.centre, halves.1.centre)
        return cores.map { v in
            var w0 = 0, w1 = 0
            for e in Int(graph.offsets[Int(v)])..<Int(graph.offsets[Int(v) + 1]) {
                let other = regionOf[Int(graph.adjacency[e])]
                guard other != id else { continue }
                let c = regions[Int(other)].centre
                let (da, db) = (abs(c.x - ca.x) + abs(c.y - ca.y), abs(c.x - cb.x) + abs(c.y - cb.y))
                if da < db { w0 += Int(graph.weights[e]) } else if db < da { w1 += Int(graph.weights[e]) }
            }
            return (w0, w1)
        }
    }
}

extension BisectionPlacement.Region {
    /// The slots of the region's positions, ascending.
    func slots(on board: Board) -> [Int] {
        (y..<(y + height)).flatMap { y in (x..<(x + width)).map { x in BisectionPlacement.slot(x: x, y: y, on: board) } }.sorted()
    }
}
