/// What one spike of a partial-sum neuron stands for when a layer's fan-in is split
/// (docs/mapping.md, fan-in splitting). The merge neuron adds a partial spike with one
/// synaptic weight, at most the target's widest (255 on TrueNorth), so the two differ only
/// where the layer's threshold θ is above it:
///
/// - `weight`: a partial neuron fires once per `w = min(θ, 255)` of its current, and the
///   merge neuron keeps θ. Finer steps, but a neuron fires at most once a tick, so a part
///   whose current exceeds `w` in a tick is capped and carries the rest into later ticks.
/// - `threshold`: a partial neuron fires once per θ (one firing of the layer's neuron); the
///   merge neuron's threshold becomes `w` and its leak is scaled by `w / θ`, rounded. No cap
///   below one threshold a tick, but coarser steps.
///
/// Offset-coded (``PartialSums/offset``), `weight` sizes each step to the part's per-tick
/// range, which bounds the error by half a step whatever the input; `threshold` makes it
/// one threshold, finer but with currents beyond it carried as a lag (``OffsetCode``).
///
/// - `halfWeight`: a partial neuron fires once per `max(1, w / 2)` of its current, and the
///   merge neuron adds that much per spike and keeps θ (all exact). Half the residue a part
///   holds back, but half what it can send a tick. Offset-coded layers take it as `weight`.
///
/// ``PartialStepChoice`` measures them where they differ and keeps the one with the lower
/// rate error, as `tessera compile` does; `Compiler.Options`' default is `weight`.
public enum PartialStep: String, Sendable, CaseIterable, Codable {
    case weight, threshold
    case halfWeight = "half-weight"
}
