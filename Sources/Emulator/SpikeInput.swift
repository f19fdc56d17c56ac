/// Spikes to inject into a core map's input ports: for each port, (tick, element) pairs,
/// elements indexed row-major. The emulator integrates a spike injected for tick t in t.
public struct SpikeInput: Sendable, Equatable {
    public struct Event: Sendable, Hashable, Comparable {
        public var tick: Int
        public var index: Int
        public init(tick: Int, index: Int) {
            self.tick = tick
            self.index = index
        }
        public static func < (a: Event, b: Event) -> Bool { (a.tick, a.index) < (b.tick, b.index) }
    }

    /// Number of ticks the spikes span (a run may be longer).
    public var ticks: Int
    public var spikes: [String: [Event]]

    public init(ticks: Int, spikes: [String: [Event]]) {
        self.ticks = ticks
        self.spikes = spikes
    }
}

/// What a run produced: output spikes per port, counters, and an optional potential trace.
public struct EmulationResult: Sendable, Equatable {
    public struct Port: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// (tick fired, element) in firing order: by tick, then by element.
        public var spikes: [SpikeInput.Event]
        /// Spikes per element over the run.
        public var counts: [Int]

        public init(name: String, shape: [Int], spikes: [SpikeInput.Event], counts: [Int]) {
            self.name = name
            self.shape = shape
            self.spikes = spikes
            self.counts = counts
        }

        /// The element with the most spikes (the first of a tie), or nil if none fired.
        public var argmax: Int? {
            guard let best = counts.max(), best > 0 else { return nil }
            return counts.firstIndex(of: best)
        }
    }

    public var ticks: Int
    public var outputs: [Port]
    public var stats: EmulationStats
    /// Membrane potential of each used neuron of the traced core after every tick.
    public var trace: PotentialTrace?
    /// Spikes fired per tick by each layer's cores (the map's layer labels).
    public var layerSpikes: LayerSpikes?
    /// Every neuron that fired, per tick, as `core * neurons + index` in ascending order,
    /// when the run was asked for them (``Emulator/run(_:ticks:traceCore:recordFired:progress:)``):
    /// what a peer simulator's spikes are compared with.
    public var fired: [[Int32]]?

    public init(ticks: Int, outputs: [Port], stats: EmulationStats, trace: PotentialTrace? = nil, layerSpikes: LayerSpikes? = nil,
                fired: [[Int32]]? = nil) {
        self.ticks = ticks
        self.outputs = outputs
        self.stats = stats
        self.trace = trace
        self.layerSpikes = layerSpikes
        self.fired = fired
    }
}

/// Activity counters of a run.
public struct EmulationStats: Sendable, Equatable {
    /// Neuron firings, wherever they go.
    public var spikes = 0
    /// Spikes arriving at connected synapses: for each axon spike, its crossbar row's ones.
    public var synapticEvents = 0
    /// Core-to-core packet hops, |dx| + |dy| on the board's mesh of cores.
    public var hops = 0
    /// Chip-boundary crossings among those hops, |dchipX| + |dchipY|.
    public var chipCrossings = 0
    /// (core, tick) pairs in which a core had work: an input spike, a leak, a stochastic
    /// neuron, or a neuron at or beyond a threshold. Other cores cost nothing.
    public var activeCoreTicks = 0

    public init() {}
}

/// Potentials of one core's used neurons, tick by tick.
public struct PotentialTrace: Sendable, Equatable {
    public var core: Int
    public var neurons: [Int]
    /// `potentials[t][k]`: neuron `neurons[k]` after tick t.
    public var potentials: [[Int]]
}
