import Foundation
import Testing
@testable import Mapping
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

    /// The one-pass rate estimate, by hand on x -> a (threshold 1) -> b (threshold 2): each
    /// input element gets a uniform random rate u (the seeded stream the reference
    /// measurement uses), a fires at min(u, 1) = u and b at a / 2; a layer's rate is the
    /// mean over its neurons.
    @Test func estimatedRatesMatchAHandComputation() throws {
        let network = try PlacementTests.chain()
        let rates = FiringRates.estimate(network, seed: 7)
        var random = SeededRandom(seed: 7)
        let u = (0..<3).map { _ in random.nextUnit() }
        let mean = u.reduce(0, +) / 3
        #expect(abs((rates.rates["a"] ?? -1) - mean) < 1e-12)
        #expect(abs((rates.rates["b"] ?? -1) - mean / 2) < 1e-12)
        #expect(rates.rates["x"] == nil)
        #expect(rates.source.contains("estimate"))
    }
}
