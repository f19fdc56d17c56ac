import CoreMap
import Foundation

extension Compiled {
    /// Planned core `c` in the packed form the v2 writer takes: equal to packing ``core(_:)``,
    /// but its neuron block comes from ``NeuronBlockCache`` and its destinations straight
    /// from the routes, so no ``NeuronConfig`` is built per neuron (the full-size SiamSNN
    /// has 140 million neurons and 148 distinct blocks).
    func packedCore(_ c: Int, outputIndex: [String: Int32]) -> PackedCore {
        let spec = compiler.target.core
        let recipe = recipes[c]
        if case let .relay(relays, _) = recipe.body { return packed(c, relayCore(c, relays), outputIndex: outputIndex) }
        guard let body = body(c) else {
            return packed(c, CoreConfig(id: c, chip: [0, 0], place: [0, 0], axonTypes: [], crossbar: Crossbar(axons: spec.axons, neurons: spec.neurons), neurons: []),
                          outputIndex: outputIndex)
        }
        let neurons = body.neurons
        let block = blocks.block(layer: recipe.layer, stage: recipe.stage, slots: body.slots, neurons: neurons)
        let n = body.slots.count
        var kinds = [UInt8](repeating: 0, count: n), targets = [Int32](repeating: 0, count: n)
        var indices = [Int32](repeating: 0, count: n), delays = [UInt8](repeating: 0, count: n)
        for (i, slot) in body.slots.enumerated() {
            (kinds[i], targets[i], indices[i], delays[i]) = CorePacker.encode(neurons.destination(slot), outputIndex: outputIndex)
        }
        let l = labels(c)
        return PackedCore(chip: (Int32(l.chip[0]), Int32(l.chip[1])), place: (Int32(l.place[0]), Int32(l.place[1])), seed: UInt64(c),
                          layer: l.layer.map { Int32($0) } ?? -1, role: l.role, crossbar: body.crossbar, axonTypes: HashedTable(body.types),
                          block: block, destKind: kinds, destTarget: targets, destIndex: indices, destDelay: delays)
    }

    /// A core built whole (relay cores, which are few), in packed form.
    private func packed(_ c: Int, _ core: CoreConfig, outputIndex: [String: Int32]) -> PackedCore {
        PackedCore(core, axons: compiler.target.core.axons, outputIndex: outputIndex)
    }

    /// The index of each output port in the map header (as the v2 writer numbers them).
    var outputPortIndex: [String: Int32] {
        var index: [String: Int32] = [:]
        for (k, port) in outputPorts.enumerated() where index[port.name] == nil { index[port.name] = Int32(k) }
        return index
    }
}

/// Neuron blocks built once per distinct block. Every distinct neuron (its parameters, not
/// its index) gets a number, the first time its layer and stage are seen; a block is then
/// named exactly by the numbers of its neurons in order, so equal keys mean equal blocks and
/// the cache holds one entry per distinct block (148 for the full-size SiamSNN, whose
/// 140 million neurons would otherwise each be built, hashed and compared).
///
/// Shared by the threads that build cores. Numbers depend on which layer is seen first,
/// but only the blocks they name reach the map, so the map does not depend on the threads.
final class NeuronBlockCache: @unchecked Sendable {
    private let lock = NSLock()
    private var neurons = TableInterner<NeuronConfig>()
    /// Per (layer, stage code): the number of each ``CoreNeurons/parameterIndex(_:)``.
    private var numbers: [Int: [Int32]] = [:]
    private var blocks: [NeuronBlockKey: HashedTable<NeuronBlock>] = [:]
    /// A bound on memory should a layer's cores all differ. A cached block shares its
    /// storage with the copy the archive writer keeps (it keeps every distinct block), so an
    /// entry costs its key, about 1 KB; full-size DeepLab has 15,652 distinct blocks, and a
    /// block rebuilt for each of its cores (256 neurons copied and hashed) was most of the
    /// writer's time.
    static let capacity = 65_536

    func block(layer: Int, stage: CoreRecipe.Stage, slots: [Slot], neurons layerNeurons: CoreNeurons) -> HashedTable<NeuronBlock> {
        let code: Int = switch stage {
        case .whole: 0
        case .partial: 1
        case .merge: 2
        case .relay: 3
        }
        let numbers = numbers(layer * 4 + code, layerNeurons)
        let key = NeuronBlockKey(words: slots.map { numbers[layerNeurons.parameterIndex($0)] })
        lock.lock()
        if let hit = blocks[key] {
            lock.unlock()
            return hit
        }
        let values = self.neurons.values
        lock.unlock()
        let built = HashedTable(NeuronBlock(key.words.enumerated().map { i, k in
            var n = values[Int(k)]
            n.index = i
            return n
        }))
        lock.lock()
        if blocks.count < Self.capacity { blocks[key] = built }
        lock.unlock()
        return built
    }

    private func numbers(_ slot: Int, _ layerNeurons: CoreNeurons) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        if let known = numbers[slot] { return known }
        let made = (0..<layerNeurons.parameterCount).map { p in
            let n = layerNeurons.parameters(index: p)
            return neurons.intern(n, hash: TableHash.neurons([n]))
        }
        numbers[slot] = made
        return made
    }
}

/// A neuron block named by the numbers of its neurons, in order (see ``NeuronBlockCache``).
struct NeuronBlockKey: WordsKey {
    let words: [Int32]
    let digest: Int
}
