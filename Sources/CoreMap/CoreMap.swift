/// A configured board: every used core with its place, axon types, crossbar and neurons,
/// and how the network's inputs and outputs attach to it.
///
/// The core map is the one artefact between the compiler and everything after it (the
/// emulator, the estimator, the renderer). Its file format is JSON v1
/// (`docs/coremap-format.md`), read by ``CoreMapReader`` and written by ``CoreMapWriter``.
///
/// ```swift
/// let map = try CoreMapReader.load(path: "digits.coremap.json", target: try TargetLoader.load("truenorth"))
/// print(map.cores.count, map.outputs.map(\.name))
/// ```
public struct CoreMap: Sendable, Equatable {
    public static let format = "tessera.coremap"
    public static let version = 1

    /// The target name the map was built for (resolved by the loader to check limits).
    public var target: String
    public var geometry: CoreGeometry
    /// Chips per board (columns, rows) and cores per chip (columns, rows).
    public var chips: [Int]
    public var coresPerChip: [Int]
    public var cores: [CoreConfig]
    public var inputs: [InputPort]
    public var outputs: [OutputPort]
    /// The network layers the cores compute (``CoreConfig/layer`` indexes this list), so
    /// that reports and pictures can speak per layer; empty for maps built by hand.
    public var layers: [LayerLabel]
    /// Where the layers' rates (``LayerLabel/rate``) came from, as compile stated it, and
    /// the input rate that source assumed; nil when the map keeps no rates.
    public var rateSource: String?
    public var inputRate: Double?

    public init(target: String, geometry: CoreGeometry, chips: [Int], coresPerChip: [Int],
                cores: [CoreConfig] = [], inputs: [InputPort] = [], outputs: [OutputPort] = [], layers: [LayerLabel] = []) {
        self.target = target
        self.geometry = geometry
        self.chips = chips
        self.coresPerChip = coresPerChip
        self.cores = cores
        self.inputs = inputs
        self.outputs = outputs
        self.layers = layers
    }

    /// The global mesh position of a core: chip offset plus core coordinates, so that hop
    /// counts are Manhattan distances across chip boundaries too.
    public func meshPosition(of core: Int) -> (x: Int, y: Int) {
        let c = cores[core]
        return (c.chip[0] * coresPerChip[0] + c.place[0], c.chip[1] * coresPerChip[1] + c.place[1])
    }
}

/// Axons, neurons and axon types of every core on the board.
public struct CoreGeometry: Sendable, Equatable {
    public var axons: Int
    public var neurons: Int
    public var axonTypes: Int

    public init(axons: Int, neurons: Int, axonTypes: Int) {
        self.axons = axons
        self.neurons = neurons
        self.axonTypes = axonTypes
    }
}

/// A network input: for each element of its tensor (row-major), the (core, axon) pairs
/// its spike is delivered to in the tick it is injected.
public struct InputPort: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var targets: [[AxonAddress]]

    public init(name: String, shape: [Int], targets: [[AxonAddress]]) {
        self.name = name
        self.shape = shape
        self.targets = targets
    }

    public var count: Int { shape.reduce(1, *) }
}

/// A network output: neurons whose destination is `{output: name, index: i}` drive it.
public struct OutputPort: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    /// Ticks from an input spike's injection to the earliest tick its effect can reach here.
    public var latency: Int

    public init(name: String, shape: [Int], latency: Int) {
        self.name = name
        self.shape = shape
        self.latency = latency
    }

    public var count: Int { shape.reduce(1, *) }
}

/// One axon of one core.
public struct AxonAddress: Sendable, Hashable {
    public var core: Int
    public var axon: Int

    public init(core: Int, axon: Int) {
        self.core = core
        self.axon = axon
    }
}
