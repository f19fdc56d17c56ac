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
    mutating func intern(_ core: PackedCore) -> Row {
        Row(chip: core.chip, place: core.place, seed: core.seed, layer: core.layer,
            role: UInt8(CoreRole.allCases.firstIndex(of: core.role) ?? 0),
            crossbar: crossbars.intern(core.crossbar.value, hash: core.crossbar.hash),
            axonTypes: axonTypes.intern(core.axonTypes.value, hash: core.axonTypes.hash),
            block: blocks.intern(core.block.value, hash: core.block.hash))
    }

    /// `core` in packed form, for this map's geometry and output ports.
    func packed(_ core: CoreConfig) -> PackedCore {
        PackedCore(core, axons: building.header.geometry.axons, outputIndex: outputIndex)
    }

    /// Appends `core` as the next core (its `id` is not read: cores are dense in order).
    public mutating func append(_ core: CoreConfig) {
        let core = packed(core)
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
        building.destKind += core.destKind
        building.destTarget += core.destTarget
        building.destIndex += core.destIndex
        building.destDelay += core.destDelay
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
    public static func encode(_ d: Destination?, outputIndex: [String: Int32]) -> (UInt8, Int32, Int32, UInt8) {
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
