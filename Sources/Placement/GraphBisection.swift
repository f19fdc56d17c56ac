import CMetis
import Foundation

/// A core graph in compressed sparse rows (METIS's form): the neighbours of vertex v are
/// `adjacency[offsets[v]..<offsets[v + 1]]`, each with the spike weight of their traffic.
/// Undirected: an edge appears in the lists of both its ends.
struct CoreGraph: Sendable {
    let offsets: [Int32]
    let adjacency: [Int32]
    /// Spike weights, scaled so that they sum to at most 2^30 (see the end of `init`).
    let weights: [Int32]

    var vertices: Int { offsets.count - 1 }

    /// The graph of `pairs` over `vertices` cores, each pair weighing `weight(pair)`,
    /// weights summed per unordered pair, neighbours in ascending order; self-loops dropped.
    /// Built in place (one array of neighbours and one of weights, compacted vertex by
    /// vertex), since full-size maps have tens of millions of pairs.
    init(vertices: Int, pairs: [(from: Int32, to: Int32, weight: Int32)], weight: ((from: Int32, to: Int32, weight: Int32)) -> Int) {
        var start = [Int](repeating: 0, count: vertices + 1)
        for p in pairs where p.from != p.to {
            start[Int(p.from) + 1] += 1
            start[Int(p.to) + 1] += 1
        }
        for v in 0..<vertices { start[v + 1] += start[v] }
        var fill = start
        var neighbour = [Int32](repeating: 0, count: start[vertices]), weights = [Int32](repeating: 0, count: start[vertices])
        for p in pairs where p.from != p.to {
            let (a, b) = (Int(p.from), Int(p.to))
            let w = Int32(clamping: weight(p))
            neighbour[fill[a]] = p.to; weights[fill[a]] = w; fill[a] += 1
            neighbour[fill[b]] = p.from; weights[fill[b]] = w; fill[b] += 1
        }
        // Sort each list and merge repeated neighbours, writing over the arrays' front.
        var offsets = [Int32](repeating: 0, count: vertices + 1)
        var write = 0
        var list: [(Int32, Int32)] = []
        for v in 0..<vertices {
            list.removeAll(keepingCapacity: true)
            for i in start[v]..<start[v + 1] { list.append((neighbour[i], weights[i])) }
            list.sort { $0.0 < $1.0 }
            var k = 0
            while k < list.count {
                let u = list[k].0
                var sum = 0
                while k < list.count, list[k].0 == u { sum += Int(list[k].1); k += 1 }
                neighbour[write] = u
                weights[write] = Int32(clamping: sum)
                write += 1
            }
            offsets[v + 1] = Int32(write)
        }
        neighbour.removeLast(neighbour.count - write)
        weights.removeLast(weights.count - write)
        // METIS adds edge weights in 32 bits (a coarse edge is the sum of the edges it
        // contracts, and the cut is a sum over the whole graph), so the weights are scaled
        // down to a total below 2^30 when they exceed it; else the sums wrap and the cut it
        // minimises is garbage. Scaled once here, the arrays go to METIS as they are.
        let total = weights.reduce(0) { $0 + Int($1) }
        if total > 1 << 30 {
            let scale = Double(1 << 30) / Double(total)
            for i in weights.indices { weights[i] = Int32(max(1, (Double(weights[i]) * scale).rounded(.down))) }
        }
        self.offsets = offsets
        self.adjacency = neighbour
        self.weights = weights
    }
}

/// Splits a set of cores in two with METIS (multilevel recursive bisection, minimising the
/// spike weight of the edges cut), so that side 0 holds at most `capacity.0` cores and
/// side 1 at most `capacity.1`. Deterministic for a seed.
struct GraphBisection {
    /// METIS seeds a random generator that is global to the process at each call, so two
    /// calls at once (two compiles on two threads) would draw from each other's stream:
    /// calls are taken one at a time, which keeps every result a function of its input.
    static let metisLock = NSLock()

    let graph: CoreGraph
    /// Scratch: the position of each global vertex in the current subset, or -1.
    private var local: [Int32]

    init(graph: CoreGraph) {
        self.graph = graph
        local = [Int32](repeating: -1, count: graph.vertices)
    }

