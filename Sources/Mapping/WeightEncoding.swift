/// How a layer's integer weights become axon types on a core: each input arrives on one
/// or more axon copies, each copy of a type whose weight every neuron sets in s[0..3].
///
/// A core's axon has one type for all its neurons and a neuron has only four weights, so
/// arbitrary weights cannot be placed directly; these encodings represent them exactly.
public enum WeightEncoding: String, Sendable {
    /// Signed: an input is on a "+" axon (type 0) and/or a "-" axon (type 1); neuron j has
    /// s = [p_j, -n_j, 0, 0]. Exact when each neuron's nonzero weights take at most one
    /// positive and one negative value (trinary weights with a per-neuron scale, pooling,
    /// sums). One axon per input when the layer uses only one sign.
    case signed
    /// Bit-sliced 4-bit two's complement: an input is on four axons of types 0..3 whose
    /// weights are 1, 2, 4 and -8 for every neuron; the crossbar holds the weight's bits.
    /// Exact for weights in -8...7.
    case bitSliced4

    /// Axon copies per input for this encoding (given which signs the layer uses).
    func copies(positive: Bool, negative: Bool) -> [Int] {
        switch self {
        case .signed: (positive ? [0] : []) + (negative ? [1] : [])
        case .bitSliced4: [0, 1, 2, 3]
        }
    }

    /// Whether weight `w` connects to the copy of type `type`.
    func connects(_ w: Int, type: Int) -> Bool {
        switch self {
        case .signed: type == 0 ? w > 0 : w < 0
        case .bitSliced4: (w & 0xF) >> type & 1 == 1
        }
    }
}
