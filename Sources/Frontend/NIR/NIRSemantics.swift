import SpikeIR

/// How a NIR graph's neurons step in discrete time. NIR stores continuous-time equations
/// and no time step, reset mode or comparison, and each framework that writes NIR files
/// reads them its own way (docs/nir.md has the equations; ../shared/research/import-formats.md
/// §2 the sources). `writer` names whose reading to follow; `dt` is the time step in the
/// file's time unit where the reading needs one.
///
///     let s = NIRSemantics(writer: .snntorch)   // dt 1e-4 s, subtract reset, fires at v > θ
public struct NIRSemantics: Sendable, Equatable {
    public enum Writer: String, Sendable, CaseIterable {
        /// NIR's own equations by forward Euler with `dt` (required for LIF; an IF neuron's
        /// spikes do not depend on it), reset to `v_reset`, firing at v > θ.
        case nir
        /// snnTorch's Leaky: β = 1 - dt/τ (dt 1e-4 s unless given), subtract reset (its
        /// default, which the exporter does not record), firing at v > θ.
        case snntorch
        /// Sinabs' IAF and LIF: τ in time steps, decay α = exp(-1/τ) with the input scaled by
        /// 1 - α (LIF's default norm_input), subtract reset, firing at v >= θ.
        case sinabs
        /// Norse's LIFBox and IAF cells: forward Euler with dt (0.001 unless given) in which
        /// r is not used, reset to `v_reset`, firing at v > θ. Norse 1.1's exporter writes
        /// τ = dt / τ_mem_inv, dt times the time constant, so a step is (dt² / τ).
        case norse
    }

    public var writer: Writer
    /// The time step, in the unit of the file's τ; nil for the writer's default.
    public var dt: Double?
    /// The reset, when the user knows it (NIR files do not say; snnTorch's exporter writes
    /// v_reset = 0 for every reset mechanism): nil for the writer's default.
    public var reset: NeuronModel.Reset?

    public init(writer: Writer = .nir, dt: Double? = nil, reset: NeuronModel.Reset? = nil) {
        self.writer = writer
        self.dt = dt
        self.reset = reset
    }

    /// The time step this reading uses: given, or the writer's default (nil when the writer
    /// has none and one is needed).
    var step: Double? {
        if let dt { return dt }
        switch writer {
        case .snntorch: return 1e-4
        case .norse: return 1e-3
        case .sinabs: return 1
        case .nir: return nil
        }
    }

    /// Whether the writer resets by subtracting the threshold (else to `v_reset`).
    var subtractReset: Bool { reset.map { $0 == .subtract } ?? (writer == .snntorch || writer == .sinabs) }

    /// Whether the writer fires at v > θ (else at v >= θ, as the hardware does).
    var strictThreshold: Bool { writer != .sinabs }
}
