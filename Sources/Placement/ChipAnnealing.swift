import func Foundation.exp
import func Foundation.log
import TesseraSupport

/// Simulated annealing of the chips' arrangement, for ``ChipArrangement``: swapping two
/// chips only while a swap pays stops at the first arrangement no single swap improves,
/// and on a full board of layers that each span dozens of chips that is far from the best
/// (a layer's chips face the chips they feed along one side only). Annealing also accepts
/// swaps that cost a little, with a probability that falls as the temperature cools, so
/// that rows of chips can slide past each other; the best arrangement seen is kept, so the
/// result is never worse than the start. On full-size DeepLab's 1,024 chips it lowers the
/// spike weight times the chip distance by about a tenth more than swaps alone.
/// Deterministic for a seed.
extension ChipArrangement {
    /// Swaps tried per chip position: 10,000 on 1,024 chips take a few seconds.
    static let annealingMovesPerChip = 10_000

    /// `initial` (the chip of each part, distinct chips) after annealing: a chip and one
    /// within four chips of it swap their parts (a part with an empty chip included).
    func annealed(_ initial: [Int], seed: UInt64) -> [Int] {
        let chips = width * height
        let parts = graph.vertices
        guard chips > 2, parts > 1 else { return initial }
        var chipOf = initial
        var partAt = [Int](repeating: -1, count: chips)
        for p in 0..<parts { partAt[chipOf[p]] = p }
        // Each part's chip as (x, y), kept beside chipOf: the inner loop reads only these.
        var px = chipOf.map { Int32($0 % width) }, py = chipOf.map { Int32($0 / width) }
        let offsets = graph.offsets, adjacency = graph.adjacency, weights = graph.weights
        // The change in the sum if part p (at x, y) went to (tx, ty), the part `skip` left out.
        func change(_ p: Int, _ tx: Int32, _ ty: Int32, skip: Int) -> Int {
            let (x, y) = (px[p], py[p])
            var d = 0
            for e in Int(offsets[p])..<Int(offsets[p + 1]) {
                let q = Int(adjacency[e])
                guard q != skip else { continue }
                let (qx, qy) = (px[q], py[q])
                d += Int(weights[e]) * Int(abs(tx - qx) + abs(ty - qy) - abs(x - qx) - abs(y - qy))
            }
            return d
        }
        // The change in the sum if the parts on chips a and b traded places.
        func delta(_ a: Int, _ b: Int) -> Int {
            let (p, q) = (partAt[a], partAt[b])
            let (ax, ay, bx, by) = (Int32(a % width), Int32(a / width), Int32(b % width), Int32(b / width))
            var d = 0
            if p >= 0 { d += change(p, bx, by, skip: q) }
            if q >= 0 { d += change(q, ax, ay, skip: p) }
            return d
        }
        var random = SeededRandom(seed: seed, name: "chip annealing")
        // The starting temperature: a tenth of the mean change of a swap of two chips
        // anywhere, so that early on most small losses are taken and large ones are not.
        var sample = 0, tried = 0
        for _ in 0..<1_000 {
            let (a, b) = (Int(random.next() % UInt64(chips)), Int(random.next() % UInt64(chips)))
            guard a != b else { continue }
            sample += abs(delta(a, b))
            tried += 1
        }
        guard tried > 0, sample > 0 else { return initial }
        let start = 0.1 * Double(sample) / Double(tried)
        let moves = Self.annealingMovesPerChip * chips
        // Geometric cooling to 1/10,000 of the start, where only gains are taken.
        let cooling = exp(log(1e-4) / Double(moves))
        var temperature = start
        var current = 0, best = 0
        var bestChipOf = chipOf
        let reach = 4
        for _ in 0..<moves {
            temperature *= cooling
            let a = Int(random.next() % UInt64(chips))
            let r = 1 + Int(random.next() % UInt64(reach))
            let dx = Int(random.next() % UInt64(2 * r + 1)) - r, dy = Int(random.next() % UInt64(2 * r + 1)) - r
            let (x, y) = (a % width + dx, a / width + dy)
            guard x >= 0, y >= 0, x < width, y < height else { continue }
            let b = y * width + x
            guard a != b, partAt[a] >= 0 || partAt[b] >= 0 else { continue }
            let d = delta(a, b)
            guard d < 0 || random.nextUnit() < exp(-Double(d) / temperature) else { continue }
            let (p, q) = (partAt[a], partAt[b])
            if p >= 0 { (chipOf[p], px[p], py[p]) = (b, Int32(x), Int32(y)) }
            if q >= 0 { (chipOf[q], px[q], py[q]) = (a, Int32(a % width), Int32(a / width)) }
            (partAt[a], partAt[b]) = (q, p)
            current += d
            if current < best {
                best = current
                bestChipOf = chipOf
            }
        }
        return bestChipOf
    }
}
