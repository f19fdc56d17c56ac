/// A NIR graph as its file holds it (Pedersen et al., Nat. Commun. 2024; the `nir` package's
/// HDF5 layout): named nodes, each with its primitive type and its fields, and the edges
/// between them. A node of type `NIRGraph` holds a nested graph. Read by ``NIRReader``,
/// which checks the structure; lowering to Tessera's IR reads the fields by name.
public struct NIRGraph: Sendable, Equatable {
    /// One field of a node: an array of numbers (with its shape; a scalar has shape []) or
    /// of strings.
    public enum Field: Sendable, Equatable {
        case numbers(shape: [Int], values: [Double])
        case strings(shape: [Int], values: [String])
    }

    public struct Node: Sendable, Equatable {
        public var name: String
        public var type: String
        public var fields: [String: Field]
        /// The nested graph of a `NIRGraph` node.
        public var graph: NIRGraph?
    }

    /// Nodes in name order, as the file's group lists them.
    public var nodes: [Node]
    public var edges: [(from: String, to: String)]

    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    public static func == (a: NIRGraph, b: NIRGraph) -> Bool {
        a.nodes == b.nodes && a.edges.map { [$0.from, $0.to] } == b.edges.map { [$0.from, $0.to] }
    }

    /// The primitives NIR 1.0 serialises (nir/ir, the `type` strings).
    public static let primitives: Set<String> = [
        "Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten",
        "Delay", "Threshold", "I", "IF", "LI", "LIF", "CubaLI", "CubaLIF", "NIRGraph",
    ]
}
