import Foundation
import Testing
@testable import Mapping
@testable import Placement
@testable import Tessera

/// Placement weighs each route by the spikes expected on it: the firing rate of the layer
/// that sends on it, measured by the reference simulator (or read from a rates file).
@Suite struct PlacementTests {
    static let tiny = NeuronModeTests.tiny

    /// x (3 inputs) -> a (identity, threshold 1) -> b (identity, threshold 2), reset by
    /// subtraction, no bias or leak.
    static func chain() throws -> IntegerNetwork {
        var store = ParameterStore()
        let identity = Tensor(shape: [3, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1]) ?? Tensor(repeating: 0, shape: [3, 3])
        for key in ["a", "b"] {
            store["\(key).weight"] = .loaded(identity, origin: "hand")
            store["\(key).bias"] = .loaded(Tensor(repeating: 0, shape: [3]), origin: "hand")
        }
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(vector: 3), encoding: .rate)),
            Layer(name: "a", op: .dense(Dense(outFeatures: 3)), inputs: ["x"], neuron: NeuronModel(threshold: 1, reset: .subtract), parameterKey: "a"),
            Layer(name: "b", op: .dense(Dense(outFeatures: 3)), inputs: ["a"], neuron: NeuronModel(threshold: 2, reset: .subtract), parameterKey: "b"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "chain", layers: layers, outputs: ["b"], parameters: store)).graph
        return try IntegerNetwork.check(graph, target: Self.tiny)
    }

    /// By hand from the neuron semantics: `a` (depth 1) fires in every tick its input
    /// spikes, so its count is the input's; `b` (depth 2) sees in tick t the spikes `a` fired
    /// in t - 1, so over 64 ticks it integrates a's spikes of ticks 0...62 and, with
    /// threshold 2 and reset by subtraction, fires floor(c / 2) times for c of them.
    @Test func measuredRatesMatchAHandCount() throws {
        let network = try Self.chain()
        let rates = try #require(FiringRates.measure(network, ticks: 64, seed: 7))
        let stimulus = FiringRates.randomStimulus(network.graph, ticks: 64, seed: 7)
        let events = stimulus.spikes["x"] ?? []
        #expect(rates.rates["a"] == Double(events.count) / Double(3 * 64))
        let early = (0..<3).map { i in events.filter { $0.index == i && $0.tick < 63 }.count }
        #expect(rates.rates["b"] == Double(early.map { $0 / 2 }.reduce(0, +)) / Double(3 * 64))
        #expect(rates.rates["x"] == nil)
    }

    /// 17 cores on chips of 16: one feeder of core 0 must sit on the other chip. Row-major
    /// leaves the last, busy one there; with rates the search swaps it for a silent one, so
    /// no expected spike crosses a chip. Without rates all feeders weigh alike (nothing to gain).
    @Test func busyRoutesStayOnChip() {
        let pairs = (1..<17).map { (from: Int32($0), to: Int32(0), weight: Int32(1)) }
        let rates = (0..<17).map { $0 >= 1 && $0 <= 8 ? 0.0 : 1.0 }
        let placer = Placer(target: Self.tiny, cores: 17, traffic: pairs, coreRates: rates)
        let slots = placer.place()
        let rowMajor = Array(0..<17)
        #expect(placer.expected(rowMajor).crossings == 1)
        #expect(placer.expected(slots).crossings == 0)
        let offChip = (0..<17).filter { placer.position(slots[$0]).chipX != placer.position(slots[0]).chipX || placer.position(slots[$0]).chipY != placer.position(slots[0]).chipY }
        #expect(offChip.count == 1 && (1...8).contains(offChip[0]))
    }

    /// The expected spike hops the report gives equal, recomputed from the written map, every
    /// neuron's route hops times its core's layer's measured rate; the search never does
    /// worse than row-major on its objective.
    @Test(arguments: 0..<20)
    func expectedTrafficIsReportedTruthfully(seed: Int) throws {
        let graph = try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed), small: true)).graph
        // Chips of two cores, so that routes cross chips (on tiny's 16-core chips they do not).
        let network = try IntegerNetwork.check(graph, target: Target.load(ChipLinkTests.target(link: "{ spikesPerTick: 1000, source: \"test\" }")))
        let compiled = try Compiler(network).compile()
        let rates = try #require(FiringRates.measure(network))
        let map = compiled.map
        var spikeHops = 0.0, spikeCrossings = 0.0
        for (c, core) in map.cores.enumerated() {
            let rate = rates.rate(of: network.graph.layers[compiled.recipes[c].layer].name)
            for n in core.neurons {
                guard case let .axon(target, _, _)? = n.destination else { continue }
                let (a, b) = (map.meshPosition(of: c), map.meshPosition(of: target))
                spikeHops += rate * Double(abs(a.x - b.x) + abs(a.y - b.y))
                spikeCrossings += rate * Double(abs(core.chip[0] - map.cores[target].chip[0]) + abs(core.chip[1] - map.cores[target].chip[1]))
            }
        }
        let p = compiled.placement
        #expect(abs((p.spikeHopsPerTick ?? -1) - spikeHops) < 1e-9 * max(1, spikeHops))
        #expect(abs((p.spikeCrossingsPerTick ?? -1) - spikeCrossings) < 1e-9 * max(1, spikeCrossings))
        #expect(p.objective <= p.rowMajorObjective)
        #expect(p.rateSource.contains("reference run"))
    }

    @Test func ratesFilesRoundTripAndBadOnesAreNamed() throws {
        let network = try Self.chain()
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("rates.json").path
        try FiringRates(rates: ["a": 0.25, "b": 0.125], source: "hand").save(to: path)
        let loaded = try FiringRates.load(path: path, graph: network.graph)
        #expect(loaded.rates == ["a": 0.25, "b": 0.125])
        // A layer the file leaves out weighs the mean of those given.
        let partial = try TestSupport.write("rates:\n  a: 0.5\n", named: "partial.yaml")
        #expect(try FiringRates.load(path: partial, graph: network.graph).rate(of: "b") == 0.5)
        let bad = try TestSupport.write("rates:\n  bb: 0.5\n  a: 1.5\n", named: "bad.yaml")
        #expect(throws: DiagnosticError.self) { try FiringRates.load(path: bad, graph: network.graph) }
        do {
            _ = try FiringRates.load(path: bad, graph: network.graph)
        } catch {
            let text = error.description
            #expect(text.contains("bad.yaml:2:3") && text.contains("'bb'") && text.contains("did you mean 'b'"))
            #expect(text.contains("bad.yaml:3:6") && text.contains("rate of 'a'"))
        }
        // A file without 'rates:' is refused at the file, naming the field it lacks.
        let missing = try TestSupport.write("source: x\n", named: "missing.yaml")
        let noRates = #expect(throws: DiagnosticError.self) { try FiringRates.load(path: missing, graph: network.graph) }
        #expect(noRates?.description.contains("missing.yaml") == true && noRates?.description.contains("needs 'rates:'") == true, "\(noRates?.description ?? "")")
    }
}
