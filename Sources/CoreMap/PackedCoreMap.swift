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

/// Builds a ``PackedCoreMap`` one core at a time, interning the shared tables. With
/// `keepsCores` false only the tables are kept (``CoreMapArchiveWriter`` spills the per-core
/// rows to files).
public struct CorePacker: Sendable {
    var building: PackedCoreMap
    var crossbars = TableInterner<Crossbar>()
    var axonTypes = TableInterner<[UInt8]>()
    var blocks = TableInterner<NeuronBlock>()
    let outputIndex: [String: Int32]
    let keepsCores: Bool

    /// One core's entries in the per-core arrays.
    struct Row {
        var chip: (Int32, Int32)
        var place: (Int32, Int32)
        var seed: UInt64
        var layer: Int32
        var role: UInt8
        var crossbar: Int32
        var axonTypes: Int32
        var block: Int32
    }

    public init(header: CoreMap, keepsCores: Bool = true) {
        building = PackedCoreMap(header: header)
        self.keepsCores = keepsCores
        var index: [String: Int32] = [:]
        for (k, port) in header.outputs.enumerated() where index[port.name] == nil { index[port.name] = Int32(k) }
        outputIndex = index
    }

    /// Interns `core`'s tables and returns its per-core row.
    mutating func intern(_ core: CoreConfig) -> Row {
        let axons = building.header.geometry.axons
        var types = core.axonTypes
        if types.count < axons { types += [UInt8](repeating: 0, count: axons - types.count) }
        func int(_ values: [Int], _ k: Int) -> Int32 { values.indices.contains(k) ? Int32(truncatingIfNeeded: values[k]) : 0 }
        return Row(chip: (int(core.chip, 0), int(core.chip, 1)), place: (int(core.place, 0), int(core.place, 1)), seed: core.seed,
                   layer: core.layer.map { Int32(truncatingIfNeeded: $0) } ?? -1,
                   role: UInt8(CoreRole.allCases.firstIndex(of: core.role) ?? 0),
                   crossbar: crossbars.intern(core.crossbar, hash: TableHash.words(core.crossbar.words)),
                   axonTypes: axonTypes.intern(types, hash: TableHash.bytes(types)),
                   block: blocks.intern(NeuronBlock(core.neurons), hash: TableHash.neurons(core.neurons)))
    }

    /// Appends `core` as the next core (its `id` is not read: cores are dense in order).
    public mutating func append(_ core: CoreConfig) {
        let row = intern(core)
        guard keepsCores else { return }
        building.coreChip += [row.chip.0, row.chip.1]
        building.coreXY += [row.place.0, row.place.1]
        building.coreSeed.append(row.seed)
        building.coreLayer.append(row.layer)
        building.coreRole.append(row.role)
        building.coreCrossbar.append(row.crossbar)
        building.coreAxonTypes.append(row.axonTypes)
        building.coreBlock.append(row.block)
        for n in core.neurons {
            let (kind, target, index, delay) = Self.encode(n.destination, outputIndex: outputIndex)
            building.destKind.append(kind)
            building.destTarget.append(target)
            building.destIndex.append(index)
            building.destDelay.append(delay)
        }
        building.coreNeuronStart.append(building.destKind.count)
    }

    /// The map of the cores appended so far.
    public var packed: PackedCoreMap {
        var map = building
        map.crossbars = crossbars.values
        map.axonTypeTables = axonTypes.values
        map.neuronBlocks = blocks.values
        return map
    }

    /// A destination as the four destination arrays hold it; an output port missing from
    /// the header becomes port -1 (which the validator rejects).
    static func encode(_ d: Destination?, outputIndex: [String: Int32]) -> (UInt8, Int32, Int32, UInt8) {
        switch d {
        case let .axon(core, axon, delay)?:
            return (1, Int32(truncatingIfNeeded: core), Int32(truncatingIfNeeded: axon), UInt8(truncatingIfNeeded: delay))
        case let .output(port, index)?:
            return (2, outputIndex[port] ?? -1, Int32(truncatingIfNeeded: index), 0)
        case nil:
            return (0, 0, 0, 0)
        }
    }
}
