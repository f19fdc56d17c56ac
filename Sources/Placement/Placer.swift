import Hardware
import TesseraSupport

/// Where each core goes on the board: a slot index, row-major over chips and over cores
/// within a chip. Slot s is on chip `s / coresPerChip` (chips row-major on the board).
///
/// The placer cuts the board and the core graph in halves together (``BisectionPlacement``)
/// and, for maps of up to `searchLimit` cores, improves that and the partition's row-major
/// order by local search, keeping the better: a core moves to another slot (swapping with
/// the core there) when that lowers the traffic-weighted cost. Traffic between two cores is the spikes expected on
/// the axons one feeds on the other: axons x the firing rate of the sending core's layer
/// (``FiringRates``; every axon alike when no rates are known), since each spike, not each
/// axon, is a packet that costs energy per hop. The cost of a path is its mesh hops plus
/// its chip crossings times `crossingCost`, the ratio of the target's chip-crossing and
/// hop energies when both are given (else 1).
public struct Placer: Sendable {
    public let board: Board
    /// (from core, to core, axons fed), as the partition recorded them.
    let pairs: [(from: Int32, to: Int32, weight: Int32)]
    /// Expected spikes per tick per axon of each core's neurons (its layer's firing rate).
    let coreRates: [Double]
    public let cores: Int
    public let crossingCost: Int
    /// Ticks per second, for the link report's sustainable tick rate.
    let tickHz: Double
    /// Above this many cores the local search is skipped (it costs time and memory per
    /// core and pair); the bisection is kept as it is.
    let searchLimit: Int

    struct Cost: Equatable {
        var hops = 0
        var crossings = 0
    }

    public init(target: Target, cores: Int, traffic pairs: [(from: Int32, to: Int32, weight: Int32)], coreRates: [Double]? = nil,
         searchLimit: Int = Placer.largeMap) {
        board = target.board
        tickHz = target.timing.tickHz
        self.pairs = pairs
        self.coreRates = coreRates ?? Array(repeating: 1, count: cores)
        self.cores = cores
        self.searchLimit = searchLimit
        if let hop = target.energy["hop"]?.value, let crossing = target.energy["chipCrossing"]?.value, hop > 0 {
            crossingCost = max(1, Int((crossing / hop).rounded()))
        } else {
            crossingCost = 1
        }
    }

    /// What the search weighs a pair by: expected spikes per 1,000 ticks on its axons,
    /// at least 1 (a layer silent on the measured input still keeps its readers near).
    func searchWeight(_ pair: (from: Int32, to: Int32, weight: Int32)) -> Int {
        max(1, Int((Double(pair.weight) * coreRates[Int(pair.from)] * 1000).rounded()))
    }

    /// Undirected traffic per core, summed per pair, neighbours sorted: deterministic
    /// whatever the order the pairs were recorded in.
    func adjacency() -> [[(core: Int, weight: Int)]] {
        var lists = [[(core: Int, weight: Int)]](repeating: [], count: cores)
        for p in pairs where p.from != p.to {
            let w = searchWeight(p)
            lists[Int(p.from)].append((Int(p.to), w))
            lists[Int(p.to)].append((Int(p.from), w))
        }
        return lists.map { list in
            var merged: [(core: Int, weight: Int)] = []
            for item in list.sorted(by: { $0.core < $1.core }) {
                if let last = merged.last, last.core == item.core { merged[merged.count - 1].weight += item.weight } else { merged.append(item) }
            }
            return merged
        }
    }

    /// Whether ``place(seed:)`` searches (false above `searchLimit` cores).
    public var searches: Bool { cores <= searchLimit }

    /// Above this many cores `auto` places in blocks and the local search is skipped.
    public static let largeMap = 100_000

    /// What ``place(_:seed:)`` does for a strategy; the compile report names it.
    enum Method: String {
        case rowMajor = "row-major"
        /// ``GroupedPlacement``: 4 x 4 blocks of cores, cut into chips by halves (this) and
        /// all at once (`blocksAtOnce`), the better kept.
        case blocks
        case blocksAtOnce = "blocks-at-once"
        /// ``BisectionPlacement`` core by core, kept as it is.
        case bisection
        /// The better of bisection and row-major, each improved by local search.
        case searched
    }

