/// Single blocks of cores moved across chip boundaries, after the chips are set
/// (``GroupedPlacement``). A cut by halves draws each boundary once, at its level, and whole
/// chips then move only as wholes, so a block on one side of a boundary can still talk
/// mostly to chips on the other: near the top cuts, a layer's tiles sit across the board
/// from the tiles they feed. For every two side-by-side chips, the blocks of each that would
/// lower the spike weight times the chip distance most by crossing to the other are swapped
/// in pairs (or moved where the other chip has room), each swap kept only if it lowers that
/// sum exactly; sweeps repeat while they gain. A block may cross one boundary per sweep, so
/// blocks drift chip by chip towards what they talk to. Deterministic: chips, directions
/// and blocks in order, ties by index.
struct ChipBoundaryMoves {
    /// The block graph (``GroupedPlacement/graph(pairs:weight:)``).
    let graph: CoreGraph
    /// The board in chips.
    let width: Int
    let height: Int
    /// Block positions per chip.
    let perChip: Int
    /// How many of the other chip's blocks a block tries as swap partners.
    static let partners = 8

    /// `slots` (a block position per block: chip * perChip + position in the chip) with
    /// blocks moved across chip boundaries. A block that moves takes the position of the
    /// block it swaps with, or a free position of the other chip.
    func refined(_ slots: [Int], sweeps: Int = 12) -> [Int] {
        let chips = width * height
        let n = graph.vertices
        guard chips > 1, n > 1 else { return slots }
        var slots = slots
        var chipOf = slots.map { $0 / perChip }
        var occupied = [Bool](repeating: false, count: chips * perChip)
        for s in slots { occupied[s] = true }
        // Free positions per chip, ascending (taken from the end).
        var free = [[Int]](repeating: [], count: chips)
        for s in 0..<(chips * perChip) where !occupied[s] { free[s / perChip].append(s) }

        func distance(_ a: Int, _ b: Int) -> Int { abs(a % width - b % width) + abs(a / width - b / width) }
        // Spike weight x chip distance of v's edges were it on chip `at`, `skip` left out.
        func cost(_ v: Int, at: Int, skip: Int = -1) -> Int {
            var sum = 0
            for e in Int(graph.offsets[v])..<Int(graph.offsets[v + 1]) {
                let q = Int(graph.adjacency[e])
                if q != skip { sum += Int(graph.weights[e]) * distance(at, chipOf[q]) }
            }
            return sum
        }
        // The chip beside `c` in direction d (0: -x, 1: +x, 2: -y, 3: +y), if any.
        func beside(_ c: Int, _ d: Int) -> Int? {
            let (x, y) = (c % width, c / width)
            switch d {
            case 0: return x > 0 ? c - 1 : nil
            case 1: return x + 1 < width ? c + 1 : nil
            case 2: return y > 0 ? c - width : nil
            default: return y + 1 < height ? c + width : nil
            }
        }

        // Swaps v (on a) and u (on b) while the estimates say it pays and the exact
        // change agrees; a block moves alone to a free position while that pays.
        func exchange(_ fromA: [Int32], _ a: Int, _ b: Int, gain gainA: (Int32) -> Int,
                      _ fromB: [Int32], gain gainB: (Int32) -> Int) -> Int {
            var count = 0
            var (i, j) = (0, 0)
            func next(_ list: [Int32], _ k: inout Int, on chip: Int) -> Int? {
                while k < list.count, chipOf[Int(list[k])] != chip { k += 1 }
                return k < list.count ? Int(list[k]) : nil
            }
            func move(_ v: Int, to chip: Int) -> Bool {
                guard let s = free[chip].popLast() else { return false }
                guard cost(v, at: chip) < cost(v, at: chipOf[v]) else {
                    free[chip].append(s)
                    return false
                }
                free[chipOf[v]].append(slots[v])
                slots[v] = s
                chipOf[v] = chip
                return true
            }
            while let v = next(fromA, &i, on: a) {
                if gainA(Int32(v)) > 0, !free[b].isEmpty {
                    if move(v, to: b) { count += 1 }
                    i += 1
                    continue
                }
                guard let first = next(fromB, &j, on: b), gainA(Int32(v)) + gainB(Int32(first)) > 0 else { break }
                // The first of b's next few blocks whose swap with v pays exactly: the best
                // by estimate is often v's own partner, with which a swap changes nothing.
                var k = j, tried = 0
                while k < fromB.count, tried < Self.partners {
                    let u = Int(fromB[k])
                    k += 1
                    guard chipOf[u] == b else { continue }
                    guard gainA(Int32(v)) + gainB(Int32(u)) > 0 else { break }
                    tried += 1
                    let before = cost(v, at: a, skip: u) + cost(u, at: b, skip: v)
                    let after = cost(v, at: b, skip: u) + cost(u, at: a, skip: v)
                    guard after < before else { continue }
                    (slots[v], slots[u]) = (slots[u], slots[v])
                    (chipOf[v], chipOf[u]) = (b, a)
                    count += 1
                    break
                }
                i += 1
            }
            // What is left of b's list may still move into room on a.
            while let u = next(fromB, &j, on: b), gainB(Int32(u)) > 0, !free[a].isEmpty {
                if move(u, to: a) { count += 1 }
                j += 1
            }
            return count
        }

        for _ in 0..<sweeps {
            // Each block's gain from crossing to the chip beside its own, per direction.
            var gain = [Int](repeating: Int.min, count: n * 4)
            var members = [[Int32]](repeating: [], count: chips)
            for v in 0..<n {
                let here = cost(v, at: chipOf[v])
                members[chipOf[v]].append(Int32(v))
                for d in 0..<4 {
                    if let b = beside(chipOf[v], d) { gain[v * 4 + d] = here - cost(v, at: b) }
                }
            }
            var moved = 0
            for a in 0..<chips {
                for d in [1, 3] {
                    guard let b = beside(a, d) else { continue }
                    // Blocks of a towards b (direction d) and of b towards a (its opposite).
                    let back = d - 1
                    let fromA = members[a].filter { gain[Int($0) * 4 + d] > Int.min }
                        .sorted { (gain[Int($0) * 4 + d], -$0) > (gain[Int($1) * 4 + d], -$1) }
                    let fromB = members[b].filter { gain[Int($0) * 4 + back] > Int.min }
                        .sorted { (gain[Int($0) * 4 + back], -$0) > (gain[Int($1) * 4 + back], -$1) }
                    moved += exchange(fromA, a, b, gain: { gain[Int($0) * 4 + d] }, fromB, gain: { gain[Int($0) * 4 + back] })
                }
            }
            guard moved > 0 else { break }
        }
        return slots
    }
}
