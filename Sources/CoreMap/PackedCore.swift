/// A shared table (crossbar, axon-type vector or neuron block) with its content hash, so
/// that a table many cores reference is hashed once, where it is built, rather than once
/// per core by the writer that interns it.
public struct HashedTable<Value: Sendable & Equatable>: Sendable {
    public let value: Value
    public let hash: UInt64

    public init(_ value: Value, hash: UInt64) {
        self.value = value
        self.hash = hash
    }
}

extension HashedTable where Value == Crossbar {
    public init(_ crossbar: Crossbar) { self.init(crossbar, hash: TableHash.words(crossbar.words)) }
}

extension HashedTable where Value == [UInt8] {
    public init(_ types: [UInt8]) { self.init(types, hash: TableHash.bytes(types)) }
}

extension HashedTable where Value == NeuronBlock {
    public init(_ block: NeuronBlock) { self.init(block, hash: TableHash.neurons(block.neurons)) }
}

/// One core as the v2 archive writer takes it: its place and labels, its tables whole (the
/// writer interns them), and its neurons' destinations as the four destination arrays hold
/// them. A compiler hands cores over in this form without building a ``NeuronConfig`` per
/// neuron; ``init(_:outputIndex:)`` makes it from a ``CoreConfig``.
public struct PackedCore: Sendable {
    public var chip: (x: Int32, y: Int32)
    public var place: (x: Int32, y: Int32)
    public var seed: UInt64
    /// Index into the map's layer labels, or -1.
    public var layer: Int32
    public var role: CoreRole
    public var crossbar: HashedTable<Crossbar>
    /// One type per axon, `geometry.axons` of them.
    public var axonTypes: HashedTable<[UInt8]>
    public var block: HashedTable<NeuronBlock>
    /// Per used neuron, in block order: kind (0 none, 1 axon, 2 output), target (core or
    /// output port), index (axon or output element) and delay.
    public var destKind: [UInt8]
    public var destTarget: [Int32]
    public var destIndex: [Int32]
    public var destDelay: [UInt8]

    public init(chip: (x: Int32, y: Int32), place: (x: Int32, y: Int32), seed: UInt64, layer: Int32, role: CoreRole,
                crossbar: HashedTable<Crossbar>, axonTypes: HashedTable<[UInt8]>, block: HashedTable<NeuronBlock>,
                destKind: [UInt8], destTarget: [Int32], destIndex: [Int32], destDelay: [UInt8]) {
        (self.chip, self.place, self.seed, self.layer, self.role) = (chip, place, seed, layer, role)
        (self.crossbar, self.axonTypes, self.block) = (crossbar, axonTypes, block)
        (self.destKind, self.destTarget, self.destIndex, self.destDelay) = (destKind, destTarget, destIndex, destDelay)
    }

    /// `core` in packed form; `outputIndex` numbers the map's output ports (a port missing
    /// from it becomes port -1, which validation rejects). Axon types are padded to `axons`.
    public init(_ core: CoreConfig, axons: Int, outputIndex: [String: Int32]) {
        func int(_ values: [Int], _ k: Int) -> Int32 { values.indices.contains(k) ? Int32(truncatingIfNeeded: values[k]) : 0 }
        var types = core.axonTypes
        if types.count < axons { types += [UInt8](repeating: 0, count: axons - types.count) }
        var kinds = [UInt8](), targets = [Int32](), indices = [Int32](), delays = [UInt8]()
        kinds.reserveCapacity(core.neurons.count); targets.reserveCapacity(core.neurons.count)
        indices.reserveCapacity(core.neurons.count); delays.reserveCapacity(core.neurons.count)
        for n in core.neurons {
            let d = CorePacker.encode(n.destination, outputIndex: outputIndex)
            kinds.append(d.0); targets.append(d.1); indices.append(d.2); delays.append(d.3)
        }
        self.init(chip: (int(core.chip, 0), int(core.chip, 1)), place: (int(core.place, 0), int(core.place, 1)), seed: core.seed,
                  layer: core.layer.map { Int32(truncatingIfNeeded: $0) } ?? -1, role: core.role,
                  crossbar: HashedTable(core.crossbar), axonTypes: HashedTable(types), block: HashedTable(NeuronBlock(core.neurons)),
                  destKind: kinds, destTarget: targets, destIndex: indices, destDelay: delays)
    }
}
