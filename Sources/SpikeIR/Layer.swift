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
