import Testing
@testable import Tessera

/// One behaviour of the neuron model per test, on a one- or two-core map of the tiny
/// target, with the expected potentials worked out by hand from the spec's equations
/// (shared/spec/neurosynaptic-core.md) in each test's comments. Both emulators must agree.
@Suite struct NeuronModeTests {
    static let tiny = try! Target.load(TestSupport.target("tiny"))  // bundled file, not user input

    /// A core at (0,0) whose axons 0..3 have types 0..3, axon a connected to the neurons in
    /// `wiring[a]`, and an input port "in" whose element a drives axon a.
    static func map(_ neurons: [NeuronConfig], wiring: [Int: [Int]] = [0: [0], 1: [0], 2: [0], 3: [0]],
                    extraCores: [CoreConfig] = [], outputs: [OutputPort] = []) -> CoreMap {
        var crossbar = Crossbar(axons: 16, neurons: 16)
        for (axon, list) in wiring { for n in list { crossbar[axon, n] = true } }
        let core = CoreConfig(id: 0, chip: [0, 0], place: [0, 0], seed: 42, axonTypes: (0..<16).map { UInt8($0 % 4) },
                              crossbar: crossbar, neurons: neurons)
        return CoreMap(target: "tiny", geometry: CoreGeometry(axons: 16, neurons: 16, axonTypes: 4), chips: [2, 2], coresPerChip: [4, 4],
                       cores: [core] + extraCores,
                       inputs: [InputPort(name: "in", shape: [4], targets: (0..<4).map { [AxonAddress(core: 0, axon: $0)] })],
                       outputs: outputs)
    }

    /// Potentials of core 0's neurons after each tick, checked to agree between emulators.
    static func trace(_ map: CoreMap, _ spikes: [(Int, Int)], ticks: Int) throws -> [[Int]] {
        let input = SpikeInput(ticks: ticks, spikes: ["in": spikes.map { SpikeInput.Event(tick: $0.0, index: $0.1) }])
        let fast = try Emulator(map: map, target: tiny).run(input, ticks: ticks, traceCore: 0)
        let reference = ScalarEmulator(map: map, target: tiny).run(input, ticks: ticks, traceCore: 0)
        #expect(fast == reference)
        return fast.trace?.potentials ?? []
    }

    @Test func integrationUsesTheWeightOfEachAxonType() throws {
        // s = [2, -1, 3, 0]; tick 0: axons 0, 1, 2 -> 0 + 2 - 1 + 3 = 4; tick 1: axon 3 -> 4 + 0;
        // tick 2: axon 0 -> 6. Threshold 100 is never reached.
        let n = NeuronConfig(index: 0, weights: [2, -1, 3, 0], threshold: 100)
        #expect(try Self.trace(Self.map([n]), [(0, 0), (0, 1), (0, 2), (1, 3), (2, 0)], ticks: 3) == [[4], [4], [6]])
    }

    @Test func spikesOnOneAxonInOneTickMerge() throws {
        // Two spikes for axon 0 in tick 0 (the port lists element 0 twice here) are one bit:
        // V = 2, not 4.
        var map = Self.map([NeuronConfig(index: 0, weights: [2, 0, 0, 0], threshold: 100)])
        map.inputs[0].targets[1] = [AxonAddress(core: 0, axon: 0)]
        #expect(try Self.trace(map, [(0, 0), (0, 1)], ticks: 1) == [[2]])
    }

    @Test func linearLeakAndLeakReversal() throws {
        // lambda = -1, epsilon = 0: V0 = 5 -> 4, 3, 2.
        let plain = NeuronConfig(index: 0, leak: -1, threshold: 100, initialPotential: 5)
        #expect(try Self.trace(Self.map([plain]), [], ticks: 3) == [[4], [3], [2]])
        // epsilon = 1: Omega = sign(V), so lambda = -1 pulls toward zero from both sides:
        // 3 -> 2, 1, 0, 0 (sign(0) = 0) and -2 -> -1, 0, 0, 0.
        let up = NeuronConfig(index: 0, leak: -1, leakReversal: true, threshold: 100, negThreshold: 100, initialPotential: 3)
        var down = up
        down.index = 1
        down.initialPotential = -2
        #expect(try Self.trace(Self.map([up, down]), [], ticks: 4) == [[2, -1], [1, 0], [0, 0], [0, 0]])
    }

