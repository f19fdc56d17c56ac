import Foundation
import Testing
@testable import Tessera

/// Stochastic synapses, leaks and thresholds: reproducible from the seed, different across
/// seeds, and with means that match the spec's probabilities within a bound derived here.
@Suite struct StochasticTests {
    static let tiny = NeuronModeTests.tiny

    /// On tiny, rho = draw & 255 is uniform on 0..255 (randomBits = 8), so a comparison
    /// `m >= rho` succeeds with probability (m + 1) / 256. Over n independent trials the
    /// count is binomial: mean n p, standard deviation sqrt(n p (1 - p)). The tests accept
    /// five standard deviations, which a correct generator fails about once in 1.7 million.
    static func expectBinomial(_ count: Int, trials n: Int, p: Double, _ what: String) {
        let mean = Double(n) * p
        let sd = (Double(n) * p * (1 - p)).squareRoot()
        #expect(abs(Double(count) - mean) <= 5 * sd, "\(what): \(count) successes in \(n) trials, expected \(mean) +- \(5 * sd)")
    }

    static let ticks = 20_000

    static func run(_ map: CoreMap, everyTick: Bool) throws -> EmulationResult {
        let events = everyTick ? (0..<ticks).map { SpikeInput.Event(tick: $0, index: 0) } : []
        return try Emulator(map: map, target: tiny).run(SpikeInput(ticks: ticks, spikes: ["in": events]), ticks: ticks, traceCore: 0)
    }

    @Test func stochasticSynapseMean() throws {
        // s = +64 with b = 1 on type 0: each spike adds sign(s) = 1 iff 64 >= rho,
        // p = 65/256. Axon 0 spikes every tick; threshold is never reached, so V counts hits.
        let n = NeuronConfig(index: 0, weights: [64, 0, 0, 0], stochasticSynapse: [true, false, false, false], threshold: 262_143)
        let result = try Self.run(NeuronModeTests.map([n], wiring: [0: [0]]), everyTick: true)
        Self.expectBinomial(result.trace?.potentials.last?.first ?? -1, trials: Self.ticks, p: 65.0 / 256, "stochastic synapse")
    }

    @Test func stochasticLeakMean() throws {
        // lambda = -32 with c_lambda = 1: each tick V += sign(lambda) = -1 iff 32 >= rho,
        // p = 33/256. No input; V counts down with no negative threshold in reach.
        let n = NeuronConfig(index: 0, leak: -32, stochasticLeak: true, threshold: 262_143, negThreshold: 262_143)
        let result = try Self.run(NeuronModeTests.map([n], wiring: [:]), everyTick: false)
        Self.expectBinomial(-(result.trace?.potentials.last?.first ?? 1), trials: Self.ticks, p: 33.0 / 256, "stochastic leak")
    }

    @Test func stochasticThresholdMean() throws {
        // V = 5 held (reset none, no input), alpha = 2, M = 7: eta = draw & 7 is uniform on
        // 0..7 and the neuron fires iff 5 >= 2 + eta, i.e. eta <= 3: p = 4/8.
        let n = NeuronConfig(index: 0, threshold: 2, thresholdMask: 7, reset: .none, initialPotential: 5,
                             destination: .output(port: "o", index: 0))
        var map = NeuronModeTests.map([n], wiring: [:])
        map.outputs = [OutputPort(name: "o", shape: [1], latency: 0)]
        let result = try Self.run(map, everyTick: false)
        Self.expectBinomial(result.outputs[0].counts[0], trials: Self.ticks, p: 0.5, "stochastic threshold")
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentRun() throws {
        var options = SyntheticCoreMap.Options()
        options.stochastic = true
        options.cores = 4...4
        let map = SyntheticCoreMap.random(target: Self.tiny, seed: 77, options: options)
        let input = SyntheticCoreMap.randomInput(for: map, ticks: 64, rate: 0.3, seed: 5)
        let emulator = try Emulator(map: map, target: Self.tiny)
        let a = SpikeFile.json(emulator.run(input, ticks: 64, traceCore: 0))
        let b = SpikeFile.json(emulator.run(input, ticks: 64, traceCore: 0))
        #expect(a == b)
        var reseeded = map
        for c in reseeded.cores.indices { reseeded.cores[c].seed &+= 1 }
        let c = SpikeFile.json(try Emulator(map: reseeded, target: Self.tiny).run(input, ticks: 64, traceCore: 0))
        #expect(a != c)
    }

    @Test func poissonEncodingIsSeeded() throws {
        let port = InputPort(name: "in", shape: [200], targets: Array(repeating: [], count: 200))
        let values = ["in": Array(repeating: 0.25, count: 200)]
        let a = try InputEncoder.encode(values, ports: [port], encoding: .poisson, ticks: 100, seed: 3)
        let b = try InputEncoder.encode(values, ports: [port], encoding: .poisson, ticks: 100, seed: 3)
        let c = try InputEncoder.encode(values, ports: [port], encoding: .poisson, ticks: 100, seed: 4)
        #expect(a == b && a != c)
        // 20,000 Bernoulli(0.25) trials.
        Self.expectBinomial(a.spikes["in"]?.count ?? 0, trials: 20_000, p: 0.25, "poisson encoding")
    }

    @Test func rateAndBinaryEncodingsByHand() throws {
        let port = InputPort(name: "in", shape: [3], targets: Array(repeating: [], count: 3))
        // rate: x spikes at t iff floor((t+1)x + 1/2) > floor(tx + 1/2). x = 0.5 over 4 ticks:
        // t = 0 (1 > 0), 2 (2 > 1); x = 1: every tick; x = 0: never.
        let rate = try InputEncoder.encode(["in": [0.5, 1, 0]], ports: [port], encoding: .rate, ticks: 4, seed: 0)
        #expect(rate.spikes["in"]?.map { [$0.tick, $0.index] } == [[0, 0], [0, 1], [1, 1], [2, 0], [2, 1], [3, 1]])
        let binary = try InputEncoder.encode(["in": [0.49, 0.5, 2]], ports: [port], encoding: .binary, ticks: 4, seed: 0)
        #expect(binary.spikes["in"]?.map { [$0.tick, $0.index] } == [[0, 1], [0, 2]])
        #expect(throws: InputEncoder.ValueError.self) {
            try InputEncoder.encode(["in": [0.5, 1.5, 0]], ports: [port], encoding: .rate, ticks: 4, seed: 0)
        }
    }
}
