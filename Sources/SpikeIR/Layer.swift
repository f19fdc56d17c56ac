import TesseraSupport

/// One named node of the spiking IR: an operation, the names of the nodes it reads, the
/// neuron model of its outputs, and where it was written.
///
/// `shape` is nil until ``Verifier`` has inferred it.
public struct Layer: Hashable, Sendable {
    public var name: String
    public var op: Operation
    public var inputs: [String]
    /// The dynamics of the layer's output neurons; nil for ops without neurons.
    public var neuron: NeuronModel?
    /// Prefix of this layer's tensors in the ``ParameterStore`` (`<key>.weight`, ...).
    /// Layers instantiated from one block share the key, and so share weights.
    public var parameterKey: String?
    public var location: SourceLocation?
    /// Where the ANN this layer was converted from clipped its activation (ReLU6's 6), for
    /// the float reading (``AnalogForward``-style readers): a rate-coded neuron saturates at
    /// one spike per tick, which conversion's scale puts at or below it. nil: no clip.
    public var ceiling: Double?
    /// The ANN quantised this layer's activation to `levels` steps of `ceiling / levels`
    /// (QCFS, ``activation(_:)``); nil: a plain ReLU. An integrate-and-fire neuron with
    /// threshold `ceiling` that starts at the neuron's initial fraction computes exactly this
    /// in `levels` ticks, so conversion keeps the trained `ceiling` as the layer's scale.
    public var levels: Int?
    public var shape: TensorShape?

    public init(name: String, op: Operation, inputs: [String] = [], neuron: NeuronModel? = nil,
                parameterKey: String? = nil, location: SourceLocation? = nil, shape: TensorShape? = nil, ceiling: Double? = nil) {
        self.ceiling = ceiling
        self.name = name
        self.op = op
        self.inputs = inputs
        self.neuron = neuron
        self.parameterKey = parameterKey
        self.location = location
        self.shape = shape
    }
}

extension Layer {
    /// What the ANN's activation makes of a pre-activation `x`: ReLU, clipped at `ceiling`;
    /// with `levels` L, the quantised ReLU (QCFS) with step q = ceiling / L and shift phi (the
    /// neuron's initial fraction), `q * clip(floor(x / q + phi), 0, L)`.
    ///
    ///     // ceiling 2, levels 4, phi 0.5: steps of 0.5 at x = 0.25, 0.75, 1.25 and 1.75
    ///     layer.activation(0.8)   // 1.0
    public func activation(_ x: Double) -> Double {
        let ceiling = ceiling ?? .infinity
        guard let levels, levels > 0, ceiling.isFinite else { return min(max(x, 0), ceiling) }
        let step = ceiling / Double(levels)
        let shift = neuron?.initialFraction ?? 0
        return step * min(max((x / step + shift).rounded(.down), 0), Double(levels))
    }
}

