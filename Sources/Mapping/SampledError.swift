import Emulator
import Foundation
import Reference
import SpikeIR
import TesseraSupport

/// The error one split layer adds, measured on a sample of its outputs where the whole
/// network is too large for the reference (docs/mapping.md, fan-in splitting).
///
/// The layer is cut out with a tile of its output positions (every channel) and the input
/// window that tile reads, taken inside the input so that no padding is involved; that
/// small network (an input of the window's shape, then the layer with the same weights,
/// neuron and options) is compiled and measured as ``ApproximationError/measure(_:ticks:seed:budget:)``
/// measures a whole map, on random rate-coded input. It is the split's own error, with
/// exact inputs: what the layers below add is not in it. A layer read whole (its tile the
/// whole output) is the same network as the layer alone, so the two measurements agree.
///
/// Where no tile's window lies inside the input (a dilation wider than the map, as
/// dl-vgg9's fc6 at 16 x 16) or none fits the budget, an ungrouped convolution is cut by its
/// output channels instead: a few channels, evenly spaced, every position or a tile of them.
/// Each output neuron of a split layer has its own partial and merge neurons, so a channel
/// reads the same parts as in the whole layer wherever the tile search picks the same tile.
///
///     for sample in try SampledError.measure(compiled) { print(sample.layer, sample.error.meanRateError) }
public struct SampledError: Sendable {
    public var layer: String
    /// Output rows and columns sampled, every channel; nil when the whole layer was run.
    public var rows: Int?
    public var columns: Int?
    /// Output channels sampled, evenly spaced (``spread(_:of:)``); nil when every channel was.
    public var channels: Int?
    public var error: ApproximationError

    /// One sample per split layer that can be cut out (a convolution of one input is tiled
    /// from 4 x 4 outputs down to 1 x 1 until it fits the budget of synaptic events in the
    /// reference, then, if ungrouped, cut to 16, 4 or 1 of its output channels, whole or
    /// tiled; other ops, and layers of two inputs, are run whole or not at all).
    /// With `partialSums`, the cut layers are compiled with that scheme instead of the map's.
    public static func measure(_ compiled: Compiled, ticks: Int = 64, seed: UInt64 = 1, budget: Int = 1_000_000_000,
                               partialSums: PartialSums? = nil) throws(DiagnosticError) -> [SampledError] {
        try measure(compiled, ticks: ticks, seed: seed, budget: budget, schemes: [partialSums])[0]
    }

    /// The samples of ``measure(_:ticks:seed:budget:partialSums:)`` under each of `schemes`
    /// (nil: the map's own), one list per scheme. A cut's reference run does not depend on
    /// the scheme, so it runs once for all of them; the layers are sampled on every CPU at
    /// once, and each list is in the order of the map's layers.
    static func measure(_ compiled: Compiled, ticks: Int = 64, seed: UInt64 = 1, budget: Int = 1_000_000_000,
                        schemes: [PartialSums?]) throws(DiagnosticError) -> [[SampledError]] {
        let names = compiled.approximations.map(\.layer)
        let workers = max(1, min(names.count, ProcessInfo.processInfo.activeProcessorCount))
        // Worker w samples layers w, w + workers, ...: each result lands in its layer's place.
        let found = inParallel(workers) { w -> [(Int, Result<[SampledError?], DiagnosticError>)] in
            stride(from: w, to: names.count, by: workers).map { k in
                (k, Result { () throws(DiagnosticError) -> [SampledError?] in
                    try sample(names[k], of: compiled, ticks: ticks, seed: seed, budget: budget, schemes: schemes)
                })
            }
        }
        var lists = [[SampledError]](repeating: [], count: schemes.count)
        for (_, result) in found.joined().sorted(by: { $0.0 < $1.0 }) {
            for (s, sample) in try result.get().enumerated() {
                if let sample { lists[s].append(sample) }
            }
        }
        return lists
    }

