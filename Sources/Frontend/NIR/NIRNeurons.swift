import Foundation
import SpikeIR
import TesseraSupport

/// A NIR neuron node (IF, LIF, Threshold) as a Tessera neuron model under a writer's
/// discrete reading (``NIRSemantics``). NIR's equations scale the input current by a gain
/// (r for IF; r dt / τ for LIF by forward Euler); Tessera divides the threshold and leak by
/// the gain instead, which is exact (the potential is scaled by 1 / gain throughout) and
/// leaves integer weights integer.
struct NIRNeuron {
    var model: NeuronModel
    var warnings: [String]
    /// Whether the neuron still fires at v > θ (the lowering could not make it v >= θ').
    var strict = false
    /// Whether its subtract reset lands a tick late (``FiringRules/delayedSubtract``).
    var delayedSubtract = false

    /// `shape` is the node's neurons (channels, height, width); `integral` whether every
    /// input current is a whole number (integer weights and biases), which lets a strict
    /// comparison v > θ become v >= floor(θ) + 1 exactly.
    static func read(_ f: NIRFields, shape: [Int], semantics: NIRSemantics, integral: Bool) throws(DiagnosticError) -> NIRNeuron {
        let writer = semantics.writer
        var warnings: [String] = []
        let threshold: [Double], gain: [Double], decay: Double?, leak: [Double]
        var kind = NeuronModel.Kind.integrateAndFire
        switch f.node.type {
        case "IF":
            threshold = try f.perChannel("v_threshold", shape: shape)
            let r = try f.perChannel("r", shape: shape)
            switch writer {
            // dv/dt = R I: a step adds R I dt, and dt only scales the potential (there is no
            // leak to compare it with), so a step is taken as one unit of time.
            case .nir: gain = r
            // snnTorch's importer reads IF as Leaky(beta 1, threshold θ r).
            case .snntorch: gain = r.map { 1 / $0 }
            // Sinabs' IAF and Norse's IAF cell do not use r.
            case .sinabs, .norse: gain = r.map { _ in 1 }
            }
            decay = nil
            leak = threshold.map { _ in 0 }
        case "LIF":
            threshold = try f.perChannel("v_threshold", shape: shape)
            let tau = try f.perChannel("tau", shape: shape), r = try f.perChannel("r", shape: shape)
            let vLeak = try f.perChannel("v_leak", shape: shape, default: 0)
            guard tau.allSatisfy({ $0 > 0 }) else { throw f.error("tau", "must be positive (it is \(tau.min() ?? 0))") }
            guard let dt = semantics.step else {
                throw DiagnosticError("\(f.label): NIR stores no time step; give --dt (in the unit of tau, seconds for snnTorch, Lava and the NIR paper's files) or --from snntorch|sinabs|norse")
            }
            // tau = inf is no leak; with r = inf too it is snnTorch's beta = 1, whose r = tau / dt
            // makes the gain r dt / tau exactly 1.
            func euler(_ tau: Double, _ r: Double) -> Double { tau == .infinity && r == .infinity ? 1 : r * dt / tau }
            // Per channel: the decay factor and the gain on the input current.
            let perChannel: [(decay: Double, gain: Double)]
            switch writer {
            case .nir, .snntorch: perChannel = zip(tau, r).map { (1 - dt / $0, euler($0, $1)) }
            // Norse 1.1 writes tau = dt / tau_mem_inv: a step is dt tau_mem_inv = dt^2 / tau.
            case .norse: perChannel = tau.map { (1 - dt * dt / $0, dt * dt / $0) }
            case .sinabs:
                guard vLeak.allSatisfy({ $0 == 0 }) else { throw f.error("v_leak", "is not 0; Sinabs' LIF has no leak towards a resting potential") }
                // v <- alpha v + (1 - alpha) I (norm_input, the default), alpha = exp(-dt / tau).
                perChannel = tau.map { (exp(-dt / $0), 1 - exp(-dt / $0)) }
            }
            guard let d = perChannel.first.map({ Self.snapped($0.decay) }), perChannel.allSatisfy({ Self.snapped($0.decay) == d }) else {
                throw f.error("tau", "differs between channels; Tessera keeps one decay per layer")
            }
            guard d >= 0, d <= 1 else { throw f.error("tau", "gives a decay of \(d) per step (dt \(dt), tau \(tau[0])); it must lie in 0...1 (is dt in the unit of tau?)") }
            decay = d == 1 ? nil : d
            gain = perChannel.map(\.gain)
            leak = writer == .sinabs ? tau.map { _ in 0 } : zip(tau, vLeak).map { (writer == .norse ? dt * dt : dt) / $0 * $1 }
            kind = d == 1 ? .integrateAndFire : .leakyIntegrateAndFire
        case "Threshold":
            threshold = try f.perChannel("threshold", shape: shape)
            gain = threshold.map { _ in 1 }
            decay = nil
            leak = threshold.map { _ in 0 }
            kind = .binary
        default:
            throw DiagnosticError("\(f.label) is not a neuron node")
        }
        guard gain.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw f.error("r", "gives an input gain of \(gain.first { !($0 > 0 && $0.isFinite) } ?? 0) (from r and tau); it must be positive and finite")
        }
        // Divided by the gain.
        var theta = zip(threshold, gain).map { Self.snapped($0 / $1) }
        let leaks = zip(leak, gain).map { Self.snapped($0 / $1) }
        guard let first = leaks.first, leaks.allSatisfy({ $0 == first }) else {
            throw f.error("v_leak", "differs between channels; Tessera keeps one leak per layer")
        }

