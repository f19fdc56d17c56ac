import Foundation
import Testing
@testable import Mapping
@testable import Placement
@testable import Tessera

/// Placement by recursive bisection with METIS: cores that talk share a chip, no chip holds
/// more cores than it has, the result depends only on the inputs, and up to 100,000 cores
/// the objective is never worse than the local search from row-major alone.
@Suite struct BisectionPlacementTests {
    /// The tiny target on a board of `chips` chips of `perChip` cores.
    static func board(chips: [Int], perChip: [Int]) -> Target {
        var target = NeuronModeTests.tiny
        target.board.coresPerChip = perChip
        target.board.chips = chips
        return target
    }

    /// Two layers of four cores on two chips of four: core i of the first feeds core 4 + i
    /// heavily (100 axons); the first layer's cores feed each other lightly (one axon).
    /// Row-major puts each layer on its own chip, so every heavy route crosses; a good
    /// placement puts each heavy pair on one chip, which leaves only light routes crossing.
    @Test func busyRoutesShareAChip() {
        let target = Self.board(chips: [2, 1], perChip: [2, 2])
        var pairs = (0..<4).map { (from: Int32($0), to: Int32(4 + $0), weight: Int32(100)) }
        pairs += (0..<3).map { (from: Int32($0), to: Int32($0 + 1), weight: Int32(1)) }
        let placer = Placer(target: target, cores: 8, traffic: pairs, coreRates: Array(repeating: 1, count: 8))
        let slots = placer.place(.auto)
        func chip(_ c: Int) -> Int { slots[c] / target.board.coresPerChipTotal }
        for i in 0..<4 { #expect(chip(i) == chip(4 + i), "heavy pair \(i), \(4 + i) split: \(slots)") }
        #expect(placer.expected(Array(0..<8)).crossings == 400)
        #expect(placer.expected(slots).crossings <= 3)
        #expect(placer.place(.rowMajor) == Array(0..<8))
    }

    /// Random traffic among up to 600 cores on boards of several shapes: every core gets its
    /// own slot on the board, no chip holds more than its cores, and the same inputs give
    /// the same slots.
    @Test(arguments: 0..<12)
    func chipsHoldNoMoreThanTheirCores(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &+ 40)
        let shapes: [([Int], [Int])] = [([3, 2], [4, 4]), ([5, 1], [2, 8]), ([4, 4], [3, 3]), ([2, 3], [8, 8])]
        let (chips, perChip) = shapes[seed % shapes.count]
        let target = Self.board(chips: chips, perChip: perChip)
        let capacity = target.board.coresTotal
        let cores = 1 + Int(random.next() % UInt64(capacity))
        var pairs: [(from: Int32, to: Int32, weight: Int32)] = []
        for _ in 0..<(cores * 3) {
            pairs.append((Int32(random.next() % UInt64(cores)), Int32(random.next() % UInt64(cores)), Int32(1 + random.next() % 50)))
        }
        let rates = (0..<cores).map { _ in random.nextUnit() }
        let placer = Placer(target: target, cores: cores, traffic: pairs, coreRates: rates, searchLimit: seed % 2 == 0 ? 0 : 100_000)
        let slots = placer.place(.auto, seed: 3)
        #expect(Set(slots).count == cores && slots.allSatisfy { (0..<capacity).contains($0) })
        var perChipCount = [Int](repeating: 0, count: target.board.chipsTotal)
        for s in slots { perChipCount[s / target.board.coresPerChipTotal] += 1 }
        #expect(perChipCount.allSatisfy { $0 <= target.board.coresPerChipTotal })
        #expect(placer.place(.auto, seed: 3) == slots)
    }

