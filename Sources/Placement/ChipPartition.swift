import CMetis

/// Splits the whole core graph into one part per chip at once, with METIS's multilevel
/// k-way partitioning (least spike weight between parts, each part no larger than a chip),
/// then sets the parts on the board's chips so that parts that talk sit side by side
/// (``ChipArrangement``). One k-way call costs about what one bisection level does, where
/// cutting chip by chip would take the logarithm of the chip count in levels over the whole
/// graph. Deterministic for a seed.
struct ChipPartition {
    let graph: CoreGraph

    /// The part (0..<parts) of every core, each part holding at most `capacity` cores.
    func parts(_ parts: Int, capacity: Int, seed: Int32) -> [Int32] {
        let n = graph.vertices
        guard parts > 1, n > 0 else { return [Int32](repeating: 0, count: n) }
        var part = [Int32](repeating: 0, count: n)
        var nvtxs = Int32(n), ncon: Int32 = 1, nparts = Int32(parts), edgecut: Int32 = 0
        var options = [Int32](repeating: 0, count: Int(METIS_NOPTIONS))
        METIS_SetDefaultOptions(&options)
        options[Int(METIS_OPTION_SEED.rawValue)] = seed
        options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
        // Imbalance in 0.1%: as much as the chips' spare room allows, so that METIS has
        // freedom and a full chip's worth is rarely exceeded (the repair below fixes that).
        let room = Double(capacity * parts) / Double(n) - 1
        options[Int(METIS_OPTION_UFACTOR.rawValue)] = Int32(max(1, min(30, Int(room * 1000))))
        // METIS reads the arrays and does not write them (its API is not const-qualified).
        let status = graph.offsets.withUnsafeBufferPointer { xadj in
            graph.adjacency.withUnsafeBufferPointer { adjncy in
                graph.weights.withUnsafeBufferPointer { adjwgt in
                    GraphBisection.metisLock.lock()
                    defer { GraphBisection.metisLock.unlock() }
                    return METIS_PartGraphKway(&nvtxs, &ncon, UnsafeMutablePointer(mutating: xadj.baseAddress),
                                               UnsafeMutablePointer(mutating: adjncy.baseAddress), nil, nil,
                                               UnsafeMutablePointer(mutating: adjwgt.baseAddress), &nparts, nil, nil, &options, &edgecut, &part)
                }
            }
        }
        if status != Int32(METIS_OK.rawValue) {
            // Partition order, chip by chip.
            for v in 0..<n { part[v] = Int32(min(parts - 1, v / capacity)) }
            return part
        }
        repair(&part, parts: parts, capacity: capacity)
        return part
    }

    /// Moves cores out of parts above `capacity`: those tied least to their own part go
    /// first, each to the part with room it is tied to most (else the emptiest), ties by
    /// index, so the result is deterministic.
    private func repair(_ part: inout [Int32], parts: Int, capacity: Int) {
        var size = [Int](repeating: 0, count: parts)
        for p in part { size[Int(p)] += 1 }
        for p in 0..<parts where size[p] > capacity {
            var candidates: [(loss: Int, v: Int)] = []
            for v in part.indices where Int(part[v]) == p {
                var own = 0, other = 0
                for e in Int(graph.offsets[v])..<Int(graph.offsets[v + 1]) {
                    if Int(part[Int(graph.adjacency[e])]) == p { own += Int(graph.weights[e]) } else { other += Int(graph.weights[e]) }
                }
                candidates.append((own - other, v))
            }
            candidates.sort { $0.loss != $1.loss ? $0.loss < $1.loss : $0.v < $1.v }
            for (_, v) in candidates.prefix(size[p] - capacity) {
                var tie: [Int: Int] = [:]
                for e in Int(graph.offsets[v])..<Int(graph.offsets[v + 1]) {
                    let q = Int(part[Int(graph.adjacency[e])])
                    if q != p, size[q] < capacity { tie[q, default: 0] += Int(graph.weights[e]) }
                }
                let best = tie.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
                    ?? (0..<parts).min { size[$0] != size[$1] ? size[$0] < size[$1] : $0 < $1 } ?? p
                part[v] = Int32(best)
                size[p] -= 1
                size[best] += 1
            }
        }
    }

    /// The graph between parts: the spike weight of the edges between each two parts.
    func quotient(_ part: [Int32], parts: Int) -> CoreGraph {
        var pairs: [(from: Int32, to: Int32, weight: Int32)] = []
        var sums: [Int: Int] = [:]
        for v in 0..<graph.vertices {
            for e in Int(graph.offsets[v])..<Int(graph.offsets[v + 1]) {
                let (a, b) = (Int(part[v]), Int(part[Int(graph.adjacency[e])]))
                // Each undirected edge is listed at both ends: count it from its lower end.
                if a < b { sums[a * parts + b, default: 0] += Int(graph.weights[e]) }
            }
        }
        for (key, w) in sums.sorted(by: { $0.key < $1.key }) {
            pairs.append((Int32(key / parts), Int32(key % parts), Int32(clamping: w)))
        }
        return CoreGraph(vertices: parts, pairs: pairs) { Int($0.weight) }
    }
}
