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
    public init(_ map: CoreMap) { self.init(PackedCoreMap(map)) }

    /// From a packed map (any size): each core's place and labels, and, with `traffic`, its
    /// routes between cores (counted over every neuron: a picture that draws no routes can
    /// skip them).
    public init(_ map: PackedCoreMap, traffic withTraffic: Bool = true) {
        let h = map.header
        chips = h.chips
        coresPerChip = h.coresPerChip
        layers = h.layers
        cores = (0..<map.coreCount).map { c in
            let p = map.meshPosition(of: c)
            return Core(x: p.x, y: p.y, layer: map.coreLayer[c] < 0 ? nil : Int(map.coreLayer[c]), role: CoreRole.allCases[Int(map.coreRole[c])],
                        utilisation: Double(map.coreNeuronStart[c + 1] - map.coreNeuronStart[c]) / Double(h.geometry.neurons))
        }
        var pairs: [Int64: Int] = [:]
        for c in 0..<map.coreCount where withTraffic {
            for k in map.coreNeuronStart[c]..<map.coreNeuronStart[c + 1] where map.destKind[k] == 1 && Int(map.destTarget[k]) != c {
                pairs[Int64(c) << 32 | Int64(map.destTarget[k]), default: 0] += 1
            }
        }
        traffic = pairs.map { (from: Int($0.key >> 32), to: Int($0.key & 0xFFFF_FFFF), routes: $0.value) }
            .sorted { ($0.routes, $1.from, $1.to) > ($1.routes, $0.from, $0.to) }
    }
}
