import func Foundation.exp
import func Foundation.log
import TesseraSupport

/// Simulated annealing of single blocks of cores across chips, after
/// ``ChipBoundaryMoves``: those moves take a block over one boundary only while that pays,
/// so they stop where every block is better off than beside it, and a band of blocks that
/// would shorten its routes only by moving together (a layer's tiles sliding towards the
/// layer they feed) stays put. Annealing moves a block next to one of the blocks it talks
/// to (a position within two of that block's, on its chip), or to a random position on a
/// chip near its own, swapping with the block there (or taking it if free and its chip is
/// in use: a chip holding any core costs its static power), and also
/// accepts moves that cost a little, with a probability that falls as the temperature
/// cools; the best placement seen at the end of each round of one move per block is kept,
/// so the result is never worse than the start. The objective is the placement's own
/// (``Placer``): spike weight times hops plus `crossingCost` times chip crossings, with a
/// block's hops those of its cores, `hopsPerBlock` per block step. On full-size DeepLab's
/// 253,824 blocks it lowers the expected chip crossings by about a ninth (288.7 M to
/// 256.8 M, docs/mapping.md). Deterministic for a seed.
struct BlockAnnealing {
    /// The block graph (``GroupedPlacement/graph(pairs:weight:)``).
    let graph: CoreGraph
    /// The board in chips, and each chip in block positions (numbered row-major per chip).
    let chips: (width: Int, height: Int)
    let blocksPerChip: (width: Int, height: Int)
    /// Hops between two side-by-side blocks (their cores' distance: the block side).
    var hopsPerBlock = GroupedPlacement.side
    /// What a chip crossing costs in hops (``Placer/crossingCost``).
    var crossingCost = 1
    /// Moves tried per block: 300 on DeepLab's 253,824 blocks take about two minutes.
    var movesPerBlock = 300
    /// The starting temperature as a fraction of the mean change of a proposed move: low
    /// enough that a block rarely leaves what it talks to, high enough that bands move.
    var startFraction = 0.3
    /// The final temperature as a fraction of the start, where only gains are taken.
    var endFraction = 1e-3
    /// How far (in chips along each axis) a move to a chip near a block's own may go.
    static let reach = 2
    /// How far (in blocks along each axis) from a partner block a move beside it may land.
    static let near = 2

    var perChip: Int { blocksPerChip.width * blocksPerChip.height }

    /// A block position's place on the board, in blocks (x, y) and chips (x, y).
    func place(_ s: Int) -> Place {
        let (chip, within) = (s / perChip, s % perChip)
        let (cx, cy) = (chip % chips.width, chip / chips.width)
        return Place(x: Int32(cx * blocksPerChip.width + within % blocksPerChip.width), y: Int32(cy * blocksPerChip.height + within / blocksPerChip.width),
                     cx: Int32(cx), cy: Int32(cy), chip: Int32(chip))
    }

    /// A block position on the board: in blocks (x, y), in chips (cx, cy) and its chip's number.
    struct Place {
        var x, y, cx, cy, chip: Int32
    }

    @inline(__always) private func distance(_ a: Int32, _ b: Int32) -> Int32 { a > b ? a &- b : b &- a }

    /// The objective over all edges of `slots` (each edge counted from both ends, as the
    /// moves count it).
    func objective(_ slots: [Int]) -> Int {
        let at = slots.map(place)
        var sum = 0
        for v in 0..<graph.vertices {
            let a = at[v]
            for e in Int(graph.offsets[v])..<Int(graph.offsets[v + 1]) {
                let b = at[Int(graph.adjacency[e])]
                sum += Int(graph.weights[e]) * (hopsPerBlock * Int(abs(a.x - b.x) + abs(a.y - b.y)) + crossingCost * Int(abs(a.cx - b.cx) + abs(a.cy - b.cy)))
            }
        }
        return sum
    }

