/// The pseudo-random generator of one core, seeded from the core map.
///
/// TrueNorth's generator is not published in a form we can reproduce bit for bit, so Tessera
/// documents its own: SplitMix64 over the core's seed, one 64-bit step per draw, whose upper
/// 32 bits are the draw. A stochastic synapse or leak compares a magnitude with
/// `draw & (2^randomBits - 1)` (the target's `randomBits`); a stochastic threshold adds
/// `draw & M`. Draws happen only where the spec uses rho, in this order within a tick:
/// core by core; within a core neuron by neuron in ascending index; within a neuron first one
/// draw per stochastic synapse event (active axons in ascending order), then one for a
/// stochastic leak, then one for a nonzero threshold mask. `docs/emulator.md` has the details.
public struct CorePRNG: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func draw() -> UInt32 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return UInt32(truncatingIfNeeded: z >> 32)
    }
}
