import CoreMap

/// What an emulation split over processes needs from its transport (``MPIWorld``): each
/// tick an all-to-all exchange of the spikes that cross processes, and at the end sums and
/// gathers of what each process counted.
public protocol SpikeExchange: AnyObject {
    var rank: Int { get }
    var ranks: Int { get }
    /// Sends `outgoing[q]` to rank q; returns what every rank sent to this one, in rank order.
    func allToAll(_ outgoing: [[Int32]]) -> [Int32]
    /// The element-wise sum over all ranks of `values` (the same length on every rank).
    func sum(_ values: [Int]) -> [Int]
    /// Every rank's `values`, in rank order.
    func gather(_ values: [Int32]) -> [[Int32]]
}

/// Which process steps which cores when a board is emulated over several: whole chips per
/// process, the chips that hold cores taken in row-major order and split into `ranks` runs
/// of nearly equal core counts, so the spikes that cross processes are those that cross the
/// chosen chip boundaries. Each process loads the whole map and keeps state for every core, but steps
/// only its own; spikes bound for another process's cores are sent to it each tick.
///
///     let partition = BoardPartition(map: packed, rank: 0, ranks: 2)
///     print(partition.cores(of: 0).count)
public struct BoardPartition: Sendable {
    public let rank: Int
    public let ranks: Int
    /// Per core: the rank that steps it.
    public let rankOf: [Int32]

    /// The partition of a board of `chips` (columns, rows) whose core c sits on chip
    /// (`coreChip[2c]`, `coreChip[2c + 1]`).
    public init(chips: [Int], coreChip: UnsafePointer<Int32>, cores: Int, rank: Int, ranks: Int) {
        self.rank = rank
        self.ranks = max(ranks, 1)
        let columns = max(chips.first ?? 1, 1)
        let n = self.ranks
        let chipOf = (0..<cores).map { c in Int(coreChip[2 * c + 1]) * columns + Int(coreChip[2 * c]) }
        var perChip: [Int: Int] = [:]
        for chip in chipOf { perChip[chip, default: 0] += 1 }
        // A chip goes to the rank its middle core falls in, counting cores chip by chip.
        var rankOfChip: [Int: Int32] = [:], before = 0
        for chip in perChip.keys.sorted() {
            let count = perChip[chip] ?? 0
            rankOfChip[chip] = Int32(min((before + count / 2) * n / max(cores, 1), n - 1))
            before += count
        }
        rankOf = chipOf.map { rankOfChip[$0] ?? 0 }
    }

    public init(map: PackedCoreMap, rank: Int, ranks: Int) {
        self = map.coreChip.withUnsafeBufferPointer { chips in
            guard let base = chips.baseAddress else { return BoardPartition(rank: rank, ranks: ranks, rankOf: []) }
            return BoardPartition(chips: map.header.chips, coreChip: base, cores: map.coreCount, rank: rank, ranks: ranks)
        }
    }

    private init(rank: Int, ranks: Int, rankOf: [Int32]) {
        self.rank = rank
        self.ranks = max(ranks, 1)
        self.rankOf = rankOf
    }

    /// The cores rank `r` steps, ascending.
    public func cores(of r: Int) -> [Int] { rankOf.indices.filter { rankOf[$0] == r } }
}