    func method(_ strategy: PlacementStrategy) -> Method {
        guard cores > 1, strategy != .rowMajor else { return .rowMajor }
        if strategy == .auto, cores > Self.largeMap, GroupedPlacement.fits(board) { return .blocks }
        return searches ? .searched : .bisection
    }

    public func position(_ slot: Int) -> (x: Int, y: Int, chipX: Int, chipY: Int) {
        let perChip = board.coresPerChipTotal
        let chip = slot / perChip, within = slot % perChip
        let (chipX, chipY) = (chip % board.chips[0], chip / board.chips[0])
        return (chipX * board.coresPerChip[0] + within % board.coresPerChip[0],
                chipY * board.coresPerChip[1] + within / board.coresPerChip[0], chipX, chipY)
    }

    /// A placement's figures, from one pass over the pairs.
    struct Figures: Equatable {
        /// Hops and chip crossings of all routes (one per axon fed), as the map holds them.
        var cost = Cost()
        /// Expected spike hops and chip crossings per tick: each route's hops times the
        /// firing rate of the neuron that sends on it.
        var hops = 0.0, crossings = 0.0
        /// The search's objective: weighted hops plus `crossingCost` x weighted crossings.
        var objective = 0
        /// Expected spikes per tick on each chip-to-chip link.
        var links: ChipLinkLoads
    }

    func figures(_ slots: [Int]) -> Figures {
        var f = Figures(links: ChipLinkLoads(chips: board.chips))
        for pair in pairs where pair.from != pair.to {
            let (p, q) = (position(slots[Int(pair.from)]), position(slots[Int(pair.to)]))
            let (hops, crossings) = (abs(p.x - q.x) + abs(p.y - q.y), abs(p.chipX - q.chipX) + abs(p.chipY - q.chipY))
            let spikes = Double(pair.weight) * coreRates[Int(pair.from)]
            f.cost.hops += Int(pair.weight) * hops
            f.cost.crossings += Int(pair.weight) * crossings
            f.hops += spikes * Double(hops)
            f.crossings += spikes * Double(crossings)
            f.objective += searchWeight(pair) * (hops + crossingCost * crossings)
            if crossings > 0 { f.links.add(from: (p.chipX, p.chipY), to: (q.chipX, q.chipY), spikes: spikes) }
        }
        return f
    }

    func expected(_ slots: [Int]) -> (hops: Double, crossings: Double) {
        let f = figures(slots)
        return (f.hops, f.crossings)
    }

    func objective(_ slots: [Int]) -> Int { figures(slots).objective }

    func cost(_ slots: [Int]) -> Cost { figures(slots).cost }

    /// A slot's place: board coordinates in cores and in chips.
    typealias Position = (x: Int, y: Int, chipX: Int, chipY: Int)

    /// The weighted cost of core `a`'s traffic if it sat at `p` (others at their places in
    /// `at`, kept beside the slots so that a move divides nothing).
    func local(_ a: Int, at p: Position, _ at: [Position], skipping other: Int, traffic: [[(core: Int, weight: Int)]]) -> Int {
        var sum = 0
        for (b, w) in traffic[a] where b != other {
            let q = at[b]
            sum += w * (abs(p.x - q.x) + abs(p.y - q.y) + crossingCost * (abs(p.chipX - q.chipX) + abs(p.chipY - q.chipY)))
        }
        return sum
    }

    /// Each core's slot, deterministic for a seed.
    func place(_ strategy: PlacementStrategy = .auto, seed: UInt64 = 1) -> [Int] { placed(strategy, seed: seed).slots }

