/// The elementwise ops an exporter writes between a weighted op and the next (constant Mul,
/// Div, Add and Sub, Clip, Relu, Floor, Round), composed into one function of a scalar and
/// recognised as the activation a spiking layer computes: a ReLU, clipped or not, or a
/// quantised ReLU (QCFS).
///
/// Every such chain has the normal form `f(x) = c * F(clip(m x + n, low, high)) + d`, where F
/// is the identity or floor: an affine step only changes c and d, a clip moves its bounds
/// back through them, and a Floor swallows the outer affine into the inner one. QCFS's
/// activation, written by PyTorch as Div λ, Clip(0, 1), Mul L, Add 1/2, Floor, Div L, Mul λ,
/// becomes c = λ/L, m = L/λ, n = 1/2, low = 1/2, high = L + 1/2, d = 0:
///
///     var chain = ScalarChain()
///     chain.affine(scale: 1 / 2.0, offset: 0, node: "div")      // x / λ, λ = 2
///     try chain.clip(0, 1, node: "clip")
///     chain.affine(scale: 4, offset: 0.5, node: "mul, add")     // L = 4, shift 1/2
///     try chain.floor(node: "floor")
///     chain.affine(scale: 2.0 / 4, offset: 0, node: "div, mul")
///     chain.form()   // .success(.quantised(ceiling: 2, levels: 4, shift: 0.5))
struct ScalarChain: Sendable, CustomStringConvertible {
    /// What a recognised chain computes.
    enum Form: Equatable, Sendable {
        /// `clip(x, 0, ceiling)`; no ceiling: a plain ReLU.
        case relu(ceiling: Double?)
        /// `q * clip(floor(x / q + shift), 0, levels)` with `q = ceiling / levels`.
        case quantised(ceiling: Double, levels: Int, shift: Double)
    }

    /// Why a chain is not an activation a spiking layer computes.
    struct Refusal: Error, Sendable {
        var reason: String
    }

    /// The labels of the nodes composed so far, in order.
    private(set) var nodes: [String] = []
    private var m = 1.0, n = 0.0
    private var low = -Double.infinity, high = Double.infinity
    private var floored = false
    private var c = 1.0, d = 0.0
    /// The node whose factor left the outer slope negative, if it is.
    private var flippedBy: String?

    /// `y -> scale * y + offset` (Mul, Div, Add, Sub by a constant).
    mutating func affine(scale: Double, offset: Double, node: String) {
        nodes.append(node)
        c *= scale
        d = d * scale + offset
        if c < 0 && flippedBy == nil { flippedBy = node } else if c > 0 { flippedBy = nil }
    }

    /// `y -> min(max(y, lower), upper)` (Clip; Relu is `clip(0, +inf)`).
    mutating func clip(_ lower: Double, _ upper: Double, node: String) throws(Refusal) {
        nodes.append(node)
        try rising(node, "clips")
        // clip(c F(u) + d, lo, hi) = c clip(F(u), (lo - d) / c, (hi - d) / c) + d for c > 0.
        var (lo, hi) = ((lower - d) / c, (upper - d) / c)
        if floored {
            // floor(u) clipped at integers is floor(u clipped there); between levels it is not a level.
            for bound in [lo, hi] where bound.isFinite && Self.integer(bound) == nil {
                throw Refusal(reason: "\(node) clips the floored value at \(Self.text(bound * c + d)), between two of its levels")
            }
            lo = Self.integer(lo) ?? lo
            hi = Self.integer(hi) ?? hi
        }
        let (newLow, newHigh) = (max(low, lo), min(high, hi))
        guard newLow < newHigh else { throw Refusal(reason: "\(node) leaves a constant (its bounds exclude every value the chain has before it)") }
        (low, high) = (newLow, newHigh)
    }

    /// `y -> floor(y)` (Floor; Round is `floor(y + 1/2)`).
    mutating func floor(node: String) throws(Refusal) {
        nodes.append(node)
        guard !floored else { throw Refusal(reason: "\(node) floors a second time; Tessera recognises one quantisation per activation") }
        try rising(node, "floors")
        // floor(c clip(m x + n, low, high) + d) = floor(clip(c m x + c n + d, c low + d, c high + d)).
        (m, n, low, high) = (c * m, c * n + d, c * low + d, c * high + d)
        (c, d, floored) = (1, 0, true)
    }