    /// Placement in blocks (what `auto` does above 100,000 cores), on chips of 8 x 8 cores:
    /// every core gets its own slot, a block's 16 cores fill one 4 x 4 square, no chip
    /// holds more than its cores, the same inputs give the same slots, and two blocks that
    /// talk heavily (block 0 and block 5, or 20 on larger chips; 1,000 axons each way) share a chip while row-major
    /// order puts them on different ones. Both ways of cutting blocks into chips: by halves
    /// (odd seeds), and in one k-way cut (even seeds) on chips of 16 x 16 cores, where each
    /// part has 16 blocks (METIS's k-way cut, unlike its bisection, needs parts of many
    /// vertices: with 4 blocks per chip it split the heavy pair in one case of four).
    @Test(arguments: 0..<8)
    func blocksAreSquaresOnChips(seed: Int) {
        let atOnce = seed % 2 == 0
        var random = SeededRandom(seed: UInt64(seed) &+ 90)
        let side = atOnce ? 16 : 8
        let target = Self.board(chips: [3, 2], perChip: [side, side])
        let cores = (100 + Int(random.next() % 284)) * side * side / 64
        // The heavy pair's second block: on another chip in row-major order.
        let partner = side == 16 ? 20 : 5
        var pairs: [(from: Int32, to: Int32, weight: Int32)] = []
        for _ in 0..<(cores * 2) {
            pairs.append((Int32(random.next() % UInt64(cores)), Int32(random.next() % UInt64(cores)), Int32(1 + random.next() % 5)))
        }
        pairs += [(Int32(0), Int32(partner * 16), Int32(1000)), (Int32(partner * 16), Int32(0), Int32(1000))]
        let placer = Placer(target: target, cores: cores, traffic: pairs, coreRates: Array(repeating: 1, count: cores))
        let grouped = GroupedPlacement(board: target.board, cores: cores)
        let slots = grouped.place(grouped.graph(pairs: pairs, weight: placer.searchWeight), seed: 3, chipsAtOnce: atOnce)
        #expect(Set(slots).count == cores && slots.allSatisfy { (0..<target.board.coresTotal).contains($0) })
        var perChipCount = [Int](repeating: 0, count: target.board.chipsTotal)
        for s in slots { perChipCount[s / target.board.coresPerChipTotal] += 1 }
        #expect(perChipCount.allSatisfy { $0 <= target.board.coresPerChipTotal })
        for block in 0..<(cores / 16) {
            let at = (block * 16..<(block * 16 + 16)).map { placer.position(slots[$0]) }
            let (x0, y0) = (at.map(\.x).min() ?? 0, at.map(\.y).min() ?? 0)
            #expect(x0 % 4 == 0 && y0 % 4 == 0 && at.allSatisfy { $0.x - x0 < 4 && $0.y - y0 < 4 })
        }
        let (a, b) = (placer.position(slots[0]), placer.position(slots[partner * 16]))
        #expect(a.chipX == b.chipX && a.chipY == b.chipY)
        #expect(placer.position(0).chipX != placer.position(partner * 16).chipX)
        #expect(grouped.place(grouped.graph(pairs: pairs, weight: placer.searchWeight), seed: 3, chipsAtOnce: atOnce) == slots)
    }

    /// Chips placed by halves are then set anew whole (`GroupedPlacement.rearranged`). By
    /// hand: four chips in a row, one 4 x 4 block each, a chain a-b-c-d with weights 100, 1,
    /// 100 placed a, c, d, b costs 100·3 + 1·2 + 100·1 = 402 spikes x chips; the swaps reach
    /// the chain in order, 100 + 1 + 100 = 201, the least any arrangement can cost (each of
    /// the three edges crosses at least one chip boundary). Each chip's block stays whole.
    @Test func chipsAreRearrangedWhole() throws {
        let target = Self.board(chips: [4, 1], perChip: [4, 4])
        let grouped = GroupedPlacement(board: target.board, cores: 64)
        let (a, b, c, d) = (Int32(0), Int32(1), Int32(2), Int32(3))
        let pairs = [(a, b, Int32(100)), (b, c, Int32(1)), (c, d, Int32(100))].flatMap { [($0.0, $0.1, $0.2), ($0.1, $0.0, $0.2)] }
        let graph = CoreGraph(vertices: 4, pairs: pairs.map { (from: $0.0, to: $0.1, weight: $0.2) }) { Int($0.weight) }
        // Block slots (one block per chip): a on chip 0, b on 3, c on 1, d on 2.
        let moved = grouped.rearranged([0, 3, 1, 2], graph: graph, seed: 1)
        func cost(_ chips: [Int]) -> Int { pairs.reduce(0) { $0 + Int($1.2) * abs(chips[Int($1.0)] - chips[Int($1.1)]) } / 2 }
        #expect(cost([0, 3, 1, 2]) == 402)
        #expect(cost(moved) == 201 && Set(moved) == [0, 1, 2, 3])
    }

    /// Annealing leaves arrangements that no single swap improves (`ChipArrangement.annealed`).
    /// Six parts on 3 x 2 chips, seven weighted edges; the start costs 34 spikes x chips and
    /// the test checks that no swap of two chips lowers it, while the least over all 720
    /// arrangements, enumerated here, is 32. Annealing reaches that least, deterministically.
    @Test func annealingLeavesASwapLocalOptimum() throws {
        let edges: [(Int32, Int32, Int32)] = [(0, 1, 2), (0, 2, 10), (0, 4, 1), (1, 2, 2), (1, 3, 10), (2, 3, 2), (2, 4, 2)]
        let graph = CoreGraph(vertices: 6, pairs: edges.map { (from: $0.0, to: $0.1, weight: $0.2) }) { Int($0.weight) }
        func cost(_ chipOf: [Int]) -> Int {
            edges.reduce(0) { sum, e in
                let (a, b) = (chipOf[Int(e.0)], chipOf[Int(e.1)])
                return sum + Int(e.2) * (abs(a % 3 - b % 3) + abs(a / 3 - b / 3))
            }
        }
        let start = [0, 2, 1, 5, 4, 3]
        #expect(cost(start) == 34)
        for i in 0..<6 {
            for j in (i + 1)..<6 {
                var swapped = start
                swapped.swapAt(i, j)
                #expect(cost(swapped) >= 34)
            }
        }
        func arrangements(_ rest: [Int]) -> [[Int]] {
            rest.isEmpty ? [[]] : rest.indices.flatMap { i in arrangements(Array(rest[..<i] + rest[(i + 1)...])).map { [rest[i]] + $0 } }
        }
        let least = arrangements(Array(0..<6)).map(cost).min()
        #expect(least == 32)
        let arrangement = ChipArrangement(graph: graph, width: 3, height: 2)
        let annealed = arrangement.annealed(start, seed: 1)
        #expect(Set(annealed) == Set(0..<6) && cost(annealed) == least)
        #expect(arrangement.annealed(start, seed: 1) == annealed)
    }