    @Test func positiveThresholdAndTheThreeResetModes() throws {
        // Weight 4 on axon 0, threshold alpha = 3, input at tick 0 only.
        // normal (gamma 0): 4 >= 3 fires, V = R = -2; then stays -2.
        // linear (gamma 1): fires, V = 4 - 3 = 1; 1 < 3 stays.
        // none (gamma 2): fires, V stays 4, so it fires again every tick with no input.
        let wiring = [0: [0, 1, 2]]
        let normal = NeuronConfig(index: 0, weights: [4, 0, 0, 0], threshold: 3, negThreshold: 10, reset: .normal, resetPotential: -2)
        let linear = NeuronConfig(index: 1, weights: [4, 0, 0, 0], threshold: 3, negThreshold: 10, reset: .linear)
        let none = NeuronConfig(index: 2, weights: [4, 0, 0, 0], threshold: 3, reset: .none, destination: .output(port: "o", index: 0))
        let map = Self.map([normal, linear, none], wiring: wiring, outputs: [OutputPort(name: "o", shape: [1], latency: 0)])
        #expect(try Self.trace(map, [(0, 0)], ticks: 3) == [[-2, 1, 4], [-2, 1, 4], [-2, 1, 4]])
        let result = try Emulator(map: map, target: Self.tiny).run(SpikeInput(ticks: 1, spikes: ["in": [.init(tick: 0, index: 0)]]), ticks: 3)
        #expect(result.outputs[0].spikes.map { $0.tick } == [0, 1, 2])
    }

    @Test func negativeThresholdSaturateAndReset() throws {
        // Weight -8, beta = 5. saturate (kappa 1): -8 < -5 -> V = -beta = -5.
        // reset (kappa 0): -8 < -(5 + 0): normal -> V = -R = -2; linear -> -8 + 5 = -3;
        // none -> stays -8.
        let wiring = [0: [0, 1, 2, 3]]
        let neurons = [
            NeuronConfig(index: 0, weights: [-8, 0, 0, 0], threshold: 9, negThreshold: 5, negative: .saturate),
            NeuronConfig(index: 1, weights: [-8, 0, 0, 0], threshold: 9, negThreshold: 5, reset: .normal, resetPotential: 2, negative: .reset),
            NeuronConfig(index: 2, weights: [-8, 0, 0, 0], threshold: 9, negThreshold: 5, reset: .linear, negative: .reset),
            NeuronConfig(index: 3, weights: [-8, 0, 0, 0], threshold: 9, negThreshold: 5, reset: .none, negative: .reset),
        ]
        #expect(try Self.trace(Self.map(neurons, wiring: wiring), [(0, 0)], ticks: 1) == [[-5, -2, -3, -8]])
    }

    @Test func membraneSaturatesAtItsWidth() throws {
        // tiny has a 20-bit membrane: -524288 ... 524287. From 524280, +8 saturates at
        // 524287; with reset none and the largest 18-bit threshold (262143) it fires and
        // keeps the value. From -524280, -8 saturates at -524288 (negative reset, gamma none).
        let wiring = [0: [0, 1]]
        let high = NeuronConfig(index: 0, weights: [8, 0, 0, 0], threshold: 262_143, reset: .none, initialPotential: 524_280)
        let low = NeuronConfig(index: 1, weights: [-8, 0, 0, 0], threshold: 262_143, negThreshold: 262_143, reset: .none,
                               negative: .reset, initialPotential: -524_280)
        #expect(try Self.trace(Self.map([high, low], wiring: wiring), [(0, 0)], ticks: 1) == [[524_287, -524_288]])
    }

    @Test func axonDelaysDeliverAtTickPlusDelay() throws {
        // Neuron 0 of core 0 fires at tick 0 (input at tick 0, weight 1, threshold 1) and
        // sends to core 1 axon 0 with delay 3: integrated at tick 3, where core 1's neuron
        // fires into output 'o' at tick 3. The hop goes from chip (0,0) core (0,0) to chip
        // (1,0) core (2,1): mesh distance |6 - 0| + |1 - 0| = 7, one chip crossing.
        let sender = NeuronConfig(index: 0, weights: [1, 0, 0, 0], threshold: 1, destination: .axon(core: 1, axon: 0, delay: 3))
        var crossbar = Crossbar(axons: 16, neurons: 16)
        crossbar[0, 0] = true
        let receiver = CoreConfig(id: 1, chip: [1, 0], place: [2, 1], seed: 7, axonTypes: Array(repeating: 0, count: 16), crossbar: crossbar,
                                  neurons: [NeuronConfig(index: 0, weights: [1, 0, 0, 0], threshold: 1, destination: .output(port: "o", index: 0))])
        let map = Self.map([sender], wiring: [0: [0]], extraCores: [receiver], outputs: [OutputPort(name: "o", shape: [1], latency: 3)])
        let input = SpikeInput(ticks: 1, spikes: ["in": [.init(tick: 0, index: 0)]])
        let fast = try Emulator(map: map, target: Self.tiny).run(input, ticks: 6)
        #expect(fast == ScalarEmulator(map: map, target: Self.tiny).run(input, ticks: 6))
        #expect(fast.outputs[0].spikes == [SpikeInput.Event(tick: 3, index: 0)])
        #expect(fast.stats.hops == 7 && fast.stats.chipCrossings == 1 && fast.stats.spikes == 2)
        // Active core-ticks: core 0 at tick 0 (input); core 1 at tick 3 (spike). Nothing else.
        #expect(fast.stats.activeCoreTicks == 2)
        #expect(fast.stats.synapticEvents == 2)
    }
}
