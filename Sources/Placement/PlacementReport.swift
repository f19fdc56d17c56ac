import Hardware

/// Placement figures: routes' hops and chip crossings as the map holds them (one route
/// per axon fed), and the same weighted by the expected firing rates, per tick, which is
/// what the placer minimises; each next to row-major placement's.
public struct PlacementReport: Encodable, Sendable {
    public var hops: Int
    public var chipCrossings: Int
    public var rowMajorHops: Int
    public var rowMajorChipCrossings: Int
    /// Expected spike hops and chip crossings per tick (routes x their sender's rate); nil
    /// when no rates are known.
    public var spikeHopsPerTick: Double?
    public var spikeCrossingsPerTick: Double?
    public var rowMajorSpikeHopsPerTick: Double?
    public var rowMajorSpikeCrossingsPerTick: Double?
    /// Where the rates came from (``FiringRates/source``), or why every axon weighs alike.
    public var rateSource: String
    /// What the search minimised, placed and row-major: hops + `crossingCost` x crossings
    /// over all routes, each weighted by its expected spikes per 1,000 ticks (at least 1).
    public var objective: Int
    public var rowMajorObjective: Int
    /// What a chip crossing costs in hops when placing (target's chipCrossing / hop energy).
    public var crossingCost: Int
    /// False when the network had too many cores for the local search (the bisection is
    /// kept as it is), or when placement was row-major.
    public var searched: Bool
    /// `auto` (recursive bisection with METIS, plus the local search up to 100,000 cores) or
    /// `row-major` (the partition's order).
    public var strategy: String
    /// What was done: `row-major`, `blocks` (bisection of 4 x 4 blocks, `auto` above
    /// 100,000 cores), `bisection` (core by core) or `searched` (the better of bisection
    /// and row-major after local search).
    public var method: String
    /// Expected spikes per tick on the chip-to-chip links, placed and row-major, against
    /// the target's link capacity.
    public var links: LinkReport
    public var rowMajorLinks: LinkReport
}