    /// Whole groups of chips are mirrored or swapped (`ChipArrangement.groupRefined`). By
    /// hand: a 4 x 2 block of chips is two 2 x 2 groups; parts 0 and 2, on chips (0, 0) and
    /// (2, 0), exchange 100 spikes, 2 chips apart. Mirroring the first group in x brings
    /// part 0 to (1, 0), next to part 2: cost 100, the least for two parts on two chips.
    @Test func chipGroupsAreMirroredAndSwapped() throws {
        let pairs: [(from: Int32, to: Int32, weight: Int32)] = [(0, 2, 100), (2, 0, 100)]
        let graph = CoreGraph(vertices: 8, pairs: pairs) { Int($0.weight) }
        let chips = ChipArrangement(graph: graph, width: 4, height: 2).groupRefined(Array(0..<8))
        #expect(Set(chips) == Set(0..<8))
        let (a, b) = (chips[0], chips[2])
        #expect(abs(a % 4 - b % 4) + abs(a / 4 - b / 4) == 1 && chips[0] == 1)
    }

    /// Single blocks cross chip boundaries (`ChipBoundaryMoves`). By hand: two chips side by
    /// side, 2 block positions each. Block 0 (chip 0) sends 100 spikes to block 2 (chip 1);
    /// block 3 (chip 1) sends 60 to block 1 (chip 0): 160 spike-chips. Swapping blocks 0 and
    /// 3 puts 0 beside 2 and 3 beside 1, cost 0; with a free position on chip 1 instead,
    /// block 0 moves alone. Every position holds one block at most, and a second run gives
    /// the same slots.
    @Test func blocksCrossChipBoundariesWhenThatShortensRoutes() throws {
        let pairs: [(from: Int32, to: Int32, weight: Int32)] = [(0, 2, 100), (3, 1, 60)]
        let graph = CoreGraph(vertices: 4, pairs: pairs) { Int($0.weight) }
        let moves = ChipBoundaryMoves(graph: graph, width: 2, height: 1, perChip: 2)
        let slots = moves.refined([0, 1, 2, 3])
        #expect(slots.map { $0 / 2 } == [1, 0, 1, 0])
        #expect(Set(slots).count == 4 && slots == moves.refined([0, 1, 2, 3]))
        // Three blocks on two chips of 2: block 0 takes the free position 3.
        let three = CoreGraph(vertices: 3, pairs: [(0, 2, 100)]) { Int($0.weight) }
        #expect(ChipBoundaryMoves(graph: three, width: 2, height: 1, perChip: 2).refined([0, 1, 2]) == [3, 1, 2])
        // Nothing to gain: a block already beside what it talks to stays.
        #expect(ChipBoundaryMoves(graph: three, width: 2, height: 1, perChip: 2).refined([0, 2, 1]) == [0, 2, 1])
    }