        var reset = NeuronModel.Reset.subtract
        if kind != .binary {
            let vReset = try f.perChannel("v_reset", shape: shape, default: 0)
            if semantics.subtractReset {
                if vReset.contains(where: { $0 != 0 }) { warnings.append("\(f.label): v_reset is ignored: the reset subtracts the threshold") }
            } else {
                guard vReset.allSatisfy({ $0 == 0 }) else {
                    throw f.error("v_reset", "is \(vReset.first { $0 != 0 } ?? 0); Tessera resets to 0 or by subtracting the threshold (--reset subtract)")
                }
                reset = .zero
            }
        }
        // The hardware fires at v >= θ. For a writer that fires at v > θ the two agree except
        // when the potential equals the threshold: with whole-number currents, no decay and
        // a reset to zero (or no state), v > θ is exactly v >= floor(θ) + 1.
        var strict = false
        if semantics.strictThreshold {
            let whole = integral && decay == nil && first == first.rounded()
            if whole && (reset == .zero || kind == .binary) {
                theta = theta.map { $0.rounded(.down) + 1 }
            } else {
                strict = true
                warnings.append("\(f.label): fires at v >= threshold on the chip where \(writer.rawValue) fires at v > threshold; they differ only when the potential equals the threshold exactly (the float reference fires at v > threshold)")
            }
        }
        // snnTorch's Leaky subtracts a spike's threshold at the start of the next tick, after
        // the decay (reset_delay=True, its default); the chip subtracts in the same tick.
        let delayed = writer == .snntorch && reset == .subtract && decay != nil
        if delayed {
            warnings.append("\(f.label): snnTorch subtracts the threshold a tick late (beta v - threshold), the chip at once (beta (v - threshold)); spikes can differ (the float reference subtracts late)")
        }
        var model = NeuronModel(kind: kind, threshold: theta.first ?? 1, leak: first, decay: decay, reset: reset)
        if theta.contains(where: { $0 != theta[0] }) { model.channelThresholds = theta }
        return NIRNeuron(model: model, warnings: warnings, strict: strict, delayedSubtract: delayed)
    }

    // Files store float32 (about 7 significant digits): a value derived from them is
    // taken to 7 digits, so that snnTorch's beta 0.5, written as tau and r in float32,
    // reads back as 0.5 rather than 0.49999998736893725.
    static func snapped(_ x: Double) -> Double {
        guard x != 0, x.isFinite else { return x }
        let scale = pow(10, 6 - floor(log10(abs(x))))
        let y = (x * scale).rounded() / scale
        return abs(x - y) <= 1e-7 * abs(x) ? y : x
    }
}