    private func rising(_ node: String, _ verb: String) throws(Refusal) {
        if c < 0 {
            throw Refusal(reason: "\(node) \(verb) after \(flippedBy ?? "a factor") made the slope negative; a spike rate only grows with its input")
        }
    }

    /// What the chain computes, or why no spiking layer computes it.
    func form() -> Result<Form, Refusal> {
        if c < 0 { return .failure(Refusal(reason: "\(flippedBy ?? "a factor") makes the slope negative; a spike rate only grows with its input")) }
        if !floored {
            let (slope, offset) = (c * m, c * n + d)
            let (least, most) = (c * low + d, c * high + d)
            guard least.isFinite else {
                return .failure(Refusal(reason: "it has no clip from below (Relu, or Clip with min 0), so it takes negative values, which spike rates do not carry"))
            }
            if let refusal = Self.notZero(least) { return .failure(refusal) }
            guard Self.same(slope, 1), Self.same(offset + 1, 1) else {
                return .failure(Refusal(reason: "it scales or shifts the sum (slope \(Self.text(slope)), offset \(Self.text(offset))); fold constant scales and shifts into the weights and bias before export"))
            }
            return .success(.relu(ceiling: most.isFinite ? most : nil))
        }
        guard low.isFinite else {
            return .failure(Refusal(reason: "it floors with no Clip below: its levels go on below 0 without end (QCFS clips to [0, 1] before the Floor)"))
        }
        guard high.isFinite else {
            return .failure(Refusal(reason: "it floors with no Clip above: the levels need a top, the most a neuron fires (one spike per tick)"))
        }
        let (bottom, top) = (Self.floorSnapped(low), Self.floorSnapped(high))
        if let refusal = Self.notZero(c * bottom + d) { return .failure(refusal) }
        let levels = top - bottom
        guard levels >= 1, levels <= Double(1 << 16) else { return .failure(Refusal(reason: "it has \(Self.text(levels)) levels, not 1...65536")) }
        // f(x) = q clip(floor(m x + n - bottom), 0, L) with q = c: a quantised ReLU when m q = 1.
        guard Self.same(m * c, 1) else {
            return .failure(Refusal(reason: "its steps of \(Self.text(c)) come every \(Self.text(1 / m)) of input: a staircase of slope \(Self.text(m * c)), not 1; fold the scale into the weights before export"))
        }
        let shift = n - bottom
        guard shift >= -1 - 1e-9, shift < 1 else {
            return .failure(Refusal(reason: "its shift is \(Self.text(shift)) of a step, not in [-1, 1): it is positive with no input"))
        }
        return .success(.quantised(ceiling: c * levels, levels: Int(levels), shift: shift))
    }

    /// Why a chain whose least value is `least` is no activation, nil when that is 0.
    private static func notZero(_ least: Double) -> Refusal? {
        guard !same(least + 1, 1) else { return nil }
        return Refusal(reason: "its least value is \(text(least)), not 0: \(least < 0 ? "it lets negative values through (a Clip whose bounds change sign?), which spike rates do not carry" : "it is positive with no input")")
    }

    /// The function itself, for tests: `c * F(clip(m x + n, low, high)) + d`.
    func callAsFunction(_ x: Double) -> Double {
        let u = min(max(m * x + n, low), high)
        return c * (floored ? u.rounded(.down) : u) + d
    }

    var description: String {
        var inner = "\(Self.text(m)) x"
        if n != 0 { inner += n < 0 ? " - \(Self.text(-n))" : " + \(Self.text(n))" }
        if low.isFinite || high.isFinite { inner = "clip(\(inner), \(Self.text(low)), \(Self.text(high)))" }
        if floored { inner = "floor(\(inner))" }
        var text = c == 1 ? inner : "\(Self.text(c)) * \(inner)"
        if d != 0 { text += d < 0 ? " - \(Self.text(-d))" : " + \(Self.text(d))" }
        return text
    }

    /// Exporters write float32 constants: values this close are one.
    static func same(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-30)
    }

    static func integer(_ x: Double) -> Double? {
        let r = x.rounded()
        return abs(x - r) <= 1e-5 * max(1, abs(x)) ? r : nil
    }

    /// floor, taking a value within float32 rounding of an integer as that integer.
    static func floorSnapped(_ x: Double) -> Double { integer(x) ?? x.rounded(.down) }

    static func text(_ x: Double) -> String {
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        return String(Double(Float(x)))
    }
}
