/// The neurons a core uses and their parameters, without their destinations: one entry of
/// a packed map's shared neuron table. The cores of one layer's tiles hold the same
/// thresholds, leaks and weights per channel, so thousands of cores reference one block.
public struct NeuronBlock: Sendable, Equatable {
    /// Neurons in ascending index order, every destination nil.
    public let neurons: [NeuronConfig]

    public init(_ neurons: [NeuronConfig]) {
        self.neurons = neurons.map { n in
            guard n.destination != nil else { return n }
            var bare = n
            bare.destination = nil
            return bare
        }
    }

    public var count: Int { neurons.count }

    /// The stochastic switches of a neuron as bits: b[0..3] in bits 0-3, c_lambda in bit 4,
    /// epsilon in bit 5 (the `block_flags` array of the v2 file).
    public static func flags(_ n: NeuronConfig) -> UInt8 {
        var f: UInt8 = 0
        for (g, on) in n.stochasticSynapse.prefix(4).enumerated() where on { f |= 1 << UInt8(g) }
        if n.stochasticLeak { f |= 1 << 4 }
        if n.leakReversal { f |= 1 << 5 }
        return f
    }

    /// Codes of the v2 file's `block_reset` and `block_negative` arrays.
    public static let resetCodes: [NeuronConfig.Reset] = [.normal, .linear, .none]
    public static let negativeCodes: [NeuronConfig.Negative] = [.saturate, .reset]

    static func code(_ reset: NeuronConfig.Reset) -> UInt8 { UInt8(resetCodes.firstIndex(of: reset) ?? 0) }
    static func code(_ negative: NeuronConfig.Negative) -> UInt8 { UInt8(negativeCodes.firstIndex(of: negative) ?? 0) }
}
