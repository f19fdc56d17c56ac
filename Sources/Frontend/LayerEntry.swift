import SpikeIR
import TesseraSupport
import Yams

/// Where a layer's tensors come from, as the network file says: per-layer `.npy` files
/// (`weights:` on the layer), and/or a seed for synthetic values (`init:`).
struct WeightSpec {
    var files: [String: (path: String, node: Node)] = [:]
    var synthetic: SyntheticInit?
}

/// `init: { seed: N, values: uniform | trinary }`: synthetic weights for tensors no file
/// provides. Uniform draws from [-1/sqrt(fan-in), 1/sqrt(fan-in)]; trinary draws weights
/// from {-1, 0, +1} with zero biases, integers the mapping lowers exactly, for costing an
/// architecture before trained weights exist.
struct SyntheticInit {
    var seed: UInt64
    var trinary = false
}

/// One entry of a `layers:` or block list, as read from the file, before block expansion
/// and name resolution.
enum LayerEntry {
    /// A layer; `inputs` is nil when the file left it to default to the previous layer.
    case layer(Layer, inputs: [String]?, weights: WeightSpec, node: Node)
    /// `{ name, block, input }`: an instance of a reusable block.
    case instance(name: String, block: String, inputs: [String]?, node: Node)
    /// A layer that could not be read (its errors are already reported).
    case failed(name: String, node: Node)

    var name: String {
        switch self {
        case let .layer(layer, _, _, _): layer.name
        case let .instance(name, _, _, _), let .failed(name, _): name
        }
    }

    var node: Node {
        switch self {
        case let .layer(_, _, _, node), let .instance(_, _, _, node), let .failed(_, node): node
        }
    }
}

/// Network-wide defaults: the neuron model, and per-op values for omitted keys
/// (`defaults: { conv2d: { padding: 1 } }`).
struct LayerDefaults {
    var neuron = NeuronModel()
    var ops: [String: YAMLMapping] = [:]
}