    /// The side (0 or 1) of each of `cores`, in their order. `pull[i]`, when given, is the
    /// spike weight that ties core i to cores outside the set lying nearer side 0 and side
    /// 1 (terminal propagation): it enters the cut as edges to two anchor vertices, one per
    /// side, so that a core talking to the left half's neighbours lands on the left.
    mutating func split(_ cores: [Int32], capacity: (Int, Int), seed: Int32, pull: [(Int, Int)]? = nil) -> [UInt8] {
        let n = cores.count
        guard n > 1 else { return cores.map { _ in capacity.0 > 0 ? 0 : 1 } }
        for (i, v) in cores.enumerated() { local[Int(v)] = Int32(i) }
        defer { for v in cores { local[Int(v)] = -1 } }
        // METIS adds edge weights in 32 bits (a coarse edge is the sum of the edges it
        // contracts, and the cut is a sum over the whole graph), so the weights are scaled
        // down to a total below 2^30 when they exceed it; else the sums wrap and the cut
        // it minimises is garbage. A first pass counts and sums, the second fills.
        var entries = 0, total = 0
        for v in cores {
            for e in Int(graph.offsets[Int(v)])..<Int(graph.offsets[Int(v) + 1]) where local[Int(graph.adjacency[e])] >= 0 {
                entries += 1
                total += Int(max(1, graph.weights[e]))
            }
        }
        let anchored = pull != nil
        if let pull {
            for (w0, w1) in pull {
                entries += 2 * ((w0 > 0 ? 1 : 0) + (w1 > 0 ? 1 : 0))
                total += 2 * (w0 + w1)
            }
        }
        let scale = total > 1 << 30 ? Double(1 << 30) / Double(total) : 1
        func scaled(_ w: Int) -> Int32 { scale == 1 ? Int32(w) : Int32(max(1, (Double(w) * scale).rounded(.down))) }
        var xadj: [Int32] = [0], adjncy: [Int32] = [], adjwgt: [Int32] = []
        xadj.reserveCapacity(n + 3)
        adjncy.reserveCapacity(entries)
        adjwgt.reserveCapacity(entries)
        for (i, v) in cores.enumerated() {
            for e in Int(graph.offsets[Int(v)])..<Int(graph.offsets[Int(v) + 1]) {
                let u = local[Int(graph.adjacency[e])]
                guard u >= 0 else { continue }
                adjncy.append(u)
                adjwgt.append(scaled(Int(max(1, graph.weights[e]))))
            }
            if let pull {
                let (w0, w1) = pull[i]
                if w0 > 0 { adjncy.append(Int32(n)); adjwgt.append(scaled(w0)) }
                if w1 > 0 { adjncy.append(Int32(n + 1)); adjwgt.append(scaled(w1)) }
            }
            xadj.append(Int32(adjncy.count))
        }
        // The anchors: vertex n pulls towards side 0, vertex n + 1 towards side 1.
        if let pull {
            for i in 0..<n where pull[i].0 > 0 { adjncy.append(Int32(i)); adjwgt.append(scaled(pull[i].0)) }
            xadj.append(Int32(adjncy.count))
            for i in 0..<n where pull[i].1 > 0 { adjncy.append(Int32(i)); adjwgt.append(scaled(pull[i].1)) }
            xadj.append(Int32(adjncy.count))
        }
        let vertexCount = n + (anchored ? 2 : 0)
        // Sides sized in proportion to their capacities.
        let room = Double(capacity.0 + capacity.1)
        let want0 = min(capacity.0, max(n - capacity.1, Int((Double(n) * Double(capacity.0) / room).rounded())))
        var side = [UInt8](repeating: 0, count: n)
        if adjncy.isEmpty {
            // No traffic inside the set: keep the partition's order.
            for i in want0..<n { side[i] = 1 }
            return side
        }
        var parts = [Int32](repeating: 0, count: vertexCount)
        var nvtxs = Int32(vertexCount), ncon: Int32 = 1, nparts: Int32 = 2, edgecut: Int32 = 0
        // Each anchor weighs one vertex and belongs with its own side's share.
        let share0 = Float(want0 + (anchored ? 1 : 0)) / Float(vertexCount)
        var tpwgts: [Float] = [share0, 1 - share0]
        var options = [Int32](repeating: 0, count: Int(METIS_NOPTIONS))
        METIS_SetDefaultOptions(&options)
        options[Int(METIS_OPTION_SEED.rawValue)] = seed
        options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
        options[Int(METIS_OPTION_UFACTOR.rawValue)] = 1  // 0.1% imbalance; exact sizes are repaired below
        Self.metisLock.lock()
        let status = METIS_PartGraphRecursive(&nvtxs, &ncon, &xadj, &adjncy, nil, nil, &adjwgt, &nparts, &tpwgts, nil, &options, &edgecut, &parts)
        Self.metisLock.unlock()
        if status == Int32(METIS_OK.rawValue) {
            for i in 0..<n { side[i] = parts[i] == 0 ? 0 : 1 }
            // METIS may number the parts either way round: an anchor that landed on the
            // other part says the sides are swapped (when both anchors agree on it).
            if anchored, parts[n] == 1, parts[n + 1] == 0 {
                for i in 0..<n { side[i] = 1 - side[i] }
            }
        } else {
            for i in want0..<n { side[i] = 1 }
        }
        repair(&side, want0: want0, xadj: xadj, adjncy: adjncy, adjwgt: adjwgt)
        return side
    }

    /// Moves cores across until side 0 holds exactly `want0`: those whose move costs least
    /// cut weight (weight to the other side minus weight to their own) go first, ties by
    /// position, so the result is deterministic.
    private func repair(_ side: inout [UInt8], want0: Int, xadj: [Int32], adjncy: [Int32], adjwgt: [Int32]) {
        let count0 = side.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        guard count0 != want0 else { return }
        let from: UInt8 = count0 > want0 ? 0 : 1
        let moves = abs(count0 - want0)
        var gains: [(gain: Int, i: Int)] = []
        for i in side.indices where side[i] == from {
            var gain = 0
            for e in Int(xadj[i])..<Int(xadj[i + 1]) {
                // Past the set's own vertices are the anchors: n on side 0, n + 1 on side 1.
                let u = Int(adjncy[e])
                let other = u < side.count ? side[u] : UInt8(u - side.count)
                gain += other == from ? -Int(adjwgt[e]) : Int(adjwgt[e])
            }
            gains.append((gain, i))
        }
        gains.sort { $0.gain != $1.gain ? $0.gain > $1.gain : $0.i < $1.i }
        for (_, i) in gains.prefix(moves) { side[i] = 1 - from }
    }
}
