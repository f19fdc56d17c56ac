import Hardware

/// Energy per frame on the target, term by term, each a count times a coefficient read from
/// the target file (with the source the file cites):
///
///     static  = staticPower x chips x frame time
///     active  = synaptic events x activeSynapticEvent + spikes x spike
///             + neuron updates x neuronUpdate + hops x hop + chip crossings x chipCrossing
///
/// A coefficient the target does not give leaves its term out, and the estimate says so
/// (TrueNorth's figures fold spikes and neuron updates into the active synaptic-event
/// energy and the static power; see `targets/truenorth.yaml`).
public struct EnergyEstimate: Sendable, Encodable {
    public struct Term: Sendable, Encodable {
        public var name: String
        /// The count (or, for the static term, chips x seconds).
        public var count: Double
        public var countUnit: String
        /// The target's figure, its unit and its source; nil when the target has none.
        public var coefficientKey: String
        public var coefficient: Double?
        public var coefficientUnit: String?
        public var source: String?
        /// Energy of the term in joules, nil when not modelled.
        public var joules: Double?
    }

    public var terms: [Term]
    /// Sum of the modelled terms, in joules per frame.
    public var joules: Double
    public var activity: Activity

    public init(activity: Activity, chips: Int, target: Target) {
        let seconds = activity.ticks / target.timing.tickHz
        func term(_ name: String, _ count: Double, _ unit: String, _ key: String, scale: Double) -> Term {
            let figure = target.energy[key]
            return Term(name: name, count: count, countUnit: unit, coefficientKey: key, coefficient: figure?.value, coefficientUnit: figure?.unit,
                        source: figure?.source, joules: figure.map { $0.value * scale * count })
        }
        terms = [
            term("static", Double(chips) * seconds, "chip-seconds", "staticPower", scale: 1e-3),  // mW x s = mJ
            term("synaptic events", activity.synapticEvents, "events", "activeSynapticEvent", scale: 1e-12),
            term("spikes", activity.spikes, "spikes", "spike", scale: 1e-12),
            term("neuron updates", activity.neuronUpdates, "updates", "neuronUpdate", scale: 1e-12),
            term("hops", activity.hops, "hops", "hop", scale: 1e-12),
            term("chip crossings", activity.chipCrossings, "crossings", "chipCrossing", scale: 1e-12),
        ]
        joules = terms.compactMap(\.joules).reduce(0, +)
        self.activity = activity
    }
}

/// The comparison the SNN-conversion papers make (e.g. Kim, Chough & Panda): the float
/// network's multiply-accumulates x E_MAC against the spiking network's synaptic events
/// (accumulates) x E_AC, both on the same 45 nm figures from the target.
public struct AnnComparison: Sendable, Encodable {
    public var macs: Int
    public var synapticEvents: Double
    public var macJoules: Double
    public var acJoules: Double
    /// ANN energy / SNN energy: above 1 the spiking network spends less.
    public var ratio: Double
    public var sources: [String]

    public init?(macs: Int, synapticEvents: Double, target: Target) {
        guard let mac = target.energy["mac45nm"], let ac = target.energy["ac45nm"] else { return nil }
        self.macs = macs
        self.synapticEvents = synapticEvents
        macJoules = Double(macs) * mac.value * 1e-12
        acJoules = synapticEvents * ac.value * 1e-12
        ratio = acJoules == 0 ? .infinity : macJoules / acJoules
        sources = [mac.source, ac.source]
    }
}
