/// A core map with what cores share stored once: the form of core map v2
/// (`docs/coremap-format.md`) in memory, and what the emulator and the report run on.
///
/// A full-size SiamSNN has 788,089 cores but only a few thousand distinct crossbars,
/// axon-type vectors and neuron blocks, so each core is a handful of table references
/// plus its place, seed and the destinations of its neurons (flat arrays, core by core).
/// ``init(_:)`` packs a ``CoreMap``; ``core(_:)`` rebuilds one core; ``unpacked()`` gives
/// back the map it was packed from, equal field for field.
///
///     let packed = PackedCoreMap(map)
///     print(packed.coreCount, packed.crossbars.count, packed.neuronBlocks.count)
///     assert(packed.unpacked() == map)
public struct PackedCoreMap: Sendable, Equatable {
    /// The file format version of packed maps (an `.npz` archive); JSON is version 1.
    public static let version = 2

    /// Target, geometry, board, ports and layer labels; its `cores` is empty.
    public var header: CoreMap

    /// Distinct crossbars, axon-type vectors (each `axons` long) and neuron blocks.
    public var crossbars: [Crossbar]
    public var axonTypeTables: [[UInt8]]
    public var neuronBlocks: [NeuronBlock]

    /// Per core: chip (column, row) and place in the chip (column, row), interleaved.
    public var coreChip: [Int32]
    public var coreXY: [Int32]
    public var coreSeed: [UInt64]
    /// Index into `header.layers`, or -1 for none.
    public var coreLayer: [Int32]
    /// Index into ``CoreRole/allCases``.
    public var coreRole: [UInt8]
    /// Table references: into ``crossbars``, ``axonTypeTables`` and ``neuronBlocks``.
    public var coreCrossbar: [Int32]
    public var coreAxonTypes: [Int32]
    public var coreBlock: [Int32]
    /// Core c's neurons are entries `coreNeuronStart[c]..<coreNeuronStart[c + 1]` of the
    /// destination arrays, in the order of its block.
    public var coreNeuronStart: [Int]

    /// Per used neuron: kind 0 none, 1 axon (target core, axon, delay), 2 output (port
    /// index into `header.outputs`, element).
    public var destKind: [UInt8]
    public var destTarget: [Int32]
    public var destIndex: [Int32]
    public var destDelay: [UInt8]

    public var coreCount: Int { coreSeed.count }

    /// An empty map with `header`'s ports and labels, to which cores are appended.
    public init(header: CoreMap) {
        var bare = header
        bare.cores = []
        self.header = bare
        crossbars = []; axonTypeTables = []; neuronBlocks = []
        coreChip = []; coreXY = []; coreSeed = []; coreLayer = []; coreRole = []
        coreCrossbar = []; coreAxonTypes = []; coreBlock = []; coreNeuronStart = [0]
        destKind = []; destTarget = []; destIndex = []; destDelay = []
    }

    /// Packs `map`: identical crossbars, axon-type vectors and neuron blocks are stored once.
    public init(_ map: CoreMap) {
        var packer = CorePacker(header: map)
        for core in map.cores { packer.append(core) }
        self = packer.packed
    }

    /// Core `c` as the map it was packed from holds it.
    public func core(_ c: Int) -> CoreConfig {
        let block = neuronBlocks[Int(coreBlock[c])].neurons
        let start = coreNeuronStart[c]
        var neurons = block
        for k in neurons.indices { neurons[k].destination = destination(start + k) }
        var config = CoreConfig(id: c, chip: [Int(coreChip[2 * c]), Int(coreChip[2 * c + 1])],
                                place: [Int(coreXY[2 * c]), Int(coreXY[2 * c + 1])], seed: coreSeed[c],
                                axonTypes: axonTypeTables[Int(coreAxonTypes[c])], crossbar: crossbars[Int(coreCrossbar[c])],
                                neurons: neurons)
        config.layer = coreLayer[c] < 0 ? nil : Int(coreLayer[c])
        config.role = CoreRole.allCases[Int(coreRole[c])]
        return config
    }

    /// The destination of used neuron `k` (an index into the destination arrays).
    public func destination(_ k: Int) -> Destination? {
        switch destKind[k] {
        case 1: return .axon(core: Int(destTarget[k]), axon: Int(destIndex[k]), delay: Int(destDelay[k]))
        case 2: return .output(port: header.outputs[Int(destTarget[k])].name, index: Int(destIndex[k]))
        default: return nil
        }
    }

    /// The whole map with every core rebuilt (for maps small enough to hold that way).
    public func unpacked() -> CoreMap {
        var map = header
        map.cores = (0..<coreCount).map(core)
        return map
    }

    /// Per crossbar table, the number of neurons each axon connects (its row's ones).
    public func crossbarFanOuts() -> [[Int32]] {
        crossbars.map { x in (0..<x.axons).map { Int32(x.fanOut(of: $0)) } }
    }

    /// Used neurons of all cores (entries of the destination arrays).
    public var neuronCount: Int { destKind.count }

    /// The global mesh position of core `c` (as ``CoreMap/meshPosition(of:)``).
    public func meshPosition(of c: Int) -> (x: Int, y: Int) {
        (Int(coreChip[2 * c]) * header.coresPerChip[0] + Int(coreXY[2 * c]),
         Int(coreChip[2 * c + 1]) * header.coresPerChip[1] + Int(coreXY[2 * c + 1]))
    }
}
