/// How a layer's integer weights become axon types on a core: each input arrives on one
/// or more axon copies, each of a type whose weight every neuron sets in s[0..3].
///
/// A core's axon has one type for all its neurons and a neuron has only four weights, so
/// arbitrary weights cannot be placed directly; these encodings represent them exactly.
/// The compiler picks the first that fits, which is also the cheapest in axons per input.
public enum WeightEncoding: Sendable, Equatable, CustomStringConvertible, Encodable {
    /// Signed: an input is on a "+" axon (type 0) and/or a "-" axon (type 1); neuron j has
    /// s = [p_j, -n_j, 0, 0]. Exact when each neuron's nonzero weights take at most one
    /// positive and one negative value (trinary weights with a per-neuron scale, pooling,
    /// sums). One axon per input when the layer uses only one sign.
    case signed
    /// Levels: each neuron's nonzero weights take at most `n` <= 4 distinct values v_j[0..n);
    /// an input is on n axons of types 0..<n and neuron j connects the one whose type's
    /// weight equals its weight. n axons per input.
    case levels(Int)
    /// Bit-sliced 4-bit two's complement: an input is on four axons of types 0..3 whose
    /// weights are 1, 2, 4 and -8 for every neuron; the crossbar holds the weight's bits.
    /// Exact for weights in -8...7.
    case bitSliced4

    public var description: String {
        switch self {
        case .signed: "signed"
        case let .levels(n): "levels(\(n))"
        case .bitSliced4: "bitSliced4"
        }
    }

    /// Encoded as its name, as the compile table prints it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The cheapest exact encoding for neurons whose distinct nonzero weights are given
    /// (one set per neuron, or per group of neurons sharing weights), or nil if none is.
    static func choose(_ neurons: [Set<Int>]) -> WeightEncoding? {
        if neurons.allSatisfy({ set in set.filter { $0 > 0 }.count <= 1 && set.filter { $0 < 0 }.count <= 1 }) { return .signed }
        let most = neurons.map(\.count).max() ?? 0
        if most <= 4 { return .levels(most) }
        if neurons.allSatisfy({ $0.allSatisfy { (-8...7).contains($0) } }) { return .bitSliced4 }
        return nil
    }

    /// Axon types an input needs in a layer (given which signs its weights take).
    func types(positive: Bool, negative: Bool) -> [Int] {
        switch self {
        case .signed: (positive ? [0] : []) + (negative ? [1] : [])
        case let .levels(n): Array(0..<n)
        case .bitSliced4: [0, 1, 2, 3]
        }
    }

    /// A neuron's s[0..3] given its distinct nonzero weights.
    func table(_ values: Set<Int>) -> [Int] {
        switch self {
        case .signed: [values.first { $0 > 0 } ?? 0, values.first { $0 < 0 } ?? 0, 0, 0]
        case .levels: Array((values.sorted() + [0, 0, 0, 0]).prefix(4))
        case .bitSliced4: [1, 2, 4, -8]
        }
    }

    /// The (source, type) axons a neuron with s = `table` needs for its connections.
    func axonKeys(_ connections: [(Source, Int)], table: [Int]) -> Set<AxonKey> {
        var keys = Set<AxonKey>()
        for (source, w) in connections {
            let mask = typeMask(w, table: table)
            for t in 0..<4 where mask >> t & 1 == 1 { keys.insert(AxonKey(source: source, type: t)) }
        }
        return keys
    }

    /// Bit t set: weight `w` of a neuron with s = `table` connects to its input's type-t axon.
    @inline(__always) func typeMask(_ w: Int, table: [Int]) -> UInt8 {
        switch self {
        case .signed: w > 0 ? 1 : w < 0 ? 2 : 0
        case .levels: w == 0 ? 0 : (table.firstIndex(of: w).map { UInt8(1) << UInt8($0) } ?? 0)
        case .bitSliced4: UInt8(w & 0xF)
        }
    }
}