    /// The sample of one split layer under each scheme (``measure(_:ticks:seed:budget:schemes:)``),
    /// nil where no cut of it fits the budget: per scheme, the first cut that does.
    static func sample(_ name: String, of compiled: Compiled, ticks: Int, seed: UInt64, budget: Int,
                       schemes: [PartialSums?]) throws(DiagnosticError) -> [SampledError?] {
        var found = [SampledError?](repeating: nil, count: schemes.count)
        let graph = compiled.compiler.network.graph
        guard let layer = graph.layer(named: name), let output = layer.shape else { return found }
        let sources = layer.inputs.compactMap { graph.layer(named: $0)?.shape }
        guard !sources.isEmpty, sources.count == layer.inputs.count else { return found }
        let source = sources[0]
        var cuts: [(tile: (Int, Int)?, channels: [Int]?)] = [(nil, nil)]
        // A layer of two inputs (xcorr's score, a residual convolution) is run whole.
        if sources.count == 1, case let .conv2d(conv) = layer.op {
            cuts += LayerCut.cuts(output: output, groups: conv.groups, sides: [4, 2, 1], channelCounts: [16, 4, 1])
        }
        for (tile, channels) in cuts {
            let pending = schemes.indices.filter { found[$0] == nil }
            guard !pending.isEmpty else { break }
            guard let cut = sources.count > 1 ? LayerCut.whole(layer, sources: sources, from: graph)
                : LayerCut.cut(layer, source: source, output: output, tile: tile, channels: channels, from: graph) else { continue }
            let verified = try Verifier.verify(cut).graph
            guard GraphSummary(verified).total.synapses * (ticks + 4) <= budget else { continue }
            let network = try IntegerNetwork.check(verified, target: compiled.compiler.target)
            // The reference run of this cut, by run length (ticks plus the map's latency).
            var references: [Int: EmulationResult] = [:]
            func reference(_ network: IntegerNetwork, _ stimulus: SpikeInput, _ total: Int) -> EmulationResult {
                if let known = references[total] { return known }
                let run = ReferenceSimulator(network).run(stimulus, ticks: total)
                references[total] = run
                return run
            }
            // Placement weighs routes by rates, but what the map computes does not depend on
            // where its cores sit: estimated rates give the same error as measured ones,
            // without another reference run of the sample.
            let rates = FiringRates.estimate(network)
            for s in pending {
                var options = compiled.compiler.options
                options.rates = rates
                if let scheme = schemes[s] { options.partialSums = scheme }
                let sub = try Compiler(network, options: options).compile()
                guard let error = try ApproximationError.measure(sub, ticks: ticks, seed: seed, budget: budget, reference: reference) else { continue }
                found[s] = SampledError(layer: name, rows: tile?.0, columns: tile?.1, channels: channels?.count, error: error)
            }
        }
        return found
    }

}

/// The scheme a map too large to measure keeps (``SampledError``): each split layer is
/// sampled under the map's scheme and under each of `schemes`, and the scheme whose samples
/// have the lowest mean rate error (averaged over the layers sampled under all of them) is
/// compiled and kept; ties keep the map given. `tessera compile` does this between `net`
/// and `offset` where the whole network cannot be measured.
public struct SampledChoice: Sendable {
    public var compiled: Compiled
    public var samples: [SampledError]
    /// The mean of the kept samples' mean rate errors, and the other schemes' means.
    public var mean: Double
    public var rejected: [(sums: PartialSums, mean: Double)] = []
    /// The partial-sum scheme of the map kept.
    public var sums: PartialSums { compiled.compiler.options.partialSums }

    public static func choose(_ compiled: Compiled, ticks: Int = 64, schemes: [PartialSums] = []) throws(DiagnosticError) -> SampledChoice {
        let given = compiled.compiler.options.partialSums
        let others = schemes.filter { $0 != given }
        let lists = try SampledError.measure(compiled, ticks: ticks, schemes: [nil] + others)
        let measured: [(sums: PartialSums, samples: [SampledError])] = zip([given] + others, lists).map { ($0, $1) }
        let common = Set(measured[0].samples.map(\.layer)).filter { layer in measured.allSatisfy { $0.samples.contains { $0.layer == layer } } }
        func mean(_ samples: [SampledError]) -> Double {
            let kept = samples.filter { common.contains($0.layer) }
            return kept.isEmpty ? 0 : kept.reduce(0) { $0 + $1.error.meanRateError } / Double(kept.count)
        }
        let means = measured.map { mean($0.samples) }
        var best = 0
        for k in means.indices where means[k] < means[best] { best = k }
        var kept = compiled
        if best != 0 {
            var options = compiled.compiler.options
            options.partialSums = measured[best].sums
            kept = try Compiler(compiled.compiler.network, options: options).compile()
        }
        var choice = SampledChoice(compiled: kept, samples: measured[best].samples, mean: means[best])
        choice.rejected = measured.indices.filter { $0 != best }.map { (measured[$0].sums, means[$0]) }
        return choice
    }
}
