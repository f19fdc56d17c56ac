import Hardware

/// Expected spikes per tick on each chip-to-chip link of the board, for a placement: every
/// route that leaves its chip goes x first, then y (TrueNorth's dimension-order routing),
/// and adds its expected spikes per tick to each chip edge it crosses. An edge's load is
/// both directions together (its 64 ports are bidirectional, A15).
struct LinkLoad: Sendable {
    /// Spikes per tick on the edge between chip (x, y) and chip (x + 1, y), row-major.
    var horizontal: [Double]
    /// Spikes per tick on the edge between chip (x, y) and chip (x, y + 1), row-major.
    var vertical: [Double]
    let chips: (x: Int, y: Int)

    /// The busiest edge: its load and its two chips.
    var largest: (load: Double, from: (x: Int, y: Int), to: (x: Int, y: Int))? {
        var best: (load: Double, from: (x: Int, y: Int), to: (x: Int, y: Int))?
        for (i, load) in horizontal.enumerated() where load > (best?.load ?? 0) {
            let (y, x) = i.quotientAndRemainder(dividingBy: max(chips.x - 1, 1))
            best = (load, (x, y), (x + 1, y))
        }
        for (i, load) in vertical.enumerated() where load > (best?.load ?? 0) {
            let (y, x) = i.quotientAndRemainder(dividingBy: chips.x)
            best = (load, (x, y), (x, y + 1))
        }
        return best
    }

    /// The mean load over the edges that carry any spikes (0 when none do).
    var meanOfUsed: Double {
        let used = (horizontal + vertical).filter { $0 > 0 }
        return used.isEmpty ? 0 : used.reduce(0, +) / Double(used.count)
    }

    /// `routes` are (from chip, to chip, expected spikes per tick).
    init(board: Board, routes: [(from: (x: Int, y: Int), to: (x: Int, y: Int), spikes: Double)]) {
        let (cx, cy) = (board.chips[0], board.chips[1])
        chips = (cx, cy)
        // Difference arrays per row (x segments) and per column (y segments): each route
        // costs O(1) however far it goes.
        var rowDiff = [Double](repeating: 0, count: cx * cy + 1), columnDiff = [Double](repeating: 0, count: cx * cy + 1)
        for r in routes where r.from != r.to {
            let (a, b) = (min(r.from.x, r.to.x), max(r.from.x, r.to.x))
            if a < b {
                rowDiff[r.from.y * cx + a] += r.spikes
                rowDiff[r.from.y * cx + b] -= r.spikes
            }
            let (c, d) = (min(r.from.y, r.to.y), max(r.from.y, r.to.y))
            if c < d {
                columnDiff[r.to.x * cy + c] += r.spikes
                columnDiff[r.to.x * cy + d] -= r.spikes
            }
        }
        var horizontal = [Double](repeating: 0, count: max(cx - 1, 0) * cy)
        for y in 0..<cy {
            var running = 0.0
            for x in 0..<(cx - 1) {
                running += rowDiff[y * cx + x]
                horizontal[y * (cx - 1) + x] = max(0, running)
            }
        }
        var vertical = [Double](repeating: 0, count: cx * max(cy - 1, 0))
        for x in 0..<cx {
            var running = 0.0
            for y in 0..<(cy - 1) {
                running += columnDiff[x * cy + y]
                vertical[y * cx + x] = max(0, running)
            }
        }
        self.horizontal = horizontal
        self.vertical = vertical
    }
}
