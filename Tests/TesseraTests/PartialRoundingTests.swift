import Testing
@testable import Mapping
@testable import Tessera

/// Partial-sum neurons start at half their step, so a part's count is its running sum
/// rounded, where a start at zero floors it: up to a whole step held back per part, half on
/// average, always short (docs/mapping.md, "Rounding").
@Suite struct PartialRoundingTests {
    static let target = FanInSplitTests.tiny
    /// One tick of spikes on inputs 0, 1, 2 (the first part) and 23 (the last).
    static let input = SpikeInput(ticks: 1, spikes: ["x": [0, 1, 2, 23].map { SpikeInput.Event(tick: 0, index: $0) }])

    /// The neuron by hand: 24 inputs of weight +1, threshold 4, no bias.
    static func network() throws -> IntegerNetwork {
        var store = ParameterStore()
        store["d.weight"] = .loaded(Tensor(shape: [1, 24], values: Array(repeating: 1, count: 24)) ?? Tensor(repeating: 0, shape: [1]), origin: "by hand")
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(24, 1, 1), encoding: .rate)),
            Layer(name: "d", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(threshold: 4), parameterKey: "d"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "rounding", layers: layers, outputs: ["d"], parameters: store)).graph
        return try IntegerNetwork.check(graph, target: target)
    }

    /// By hand: one neuron, threshold 4, reading 24 inputs with weight +1 on tiny's 16-axon
    /// cores, so its fan-in splits in two parts; the first part holds inputs 0, 1 and 2, the
    /// last input 23. One tick with those four spikes gives the neuron a current of 4: the
    /// unsplit neuron fires once. The partial neurons (step 4, the merge weight) see 3 and 1.
    /// Starting at 2 they reach 5 and 3: the first fires, 1 + 0 rounds 0.75 and 0.25, and the
    /// merge receives 4 and fires once. Starting at 0 neither reaches 4 and nothing arrives.
    @Test(arguments: [true, false])
    func aSplitNeuronRoundsItsParts(rounding: Bool) throws {
        let network = try Self.network()
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net, partialRounding: rounding)).compile()
        #expect(compiled.approximations.first?.parts == 2)
        let partials = compiled.map.cores.filter { $0.role == .partial }.flatMap(\.neurons)
        #expect(!partials.isEmpty && partials.allSatisfy { $0.initialPotential == (rounding ? 2 : 0) && $0.threshold == 4 })
        let reference = ReferenceSimulator(network).run(Self.input, ticks: 6).outputs[0].spikes.count
        let emulated = try Emulator(map: compiled.map, target: Self.target).run(Self.input, ticks: 6).outputs[0].spikes.count
        #expect(reference == 1)
        #expect(emulated == (rounding ? 1 : 0))
    }

    /// Half the merge weight, by hand, on the same neuron: partial neurons of step 2 starting
    /// at 1, merge weights +2 and -2, the merge keeping the threshold of 4. The part of 3
    /// reaches 4 and fires twice over two ticks, the part of 1 reaches 2 and fires once: the
    /// merge receives 6 and fires once, as the unsplit neuron does.
    @Test func halfTheMergeWeightIsExact() throws {
        let options = Compiler.Options(partialStep: .halfWeight, partialSums: .net, partialRounding: true)
        let compiled = try Compiler(try Self.network(), options: options).compile()
        let partials = compiled.map.cores.filter { $0.role == .partial }.flatMap(\.neurons)
        let merges = compiled.map.cores.filter { $0.role == .merge }.flatMap(\.neurons)
        #expect(!partials.isEmpty && partials.allSatisfy { $0.threshold == 2 && $0.initialPotential == 1 })
        #expect(!merges.isEmpty && merges.allSatisfy { $0.threshold == 4 && Array($0.weights.prefix(2)) == [2, -2] })
        #expect(try Emulator(map: compiled.map, target: Self.target).run(Self.input, ticks: 8).outputs[0].spikes.count == 1)
    }

    /// Compile measures both starts where the net scheme is kept and keeps the lower error:
    /// on the split tests' random networks (thresholds 2 to 4) both are measured, the kept
    /// map is the better one, and its partial neurons start as it says. A threshold of 1 has
    /// no half step, and nothing more is measured.
    @Test(arguments: 0..<12)
    func compileKeepsTheLowerOfFlooredAndRounded(seed: Int) throws {
        let graph = try Verifier.verify(FanInSplitTests.network(seed: UInt64(seed), dense: seed % 2 == 1)).graph
        let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .net)).compile()
        let choice = try #require(try PartialStepChoice.choose(compiled, ticks: 64, rounding: true))
        let rejected = try #require(choice.rejectedRounding)
        #expect(rejected.rounding != choice.rounding)
        #expect(choice.error.meanRateError <= rejected.error.meanRateError)
        let partials = choice.compiled.map.cores.filter { $0.role == .partial }.flatMap(\.neurons)
        #expect(!partials.isEmpty && partials.allSatisfy { $0.initialPotential == (choice.rounding ? $0.threshold / 2 : 0) })

        var unit = graph
        if let k = unit.layers.firstIndex(where: { $0.name == "c" }) { unit.layers[k].neuron?.threshold = 1 }
        let ones = try Compiler(try IntegerNetwork.check(unit, target: FanInSplitTests.tiny), options: Compiler.Options(partialSums: .net)).compile()
        #expect(try PartialStepChoice.choose(ones, ticks: 64, rounding: true)?.rejectedRounding == nil)
    }
}
