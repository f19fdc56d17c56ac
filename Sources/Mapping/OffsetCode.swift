import Hardware

/// The parameters of one output channel's partial-sum and merge neurons under offset coding
/// (``PartialSums/offset``; docs/mapping.md, "Offset coding").
///
/// A neuron only spikes for a positive potential, so a part's signed current cannot travel
/// as it is. Each tick the partial neuron adds the part's current plus a constant leak, the
/// *offset* `o` (at least the part's largest negative current), and fires once per *step* `s`
/// (at least the part's widest per-tick range), subtracting it. Its potential then stays in
/// `[0, s)`: nothing is floored away and nothing is capped. The merge neuron adds `s` per
/// partial spike and removes the offsets with its own leak, so after any number of ticks it
/// has received the part's true accumulated current minus the partial neuron's change of
/// potential, which starts at `s / 2` and is never more than `s / 2` away from it.
///
/// Both neurons count in integers. With `t` a divisor of the layer's threshold θ, step and
/// offset are multiples of `t`, and the merge neuron counts in units of `t / q`: threshold
/// `q θ / t`, weight `q s / t` and leak `-q o / t` per part, all exact. `t = 1` and `q = 1`
/// (the merge keeps θ) unless a weight or leak would leave the target's range.
///
///     // θ = 1, a part whose weights sum to +20 and -24, 3 parts, no bias:
///     OffsetCode(threshold: 1, bias: 0, positive: 20, negative: 24, parts: 3, spec: spec)
///     // step 44, offset 24, start 22; merge weight 44, threshold 1, leak -72
///
/// Staggered (``SplitLayout/stagger``), a part has `s` partial neurons that each integrate
/// its whole current and offset, phase `p` starting at `(p + 1/2) / s` of the step; each of
/// their spikes adds `1 / s` of the step's worth. By Hermite's identity their counts add up
/// to the part's running sum rounded to a `1 / s`-th of the step, so a part holds back at
/// most `step / (2 s)`, and still sends up to a whole step a tick. The step is cut to a
/// multiple of `s` (rounded up, within a synaptic weight) so that both stay exact; the
/// merge's leak and start are unchanged, since the `s` neurons together carry one offset.
struct OffsetCode: Sendable, Equatable {
    /// The partial neuron's threshold, leak and starting potential (phase 0's), in the
    /// layer's units.
    var step: Int
    var offset: Int
    var start: Int
    /// Partial neurons per part, started `step / stagger` apart.
    var stagger = 1
    /// The merge neuron's weight for one partial spike (a `stagger`-th of the step's worth),
    /// its threshold, its leak (the layer's bias, rescaled, less every part's offset) and its
    /// starting potential.
    var mergeWeight: Int
    var mergeThreshold: Int
    var mergeLeak: Int
    var mergeStart: Int
    /// The layer's bias within ``mergeLeak``, in the merge's units.
    var mergeBias: Int
    /// Whether the offset covers the part's most negative current (else negative excursions
    /// are carried in the partial neuron's potential rather than bounded; never lost).
    var bounded: Bool

    /// - Parameters:
    ///   - threshold: the layer's integer threshold θ for this channel (at least 1).
    ///   - bias: the layer's leak for this channel (bias included), per tick.
    ///   - positive, negative: the largest sums of the positive weights and of the negated
    ///     negative weights over any one part's inputs: the per-tick range of its current.
    ///   - parts: the parts an element's merge neuron reads.
    ///   - initialFraction: the layer's starting potential as a fraction of its threshold.
    ///   - perThreshold: a step of one threshold instead of the whole range
    ///     (``PartialStep/threshold``), with the offset the same fraction of it as the
    ///     negative part of the range: finer, but currents beyond it are carried in the
    ///     partial neuron's potential (a lag, never a loss) rather than bounded.
    ///   - stagger: partial neurons per part (at least 1).
    init(threshold: Int, bias: Int, positive: Int, negative: Int, parts: Int, initialFraction: Double = 0,
         perThreshold: Bool = false, stagger: Int = 1, spec: CoreSpec) {
        let theta = max(threshold, 1)
        let leakRange = CoreSpec.signedRange(bits: spec.leakBits)
        let widest = spec.weightRange.upperBound
        let thresholdMax = spec.thresholdRange.upperBound
        let range = max(positive + negative, 1)
        let need = perThreshold ? theta : range
        let below = perThreshold ? Int((Double(theta) * Double(negative) / Double(range)).rounded()) : negative
        // The finest quantum t (a divisor of θ) whose step fits one synaptic weight.
        let t = Self.divisors(of: theta).first { (need + $0 - 1) / $0 <= widest } ?? theta
        // The step in quanta, a multiple of the stagger (rounded up while it fits a weight).
        let k = max(stagger, 1)
        let fit = min((need + t - 1) / t, widest)
        let up = (fit + k - 1) / k * k
        let a = max(up <= widest ? up : widest - widest % k, k)
        // The offset in quanta: enough for the most negative current, as far as the partial
        // neuron's leak (t c) and the merge neuron's (bias less parts x c) stay in range.
        let wanted = (below + t - 1) / t
        let room = -leakRange.lowerBound + min(0, Self.rounded(bias, t))
        let c = max(0, min(wanted, leakRange.upperBound / t, room / max(parts, 1)))
        // The finest merge unit t / q that keeps weight, threshold and leak in range.
        var q = t > 1 ? max(1, widest / a) : 1
        while q > 1 && (q * (theta / t) > thresholdMax || Self.rounded(bias * q, t) > leakRange.upperBound
                        || Self.rounded(bias * q, t) - parts * q * c < leakRange.lowerBound) { q -= 1 }
        step = a * t
        offset = c * t
        self.stagger = k
        start = step / (2 * k)
        mergeWeight = a * q / k
        mergeThreshold = q * (theta / t)
        mergeBias = Self.rounded(bias * q, t)
        mergeLeak = mergeBias - parts * q * c
        // The offsets of the first tick are removed before any partial spike arrives (they
        // come one tick late), so the merge neuron starts that much higher.
        mergeStart = Int((initialFraction * Double(mergeThreshold)).rounded(.down)) + parts * q * c
        bounded = c * t >= negative && step >= range
    }

    /// The starting potential of phase `p` of a part's staggered partial neurons: `(p + 1/2)`
    /// of a `stagger`-th of the step (half the step unstaggered), exact since the step is a
    /// multiple of the stagger.
    func start(phase p: Int) -> Int { p * (step / stagger) + start }

    /// The divisors of n in increasing order, in O(sqrt n).
    static func divisors(of n: Int) -> [Int] {
        var low: [Int] = [], high: [Int] = []
        var d = 1
        while d * d <= n {
            if n % d == 0 {
                low.append(d)
                if d * d != n { high.append(n / d) }
            }
            d += 1
        }
        return low + high.reversed()
    }

    /// x / d rounded to the nearest integer (halves away from zero).
    private static func rounded(_ x: Int, _ d: Int) -> Int {
        Int((Double(x) / Double(d)).rounded())
    }
}
