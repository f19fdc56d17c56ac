/// Per-layer and total costs of a verified graph: what `tessera check` prints and what
/// users compare against the hardware's capacity.
public struct GraphSummary: Sendable {
    public struct Row: Sendable {
        public var layer: Layer
        public var cost: LayerCost
    }

    public var rows: [Row]
    /// Sums over layers; weights shared between block instances are counted per use.
    public var total: LayerCost
    /// Parameters counted once per distinct tensor (shared block weights once).
    public var uniqueParameters: Int

    public init(_ graph: SpikeGraph) {
        let index = graph.layersByName
        rows = graph.layers.map { Row(layer: $0, cost: $0.cost(inputShapes: graph.inputShapes(of: $0, in: index))) }
        total = rows.reduce(LayerCost()) { $0 + $1.cost }
        var seen = Set<String>()
        var unique = 0
        for row in rows {
            guard let key = row.layer.parameterKey, seen.insert(key).inserted else { continue }
            unique += row.cost.parameters
        }
        uniqueParameters = unique
    }
}
