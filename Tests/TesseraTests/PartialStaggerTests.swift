import Testing
@testable import Mapping
@testable import Tessera

/// A split layer's part may have several partial neurons per sign, started a fraction of the
/// step apart (``Compiler/Options/partialStagger``): together they send the part's running
/// sum in finer steps, and still up to a whole step a tick (docs/mapping.md, "Stagger").
@Suite struct PartialStaggerTests {
    static let target = FanInSplitTests.tiny
    /// One tick of spikes on inputs 0 and 1 (the first part) and 22 and 23 (the second).
    static let input = SpikeInput(ticks: 1, spikes: ["x": [0, 1, 22, 23].map { SpikeInput.Event(tick: 0, index: $0) }])

    /// By hand: PartialRoundingTests' neuron (24 inputs of weight +1, threshold 4, two parts
    /// on tiny's 16-axon cores), each part seeing a current of 2 in one tick. The unsplit
    /// neuron sees 4 and fires once.
    /// - One partial neuron (step 4): from 0, neither part reaches 4 and nothing arrives;
    ///   from 2 (rounded), both fire, the merge receives 8 and fires twice.
    /// - Two, staggered (step 4, merge weight 2): from 0 and 2, the second of each part
    ///   fires; from 1 and 3 (rounded), the same. The merge receives 4 and fires once.
    @Test(arguments: [(1, false, 0), (1, true, 2), (2, false, 1), (2, true, 1)])
    func staggeredPartsSendTheSumInHalfSteps(stagger: Int, rounding: Bool, spikes: Int) throws {
        let network = try PartialRoundingTests.network()
        let options = Compiler.Options(partialSums: .net, partialRounding: rounding, partialStagger: stagger)
        let compiled = try Compiler(network, options: options).compile()
        #expect(compiled.approximations.first?.parts == 2)
        let partials = compiled.map.cores.filter { $0.role == .partial }.flatMap(\.neurons)
        let merges = compiled.map.cores.filter { $0.role == .merge }.flatMap(\.neurons)
        let starts = stagger == 1 ? [rounding ? 2 : 0] : rounding ? [1, 3] : [0, 2]
        #expect(partials.count == 2 * stagger)
        #expect(partials.allSatisfy { $0.threshold == 4 } && Set(partials.map(\.initialPotential)) == Set(starts))
        #expect(!merges.isEmpty && merges.allSatisfy { $0.threshold == 4 && Array($0.weights.prefix(1)) == [4 / stagger] })
        #expect(ReferenceSimulator(network).run(Self.input, ticks: 6).outputs[0].spikes.count == 1)
        #expect(try Emulator(map: compiled.map, target: Self.target).run(Self.input, ticks: 6).outputs[0].spikes.count == spikes)
    }

    /// Over a run, `s` staggered neurons of step `w` send a part's sum in steps of `w / s`
    /// (Hermite's identity: the sum over p of floor(x + p / s) is floor(s x)). By hand, on
    /// the neuron above, inputs 0 and 23 (one in each part) spike every tick for 39 ticks:
    /// 78 in all, and the unsplit neuron fires 19 times (78 / 4, 2 left). Each part's sum is
    /// 39. One partial neuron of step 4 sends 9 spikes of 4 (36, 3 held back): the merge
    /// receives 72 and fires 18 times. Two, from 0 and 2, fire 9 and 10 times (39 / 4 and
    /// 41 / 4), 19 spikes of 2: the merge receives 76 and fires 19 times.
    @Test(arguments: [(1, 18), (2, 19)])
    func aLongRunArrivesInTheFinerStep(stagger: Int, spikes: Int) throws {
        let network = try PartialRoundingTests.network()
        let ticks = 39
        let input = SpikeInput(ticks: ticks, spikes: ["x": (0..<ticks).flatMap { t in [0, 23].map { SpikeInput.Event(tick: t, index: $0) } }])
        #expect(ReferenceSimulator(network).run(input, ticks: ticks + 4).outputs[0].spikes.count == 19)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net, partialStagger: stagger)).compile()
        #expect(try Emulator(map: compiled.map, target: Self.target).run(input, ticks: ticks + 4).outputs[0].spikes.count == spikes)
    }

