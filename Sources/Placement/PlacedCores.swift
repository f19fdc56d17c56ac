import Hardware
import TesseraSupport

/// What placement returns: each core's slot on the board, the report that sets it beside
/// row-major order, and the time and memory of each step.
///
///     let placer = Placer(target: target, cores: 3, traffic: [(0, 1, 16), (1, 2, 16)])
///     let placed = placer.placement(.auto, rateSource: "every axon alike")
///     placed.slots           // core c sits in slot placed.slots[c], row-major over chips
///     placed.report.method   // "searched": bisection and row-major, each improved
public struct PlacedCores: Sendable {
    public let slots: [Int]
    public let report: PlacementReport
    public let profile: StageProfile
}

extension Placer {
    /// Places the cores by `strategy` and reports the result beside row-major order.
    /// `rateSource` says where the cores' rates came from, for the report.
    public func placement(_ strategy: PlacementStrategy, rateSource: String) -> PlacedCores {
        let (slots, method, chosen, steps) = placed(strategy)
        var profile = steps
        let rowMajor = Array(0..<cores)
        // Without a search the placement is row-major: each figure is computed once.
        let same = slots == rowMajor
        let naive = figures(rowMajor), placed = same ? naive : chosen ?? figures(slots)
        profile.lap("figures")
        let report = PlacementReport(hops: placed.cost.hops, chipCrossings: placed.cost.crossings, rowMajorHops: naive.cost.hops,
                                     rowMajorChipCrossings: naive.cost.crossings,
                                     spikeHopsPerTick: placed.hops, spikeCrossingsPerTick: placed.crossings,
                                     rowMajorSpikeHopsPerTick: naive.hops, rowMajorSpikeCrossingsPerTick: naive.crossings,
                                     rateSource: rateSource,
                                     objective: placed.objective, rowMajorObjective: naive.objective,
                                     crossingCost: crossingCost, searched: searches && strategy != .rowMajor,
                                     strategy: strategy.rawValue, method: method.rawValue,
                                     links: LinkReport(placed.links, board: board, tickHz: tickHz),
                                     rowMajorLinks: LinkReport(naive.links, board: board, tickHz: tickHz))
        return PlacedCores(slots: slots, report: report, profile: profile)
    }
}
