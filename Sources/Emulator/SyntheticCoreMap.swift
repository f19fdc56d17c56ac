import CoreMap
import Hardware
import TesseraSupport

/// Generated core maps for property tests and benchmarks: random but valid configurations
/// of any target, reproducible from a seed.
public enum SyntheticCoreMap {
    /// Which neuron features a random map may use.
    public struct Options: Sendable {
        public var cores: ClosedRange<Int> = 1...6
        public var stochastic = false
        /// Probability that a crossbar bit is set.
        public var density = 0.4
        public var inputElements: ClosedRange<Int> = 1...12
        /// Give all neurons of a core one parameter set (as a compiled layer does), and
        /// half the cores one weight set too; otherwise every neuron draws its own.
        public var uniformCores = false
        public init() {}
    }

    /// A random valid map for `target`: random places, axon types, crossbars and neuron
    /// parameters within the target's widths (kept small so neurons do fire), destinations
    /// to random axons with random delays, an input port and an output port.
    public static func random(target: Target, seed: UInt64, options: Options = Options()) -> CoreMap {
        var rng = SeededRandom(seed: seed)
        func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        func chance(_ p: Double) -> Bool { rng.nextUnit() < p }
        let spec = target.core
        let board = target.board
        let count = min(int(options.cores), board.coresTotal)
        // Distinct places: shuffle all board positions, take the first `count`.
        var places = (0..<board.coresTotal).map { $0 }
        places.shuffle(using: &rng)
        var map = CoreMap(target: target.name, geometry: CoreGeometry(axons: spec.axons, neurons: spec.neurons, axonTypes: spec.axonTypes),
                          chips: board.chips, coresPerChip: board.coresPerChip)
        var outputs = 0
        for c in 0..<count {
            let p = places[c]
            let perChip = board.coresPerChipTotal
            let chipIndex = p / perChip, within = p % perChip
            var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
            for a in 0..<spec.axons { for n in 0..<spec.neurons where chance(options.density) { crossbar[a, n] = true } }
            var neurons: [NeuronConfig] = []
            var template: NeuronConfig?
            let sameWeights = chance(0.5)
            for index in 0..<spec.neurons where chance(options.uniformCores ? 0.95 : 0.8) {
                var n = NeuronConfig(index: index)
                n.weights = (0..<4).map { _ in int(-6...8) }
                n.leak = chance(0.5) ? 0 : int(-3...3)
                n.leakReversal = chance(0.2)
                n.threshold = int(1...24)
                n.negThreshold = int(0...30)
                n.reset = NeuronConfig.Reset.allCases[int(0...2)]
                n.negative = chance(0.5) ? .saturate : .reset
                n.resetPotential = int(-6...6)
                n.initialPotential = int(-10...10)
                if options.stochastic {
                    n.stochasticSynapse = (0..<4).map { _ in chance(0.3) }
                    n.stochasticLeak = chance(0.3)
                    n.thresholdMask = chance(0.3) ? int(1...7) : 0
                    if n.stochasticLeak && n.leak == 0 { n.leak = int(1...200) }
                }
                if options.uniformCores {
                    // Keep the first neuron's parameters (and maybe weights); vary only the
                    // start potential. Linear reset with saturation is the common fast path.
                    if let t = template {
                        let start = n.initialPotential
                        let weights = n.weights
                        n = t
                        n.index = index
                        n.initialPotential = start
                        if !sameWeights { n.weights = weights }
                    } else {
                        if chance(0.5) { n.reset = .linear; n.negative = .saturate; n.leakReversal = false }
                        template = n
                    }
                }
                neurons.append(n)
            }
            map.cores.append(CoreConfig(id: c, chip: [chipIndex % board.chips[0], chipIndex / board.chips[0]],
                                        place: [within % board.coresPerChip[0], within / board.coresPerChip[0]],
                                        seed: rng.next() >> 11, axonTypes: (0..<spec.axons).map { _ in UInt8(int(0...(spec.axonTypes - 1))) },
                                        crossbar: crossbar, neurons: neurons))
        }
        let delays = target.timing.delays
        for c in 0..<count {
            for k in map.cores[c].neurons.indices {
                if chance(0.15) {
                    map.cores[c].neurons[k].destination = .output(port: "out", index: outputs)
                    outputs += 1
                } else if chance(0.9) {
                    map.cores[c].neurons[k].destination = .axon(core: int(0...(count - 1)), axon: int(0...(spec.axons - 1)),
                                                                delay: int(delays.lowerBound...min(delays.upperBound, delays.lowerBound + 4)))
                }
            }
        }
        if outputs > 0 { map.outputs = [OutputPort(name: "out", shape: [outputs], latency: 1)] }
        let elements = int(options.inputElements)
        map.inputs = [InputPort(name: "in", shape: [elements], targets: (0..<elements).map { _ in
            (0..<int(1...2)).map { _ in AxonAddress(core: int(0...(count - 1)), axon: int(0...(spec.axons - 1))) }
        })]
        return map
    }

