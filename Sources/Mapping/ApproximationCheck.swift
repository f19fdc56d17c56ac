import Emulator
import Reference
import SpikeIR
import TesseraSupport

/// Measures what splitting fan-ins into partial sums costs: the compiled map and the
/// reference simulator run the same random rate-coded inputs, and their output spike
/// counts are compared neuron by neuron (counts over the whole run, so the extra tick each
/// merge adds does not count as error).
public struct ApproximationError: Sendable, Codable, Equatable {
    public var ticks: Int
    public var seed: UInt64
    /// Output neurons compared, and how many fired a different number of times.
    public var neurons: Int
    public var differing: Int
    /// Mean and largest |count(emulated) - count(simulated)| / ticks: firing-rate error in
    /// spikes per tick (0...1).
    public var meanRateError: Double
    public var maxRateError: Double

    /// Runs the check, or returns nil when it would cost more than `budget` synaptic
    /// operations in the reference (the network is too large to measure at compile time).
    public static func measure(_ compiled: Compiled, ticks: Int = 64, seed: UInt64 = 1,
                               budget: Int = 3_000_000_000) throws(DiagnosticError) -> ApproximationError? {
        try measure(compiled, ticks: ticks, seed: seed, budget: budget) { network, stimulus, total in
            ReferenceSimulator(network).run(stimulus, ticks: total)
        }
    }

    /// ``measure(_:ticks:seed:budget:)`` with the reference run given: `reference(network,
    /// stimulus, ticks)` returns what the reference simulator gives, so that a caller that
    /// measures several maps of one network (each partial-sum scheme) runs it once.
    static func measure(_ compiled: Compiled, ticks: Int, seed: UInt64, budget: Int,
                        reference: (IntegerNetwork, SpikeInput, Int) -> EmulationResult) throws(DiagnosticError) -> ApproximationError? {
        let network = compiled.compiler.network
        let synapses = GraphSummary(network.graph).total.synapses
        let latency = compiled.latencies.map(\.ticks).max() ?? 0
        let total = ticks + latency
        guard synapses * total <= budget, compiled.coreCount <= 20_000 else { return nil }
        let stimulus = FiringRates.randomStimulus(network.graph, ticks: ticks, seed: seed, length: total)
        let emulated = try Emulator(map: compiled.map, target: network.target).run(stimulus, ticks: total)
        let simulated = reference(network, stimulus, total)
        var result = ApproximationError(ticks: ticks, seed: seed, neurons: 0, differing: 0, meanRateError: 0, maxRateError: 0)
        var sum = 0.0
        for (e, s) in zip(emulated.outputs, simulated.outputs) {
            for (a, b) in zip(e.counts, s.counts) {
                let error = Double(abs(a - b)) / Double(ticks)
                result.neurons += 1
                result.differing += a == b ? 0 : 1
                sum += error
                result.maxRateError = max(result.maxRateError, error)
            }
        }
        result.meanRateError = result.neurons == 0 ? 0 : sum / Double(result.neurons)
        return result
    }
}

/// The ``PartialStep`` kept for a compiled map: where a split layer's threshold is above the
/// target's widest synaptic weight, the weight and the threshold give different maps, and
/// where it is 2 or more (net or by-sign), the weight and half of it do; each that differs is
/// measured (``ApproximationError/measure(_:ticks:seed:budget:)``) and the one with the
/// lowest mean rate error is kept (ties keep the map given).
///
///     let choice = try PartialStepChoice.choose(compiled, ticks: 64)
///     let map = choice?.compiled.map
public struct PartialStepChoice: Sendable {
    /// The map kept, and its measured error.
    public var compiled: Compiled
    public var error: ApproximationError
    /// The split layers whose threshold is above the widest weight (empty: the steps agree
    /// and only the map given was measured).
    public var layers: [String]
    /// The other steps' errors, where they were measured.
    public var rejectedSteps: [(step: PartialStep, error: ApproximationError)] = []
    /// The other schemes measured (``choose(_:ticks:schemes:rounding:)``), each with its best step.
    public var rejectedSchemes: [(sums: PartialSums, error: ApproximationError)] = []
    /// The other start of the partial neurons (``Compiler/Options/partialRounding``), when it was measured.
    public var rejectedRounding: (rounding: Bool, error: ApproximationError)?
    /// The other stagger (``Compiler/Options/partialStagger``), with its map's cores, when it was measured.
    public var rejectedStagger: (stagger: Int, cores: Int, error: ApproximationError)?

    /// Nil when the map is too large to measure (see ``ApproximationError/measure(_:ticks:seed:budget:)``).
    /// With `rounding`, a `net` or `by-sign` map with a split layer whose threshold is 2 or
    /// more (a step of 1 has no half) is also compiled with the other
    /// ``Compiler/Options/partialRounding``, at the better step, and the lower error kept.
    /// With `stagger`, a map with a split layer that can be staggered (offset-coded, or with
    /// thresholds of 4 or more) is then compiled with the other of a stagger of 1 and 2
    /// (``Compiler/Options/partialStagger``), at the better step and start, and the lower
    /// error kept: a stagger of 2 costs partial-sum and merge cores.
    public static func choose(_ compiled: Compiled, ticks: Int = 64, rounding: Bool, stagger: Bool = false) throws(DiagnosticError) -> PartialStepChoice? {
        guard var choice = try choose(compiled, ticks: ticks) else { return nil }
        if rounding, compiled.compiler.options.partialSums != .offset, hasHalfSteps(compiled) {
            var options = choice.compiled.compiler.options
            options.partialRounding.toggle()
            if let lost = try choice.keepLower(options, ticks: ticks) { choice.rejectedRounding = (lost.options.partialRounding, lost.error) }
        }
        if stagger, compiled.layouts.indices.contains(where: { k in
            let layout = compiled.layouts[k]
            return layout.parts > 1 && (layout.offset || compiled.compiler.layers[k].neuron.map { SplitLayout.canStagger($0, by: 2) } ?? false)
        }) {
            var options = choice.compiled.compiler.options
            options.partialStagger = options.partialStagger == 1 ? 2 : 1
            // Staggered, a merge reads twice the axons and may not fit a core: that map is
            // not an alternative.
            let lost = try? choice.keepLower(options, ticks: ticks)
            if let lost = lost ?? nil { choice.rejectedStagger = (lost.options.partialStagger, lost.cores, lost.error) }
        }
        return choice
    }

