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