    /// Each core's slot, what placed it (``method(_:)``, told apart for blocks), the
    /// slots' figures where choosing between two placements computed them already (nil
    /// otherwise, so that a full-size map's pairs are not walked once more), and the time
    /// and memory of each step.
    func placed(_ strategy: PlacementStrategy = .auto, seed: UInt64 = 1) -> (slots: [Int], method: Method, figures: Figures?, profile: StageProfile) {
        let n = cores
        let rowMajor = Array(0..<n)
        let method = method(strategy)
        var profile = StageProfile()
        switch method {
        case .rowMajor:
            return (rowMajor, method, nil, profile)
        case .blocks, .blocksAtOnce:
            // Chips cut by halves and all at once: the better by the objective (each wins
            // on some full-size maps; see ``BisectionPlacement/chipsAtOnce``).
            let grouped = GroupedPlacement(board: board, cores: n)
            let graph = grouped.graph(pairs: pairs, weight: searchWeight)
            profile.lap("block graph (\(graph.vertices) blocks)")
            let (candidates, steps) = grouped.candidates(graph, seed: seed, crossingCost: crossingCost)
            profile.append(steps, prefix: "")
            let (byHalves, atOnce) = (grouped.coreSlots(candidates[0]), grouped.coreSlots(candidates[1]))
            let both = inParallel(2) { figures($0 == 0 ? atOnce : byHalves) }
            let (a, b) = (both[0], both[1])
            profile.lap("core slots and both candidates' figures")
            return a.objective < b.objective ? (atOnce, .blocksAtOnce, a, profile) : (byHalves, .blocks, b, profile)
        case .bisection:
            let slots = BisectionPlacement(board: board, graph: graph()).place(seed: seed)
            profile.lap("bisection")
            return (slots, method, nil, profile)
        case .searched:
            let bisected = BisectionPlacement(board: board, graph: graph()).place(seed: seed)
            profile.lap("bisection")
            let traffic = adjacency()
            let fromRowMajor = improve(rowMajor, candidates: rowMajorCandidates, traffic: traffic, seed: seed)
            let regionSlots = BisectionPlacement.region(for: n, on: board).slots(on: board)
            let fromBisection = improve(bisected, candidates: regionSlots, traffic: traffic, seed: seed)
            let (a, b) = (figures(fromBisection), figures(fromRowMajor))
            profile.lap("local search")
            return a.objective < b.objective ? (fromBisection, method, a, profile) : (fromRowMajor, method, b, profile)
        }
    }

    /// The slots the local search from row-major may use: the first chip(s) the cores
    /// need, with room to spread on a chip.
    var rowMajorCandidates: [Int] {
        Array(0..<min(board.coresTotal, max(cores * 2, min(board.coresPerChipTotal, board.coresTotal))))
    }

    /// The core graph METIS cuts: each pair's search weight (expected spikes), both ways.
    func graph() -> CoreGraph {
        CoreGraph(vertices: cores, pairs: pairs, weight: searchWeight)
    }

    /// `start` improved by deterministic local search: a random core tries a random slot
    /// among `candidates` (which hold every slot of `start`), swapping with its occupant,
    /// and the move is kept when it lowers the objective.
    func improve(_ start: [Int], candidates: [Int], traffic: [[(core: Int, weight: Int)]], seed: UInt64) -> [Int] {
        let n = cores
        var slots = start
        // Slot -> its core, or -1: an array over the board's slots rather than a dictionary,
        // since each of the 40 n moves reads it and a hash lookup was most of a move's cost.
        var occupantOf = [Int32](repeating: -1, count: max(board.coresTotal, (slots.max() ?? 0) + 1))
        for c in 0..<n { occupantOf[slots[c]] = Int32(c) }
        var at = slots.map(position)
        var random = SeededRandom(seed: seed)
        for _ in 0..<(40 * n) {
            let a = Int(random.next() % UInt64(n))
            let target = candidates[Int(random.next() % UInt64(candidates.count))]
            let from = slots[a]
            guard target != from else { continue }
            let b = Int(occupantOf[target])
            let (there, here) = (position(target), at[a])
            var delta = local(a, at: there, at, skipping: b, traffic: traffic) - local(a, at: here, at, skipping: b, traffic: traffic)
            if b >= 0 { delta += local(b, at: here, at, skipping: a, traffic: traffic) - local(b, at: there, at, skipping: a, traffic: traffic) }
            guard delta < 0 else { continue }
            (slots[a], at[a]) = (target, there)
            occupantOf[target] = Int32(a)
            occupantOf[from] = Int32(b)
            if b >= 0 { (slots[b], at[b]) = (from, here) }
        }
        return slots
    }
}
