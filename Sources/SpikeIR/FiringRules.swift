/// How a network's neurons fire where a training framework's reading differs from the
/// chip's, kept for the float reference (``FloatSimulator`` in Reference) so that an imported
/// network can be checked against the framework apart from quantisation. The chip fires at
/// v >= θ and subtracts θ in the same tick; the lowering maps what it can exactly (v > θ
/// becomes v >= floor(θ) + 1 for whole-number currents) and names the layers it cannot here.
///
///     var rules = FiringRules()
///     rules.strict.insert("fc")            // fires at v > θ (snnTorch, Norse, NIR's docstring)
///     rules.delayedSubtract.insert("fc")   // snnTorch: v[t] = β v[t-1] + I[t] - θ s[t-1]
public struct FiringRules: Sendable, Equatable {
    /// Layers that fire at v > θ rather than v >= θ.
    public var strict: Set<String>
    /// Layers whose subtract reset lands one tick late, after the decay (snnTorch's Leaky
    /// with `reset_delay=True`, its default): β·v − θ rather than β·(v − θ).
    public var delayedSubtract: Set<String>

    public init(strict: Set<String> = [], delayedSubtract: Set<String> = []) {
        self.strict = strict
        self.delayedSubtract = delayedSubtract
    }
}