    /// `initial` (a block position per block: chip * block positions per chip + position in
    /// the chip, all distinct) after annealing.
    func annealed(_ initial: [Int], seed: UInt64) -> [Int] {
        let n = graph.vertices, chipCount = chips.width * chips.height
        guard chipCount > 1, n > 1, movesPerBlock > 0 else { return initial }
        var slots = initial
        var occupant = [Int32](repeating: -1, count: chipCount * perChip)
        for (v, s) in slots.enumerated() { occupant[s] = Int32(v) }
        // Each block's place, kept beside its slot: the inner loop reads only these.
        var at = slots.map(place)
        let offsets = graph.offsets, adjacency = graph.adjacency, weights = graph.weights
        let (hop, cross) = (Int32(hopsPerBlock), Int32(crossingCost))
        // The change in the sum (one way) if block v went to `t`, the block `skip` left out.
        func change(_ v: Int, _ t: Place, skip: Int) -> Int {
            let a = at[v]
            var d = 0
            for e in Int(offsets[v])..<Int(offsets[v + 1]) {
                let q = Int(adjacency[e])
                guard q != skip else { continue }
                let b = at[q]
                // Positions are below 2^15, so these differences cannot overflow.
                let hops = distance(t.x, b.x) &+ distance(t.y, b.y) &- distance(a.x, b.x) &- distance(a.y, b.y)
                let crossings = distance(t.cx, b.cx) &+ distance(t.cy, b.cy) &- distance(a.cx, b.cx) &- distance(a.cy, b.cy)
                d += Int(weights[e]) * (Int(hop) * Int(hops) + Int(cross) * Int(crossings))
            }
            return d
        }
        // Each block's edges to blocks on other chips: a block with none sits inside its
        // chip's part of the graph, and any move of it to another chip only adds crossings,
        // so it is not proposed (about half the blocks on full-size maps; it still moves
        // when a proposed block swaps with it).
        var external = [Int32](repeating: 0, count: n)
        for v in 0..<n {
            for e in Int(offsets[v])..<Int(offsets[v + 1]) where at[Int(adjacency[e])].chip != at[v].chip { external[v] += 1 }
        }
        // Block v's external edges after it moved from chip `old` (its neighbours' too).
        func recount(_ v: Int, from old: Int32) {
            let new = at[v].chip
            guard new != old else { return }
            for e in Int(offsets[v])..<Int(offsets[v + 1]) {
                let q = Int(adjacency[e]), chip = at[q].chip
                let change = Int32(chip == old ? 1 : 0) - Int32(chip == new ? 1 : 0)
                external[v] += change
                external[q] += change
            }
        }
        // Blocks per chip: a free position on an empty chip is not taken, since a chip
        // that holds any core costs its static power for the whole run.
        var load = [Int32](repeating: 0, count: chipCount)
        for p in at { load[Int(p.chip)] += 1 }
        var random = SeededRandom(seed: seed, name: "block annealing")
        func uniform(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        let (bw, bh) = (blocksPerChip.width, blocksPerChip.height)
        // A proposal: block v to position s (on another chip), with the change it makes
        // (both ends of each edge, as ``objective(_:)`` counts).
        func propose() -> (v: Int, s: Int, delta: Int)? {
            let v = uniform(n)
            guard external[v] > 0 else { return nil }
            let a = at[v]
            let (first, end) = (Int(offsets[v]), Int(offsets[v + 1]))
            var s: Int
            if end > first, random.next() % 4 != 0 {
                // Beside a partner: a position within `near` of its own, on its chip.
                let b = at[Int(adjacency[first + uniform(end - first)])]
                guard (b.cx, b.cy) != (a.cx, a.cy) else { return nil }
                let (wx, wy) = (Int(b.x) % bw, Int(b.y) % bh)
                let (lx, ly) = (max(0, wx - Self.near), max(0, wy - Self.near))
                let (hx, hy) = (min(bw - 1, wx + Self.near), min(bh - 1, wy + Self.near))
                let (x, y) = (lx + uniform(hx - lx + 1), ly + uniform(hy - ly + 1))
                s = (Int(b.cy) * chips.width + Int(b.cx)) * perChip + y * bw + x
            } else {
                let span = 2 * Self.reach + 1
                let (tx, ty) = (Int(a.cx) + uniform(span) - Self.reach, Int(a.cy) + uniform(span) - Self.reach)
                guard tx >= 0, ty >= 0, tx < chips.width, ty < chips.height, (tx, ty) != (Int(a.cx), Int(a.cy)) else { return nil }
                s = (ty * chips.width + tx) * perChip + uniform(perChip)
            }
            let w = Int(occupant[s])
            guard w >= 0 || load[s / perChip] > 0 else { return nil }
            var d = change(v, place(s), skip: w)
            if w >= 0 { d += change(w, a, skip: v) }
            return (v, s, 2 * d)
        }
        // The starting temperature from the mean change of 10,000 proposals.
        var sample = 0, tried = 0
        for _ in 0..<10_000 {
            guard let p = propose() else { continue }
            sample += abs(p.delta)
            tried += 1
        }
        guard tried > 0, sample > 0 else { return initial }
        var temperature = startFraction * Double(sample) / Double(tried)
        let moves = movesPerBlock * n
        let cooling = exp(log(endFraction) / Double(moves))
        var current = 0, best = 0
        var bestSlots = slots
        for move in 1...moves {
            temperature *= cooling
            if move % n == 0, current < best {
                best = current
                bestSlots = slots
            }
            guard let (v, s, d) = propose() else { continue }
            // A move that changes nothing is taken half the time, so that blocks drift.
            if d > 0 {
                guard random.nextUnit() < exp(-Double(d) / temperature) else { continue }
            } else if d == 0, random.next() & 1 == 0 {
                continue
            }
            let from = slots[v], w = Int(occupant[s]), (chipOfV, chipOfW) = (at[v].chip, place(s).chip)
            (slots[v], occupant[s], at[v]) = (s, Int32(v), place(s))
            occupant[from] = Int32(w)
            if w < 0 { (load[Int(chipOfV)], load[Int(chipOfW)]) = (load[Int(chipOfV)] - 1, load[Int(chipOfW)] + 1) }
            recount(v, from: chipOfV)
            if w >= 0 {
                (slots[w], at[w]) = (from, place(from))
                recount(w, from: chipOfW)
            }
            current += d
        }
        return current < best ? slots : bestSlots
    }
}
