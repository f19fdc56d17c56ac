/// How a real-valued network input is turned into spikes on input axons.
public enum InputEncoding: String, Sendable, CaseIterable {
    /// Deterministic rate code: a value in [0, 1] spikes in that fraction of ticks.
    case rate
    /// Poisson (Bernoulli per tick) with the value as probability; seeded.
    case poisson
    /// One tick: spike iff the value is at least 0.5 (thresholded binary input).
    case binary
    /// Spikes already (event cameras: N-MNIST, DVS, DDD17): the tensor has a leading
    /// dimension of ticks, [T, C, H, W] (or [N, T, C, H, W] for a batch), and a value of 1
    /// or more at (t, i) is a spike of element i in tick t.
    case events
}
