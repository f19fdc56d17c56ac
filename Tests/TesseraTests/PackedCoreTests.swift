import Foundation
import Testing
@testable import Tessera

/// The compiler hands cores to the v2 writer in packed form (``PackedCore``: neuron blocks
/// from a cache, destinations straight from the routes), without building the neurons one
/// by one. The archive it writes must hold exactly the map that packing the cores it
/// builds whole gives: checked on random networks that need every kind of core (whole,
/// partial sums and merges of a fan-in split, relays, general lists).
@Suite struct PackedCoreTests {
    static func compiled(_ graph: SpikeGraph, target: Target) throws -> Compiled {
        try Compiler(try IntegerNetwork.check(graph, target: target)).compile()
    }

    /// Writes `compiled` to v2 and checks it against packing its whole cores; returns the
    /// roles its cores have.
    static func check(_ compiled: Compiled, target: Target, name: String) throws -> Set<CoreRole> {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("\(name).npz").path
        let summary = try #require(try compiled.write(to: path))
        let loaded = try PackedCoreMap.load(path, target: target)
        var packer = CorePacker(header: compiled.mapHeader)
        for core in compiled.map.cores { packer.append(core) }
        let whole = packer.packed
        #expect(loaded == whole, "\(name): the packed writer's map differs from packing the cores built whole")
        #expect(summary.cores == whole.coreCount && summary.neurons == whole.destKind.count && summary.neuronBlocks == whole.neuronBlocks.count)
        return Set(compiled.map.cores.map(\.role))
    }

    @Test func randomNetworksPackAsTheirWholeCores() throws {
        var roles: Set<CoreRole> = []
        for seed in 0..<40 {
            let target = seed % 2 == 0 ? CompilerPropertyTests.tiny : CompilerPropertyTests.truenorth
            let graph = try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed), small: target.core.axons < 64)).graph
            roles.formUnion(try Self.check(try Self.compiled(graph, target: target), target: target, name: "random-\(seed)"))
        }
        for seed in 0..<8 {
            let graph = try Verifier.verify(FanInSplitTests.network(seed: UInt64(seed), dense: seed % 2 == 1)).graph
            roles.formUnion(try Self.check(try Self.compiled(graph, target: FanInSplitTests.tiny), target: FanInSplitTests.tiny, name: "split-\(seed)"))
        }
        for seed in 0..<6 as Range<UInt64> {
            guard let (graph, _) = RelayTests.network(seed: seed, axons: RelayTests.tiny.core.axons) else { continue }
            roles.formUnion(try Self.check(try Self.compiled(graph, target: RelayTests.tiny), target: RelayTests.tiny, name: "relay-\(seed)"))
        }
        // The networks reach every kind of core, so every path of the packed writer ran.
        #expect(roles == Set(CoreRole.allCases), "roles seen: \(roles)")
    }

    /// Cores of one layer share their neuron blocks and crossbars through the caches, and
    /// writing twice gives the same bytes. Sharing is checked against the cores built whole:
    /// each core's references lead to its own crossbar, axon types and neurons, and no table
    /// holds an entry twice, so two cores share an entry exactly when their contents are
    /// equal; and the split conv's tiles do repeat (fewer entries than cores), so it is used.
    @Test func writingIsDeterministic() throws {
        let graph = try Verifier.verify(FanInSplitTests.network(seed: 2)).graph
        let compiled = try Self.compiled(graph, target: FanInSplitTests.tiny)
        let dir = try TestSupport.temporaryDirectory()
        let a = dir.appendingPathComponent("a.npz").path, b = dir.appendingPathComponent("b.npz").path
        try compiled.write(to: a)
        try Self.compiled(graph, target: FanInSplitTests.tiny).write(to: b)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))

        let packed = try PackedCoreMap.load(a, target: FanInSplitTests.tiny)
        let cores = compiled.map.cores
        try #require(packed.coreCount == cores.count)
        for (c, core) in cores.enumerated() {
            #expect(packed.crossbars[Int(packed.coreCrossbar[c])] == core.crossbar, "core \(c): crossbar")
            #expect(packed.axonTypeTables[Int(packed.coreAxonTypes[c])] == core.axonTypes, "core \(c): axon types")
            #expect(packed.neuronBlocks[Int(packed.coreBlock[c])] == NeuronBlock(core.neurons), "core \(c): neuron block")
        }
        func distinct<T: Equatable>(_ values: [T]) -> Int { values.indices.filter { i in !values[..<i].contains(values[i]) }.count }
        #expect(distinct(packed.crossbars) == packed.crossbars.count && distinct(packed.neuronBlocks) == packed.neuronBlocks.count
                && distinct(packed.axonTypeTables) == packed.axonTypeTables.count, "a table holds an entry twice")
        let (crossbars, blocks) = (distinct(cores.map(\.crossbar)), distinct(cores.map { NeuronBlock($0.neurons) }))
        #expect(packed.crossbars.count == crossbars && packed.neuronBlocks.count == blocks)
        print("split conv (seed 2): \(cores.count) cores, \(crossbars) distinct crossbars, \(blocks) distinct neuron blocks")
        #expect(crossbars < cores.count && blocks < cores.count, "\(cores.count) cores, \(crossbars) crossbars, \(blocks) blocks: nothing to share")
    }
}
