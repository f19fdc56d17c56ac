/// Moves of whole square groups of chips, for ``ChipArrangement``: swapping two chips at a
/// time cannot move a layer that spans many chips, and a cut by halves can leave a group's
/// busy side facing away from the group it talks to. So, for group sides g = 16, 8, 4, 2
/// (those that divide the block), each aligned g x g group is mirrored (in x, in y, or both)
/// and each two groups are swapped, their insides kept, while a move lowers the spike
/// weight times the chip distance. Deterministic: groups in order, the first best move.
extension ChipArrangement {
    func groupRefined(_ initial: [Int]) -> [Int] {
        let chips = width * height
        var chipOf = initial
        var partAt = [Int](repeating: -1, count: chips)
        for p in 0..<graph.vertices { partAt[chipOf[p]] = p }
        func distance(_ a: Int, _ b: Int) -> Int { abs(a % width - b % width) + abs(a / width - b / width) }
        // The change in weight x distance if each part of `moves` went to its new chip.
        func delta(_ moves: [Int: Int]) -> Int {
            var sum = 0
            for (p, to) in moves {
                for e in Int(graph.offsets[p])..<Int(graph.offsets[p + 1]) {
                    let q = Int(graph.adjacency[e])
                    let other = moves[q]
                    // An edge between two moved parts is counted from its lower end.
                    if other != nil && q < p { continue }
                    let w = Int(graph.weights[e])
                    sum += w * (distance(to, other ?? chipOf[q]) - distance(chipOf[p], chipOf[q]))
                }
            }
            return sum
        }
        func apply(_ moves: [Int: Int]) {
            for (p, _) in moves { partAt[chipOf[p]] = -1 }
            for (p, to) in moves.sorted(by: { $0.key < $1.key }) {
                chipOf[p] = to
                partAt[to] = p
            }
        }
        for g in [16, 8, 4, 2] where width % g == 0 && height % g == 0 && chips / (g * g) > 1 {
            let (gx, gy) = (width / g, height / g)
            let origins = (0..<(gx * gy)).map { (x: ($0 % gx) * g, y: ($0 / gx) * g) }
            // The parts of the group at `o`, each sent to the same offset (mirrored if asked)
            // in the group at `t`.
            func moves(from o: (x: Int, y: Int), to t: (x: Int, y: Int), flipX: Bool, flipY: Bool) -> [Int: Int] {
                var m: [Int: Int] = [:]
                for dy in 0..<g {
                    for dx in 0..<g {
                        let p = partAt[(o.y + dy) * width + o.x + dx]
                        guard p >= 0 else { continue }
                        let (nx, ny) = (flipX ? g - 1 - dx : dx, flipY ? g - 1 - dy : dy)
                        m[p] = (t.y + ny) * width + t.x + nx
                    }
                }
                return m
            }
            var improved = true, sweeps = 0
            while improved, sweeps < 4 {
                improved = false
                sweeps += 1
                for a in origins.indices {
                    // Mirror the group.
                    var best: (gain: Int, moves: [Int: Int])?
                    for (fx, fy) in [(true, false), (false, true), (true, true)] {
                        let m = moves(from: origins[a], to: origins[a], flipX: fx, flipY: fy)
                        let d = delta(m)
                        if d < (best?.gain ?? 0) { best = (d, m) }
                    }
                    // Swap it with another group.
                    for b in origins.indices where b > a {
                        var m = moves(from: origins[a], to: origins[b], flipX: false, flipY: false)
                        m.merge(moves(from: origins[b], to: origins[a], flipX: false, flipY: false)) { first, _ in first }
                        let d = delta(m)
                        if d < (best?.gain ?? 0) { best = (d, m) }
                    }
                    if let best {
                        apply(best.moves)
                        improved = true
                    }
                }
            }
        }
        return chipOf
    }
}
