import Foundation
import Testing
@testable import Tessera

/// `BoardPartition` (which rank steps which cores when `mpirun` splits a board) worked out
/// by hand, its invariants on random boards, and the emulator's split run driven through
/// `SpikeExchange` by threads of this process instead of MPI ranks, so that the exchange,
/// the partition and the final combining of counters run without `mpirun` (`MPIWorld` is
/// that protocol over Open MPI; its own calls need an mpirun job, MPIEmulationTests).
@Suite struct MPIPartitionTests {
    /// A partition of `chipOf` (one (x, y) chip per core) on a board `chips` wide.
    static func partition(_ chipOf: [(Int, Int)], chips: [Int], ranks: Int) -> BoardPartition {
        let flat = chipOf.flatMap { [Int32($0.0), Int32($0.1)] }
        return flat.withUnsafeBufferPointer { BoardPartition(chips: chips, coreChip: $0.baseAddress!, cores: chipOf.count, rank: 0, ranks: ranks) }
    }

    /// A 3x2 board; cores listed out of chip order: chip (0,0) holds cores 0, 3, 6, 9 (4),
    /// chip (1,0) cores 1, 4 (2), chip (0,1) cores 2, 5, 8 (3), chip (2,1) core 7 (1); chip
    /// (2,0) and (1,1) are empty. Chips are taken in row-major order (indices 0, 1, 3, 5)
    /// and a chip goes to rank floor((cores before it + its cores / 2) x ranks / 10):
    ///   2 ranks: (0 + 2) 2/10 = 0, (4 + 1) 2/10 = 1, (6 + 1) 2/10 = 1, (9 + 0) 2/10 = 1
    ///   3 ranks: 6/10 = 0, 15/10 = 1, 21/10 = 2, 27/10 = 2
    ///   4 ranks: 8/10 = 0, 20/10 = 2, 28/10 = 2, 36/10 = 3 (rank 1 gets no chip)
    static let cores: [(Int, Int)] = [(0, 0), (1, 0), (0, 1), (0, 0), (1, 0), (0, 1), (0, 0), (2, 1), (0, 1), (0, 0)]

    @Test func wholeChipsGoToRanksInRowMajorRuns() {
        let two = Self.partition(Self.cores, chips: [3, 2], ranks: 2)
        #expect(two.cores(of: 0) == [0, 3, 6, 9])
        #expect(two.cores(of: 1) == [1, 2, 4, 5, 7, 8])
        #expect(two.rankOf == [0, 1, 1, 0, 1, 1, 0, 1, 1, 0])

        let three = Self.partition(Self.cores, chips: [3, 2], ranks: 3)
        #expect(three.cores(of: 0) == [0, 3, 6, 9])
        #expect(three.cores(of: 1) == [1, 4])
        #expect(three.cores(of: 2) == [2, 5, 7, 8])

        let four = Self.partition(Self.cores, chips: [3, 2], ranks: 4)
        #expect(four.cores(of: 0) == [0, 3, 6, 9])
        #expect(four.cores(of: 1) == [])
        #expect(four.cores(of: 2) == [1, 2, 4, 5, 8])
        #expect(four.cores(of: 3) == [7])
    }

    /// One rank (or a nonsense 0, taken as 1) steps every core; more ranks than chips leave
    /// ranks idle: 2 cores on chips (0,0) and (1,0) of a 2x1 board on 8 ranks go to
    /// floor(0 x 8 / 2) = 0 and floor(1 x 8 / 2) = 4.
    @Test func oneRankAndMoreRanksThanChips() {
        for ranks in [1, 0] {
            let p = Self.partition(Self.cores, chips: [3, 2], ranks: ranks)
            #expect(p.ranks == 1 && p.cores(of: 0) == Array(0..<10) && p.rankOf.allSatisfy { $0 == 0 })
        }
        let sparse = Self.partition([(0, 0), (1, 0)], chips: [2, 1], ranks: 8)
        #expect(sparse.rankOf == [0, 4])
        #expect((0..<8).map { sparse.cores(of: $0).count } == [1, 0, 0, 0, 1, 0, 0, 0])
        #expect(Self.partition([], chips: [2, 2], ranks: 3).rankOf.isEmpty)
    }

