import Hardware
import TesseraSupport

/// Placement of a full-size map in blocks: consecutive cores of the partition (a layer's
/// neighbouring tiles, which feed the same readers) are taken 16 at a time as one vertex,
/// and ``BisectionPlacement`` places the blocks on a board whose positions are 4 x 4 core
/// squares. The graph METIS cuts then has 16 times fewer vertices and far fewer edges
/// (pairs between the same two blocks merge), so placement costs a small part of the
/// compile's time and memory instead of several times it; the cuts below a 4 x 4 square
/// are given up, a few hops inside a chip, no chip crossing.
struct GroupedPlacement {
    /// Cores per block side: a block is `side x side` cores.
    static let side = 4
    let board: Board
    let cores: Int

    /// Whether the board's chips split into whole blocks (`auto` uses blocks above
    /// ``Placer/largeMap`` cores when they do).
    static func fits(_ board: Board) -> Bool {
        board.coresPerChip[0] % side == 0 && board.coresPerChip[1] % side == 0
    }

    /// The board of blocks: the same chips, each `side` times smaller in cores per side.
    var blockBoard: Board { Board(coresPerChip: board.coresPerChip.map { $0 / Self.side }, chips: board.chips) }

    /// The block graph: each pair's weight added to the pair of blocks it joins. Pairs come
    /// mostly in order of their sender, so a sender block's pairs are merged as they come.
    func graph(pairs: [(from: Int32, to: Int32, weight: Int32)], weight: ((from: Int32, to: Int32, weight: Int32)) -> Int) -> CoreGraph {
        let size = Self.side * Self.side
        var merged: [(from: Int32, to: Int32, weight: Int32)] = []
        var current: Int32 = -1
        var sums: [Int32: Int] = [:]
        func flush() {
            for (to, w) in sums.sorted(by: { $0.key < $1.key }) { merged.append((current, to, Int32(clamping: w))) }
            sums.removeAll(keepingCapacity: true)
        }
        for p in pairs {
            let (a, b) = (p.from / Int32(size), p.to / Int32(size))
            guard a != b else { continue }
            if a != current {
                flush()
                current = a
            }
            sums[b, default: 0] += weight(p)
        }
        flush()
        return CoreGraph(vertices: (cores + size - 1) / size, pairs: merged) { Int($0.weight) }
    }

    /// Each block's position (chip * block positions per chip + position in the chip) for
    /// each way of cutting the blocks into chips: by halves, then all at once in one k-way
    /// cut (see ``BisectionPlacement/chipsAtOnce``), in that order. Single blocks then cross
    /// chip boundaries where that shortens routes (``ChipBoundaryMoves``) and are annealed
    /// (``BlockAnnealing``). The METIS cuts run one after the other, since METIS keeps its
    /// random state in one global; what follows them runs for both candidates at once.
    /// The profile times the cuts, then each candidate's refinement as details (the two run
    /// at once, so their times overlap and the stage's wall time is the slower one's).
    func candidates(_ graph: CoreGraph, seed: UInt64, crossingCost: Int, chipsAtOnce: [Bool] = [false, true]) -> (slots: [[Int]], profile: StageProfile) {
        var profile = StageProfile()
        let cuts = chipsAtOnce.map { cut(graph, seed: seed, chipsAtOnce: $0) }
        profile.lap("METIS cuts (\(chipsAtOnce.count))")
        let annealing = {
            var a = BlockAnnealing(graph: graph, chips: (board.chips[0], board.chips[1]),
                                   blocksPerChip: (blockBoard.coresPerChip[0], blockBoard.coresPerChip[1]))
            a.crossingCost = crossingCost
            return a
        }()
        let refined = inParallel(cuts.count) { k -> ([Int], StageProfile) in
            var steps = StageProfile()
            let name = chipsAtOnce[k] ? "at once" : "by halves"
            var slots = cuts[k]
            if !chipsAtOnce[k] {
                slots = rearranged(slots, graph: graph, seed: seed)
                steps.lap("\(name): chip arrangement")
            }
            slots = ChipBoundaryMoves(graph: graph, width: board.chips[0], height: board.chips[1], perChip: blockBoard.coresPerChipTotal).refined(slots)
            steps.lap("\(name): boundary moves")
            slots = annealing.annealed(slots, seed: seed)
            steps.lap("\(name): block annealing")
            return (slots, steps)
        }
        profile.lap("refinement of \(cuts.count) candidates in parallel")
        for (_, steps) in refined { profile.append(steps, prefix: "", asDetails: true) }
        return (refined.map(\.0), profile)
    }

    /// The blocks' positions after METIS cuts them into chips and each chip into positions.
    func cut(_ graph: CoreGraph, seed: UInt64, chipsAtOnce: Bool) -> [Int] {
        var blocks = BisectionPlacement(board: blockBoard, graph: graph)
        // 16 blocks are 256 core positions, the leaf of a core-level placement.
        blocks.leaf = 256 / (Self.side * Self.side)
        blocks.chipsAtOnce = chipsAtOnce
        return blocks.place(seed: seed)
    }

    /// Each core's slot for one way of cutting into chips (``candidates(_:seed:crossingCost:chipsAtOnce:)``).
    func place(_ graph: CoreGraph, seed: UInt64, chipsAtOnce: Bool = false, crossingCost: Int = 1) -> [Int] {
        coreSlots(candidates(graph, seed: seed, crossingCost: crossingCost, chipsAtOnce: [chipsAtOnce]).slots[0])
    }

    /// Each core's slot: its block's square, row-major inside it in the cores' order.
    func coreSlots(_ blockSlots: [Int]) -> [Int] {
        let size = Self.side * Self.side
        let per = blockBoard.coresPerChip
        return (0..<cores).map { c in
            let s = blockSlots[c / size]
            let chip = s / (per[0] * per[1]), within = s % (per[0] * per[1])
            let (chipX, chipY) = (chip % board.chips[0], chip / board.chips[0])
            let k = c % size
            let x = chipX * board.coresPerChip[0] + (within % per[0]) * Self.side + k % Self.side
            let y = chipY * board.coresPerChip[1] + (within / per[0]) * Self.side + k / Self.side
            return BisectionPlacement.slot(x: x, y: y, on: board)
        }
    }

    /// The chips of a placement by halves set anew, each chip's blocks kept together: the
    /// cuts by halves minimise each cut's weight but not how far its routes travel (near
    /// the top, a route cut between two layers can cross half the board), so whole chips
    /// are then swapped while a swap lowers the spike weight times the chip distance
    /// (``ChipArrangement/refined(_:seed:)``), starting from the chips the cuts chose.
    func rearranged(_ blockSlots: [Int], graph: CoreGraph, seed: UInt64) -> [Int] {
        let perChip = blockBoard.coresPerChipTotal, chips = board.chips[0] * board.chips[1]
        guard chips > 1 else { return blockSlots }
        let chipOfBlock = blockSlots.map { Int32($0 / perChip) }
        let quotient = ChipPartition(graph: graph).quotient(chipOfBlock, parts: chips)
        let moved = ChipArrangement(graph: quotient, width: board.chips[0], height: board.chips[1]).refined(Array(0..<chips), seed: seed)
        return blockSlots.map { moved[$0 / perChip] * perChip + $0 % perChip }
    }
}
