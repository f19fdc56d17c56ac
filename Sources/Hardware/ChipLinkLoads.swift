import Foundation

/// Expected spikes per tick on each chip-to-chip link of a board, one figure per link and
/// direction. A spike packet goes first along x, then along y (TrueNorth's routers are
/// dimension-ordered, which keeps the mesh free of deadlock: M14, A15), so a route from
/// chip (x0, y0) to (x1, y1) crosses the links of row y0 between x0 and x1, then those of
/// column x1 between y0 and y1.
///
/// The chip edge is the board's bottleneck (A15: more than 640 times less spike bandwidth
/// than on chip), so a map whose busiest link needs more spikes per tick than it carries
/// cannot run at the target's tick rate.
///
/// ```swift
/// var loads = ChipLinkLoads(chips: [2, 2])
/// loads.add(from: (0, 0), to: (1, 1), spikes: 3)   // east on row 0, then south on column 1
/// let s = loads.summary()                          // largest 3, on 2 links
/// ```
public struct ChipLinkLoads: Sendable, Equatable {
    /// One link of the mesh in one direction: from chip `from` to its neighbour `to`.
    public struct Link: Equatable, Sendable, CustomStringConvertible {
        public var from: [Int]
        public var to: [Int]
        public var description: String { "(\(from[0]), \(from[1])) -> (\(to[0]), \(to[1]))" }
    }

    /// The figures a user reads: the busiest link and the mean over links that carry
    /// spikes, in expected spikes per tick.
    public struct Summary: Equatable, Sendable {
        public var largest: Double
        public var busiest: Link?
        public var mean: Double
        /// Links (in one direction) that carry any spike, and links the board has.
        public var used: Int
        public var links: Int
    }

    public let chips: [Int]
    /// Difference arrays, indexed by chip (row-major): a segment adds at its first link and
    /// subtracts past its last, and a prefix sum along the row or column gives each link.
    private var east: [Double], west: [Double], south: [Double], north: [Double]

    public init(chips: [Int]) {
        self.chips = chips
        let n = chips[0] * chips[1]
        east = Array(repeating: 0, count: n)
        west = east
        south = east
        north = east
    }

    /// Adds `spikes` per tick on the route from chip `a` to chip `b`.
    public mutating func add(from a: (Int, Int), to b: (Int, Int), spikes: Double) {
        guard spikes != 0 else { return }
        let w = chips[0]
        // Along row a.1: link k joins chips k and k + 1 (east) or k + 1 and k (west).
        if b.0 > a.0 {
            east[a.1 * w + a.0] += spikes
            if b.0 < w - 1 { east[a.1 * w + b.0] -= spikes }
        } else if b.0 < a.0 {
            west[a.1 * w + b.0] += spikes
            if a.0 < w - 1 { west[a.1 * w + a.0] -= spikes }
        }
        // Along column b.0: link k joins chips k and k + 1 (south) or k + 1 and k (north).
        if b.1 > a.1 {
            south[a.1 * w + b.0] += spikes
            if b.1 < chips[1] - 1 { south[b.1 * w + b.0] -= spikes }
        } else if b.1 < a.1 {
            north[b.1 * w + b.0] += spikes
            if a.1 < chips[1] - 1 { north[a.1 * w + b.0] -= spikes }
        }
    }

    /// The sum of two tallies of the same board (counted apart, on two threads).
    public mutating func merge(_ other: ChipLinkLoads) {
        for i in east.indices {
            east[i] += other.east[i]
            west[i] += other.west[i]
            south[i] += other.south[i]
            north[i] += other.north[i]
        }
    }

    /// Every link with its load, in a fixed order: the row links (east then west per
    /// row), then the column links (south then north per column).
    public func loads() -> [(link: Link, spikes: Double)] {
        let (w, h) = (chips[0], chips[1])
        var out: [(link: Link, spikes: Double)] = []
        for y in 0..<h {
            var e = 0.0, v = 0.0
            for x in 0..<max(w - 1, 0) {
                e += east[y * w + x]
                v += west[y * w + x]
                out.append((Link(from: [x, y], to: [x + 1, y]), e))
                out.append((Link(from: [x + 1, y], to: [x, y]), v))
            }
        }
        for x in 0..<w {
            var s = 0.0, n = 0.0
            for y in 0..<max(h - 1, 0) {
                s += south[y * w + x]
                n += north[y * w + x]
                out.append((Link(from: [x, y], to: [x, y + 1]), s))
                out.append((Link(from: [x, y + 1], to: [x, y]), n))
            }
        }
        return out
    }