    /// A layer is staggered only where every threshold is at least twice the stagger (each
    /// neuron of a part needs its own start and a whole share of the smallest step, half the
    /// weight): the neuron above (threshold 4) takes a stagger of 2, not of 4, nor of 2 with
    /// a threshold of 3. The layout counts the staggered neurons, and the merge reads each.
    @Test(arguments: [(4.0, 2, 2), (4.0, 4, 1), (3.0, 2, 1), (8.0, 4, 4)])
    func staggerNeedsThresholdsOfTwiceIt(threshold: Double, asked: Int, kept: Int) throws {
        var graph = try PartialRoundingTests.network().graph
        if let k = graph.layers.firstIndex(where: { $0.name == "d" }) { graph.layers[k].neuron?.threshold = threshold }
        let network = try IntegerNetwork.check(graph, target: Self.target)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net, partialStagger: asked)).compile()
        let k = try #require(graph.layers.firstIndex { $0.name == "d" })
        #expect(compiled.layouts[k].stagger == kept)
        #expect(compiled.layouts[k].mergeInputs == 2 * kept)
        #expect(compiled.map.cores.filter { $0.role == .partial }.flatMap(\.neurons).count == 2 * kept)
    }

    /// Compile measures a stagger of 2 against 1 where the net scheme is kept and keeps the
    /// lower error, on the split tests' random networks with their thresholds raised to 4 or
    /// more; the kept map's split layer has the stagger it says. Where the staggered merge
    /// outgrows tiny's 16 axons (the dense networks, 8 parts of 2 signs), that map cannot be
    /// built and one partial neuron is kept, unmeasured against it; with the networks' own
    /// thresholds below 4, nothing is staggered and nothing more measured.
    @Test(arguments: 0..<12)
    func compileKeepsTheLowerOfOneAndTwo(seed: Int) throws {
        var graph = try Verifier.verify(FanInSplitTests.network(seed: UInt64(seed), dense: seed % 2 == 1)).graph
        let k = try #require(graph.layers.firstIndex { $0.name == "c" })
        // Below a threshold of 4 nothing can be staggered by 2, and nothing more is measured.
        if let low = graph.layers[k].neuron, low.threshold < 4 {
            let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
            let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net)).compile()
            #expect(try PartialStepChoice.choose(compiled, ticks: 64, rounding: false, stagger: true)?.rejectedStagger == nil)
        }
        graph.layers[k].neuron?.threshold += 2
        let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net)).compile()
        let choice = try #require(try PartialStepChoice.choose(compiled, ticks: 64, rounding: false, stagger: true))
        var staggered = compiled.compiler.options
        staggered.partialStagger = 2
        guard (try? Compiler(network, options: staggered).compile()) != nil else {
            #expect(choice.rejectedStagger == nil && choice.stagger == 1)
            return
        }
        let rejected = try #require(choice.rejectedStagger)
        #expect(Set([rejected.stagger, choice.stagger]) == [1, 2])
        #expect(choice.error.meanRateError <= rejected.error.meanRateError)
        #expect(choice.compiled.layouts[k].stagger == choice.stagger)
    }

    /// Two split layers of one map whose merges differ only in their stagger: `a` (threshold
    /// 4) takes 2, `b` (threshold 2) keeps 1, each of 2 parts of one sign on tiny. Merge cores
    /// share crossbars by what they depend on, so the stagger is part of that: each merge
    /// neuron reads parts x stagger axons, 4 in `a` and 2 in `b`. One tick of current 4 in
    /// each: `a` fires once (two staggered neurons per part from 0 and 2, step 4, one spike
    /// of 2 each), `b` twice (a spike of 2 from each part), as the reference does.
    @Test func mergesOfDifferentStaggersKeepTheirOwnCrossbars() throws {
        var store = ParameterStore()
        for name in ["a", "b"] {
            store["\(name).weight"] = .loaded(try #require(Tensor(shape: [1, 24], values: Array(repeating: 1, count: 24))), origin: "by hand")
        }
        let graph = try Verifier.verify(SpikeGraph(name: "two", layers: [
            Layer(name: "x", op: .input(shape: TensorShape(24, 1, 1), encoding: .rate)),
            Layer(name: "a", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(threshold: 4), parameterKey: "a"),
            Layer(name: "b", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(threshold: 2), parameterKey: "b"),
        ], outputs: ["a", "b"], parameters: store)).graph
        let network = try IntegerNetwork.check(graph, target: Self.target)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net, partialStagger: 2)).compile()
        #expect(compiled.layouts.map(\.stagger) == [1, 2, 1] && compiled.layouts.map(\.parts) == [1, 2, 2])
        let map = compiled.map
        let merges = map.cores.filter { $0.role == .merge }
        #expect(merges.count == 2)
        for core in merges {
            let name = map.layers[core.layer ?? -1].name
            let read = (0..<core.crossbar.axons).filter { core.crossbar[$0, 0] }.count
            #expect(read == (name == "a" ? 4 : 2), "\(name): \(read) axons")
        }
        let reference = ReferenceSimulator(network).run(Self.input, ticks: 6).outputs.map(\.spikes.count)
        #expect(reference == [1, 2])
        #expect(try Emulator(map: map, target: Self.target).run(Self.input, ticks: 6).outputs.map(\.spikes.count) == reference)
    }
}
