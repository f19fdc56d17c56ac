import Hardware

/// Sets the parts of a ``ChipPartition`` on a block of `width` x `height` chips, one part
/// per chip, so that the spike weight between parts times their distance in chips (the
/// chip crossings) is small: recursive bisection of the part graph over the block
/// (``BisectionPlacement`` with one position per chip), then annealing and swaps of two
/// parts' chips while any swap lowers the sum. Deterministic for a seed.
struct ChipArrangement {
    /// The quotient graph: a vertex per part, edges weighted by the spikes between parts.
    let graph: CoreGraph
    let width: Int
    let height: Int

    /// The chip of each part, row-major over the block (`y * width + x`).
    func place(seed: UInt64) -> [Int] {
        let board = Board(coresPerChip: [1, 1], chips: [width, height])
        let slots = BisectionPlacement(board: board, graph: graph)
            .place(seed: seed, in: BisectionPlacement.Region(x: 0, y: 0, width: width, height: height))
        return refined(slots, seed: seed)
    }

    /// `initial` (the chip of each part, distinct chips) improved by moves of whole groups
    /// of chips (``groupRefined(_:)``), by annealing (``annealed(_:seed:)``), then by swaps
    /// of two parts' chips, a chip's part with an empty chip included, while any swap
    /// lowers the sum.
    func refined(_ initial: [Int], seed: UInt64) -> [Int] {
        let parts = graph.vertices
        var chipOf = annealed(groupRefined(initial), seed: seed)
        var partAt = [Int](repeating: -1, count: width * height)
        for p in 0..<parts { partAt[chipOf[p]] = p }
        func distance(_ a: Int, _ b: Int) -> Int { abs(a % width - b % width) + abs(a / width - b / width) }
        // The weight-times-distance of part p's edges if it sat on chip `at`, the part
        // `skip` (its swap partner) left out.
        func cost(_ p: Int, at: Int, skip: Int) -> Int {
            var sum = 0
            for e in Int(graph.offsets[p])..<Int(graph.offsets[p + 1]) {
                let q = Int(graph.adjacency[e])
                if q != skip { sum += Int(graph.weights[e]) * distance(at, chipOf[q]) }
            }
            return sum
        }
        var improved = true, sweeps = 0
        while improved, sweeps < 20 {
            improved = false
            sweeps += 1
            for a in 0..<(width * height) {
                for b in (a + 1)..<(width * height) {
                    let (p, q) = (partAt[a], partAt[b])
                    guard p >= 0 || q >= 0 else { continue }
                    var delta = 0
                    if p >= 0 { delta += cost(p, at: b, skip: q) - cost(p, at: a, skip: q) }
                    if q >= 0 { delta += cost(q, at: a, skip: p) - cost(q, at: b, skip: p) }
                    guard delta < 0 else { continue }
                    if p >= 0 { chipOf[p] = b }
                    if q >= 0 { chipOf[q] = a }
                    (partAt[a], partAt[b]) = (q, p)
                    improved = true
                }
            }
        }
        return chipOf
    }
}
