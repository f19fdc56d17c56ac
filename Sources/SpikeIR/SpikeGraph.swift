import TesseraSupport

/// A spiking network in Tessera's IR: named layers forming a directed acyclic graph,
/// the layers whose spikes are the network's outputs, and the parameter tensors.
///
/// The frontend builds one in file order; ``Verifier/verify(_:)`` returns it in
/// topological order with every shape inferred, which is what later stages expect.
public struct SpikeGraph: Sendable {
    public var name: String
    public var layers: [Layer]
    public var outputs: [String]
    public var parameters: ParameterStore

    public init(name: String, layers: [Layer], outputs: [String], parameters: ParameterStore = ParameterStore()) {
        self.name = name
        self.layers = layers
        self.outputs = outputs
        self.parameters = parameters
    }

    public var inputLayers: [Layer] {
        layers.filter { if case .input = $0.op { true } else { false } }
    }

    public func layer(named name: String) -> Layer? {
        layers.first { $0.name == name }
    }

    /// Name to layer, for graphs with many lookups.
    public var layersByName: [String: Layer] {
        Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The shapes of a layer's inputs, in order (only meaningful once verified).
    public func inputShapes(of layer: Layer, in index: [String: Layer]? = nil) -> [TensorShape] {
        let index = index ?? layersByName
        return layer.inputs.compactMap { index[$0]?.shape }
    }
}