    /// Random input spikes for a map's ports over `ticks` ticks.
    public static func randomInput(for map: CoreMap, ticks: Int, rate: Double, seed: UInt64) -> SpikeInput {
        var rng = SeededRandom(seed: seed)
        var spikes: [String: [SpikeInput.Event]] = [:]
        for port in map.inputs {
            var events: [SpikeInput.Event] = []
            for t in 0..<ticks { for i in 0..<port.count where rng.nextUnit() < rate { events.append(.init(tick: t, index: i)) } }
            spikes[port.name] = events
        }
        return SpikeInput(ticks: ticks, spikes: spikes)
    }

    /// The benchmark chip: every core of the target's first chip used, every neuron used,
    /// crossbars half full (128 synapses per neuron on TrueNorth), balanced excitatory and
    /// inhibitory axon types (+1, +1, -1, -1), a leak of +1 and a threshold of 50, so a
    /// neuron fires about once per 50 ticks (20 Hz at 1 kHz) while the balanced input only
    /// jitters it. Each neuron sends to a random axon of a random core, delay 1.
    /// `cores` defaults to one full chip; more cores fill further chips of the board.
    public static func benchmarkChip(target: Target, seed: UInt64, cores: Int? = nil) -> CoreMap {
        var rng = SeededRandom(seed: seed)
        let spec = target.core
        let board = target.board
        let count = min(cores ?? board.coresPerChipTotal, board.coresTotal)
        var map = CoreMap(target: target.name, geometry: CoreGeometry(axons: spec.axons, neurons: spec.neurons, axonTypes: spec.axonTypes),
                          chips: board.chips, coresPerChip: board.coresPerChip)
        let words = (spec.neurons + 63) / 64
        for c in 0..<count {
            var crossbar = Crossbar(axons: spec.axons, neurons: spec.neurons)
            for a in 0..<spec.axons {
                // 64 random bits per word: each bit set with probability 1/2.
                var row = (0..<words).map { _ in rng.next() }
                if spec.neurons % 64 != 0 { row[words - 1] &= (1 << UInt64(spec.neurons % 64)) - 1 }
                crossbar.setRow(a, words: row)
            }
            let neurons = (0..<spec.neurons).map { index in
                NeuronConfig(index: index, weights: [1, 1, -1, -1], leak: 1, threshold: 50, negThreshold: 50,
                             reset: .linear, negative: .saturate, initialPotential: Int(rng.next() % 50),
                             destination: .axon(core: Int(rng.next() % UInt64(count)), axon: Int(rng.next() % UInt64(spec.axons)), delay: 1))
            }
            let chip = c / board.coresPerChipTotal, within = c % board.coresPerChipTotal
            map.cores.append(CoreConfig(id: c, chip: [chip % board.chips[0], chip / board.chips[0]],
                                        place: [within % board.coresPerChip[0], within / board.coresPerChip[0]],
                                        seed: UInt64(c), axonTypes: (0..<spec.axons).map { UInt8($0 % spec.axonTypes) },
                                        crossbar: crossbar, neurons: neurons))
        }
        return map
    }
}
