/// How a layer's integer weights become axons on a core: each input arrives on one or
/// more axon *lanes* (copies of the input), each lane of a hardware type whose weight every
/// neuron sets in s[0..3]; the crossbar picks which lanes a neuron connects.
///
/// A core's axon has one type for all its neurons and a neuron has only four weights, so
/// arbitrary weights cannot be placed directly; these encodings represent them exactly.
/// The compiler picks the first that fits, which is also the cheapest in lanes per input.
public enum WeightEncoding: Sendable, Equatable, CustomStringConvertible, Encodable {
    /// Signed: an input is on a "+" lane (type 0) and/or a "-" lane (type 1); neuron j has
    /// s = [p_j, -n_j, 0, 0]. Exact when each neuron's nonzero weights take at most one
    /// positive and one negative value (trinary weights with a per-neuron scale, pooling,
    /// sums). One lane per input when the layer uses only one sign.
    case signed
    /// Levels: each neuron's nonzero weights take at most `n` <= 4 distinct values v_j[0..n);
    /// an input is on n lanes of types 0..<n and neuron j connects the one whose type's
    /// weight equals its weight. n lanes per input.
    case levels(Int)
    /// k-bit two's complement weights in digits: with base m the smallest integer with
    /// m^3 >= 2^(k-1), the four types weigh 1, m, m^2 and -2^(k-1) for every neuron; an
    /// input is on m - 1 lanes of each of the first three types and one of the last, and a
    /// weight w connects as many lanes of each type as its digits say (w + 2^(k-1) in base
    /// m plus the sign lane when w < 0). 3(m - 1) + 1 lanes per input: 4 for k = 4 (the
    /// bits of w on types 1, 2, 4, -8), 7 for k = 5, 10 for k = 6 or 7, 16 for k = 8.
    case sliced(bits: Int)

    public var description: String {
        switch self {
        case .signed: "signed"
        case let .levels(n): "levels(\(n))"
        case let .sliced(k): "bitSliced\(k)"
        }
    }

    /// Encoded as its name, as the compile table prints it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The cheapest exact encoding for neurons whose distinct nonzero weights are given
    /// (one set per neuron, or per group of neurons sharing weights), or nil if none fits
    /// a per-type weight of `weightRange` (the target's s_j[g]).
    static func choose(_ neurons: [Set<Int>], weightRange: ClosedRange<Int>) -> WeightEncoding? {
        if neurons.allSatisfy({ set in set.filter { $0 > 0 }.count <= 1 && set.filter { $0 < 0 }.count <= 1 }) { return .signed }
        let most = neurons.map(\.count).max() ?? 0
        if most <= 4 { return .levels(most) }
        let low = neurons.compactMap { $0.min() }.min() ?? 0, high = neurons.compactMap { $0.max() }.max() ?? 0
        var bits = 4
        while -(1 << (bits - 1)) > low || (1 << (bits - 1)) - 1 < high { bits += 1 }
        let encoding = WeightEncoding.sliced(bits: bits)
        return encoding.table([]).allSatisfy(weightRange.contains) ? encoding : nil
    }

    /// Base of the digits of `.sliced(bits:)`: the smallest m with m^3 >= 2^(k-1).
    static func base(bits k: Int) -> Int {
        var m = 2
        while m * m * m < 1 << (k - 1) { m += 1 }
        return m
    }

    /// The most lanes an input takes with symmetric k-bit weights, both signs present: 2 for
    /// k = 2 (signed), 4 for k = 3 (levels, or the 4-bit digits), and 3(m - 1) + 1 for the
    /// digits of k >= 4 (``lanes(positive:negative:)``).
    public static func mostLanes(bits k: Int) -> Int {
        let encoding: WeightEncoding = k <= 2 ? .signed : .sliced(bits: max(k, 4))
        return encoding.lanes(positive: true, negative: true).count
    }

    /// Lanes an input needs in a layer (given which signs its weights take), as lane ids.
    func lanes(positive: Bool, negative: Bool) -> [Int] {
        switch self {
        case .signed: (positive ? [0] : []) + (negative ? [1] : [])
        case let .levels(n): Array(0..<n)
        case let .sliced(k): Array(0...(3 * (Self.base(bits: k) - 1)))
        }
    }

    /// The hardware axon type (0...3) of a lane.
    @inline(__always) func hardwareType(_ lane: Int) -> Int {
        switch self {
        case .signed, .levels: lane
        case let .sliced(k): min(lane / (Self.base(bits: k) - 1), 3)
        }
    }

    /// A neuron's s[0..3] given its distinct nonzero weights.
    func table(_ values: Set<Int>) -> [Int] {
        switch self {
        case .signed: [values.first { $0 > 0 } ?? 0, values.first { $0 < 0 } ?? 0, 0, 0]
        case .levels: Array((values.sorted() + [0, 0, 0, 0]).prefix(4))
        case let .sliced(k):
            [1, Self.base(bits: k), Self.base(bits: k) * Self.base(bits: k), -(1 << (k - 1))]
        }
    }

    /// The (source, lane) axons a neuron with s = `table` needs for its connections.
    func axonKeys(_ connections: [(Source, Int)], table: [Int]) -> Set<AxonKey> {
        var keys = Set<AxonKey>()
        for (source, w) in connections {
            var mask = laneMask(w, table: table)
            while mask != 0 {
                keys.insert(AxonKey(source: source, lane: mask.trailingZeroBitCount))
                mask &= mask - 1
            }
        }
        return keys
    }

    /// Bit l set: weight `w` of a neuron with s = `table` connects to its input's lane l.
    @inline(__always) func laneMask(_ w: Int, table: [Int]) -> UInt32 {
        switch self {
        case .signed: return w > 0 ? 1 : w < 0 ? 2 : 0
        case .levels: return w == 0 ? 0 : (table.firstIndex(of: w).map { UInt32(1) << UInt32($0) } ?? 0)
        case let .sliced(k):
            if k == 4 { return UInt32(w & 0xF) }
            // Digits of w + 2^(k-1) (when negative) in base m, each digit d lighting d of
            // its type's m - 1 lanes; the sign lane (last) carries -2^(k-1).
            let m = Self.base(bits: k)
            var mask: UInt32 = w < 0 ? 1 << UInt32(3 * (m - 1)) : 0
            var rest = w < 0 ? w + (1 << (k - 1)) : w
            for digit in 0..<3 {
                let d = rest % m
                rest /= m
                for i in 0..<d { mask |= 1 << UInt32(digit * (m - 1) + i) }
            }
            return mask
        }
    }
}
