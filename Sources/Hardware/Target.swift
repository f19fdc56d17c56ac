/// A hardware target: the size and arithmetic of one neurosynaptic core, how cores tile a
/// chip and chips a board, the tick, and the energy figures an estimate uses.
///
/// Every number that can differ between chips lives here and in `targets/*.yaml`, never in
/// code. Load one with ``TargetLoader``:
///
/// ```swift
/// let target = try TargetLoader.load(named: "truenorth")
/// print(target.core.axons, target.board.coresTotal)   // 256 4096
/// ```
public struct Target: Sendable {
    public var name: String
    public var summary: String
    public var core: CoreSpec
    public var timing: Timing
    public var board: Board
    public var energy: EnergyModel
    /// The file the target was read from.
    public var file: String

    public init(name: String, summary: String, core: CoreSpec, timing: Timing, board: Board, energy: EnergyModel, file: String) {
        self.name = name
        self.summary = summary
        self.core = core
        self.timing = timing
        self.board = board
        self.energy = energy
        self.file = file
    }
}

/// One core: `axons` inputs x `neurons` outputs through a binary crossbar, `axonTypes`
/// weight classes, and the bit widths of the integer neuron state and parameters.
public struct CoreSpec: Hashable, Sendable {
    public var axons: Int
    public var neurons: Int
    public var axonTypes: Int
    /// Signed width of the per-type synaptic weight s_j[g].
    public var weightBits: Int
    /// Signed width of the leak lambda.
    public var leakBits: Int
    /// Unsigned width of the positive threshold alpha.
    public var thresholdBits: Int
    /// Unsigned width of the negative threshold beta.
    public var negThresholdBits: Int
    /// Signed width of the reset potential R.
    public var resetBits: Int
    /// Signed width of the membrane potential V, which saturates rather than wraps.
    public var membraneBits: Int
    /// Width of the stochastic threshold mask M.
    public var thresholdMaskBits: Int
    /// Width of the random number rho that stochastic synapses and leaks compare with.
    public var randomBits: Int

    /// Inclusive range of a signed field of `bits` bits: -2^(bits-1) ... 2^(bits-1) - 1.
    public static func signedRange(bits: Int) -> ClosedRange<Int> {
        -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
    }

    /// Inclusive range of an unsigned field of `bits` bits.
    public static func unsignedRange(bits: Int) -> ClosedRange<Int> {
        0...((1 << bits) - 1)
    }

    public var weightRange: ClosedRange<Int> { Self.signedRange(bits: weightBits) }
    public var membraneRange: ClosedRange<Int> { Self.signedRange(bits: membraneBits) }
    public var thresholdRange: ClosedRange<Int> { Self.unsignedRange(bits: thresholdBits) }
}

/// The global tick and the axonal delays a spike can be given.
public struct Timing: Hashable, Sendable {
    public var tickHz: Double
    public var delays: ClosedRange<Int>
}

/// Cores per chip and chips per board, both as a 2-D mesh (columns x rows).
public struct Board: Hashable, Sendable {
    public var coresPerChip: [Int]
    public var chips: [Int]
    /// What one chip-to-chip link carries, in one direction, when the target says.
    public var link: LinkCapacity?

    public init(coresPerChip: [Int], chips: [Int], link: LinkCapacity? = nil) {
        self.coresPerChip = coresPerChip
        self.chips = chips
        self.link = link
    }

    public var coresPerChipTotal: Int { coresPerChip[0] * coresPerChip[1] }
    public var chipsTotal: Int { chips[0] * chips[1] }
    public var coresTotal: Int { coresPerChipTotal * chipsTotal }
}

/// Spikes per tick one chip edge carries in one direction (the target file's `chip: link:`),
/// with the publication or assumption it rests on.
public struct LinkCapacity: Hashable, Sendable {
    public var spikesPerTick: Double
    public var source: String

    /// The fastest tick, in Hz, at which a link loaded with `spikes` per tick keeps up,
    /// given that it carries `spikesPerTick` per tick at the target's `tickHz`.
    public func sustainableTickHz(load spikes: Double, tickHz: Double) -> Double {
        spikes > 0 ? spikesPerTick * tickHz / spikes : .infinity
    }
}

/// A measured figure with its unit and the publication it comes from.
public struct EnergyFigure: Hashable, Sendable {
    public var value: Double
    public var unit: String
    public var source: String
}

/// The energy and power figures of a target. Each is optional: an estimate that needs a
/// figure the target lacks says so instead of inventing one.
public struct EnergyModel: Hashable, Sendable {
    /// Every figure by its key in the target file, in file order.
    public var figures: [(key: String, figure: EnergyFigure)]

    public subscript(key: String) -> EnergyFigure? {
        figures.first { $0.key == key }?.figure
    }

    /// The keys a target file may use, with their expected units.
    public static let knownFigures: [(key: String, unit: String, meaning: String)] = [
        ("chipPower", "mW", "power of one chip running a real-time network"),
        ("staticPower", "mW", "leakage power of one chip, independent of activity"),
        ("synapticEvent", "pJ", "energy per synaptic event (one spike at one connected synapse)"),
        ("activeSynapticEvent", "pJ", "active energy per synaptic event, without the static power an estimate counts apart"),
        ("sopsPerWatt", "GSOPS/W", "synaptic operations per second per watt, typical"),
        ("sopsPerWattPeak", "GSOPS/W", "synaptic operations per second per watt, best case"),
        ("neuronUpdate", "pJ", "energy per neuron update (one neuron, one tick)"),
        ("spike", "pJ", "energy to send one spike packet"),
        ("hop", "pJ", "energy per core-to-core hop of a spike packet"),
        ("chipCrossing", "pJ", "energy per chip-boundary crossing of a spike packet"),
        ("mac45nm", "pJ", "one 32-bit multiply-accumulate on a 45 nm process"),
        ("ac45nm", "pJ", "one 32-bit accumulate on a 45 nm process"),
    ]

    public static func == (a: EnergyModel, b: EnergyModel) -> Bool {
        a.figures.map(\.key) == b.figures.map(\.key) && a.figures.map(\.figure) == b.figures.map(\.figure)
    }

    public func hash(into hasher: inout Hasher) {
        for (key, figure) in figures {
            hasher.combine(key)
            hasher.combine(figure)
        }
    }
}
