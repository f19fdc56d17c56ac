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
        let network = compiled.compiler.network
        let synapses = GraphSummary(network.graph).total.synapses
        let latency = compiled.latencies.map(\.ticks).max() ?? 0
        let total = ticks + latency
        guard synapses * total <= budget, compiled.coreCount <= 20_000 else { return nil }
        let stimulus = FiringRates.randomStimulus(network.graph, ticks: ticks, seed: seed, length: total)
        let emulated = try Emulator(map: compiled.map, target: network.target).run(stimulus, ticks: total)
        let simulated = ReferenceSimulator(network).run(stimulus, ticks: total)
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