    /// Single blocks annealed across chips (`BlockAnnealing`), on the six-part case above
    /// with one block position per chip (every move a swap): from the start no swap
    /// improves (34 spikes x chips, 68 counted from both ends), annealing reaches the least
    /// of all 720 arrangements, 32. With two positions per chip and three blocks, the
    /// heavy pair (0, 2) ends on one chip, no chip holds more than two blocks, and the
    /// result is never worse than the start; both deterministic. A chip empty at the start
    /// stays empty.
    @Test func blocksAnnealAcrossChips() throws {
        let edges: [(Int32, Int32, Int32)] = [(0, 1, 2), (0, 2, 10), (0, 4, 1), (1, 2, 2), (1, 3, 10), (2, 3, 2), (2, 4, 2)]
        let graph = CoreGraph(vertices: 6, pairs: edges.map { (from: $0.0, to: $0.1, weight: $0.2) }) { Int($0.weight) }
        var annealing = BlockAnnealing(graph: graph, chips: (3, 2), blocksPerChip: (1, 1))
        annealing.hopsPerBlock = 0
        let start = [0, 2, 1, 5, 4, 3]
        #expect(annealing.objective(start) == 68)
        let annealed = annealing.annealed(start, seed: 1)
        #expect(Set(annealed) == Set(0..<6) && annealing.objective(annealed) == 64)
        #expect(annealing.annealed(start, seed: 1) == annealed)

        let three = CoreGraph(vertices: 3, pairs: [(0, 2, 100), (1, 2, 1)]) { Int($0.weight) }
        let two = BlockAnnealing(graph: three, chips: (2, 1), blocksPerChip: (2, 1))
        for seed in UInt64(0)..<5 {
            let slots = two.annealed([0, 1, 2], seed: seed)
            var perChip = [0, 0]
            for s in slots { perChip[s / 2] += 1 }
            #expect(Set(slots).count == 3 && slots.allSatisfy { (0..<4).contains($0) } && perChip.allSatisfy { $0 <= 2 })
            #expect(slots[0] / 2 == slots[2] / 2 && two.objective(slots) <= two.objective([0, 1, 2]))
            #expect(two.annealed([0, 1, 2], seed: seed) == slots)
        }

        // Three chips in a row, two positions each, the third empty: block 0 (chip 0) going
        // to chip 2 changes nothing (still one chip from block 1), but an empty chip would
        // cost its static power, so no block ever lands there; they end on one chip.
        let pair = CoreGraph(vertices: 2, pairs: [(0, 1, 5)]) { Int($0.weight) }
        var row = BlockAnnealing(graph: pair, chips: (3, 1), blocksPerChip: (2, 1))
        row.hopsPerBlock = 0
        for seed in UInt64(0)..<20 {
            let slots = row.annealed([0, 2], seed: seed)
            #expect(slots.allSatisfy { $0 < 4 } && slots[0] / 2 == slots[1] / 2, "seed \(seed): \(slots)")
        }
    }

    /// On compiled networks small enough for the local search, `auto` never ends with a
    /// larger objective than the local search from row-major (what placement did before).
    @Test(arguments: 0..<10)
    func neverWorseThanTheLocalSearch(seed: Int) throws {
        let target = NeuronModeTests.tiny
        let graph = try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed) + 100, small: true)).graph
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        let placer = compiled.placer
        let rowMajor = Array(0..<compiled.coreCount)
        let searched = compiled.coreCount > 1 ? placer.improve(rowMajor, candidates: placer.rowMajorCandidates, traffic: placer.adjacency(), seed: 1) : rowMajor
        #expect(compiled.placement.objective <= placer.objective(searched))
        #expect(compiled.placement.objective <= compiled.placement.rowMajorObjective)
    }

    /// The one-pass rate estimate, by hand on x -> a (identity weights, threshold 1) -> b
    /// (identity, threshold 2): every input element fires at the random input's mean rate
    /// 0.5, so a settles at 0.5 / 1 and b at 0.5 / 2; a layer's rate is the mean over its
    /// neurons.
    @Test func estimatedRatesMatchAHandComputation() throws {
        let network = try PlacementTests.chain()
        let rates = FiringRates.estimate(network)
        #expect(abs((rates.rates["a"] ?? -1) - 0.5) < 1e-12)
        #expect(abs((rates.rates["b"] ?? -1) - 0.25) < 1e-12)
        #expect(rates.rates["x"] == nil)
        #expect(rates.source.contains("estimate"))
    }

    /// A convolution reads each input channel at its rate: 2 x 3 x 3 input at 0.5, one 2x2
    /// filter with weights 1, 1, 1, 1 on channel 0 and 1, 0, 0, 0 on channel 1, threshold
    /// 4: the current is 0.5 x 4 + 0.5 x 1 = 2.5, so every output neuron settles at 2.5 / 4.
    @Test func estimatedConvolutionRateIsPerChannel() throws {
        var store = ParameterStore()
        store["c.weight"] = .loaded(Tensor(shape: [1, 2, 2, 2], values: [1, 1, 1, 1, 1, 0, 0, 0]) ?? Tensor(repeating: 0, shape: [1, 2, 2, 2]), origin: "hand")
        store["c.bias"] = .loaded(Tensor(repeating: 0, shape: [1]), origin: "hand")
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(2, 3, 3), encoding: .rate)),
            Layer(name: "c", op: .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: 2), horizontal: Window(kernel: 2))), inputs: ["x"],
                  neuron: NeuronModel(threshold: 4, reset: .subtract), parameterKey: "c"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "conv", layers: layers, outputs: ["c"], parameters: store)).graph
        let network = try IntegerNetwork.check(graph, target: PlacementTests.tiny)
        let rates = FiringRates.estimate(network)
        #expect(abs((rates.rates["c"] ?? -1) - 0.625) < 1e-12)
    }
}
