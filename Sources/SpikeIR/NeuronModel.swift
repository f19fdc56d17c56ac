/// The neuron dynamics a layer's outputs follow on the chip.
///
/// - `if`: integrate-and-fire, the rate-coded neuron of ANN-to-SNN conversion.
/// - `lif`: leaky integrate-and-fire; a multiplicative `decay` is what training frameworks
///   use, but the hardware leak is a constant per tick, so a decay is later approximated.
/// - `binary`: the Eedn neuron, one tick per layer, membrane cleared every tick: fires iff
///   the weighted input plus bias reaches the threshold.
public struct NeuronModel: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case integrateAndFire = "if"
        case leakyIntegrateAndFire = "lif"
        case binary
    }

    /// What happens to the membrane after a spike (hardware reset modes normal/linear/none).
    public enum Reset: String, Sendable, CaseIterable {
        case subtract, zero, none
    }

    public var kind: Kind
    public var threshold: Double
    /// One threshold per output channel, replacing `threshold` when set: per-channel weight
    /// quantisation gives each channel its own scale, and a hardware neuron has its own
    /// threshold register, so the scale lands there at no cost.
    public var channelThresholds: [Double]?
    /// Linear leak added every tick (the hardware's lambda before quantisation).
    public var leak: Double
    /// Multiplicative decay per tick (LIF only): V <- decay * V.
    public var decay: Double?
    public var reset: Reset
    /// The membrane potential at the start of a run, as a fraction of the threshold (0 by
    /// default). Half the threshold centres the truncation a rate-coded neuron makes: after
    /// T ticks it has fired round(T x rate) times instead of floor(T x rate) (residual
    /// elimination, ``EliminateResidual``). A fraction, so it follows the threshold through
    /// quantisation and per-channel scales; the hardware's initial potential is it times the
    /// neuron's integer threshold, rounded down (``initialPotential(channel:)``).
    public var initialFraction: Double
    /// The starting fractions a network may ask for: at most a threshold either way.
    public static let initialFractions: ClosedRange<Double> = -1...1

    public init(kind: Kind = .integrateAndFire, threshold: Double = 1, leak: Double = 0,
                decay: Double? = nil, reset: Reset = .subtract, initialFraction: Double = 0) {
        self.kind = kind
        self.threshold = threshold
        self.leak = leak
        self.decay = decay
        self.reset = reset
        self.initialFraction = initialFraction
    }

    /// The threshold of output channel `c`.
    public func threshold(channel c: Int) -> Double {
        guard let t = channelThresholds, !t.isEmpty else { return threshold }
        return t[min(max(c, 0), t.count - 1)]
    }

    /// The potential a neuron of channel `c` starts from, exactly: `initialFraction` times
    /// its threshold (0 for a binary neuron, which is cleared every tick). Integer hardware
    /// holds it rounded down (``integerInitialPotential(threshold:)``).
    public func initialPotential(channel c: Int) -> Double {
        kind == .binary ? 0 : initialFraction * threshold(channel: c)
    }

    /// The potential register's starting value for a hardware neuron of this layer whose
    /// integer threshold is `threshold`: `initialFraction` x threshold, rounded down.
    public func integerInitialPotential(threshold: Int) -> Int {
        kind == .binary ? 0 : Int((initialFraction * Double(threshold)).rounded(.down))
    }

    /// The potential register's start for a neuron of this layer whose first input arrives
    /// `late` ticks into the run (a layer of depth d: d - 1). Its leak (bias included) acts
    /// from tick 0, so it starts `late` ticks of leak away from
    /// ``integerInitialPotential(threshold:)`` and holds exactly that when its input begins,
    /// as in the framework it was trained in, where every layer starts at once. See
    /// ``leading(_:leak:late:threshold:beta:)``.
    ///
    ///     // threshold 10, v0 0, bias +3 a tick, input from tick 2: starts at -6
    ///     model.startingPotential(threshold: 10, leak: 3, late: 2, beta: 255)
    public func startingPotential(threshold: Int, leak: Int, late: Int, beta: Int) -> Int {
        kind == .binary ? 0 : Self.leading(integerInitialPotential(threshold: threshold), leak: leak, late: late, threshold: threshold, beta: beta)
    }

    /// `start` less `late` ticks of `leak`, so that a neuron integrating only its leak until
    /// its input arrives is back at `start` then. The lead is shortened where the neuron
    /// would fire on its leak alone before the input (a negative leak: a start of threshold
    /// or more) or fall under the negative floor -`beta` (a positive one), so the early ticks
    /// never spike or clamp: a layer whose bias is large against its threshold keeps part of
    /// the early bias.
    public static func leading(_ start: Int, leak: Int, late: Int, threshold: Int, beta: Int) -> Int {
        guard leak != 0, late > 0 else { return start }
        // The first tick adds one leak to the lead of k ticks: start + (k - 1) |leak| must stay
        // under the threshold, or start - (k - 1) leak at or over -beta.
        let room = leak < 0 ? threshold - 1 - start : start + beta
        guard room >= 0 else { return start }
        let ticks = min(late, room / abs(leak) + 1)
        return start - ticks * leak
    }

    public var description: String {
        var th = "th=\(formatNumber(threshold))"
        if let t = channelThresholds, let low = t.min(), let high = t.max() {
            th = "th=per-channel[\(t.count)] \(formatNumber(low))..\(formatNumber(high))"
        }
        var parts = ["\(kind.rawValue)", th]
        if leak != 0 { parts.append("leak=\(formatNumber(leak))") }
        if let decay { parts.append("decay=\(formatNumber(decay))") }
        if kind != .binary { parts.append("reset=\(reset.rawValue)") }
        if initialFraction != 0 && kind != .binary { parts.append("v0=\(formatNumber(initialFraction))th") }
        return parts.joined(separator: " ")
    }
}

/// Shortest faithful text of a number: integers without a decimal point.
func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
