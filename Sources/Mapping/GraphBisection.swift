import CMetis
import Foundation

/// A core graph in compressed sparse rows (METIS's form): the neighbours of vertex v are
/// `adjacency[offsets[v]..<offsets[v + 1]]`, each with the spike weight of their traffic.
/// Undirected: an edge appears in the lists of both its ends.
struct CoreGraph: Sendable {
    let offsets: [Int32]
    let adjacency: [Int32]
    let weights: [Int32]

    var vertices: Int { offsets.count - 1 }

    /// The graph of `pairs` (from, to, weight) over `vertices` cores, weights summed per
    /// unordered pair, neighbours in ascending order; self-loops dropped.
    init(vertices: Int, pairs: [(from: Int32, to: Int32, weight: Int)]) {
        var degree = [Int32](repeating: 0, count: vertices + 1)
        for p in pairs where p.from != p.to {
            degree[Int(p.from)] += 1
            degree[Int(p.to)] += 1
        }
        var start = [Int](repeating: 0, count: vertices + 1)
        for v in 0..<vertices { start[v + 1] = start[v] + Int(degree[v]) }
        var fill = start
        var neighbour = [Int32](repeating: 0, count: start[vertices]), weight = [Int](repeating: 0, count: start[vertices])
        for p in pairs where p.from != p.to {
            let (a, b) = (Int(p.from), Int(p.to))
            neighbour[fill[a]] = p.to; weight[fill[a]] = p.weight; fill[a] += 1
            neighbour[fill[b]] = p.from; weight[fill[b]] = p.weight; fill[b] += 1
        }
        // Sort each list and merge repeated neighbours.
        var offsets: [Int32] = [0], adjacency: [Int32] = [], weights: [Int32] = []
        offsets.reserveCapacity(vertices + 1)
        adjacency.reserveCapacity(neighbour.count)
        weights.reserveCapacity(neighbour.count)
        for v in 0..<vertices {
            let range = start[v]..<start[v + 1]
            let order = range.sorted { neighbour[$0] < neighbour[$1] }
            var last: Int32 = -1, sum = 0
            for i in order {
                if neighbour[i] != last, last >= 0 {
                    adjacency.append(last); weights.append(Int32(clamping: sum))
                    sum = 0
                }
                last = neighbour[i]
                sum += weight[i]
            }
            if last >= 0 { adjacency.append(last); weights.append(Int32(clamping: sum)) }
            offsets.append(Int32(adjacency.count))
        }
        self.offsets = offsets
        self.adjacency = adjacency
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
        var xadj: [Int32] = [0], adjncy: [Int32] = [], weight: [Int] = []
        xadj.reserveCapacity(n + 1)
        for v in cores {
            for e in Int(graph.offsets[Int(v)])..<Int(graph.offsets[Int(v) + 1]) {
                let u = local[Int(graph.adjacency[e])]
                guard u >= 0 else { continue }
                adjncy.append(u)
                weight.append(Int(max(1, graph.weights[e])))
            }
            if let pull {
                let (w0, w1) = pull[xadj.count - 1]
                if w0 > 0 { adjncy.append(Int32(n)); weight.append(w0) }
                if w1 > 0 { adjncy.append(Int32(n + 1)); weight.append(w1) }
            }
            xadj.append(Int32(adjncy.count))
        }
        // The anchors: vertex n pulls towards side 0, vertex n + 1 towards side 1.
        let anchored = pull != nil
        if let pull {
            for i in 0..<n where pull[i].0 > 0 { adjncy.append(Int32(i)); weight.append(pull[i].0) }
            xadj.append(Int32(adjncy.count))
            for i in 0..<n where pull[i].1 > 0 { adjncy.append(Int32(i)); weight.append(pull[i].1) }
            xadj.append(Int32(adjncy.count))
        }
        // METIS adds edge weights in 32 bits (a coarse edge is the sum of the edges it
        // contracts, and the cut is a sum over the whole graph), so the weights are scaled
        // down to a total below 2^30 when they exceed it; else the sums wrap and the cut
        // it minimises is garbage.
        let total = weight.reduce(0, +)
        let scale = total > 1 << 30 ? Double(1 << 30) / Double(total) : 1
        var adjwgt = weight.map { Int32(max(1, (Double($0) * scale).rounded(.down))) }
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