    public func summary() -> Summary {
        let all = loads()
        // Prefix sums of doubles leave rounding dust where a segment ended.
        let carrying = all.filter { $0.spikes > 1e-9 }
        let busiest = carrying.max { $0.spikes < $1.spikes }
        let total = carrying.reduce(0) { $0 + $1.spikes }
        return Summary(largest: busiest?.spikes ?? 0, busiest: busiest?.link, mean: carrying.isEmpty ? 0 : total / Double(carrying.count),
                       used: carrying.count, links: all.count)
    }
}

/// The chip-link figures compile and report print: the busiest link and the mean, per
/// tick, against the target's link capacity, and the fastest tick the map could run at.
public struct LinkReport: Encodable, Equatable, Sendable {
    /// Expected spikes per tick on the busiest link (one direction) and its chips.
    public var largestSpikesPerTick: Double
    public var busiestLink: String?
    /// Mean over the links that carry spikes, and how many do (of all the board's).
    public var meanSpikesPerTick: Double
    public var linksUsed: Int
    public var links: Int
    /// The target's `chip: link:` capacity and its source; nil when the target has none.
    public var capacitySpikesPerTick: Double?
    public var capacitySource: String?
    /// The fastest tick at which the busiest link keeps up (capacity x tickHz / load).
    public var sustainableTickHz: Double?
    public var tickHz: Double

    public init(_ loads: ChipLinkLoads, board: Board, tickHz: Double) {
        let s = loads.summary()
        largestSpikesPerTick = s.largest
        busiestLink = s.busiest?.description
        meanSpikesPerTick = s.mean
        linksUsed = s.used
        links = s.links
        capacitySpikesPerTick = board.link?.spikesPerTick
        capacitySource = board.link?.source
        sustainableTickHz = board.link.flatMap { s.largest > 0 ? $0.sustainableTickHz(load: s.largest, tickHz: tickHz) : nil }
        self.tickHz = tickHz
    }

    /// False when the busiest link needs more than it carries at the target's tick.
    public var keepsUp: Bool { (sustainableTickHz ?? .infinity) >= tickHz }

    /// The line printed after the chip crossings: busiest and mean load, and the capacity
    /// they are checked against. Nil on a board of one chip (it has no links).
    public var summary: String? {
        guard links > 0 else { return nil }
        var text = String(format: "chip links: expected %.1f spikes per tick on the busiest link", largestSpikesPerTick)
        if let busiestLink { text += " (chips \(busiestLink))" }
        text += String(format: ", mean %.1f over the %ld of %ld links that carry spikes", meanSpikesPerTick, linksUsed, links)
        if let capacitySpikesPerTick, let capacitySource {
            text += String(format: "; a link carries %.0f per tick (target chip link: ", capacitySpikesPerTick) + capacitySource + ")"
        } else {
            text += "; the target gives no link capacity (chip: link: spikesPerTick), so the load is not checked"
        }
        return text
    }

    /// The warning when the busiest link cannot keep up with the target's tick, naming the
    /// link and the tick it could sustain; nil when it keeps up.
    public var warning: String? {
        guard !keepsUp, let hz = sustainableTickHz, let busiestLink, let capacitySpikesPerTick else { return nil }
        return "warning: chip link \(busiestLink) " + String(format: "needs %.1f spikes per tick, %.1fx what it carries (%.0f): the map cannot keep up with the %.0f Hz tick; it could sustain %.4g Hz",
                                                             largestSpikesPerTick, largestSpikesPerTick / capacitySpikesPerTick, capacitySpikesPerTick, tickHz, hz)
    }

    /// The summary, then the warning when there is one.
    public var lines: [String] { [summary, warning].compactMap { $0 } }
}
