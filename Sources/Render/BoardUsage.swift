import CoreMap

/// What the chip picture draws of each core: where it sits on the board's mesh, which
/// layer it computes and how full it is. Taken from a core map, or from a compiled network
/// whose map is too large to write (the compiler knows the same figures per core).
public struct BoardUsage: Sendable {
    public struct Core: Sendable {
        /// Mesh position: chip offset plus the core's place on its chip.
        public var x: Int
        public var y: Int
        /// Index into ``layers``, nil when unlabelled.
        public var layer: Int?
        public var role: CoreRole
        /// Neurons in use / neurons per core.
        public var utilisation: Double

        public init(x: Int, y: Int, layer: Int?, role: CoreRole, utilisation: Double) {
            self.x = x
            self.y = y
            self.layer = layer
            self.role = role
            self.utilisation = utilisation
        }
    }

    public var chips: [Int]
    public var coresPerChip: [Int]
    public var layers: [LayerLabel]
    public var cores: [Core]
    /// (from core, to core, routes) between cores, for drawing the heaviest routes.
    public var traffic: [(from: Int, to: Int, routes: Int)]

    public init(chips: [Int], coresPerChip: [Int], layers: [LayerLabel], cores: [Core], traffic: [(from: Int, to: Int, routes: Int)] = []) {
        self.chips = chips
        self.coresPerChip = coresPerChip
        self.layers = layers
        self.cores = cores
        self.traffic = traffic
    }

    /// From a core map: each core's place and labels, and its routes to other cores.
    public init(_ map: CoreMap) {
        chips = map.chips
        coresPerChip = map.coresPerChip
        layers = map.layers
        cores = map.cores.indices.map { c in
            let p = map.meshPosition(of: c)
            return Core(x: p.x, y: p.y, layer: map.cores[c].layer, role: map.cores[c].role,
                        utilisation: Double(map.cores[c].neurons.count) / Double(map.geometry.neurons))
        }
        var pairs: [[Int]: Int] = [:]
        for (c, core) in map.cores.enumerated() {
            for neuron in core.neurons {
                if case let .axon(target, _, _)? = neuron.destination, target != c { pairs[[c, target], default: 0] += 1 }
            }
        }
        traffic = pairs.map { (from: $0.key[0], to: $0.key[1], routes: $0.value) }
            .sorted { ($0.routes, $1.from, $1.to) > ($1.routes, $0.from, $0.to) }
    }
}