    /// Compiles the network with `options` and measures it, keeping that map instead when its
    /// error is lower. Returns the options, core count and error of the map not kept (nil when
    /// the alternative is too large to measure).
    private mutating func keepLower(_ options: Compiler.Options, ticks: Int) throws(DiagnosticError) -> (options: Compiler.Options, cores: Int, error: ApproximationError)? {
        let alternative = try Compiler(compiled.compiler.network, options: options).compile()
        guard let measured = try ApproximationError.measure(alternative, ticks: ticks) else { return nil }
        guard measured.meanRateError < error.meanRateError else { return (options, alternative.coreCount, measured) }
        let lost = (compiled.compiler.options, compiled.coreCount, error)
        (compiled, error) = (alternative, measured)
        return lost
    }

    /// The thresholds of split layer `name` (per channel and the layer's).
    private static func thresholds(_ compiled: Compiled, _ name: String) -> [Double] {
        guard let neuron = compiled.compiler.network.graph.layer(named: name)?.neuron else { return [] }
        return (neuron.channelThresholds ?? []) + [neuron.threshold]
    }

    /// Nil when the map is too large to measure (see ``ApproximationError/measure(_:ticks:seed:budget:)``).
    public static func choose(_ compiled: Compiled, ticks: Int = 64) throws(DiagnosticError) -> PartialStepChoice? {
        guard let measured = try ApproximationError.measure(compiled, ticks: ticks) else { return nil }
        let compiler = compiled.compiler
        let widest = Double(compiler.target.core.weightRange.upperBound)
        // Offset-coded, the steps differ wherever a threshold is not the part's range: in
        // every split layer.
        let offset = compiler.options.partialSums == .offset
        let layers = compiled.approximations.map(\.layer).filter { offset || thresholds(compiled, $0).contains { $0 > widest } }
        var choice = PartialStepChoice(compiled: compiled, error: measured, layers: layers)
        // The weight and the threshold differ where a threshold is above the widest weight;
        // half the weight differs from the weight wherever a net or by-sign split layer's
        // threshold is 2 or more.
        let given = compiler.options.partialStep
        var others: [PartialStep] = []
        if !layers.isEmpty { others.append(given == .threshold ? .weight : .threshold) }
        if !offset && hasHalfSteps(compiled) { others.append(given == .halfWeight ? .weight : .halfWeight) }
        for step in [PartialStep.halfWeight, .threshold, .weight] where step != given && others.contains(step) {
            var options = compiler.options
            options.partialStep = step
            if let lost = try choice.keepLower(options, ticks: ticks) { choice.rejectedSteps.append((lost.options.partialStep, lost.error)) }
        }
        return choice
    }

    /// Whether some split layer of `compiled` has a threshold of 2 or more, so that half its
    /// step differs from the step (a step of 1 has no half).
    static func hasHalfSteps(_ compiled: Compiled) -> Bool {
        compiled.approximations.contains { row in thresholds(compiled, row.layer).contains { $0 >= 2 } }
    }

    /// The step of the map kept.
    public var step: PartialStep { compiled.compiler.options.partialStep }
    /// The partial-sum scheme of the map kept.
    public var sums: PartialSums { compiled.compiler.options.partialSums }
    /// Whether the kept map's partial neurons start at half their step.
    public var rounding: Bool { compiled.compiler.options.partialRounding }
    /// The kept map's partial neurons per part and sign.
    public var stagger: Int { compiled.compiler.options.partialStagger }

    /// As ``choose(_:ticks:rounding:)``, and also compiles the network with each of `schemes`
    /// (each with its better step and, with `rounding`, its better start), keeping the map
    /// with the lowest mean rate error; ties keep the map given. This is how `tessera compile`
    /// picks between `net` and `offset` partial sums when it is not told which (docs/mapping.md).
    public static func choose(_ compiled: Compiled, ticks: Int = 64, schemes: [PartialSums], rounding: Bool = false, stagger: Bool = false) throws(DiagnosticError) -> PartialStepChoice? {
        guard var best = try choose(compiled, ticks: ticks, rounding: rounding, stagger: stagger) else { return nil }
        var rejected: [(sums: PartialSums, error: ApproximationError)] = []
        for sums in schemes where sums != compiled.compiler.options.partialSums {
            var options = compiled.compiler.options
            options.partialSums = sums
            options.partialStep = .weight
            let other = try Compiler(compiled.compiler.network, options: options).compile()
            guard let candidate = try choose(other, ticks: ticks, rounding: rounding, stagger: stagger) else { continue }
            if candidate.error.meanRateError < best.error.meanRateError {
                rejected.append((best.sums, best.error))
                best = candidate
            } else {
                rejected.append((sums, candidate.error))
            }
        }
        best.rejectedSchemes = rejected
        return best
    }
}
