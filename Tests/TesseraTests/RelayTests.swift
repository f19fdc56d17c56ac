import Foundation
import Testing
@testable import Mapping
@testable import Reference
@testable import Tessera

/// Routes whose delay the hardware cannot give directly go through relay neurons: a skip
/// branch longer than the target's longest axonal delay, and a network input read late
/// (input spikes are integrated in the tick they are injected). On targets whose delays
/// stop at 2 or 3 ticks, random chains with skips and late inputs must still emulate
/// exactly as the reference simulates them, with relay cores present.
@Suite struct RelayTests {
    static func shortDelays(_ base: Target, longest: Int) -> Target {
        var t = base
        t.name = "\(base.name)-delay\(longest)"
        t.timing.delays = 1...longest
        return t
    }
    static let tiny = shortDelays(StructuredMappingTests.tiny, longest: 2)
    static let truenorth = shortDelays(StructuredMappingTests.truenorth, longest: 3)

    /// A chain of `depth` shape-keeping convolutions after the input, then either
    /// add(chain[i], chain end) (a skip of depth - i ticks) or a convolution of
    /// concat(input, chain end) (the input read `depth` ticks late).
    static func network(seed: UInt64, axons: Int) -> (SpikeGraph, skip: Int)? {
        var rng = SeededRandom(seed: seed)
        func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        var store = ParameterStore()
        func tensor(_ key: String, shape: [Int]) {
            let count = shape.reduce(1, *)
            store["\(key).weight"] = .loaded(Tensor(shape: shape, values: (0..<count).map { _ in Double([0, 1, 1, -1][int(0...3)]) }) ?? Tensor(repeating: 0, shape: shape), origin: "random")
            store["\(key).bias"] = .loaded(Tensor(shape: [shape[0]], values: (0..<shape[0]).map { _ in Double(int(0...1)) }) ?? Tensor(repeating: 0, shape: [shape[0]]), origin: "random")
        }
        func neuron() -> NeuronModel { NeuronModel(threshold: Double(int(1...2)), reset: NeuronModel.Reset.allCases[int(0...2)]) }
        let (c, h, w) = (int(1...2), int(2...4), int(2...4))
        let depth = int(2...9)
        var layers = [Layer(name: "x", op: .input(shape: TensorShape(c, h, w), encoding: .rate))]
        var previous = "x"
        for i in 0..<depth {
            let k = axons >= 64 && int(0...1) == 0 ? 3 : 1
            let window = Window(kernel: k, stride: 1, padding: k / 2)
            layers.append(Layer(name: "c\(i)", op: .conv2d(Convolution(outChannels: c, vertical: window, horizontal: window)),
                                inputs: [previous], neuron: neuron(), parameterKey: "c\(i)"))
            tensor("c\(i)", shape: [c, c, k, k])
            previous = "c\(i)"
        }
        let skip: Int
        if int(0...1) == 0 {
            let from = int(0...(depth - 2))
            layers.append(Layer(name: "o", op: .add, inputs: ["c\(from)", previous], neuron: neuron()))
            skip = depth - from  // c(from) is at hardware depth from + 1, o at depth + 1
        } else {
            layers.append(Layer(name: "cat", op: .concat, inputs: ["x", previous]))
            layers.append(Layer(name: "o", op: .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: 1), horizontal: Window(kernel: 1))),
                                inputs: ["cat"], neuron: neuron(), parameterKey: "o"))
            tensor("o", shape: [1, 2 * c, 1, 1])
            skip = depth  // the input, integrated in tick t, is read by o at hardware depth depth + 1
        }
        let graph = SpikeGraph(name: "relay", layers: layers, outputs: ["o"], parameters: store)
        guard let verified = try? Verifier.verify(graph).graph else { return nil }
        return (verified, skip)
    }

    /// Compiles, emulates and simulates one network; returns its output spikes and relay cores.
    @discardableResult
    func check(_ seed: UInt64, on target: Target) throws -> (spikes: Int, relays: Int) {
        let (graph, skip) = try #require(Self.network(seed: seed, axons: target.core.axons))
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        let map = try CoreMapReader.parse(Data(compiled.map.json.utf8), file: "compiled.json", target: target)
        let input = StructuredMappingTests.randomInput(graph, seed: seed, ticks: 16)
        let simulated = ReferenceSimulator(network).run(input, ticks: 30)
        let emulated = try Emulator(map: map, target: target).run(input, ticks: 30)
        #expect(emulated.outputs == simulated.outputs, "seed \(seed) on \(target.name)")
        // Relays exactly when a delay is out of reach: a skip beyond the longest delay, or
        // any late input (skip counts ticks late for the concat form).
        let needsRelays = graph.layers.contains { $0.op.name == "concat" } || skip > target.timing.delays.upperBound
        #expect((compiled.relayCores > 0) == needsRelays, "seed \(seed): \(compiled.relayCores) relay cores, skip \(skip)")
        return (emulated.outputs.reduce(0) { $0 + $1.spikes.count }, compiled.relayCores)
    }

    /// Guard against a vacuous comparison: outputs fire and most networks use relays.
    @Test func relayedNetworksFire() throws {
        var spikes = 0, relayed = 0
        for seed in 0..<40 as Range<UInt64> {
            let result = try check(seed, on: Self.tiny)
            spikes += result.spikes
            relayed += result.relays > 0 ? 1 : 0
        }
        #expect(spikes > 500 && relayed > 20, "\(spikes) spikes, \(relayed) networks with relays")
    }

    @Test(arguments: 0..<40 as Range<UInt64>)
    func tinyTarget(seed: UInt64) throws { try check(seed, on: Self.tiny) }

    @Test(arguments: 100..<120 as Range<UInt64>)
    func truenorthTarget(seed: UInt64) throws { try check(seed, on: Self.truenorth) }

    /// An input x, a chain of `lateness` unit dense layers, and o = dense(concat(x, chain
    /// end)) with weights 1 and threshold 2: o reads x `lateness` ticks late.
    static func lateInput(_ lateness: Int) throws -> SpikeGraph {
        var layers = [Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate))]
        var store = ParameterStore()
        var previous = "x"
        for i in 0..<lateness {
            layers.append(Layer(name: "d\(i)", op: .dense(Dense(outFeatures: 1)), inputs: [previous], neuron: NeuronModel(threshold: 1), parameterKey: "d\(i)"))
            store["d\(i).weight"] = .loaded(Tensor(shape: [1, 1], values: [1]) ?? Tensor(repeating: 0, shape: [1, 1]), origin: "hand")
            store["d\(i).bias"] = .loaded(Tensor(shape: [1], values: [0]) ?? Tensor(repeating: 0, shape: [1]), origin: "hand")
            previous = "d\(i)"
        }
        layers.append(Layer(name: "cat", op: .concat, inputs: ["x", previous]))
        layers.append(Layer(name: "o", op: .dense(Dense(outFeatures: 1)), inputs: ["cat"], neuron: NeuronModel(threshold: 2), parameterKey: "o"))
        store["o.weight"] = .loaded(Tensor(shape: [1, 2], values: [1, 1]) ?? Tensor(repeating: 0, shape: [1, 2]), origin: "hand")
        store["o.bias"] = .loaded(Tensor(shape: [1], values: [0]) ?? Tensor(repeating: 0, shape: [1]), origin: "hand")
        return try Verifier.verify(SpikeGraph(name: "late", layers: layers, outputs: ["o"], parameters: store)).graph
    }

    /// Hand-worked: an input read 5 ticks late on a target whose delays stop at 2 goes
    /// through ceil(5 / 2) = 3 relays with out-delays 2, 2 and 1, all on one relay core
    /// (three axons, one per stage, and three neurons).
    @Test func inputReadFiveTicksLate() throws {
        let graph = try Self.lateInput(5)
        let target = Self.shortDelays(StructuredMappingTests.tiny, longest: 2)
        let compiled = try Compiler(try IntegerNetwork.check(graph, target: target)).compile()
        #expect(compiled.relayCores == 1 && compiled.relayedRoutes == 1)
        let map = compiled.map
        let relay = try #require(map.cores.first { core in core.neurons.count == 3 && core.neurons.allSatisfy { $0.weights == [1, 0, 0, 0] } })
        let delays = relay.neurons.compactMap { n -> Int? in if case let .axon(_, _, d) = n.destination { d } else { nil } }.sorted()
        #expect(delays == [1, 2, 2])
        // The input x fires in tick 0 only; o sees it (weight 1) together with d4's spike
        // (the chain relays x one layer per tick) and fires at latency 5.
        let input = SpikeInput(ticks: 1, spikes: ["x": [.init(tick: 0, index: 0)]])
        let emulated = try Emulator(map: map, target: target).run(input, ticks: 10)
        #expect(emulated.outputs.first?.spikes.map(\.tick) == [5])
    }

    /// With delays 3...4, 5 ticks need ceil(5 / 4) = 2 hops of at least 3 ticks each (6 > 5):
    /// no chain adds up to 5, and the compiler says so instead of writing a delay of 2.
    @Test func delayNoChainCanGiveIsAnError() throws {
        var target = Self.shortDelays(StructuredMappingTests.tiny, longest: 4)
        target.timing.delays = 3...4
        let network = try IntegerNetwork.check(try Self.lateInput(5), target: target)
        #expect {
            _ = try Compiler(network).compile()
        } throws: { error in
            (error as? DiagnosticError)?.diagnostics.map(\.message).contains("routes from input 'x' need a delay of 5 ticks, which no chain of hops within the target's delays 3...4 adds up to") ?? false
        }
    }
}