    /// On random boards: every core is stepped by exactly one rank in 0..<ranks, a chip's
    /// cores all by one rank, ranks ascend with the chips' row-major order (contiguous runs),
    /// and a rank holds at most cores / ranks + the largest chip + 1 cores (its chips' middle
    /// cores lie within one share of cores / ranks; the first and last chip reach at most
    /// half a chip, rounded up, beyond it). The packed-map initializer gives the same.
    @Test func randomBoardsArePartitionedExactly() throws {
        var rng = SeededRandom(seed: 42)
        var idle = 0
        for trial in 0..<200 {
            let chips = [1 + Int(rng.nextUnit() * 4), 1 + Int(rng.nextUnit() * 4)]
            let count = Int(rng.nextUnit() * 60)
            // Skewed chip loads: some chips full, some nearly empty.
            let chipOf = (0..<count).map { _ -> (Int, Int) in
                let u = rng.nextUnit()
                let x = u < 0.5 ? 0 : Int(rng.nextUnit() * Double(chips[0]))
                return (x, Int(rng.nextUnit() * Double(chips[1])))
            }
            let ranks = 1 + Int(rng.nextUnit() * 5)
            let p = Self.partition(chipOf, chips: chips, ranks: ranks)
            let lists = (0..<ranks).map { p.cores(of: $0) }
            #expect(lists.flatMap { $0 }.sorted() == Array(0..<count), "trial \(trial): not every core exactly once")
            #expect(p.rankOf.allSatisfy { (0..<Int32(ranks)).contains($0) })
            for list in lists { #expect(list == list.sorted()) }
            var rankOfChip: [Int: Int32] = [:]
            for (c, chip) in chipOf.enumerated() {
                let key = chip.1 * chips[0] + chip.0
                if let r = rankOfChip[key] { #expect(r == p.rankOf[c], "trial \(trial): chip \(chip) split between ranks") }
                rankOfChip[key] = p.rankOf[c]
            }
            let order = rankOfChip.keys.sorted().map { rankOfChip[$0]! }
            #expect(order == order.sorted(), "trial \(trial): ranks do not follow the chips' order")
            var perChip: [Int: Int] = [:]
            for chip in chipOf { perChip[chip.1 * chips[0] + chip.0, default: 0] += 1 }
            let largest = perChip.values.max() ?? 0
            for list in lists { #expect(Double(list.count) <= Double(count) / Double(ranks) + Double(largest) + 1, "trial \(trial): unbalanced") }
            idle += lists.filter(\.isEmpty).count
        }
        #expect(idle > 0)  // the random boards include more ranks than occupied chips

        // The packed map's initializer reads the same chips.
        var map = CoreMap(target: "t", geometry: CoreGeometry(axons: 4, neurons: 4, axonTypes: 4), chips: [3, 2], coresPerChip: [1, 1])
        map.cores = Self.cores.enumerated().map { c, chip in
            CoreConfig(id: c, chip: [chip.0, chip.1], place: [0, 0], axonTypes: [0, 0, 0, 0], crossbar: Crossbar(axons: 4, neurons: 4), neurons: [])
        }
        let packed = BoardPartition(map: PackedCoreMap(map), rank: 1, ranks: 3)
        #expect(packed.rank == 1 && packed.rankOf == Self.partition(Self.cores, chips: [3, 2], ranks: 3).rankOf)
    }

    // MARK: A split run without MPI

    /// `ranks` threads of this process, each one rank: every collective waits for all of
    /// them (a barrier), as MPI's do.
    final class Hub: @unchecked Sendable {
        let ranks: Int
        private let condition = NSCondition()
        private var arrived = 0, generation = 0
        private var mail: [[[Int32]]]
        private var sums: [[Int]]
        private var gathered: [[Int32]]
        private(set) var exchanges = 0
        private(set) var crossing = 0

        init(ranks: Int) {
            self.ranks = ranks
            mail = Array(repeating: Array(repeating: [], count: ranks), count: ranks)
            sums = Array(repeating: [], count: ranks)
            gathered = Array(repeating: [], count: ranks)
        }

        private func barrier() {
            condition.lock()
            let mine = generation
            arrived += 1
            if arrived == ranks {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
            condition.unlock()
        }

        private func locked<T>(_ body: () -> T) -> T {
            condition.lock()
            defer { condition.unlock() }
            return body()
        }

        func allToAll(rank: Int, _ outgoing: [[Int32]]) -> [Int32] {
            locked {
                mail[rank] = outgoing
                if rank == 0 { exchanges += 1 }
                crossing += outgoing.reduce(0) { $0 + $1.count } / 2
            }
            barrier()
            let received = locked { (0..<ranks).flatMap { mail[$0][rank] } }
            barrier()
            return received
        }

        func sum(rank: Int, _ values: [Int]) -> [Int] {
            locked { sums[rank] = values }
            barrier()
            let total = locked { sums.dropFirst().reduce(sums[0]) { zip($0, $1).map(+) } }
            barrier()
            return total
        }

        func gather(rank: Int, _ values: [Int32]) -> [[Int32]] {
            locked { gathered[rank] = values }
            barrier()
            let all = locked { gathered }
            barrier()
            return all
        }
    }

    final class ThreadRank: SpikeExchange {
        let rank: Int
        let hub: Hub
        var ranks: Int { hub.ranks }
        init(rank: Int, hub: Hub) { (self.rank, self.hub) = (rank, hub) }
        func allToAll(_ outgoing: [[Int32]]) -> [Int32] { hub.allToAll(rank: rank, outgoing) }
        func sum(_ values: [Int]) -> [Int] { hub.sum(rank: rank, values) }
        func gather(_ values: [Int32]) -> [[Int32]] { hub.gather(rank: rank, values) }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: EmulationResult] = [:]
        func set(_ rank: Int, _ result: EmulationResult) { lock.withLock { values[rank] = result } }
        var all: [Int: EmulationResult] { lock.withLock { values } }
    }

    /// Runs `emulator` split over `ranks` threads; each rank's result, by rank.
    static func split(_ emulator: Emulator, _ input: SpikeInput, ticks: Int, ranks: Int, traceCore: Int?) -> (results: [Int: EmulationResult], hub: Hub) {
        let hub = Hub(ranks: ranks)
        let results = Results()
        let group = DispatchGroup()
        for r in 0..<ranks {
            let thread = Thread {
                let world = ThreadRank(rank: r, hub: hub)
                results.set(r, emulator.run(input, ticks: ticks, traceCore: traceCore, recordFired: true, exchange: world))
                group.leave()
            }
            thread.stackSize = 8 << 20
            group.enter()
            thread.start()
        }
        group.wait()
        return (results.all, hub)
    }

    /// Random maps on the tiny target's 2x2 chips (as the mpirun tests use), split over 1,
    /// 2 and 3 ranks: every rank returns the one-process run's result, counters, per-layer
    /// spikes, fired neurons and the traced core's potentials included. Spikes do cross
    /// ranks (counted by the exchange), and the exchange runs once per tick.
    @Test func aSplitRunOnThreadsEqualsOneProcess() throws {
        let target = try Target.load(TestSupport.target("tiny"))
        var crossed = 0, compared = 0
        for seed in 0..<6 {
            var options = SyntheticCoreMap.Options()
            options.cores = 6...12
            options.stochastic = seed % 3 == 2
            let map = SyntheticCoreMap.random(target: target, seed: UInt64(seed) &+ 7100, options: options)
            guard CoreMapValidator.validate(map, target: target).isEmpty else { continue }
            let emulator = try Emulator(map: map, target: target)
            let input = SyntheticCoreMap.randomInput(for: map, ticks: 16, rate: 0.4, seed: UInt64(seed))
            let one = emulator.run(input, ticks: 20, traceCore: 0, recordFired: true)
            for ranks in [1, 2, 3] {
                let (results, hub) = Self.split(emulator, input, ticks: 20, ranks: ranks, traceCore: 0)
                #expect(results.count == ranks)
                for (r, result) in results.sorted(by: { $0.key < $1.key }) {
                    #expect(result == one, "seed \(seed), \(ranks) ranks: rank \(r)'s result differs from the one-process run's")
                }
                #expect(hub.exchanges == 20)
                if ranks > 1 { crossed += hub.crossing }
            }
            compared += 1
        }
        #expect(compared >= 4, "too few random maps were valid")
        #expect(crossed > 20, "the random maps hardly send spikes between ranks")
    }
}
