import Estimate
import Mapping
import TesseraSupport

extension Compiled {
    /// Resources and uniform-rate activity of the compiled board, counted core by core: each
    /// core is built, counted and dropped, in parallel over ranges of cores, so a network
    /// whose map is too large to write (a full-size DeepLab) can still be costed. The counts
    /// equal those of ``map`` (`tessera report MAP --rate r`), without holding it.
    ///
    ///     let tally = compiled.tally(rate: 0.1, inputRate: 0.1)
    ///     let report = EstimateReport(header: compiled.mapHeader, resources: tally.resources(),
    ///                                 target: target, activity: tally.activity(ticks: 32, source: "r = 0.1"))
    public func tally(rate: Double, inputRate: Double) -> BoardTally {
        let header = mapHeader
        let pins = BoardTally.inputPins(of: header)
        let count = coreCount
        // Chunks in a fixed order and merged in that order: the sums do not depend on threads.
        let chunks = max(1, min(count / 256, 64))
        let parts = inParallel(chunks) { k in
            var tally = BoardTally(header: header, rate: rate, inputRate: inputRate, inputPins: pins)
            for c in (count * k / chunks)..<(count * (k + 1) / chunks) {
                tally.add(buildCore(c), position: meshPosition(of:))
            }
            return tally
        }
        var total = BoardTally(header: header, rate: rate, inputRate: inputRate, inputPins: pins)
        for part in parts { total.merge(part) }
        return total
    }
}
