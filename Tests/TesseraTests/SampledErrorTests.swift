import Foundation
import Testing
@testable import Mapping
@testable import Tessera

/// Sampled errors of split layers (docs/mapping.md): a layer cut out with a tile of its
/// outputs and the input window that tile reads, compiled and measured on its own.
@Suite struct SampledErrorTests {
    /// The input a run of outputs reads, by hand. Kernel 3, dilation 2 (extent 5), padding 1:
    /// 4 outputs read 3 + 5 = 8 inputs, and output 1 (the first clear of the padding) reads
    /// inputs 0..<8 of 8. Stride 2, kernel 3, padding 1: 2 outputs read 2 + 3 = 5 inputs.
    /// Every output of an 8-long padded map reads 10 positions, more than the 8 there are.
    @Test func windowByHand() {
        #expect(LayerCut.window(Window(kernel: 3, padding: 1, dilation: 2), outputs: 4, of: 8, inputs: 8) == 8)
        #expect(LayerCut.window(Window(kernel: 3, stride: 2, padding: 1), outputs: 2, of: 4, inputs: 8) == 5)
        #expect(LayerCut.window(Window(kernel: 3, padding: 1), outputs: 8, of: 8, inputs: 8) == nil)
    }

    /// On a network small enough for both, whose one split layer reads the input: the layer
    /// cut out whole is that network, so its sampled error equals the full measurement, for
    /// every scheme. A 2x2 tile of the same layer reads a 3x3 window of its 4 channels (no
    /// padding) and measures its 2 x 2 x 3 outputs.
    @Test(arguments: [PartialSums.net, .offset])
    func sampledEqualsFullOnASmallNetwork(sums: PartialSums) throws {
        let graph = try Verifier.verify(FanInSplitTests.network(seed: 2)).graph
        let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: sums)).compile()
        let full = try #require(try ApproximationError.measure(compiled, ticks: 64, seed: 3))
        let samples = try SampledError.measure(compiled, ticks: 64, seed: 3)
        #expect(samples.count == 1 && samples.first?.layer == "c" && samples.first?.rows == nil)
        #expect(samples.first?.error == full)
        #expect(full.meanRateError > 0)  // the split is measured, not exact

        let layer = try #require(graph.layer(named: "c"))
        let cut = try #require(LayerCut.cut(layer, source: TensorShape(4, 6, 6), output: TensorShape(3, 5, 5), tile: (2, 2), from: graph))
        let verified = try Verifier.verify(cut).graph
        #expect(verified.layer(named: "x")?.shape == TensorShape(4, 3, 3) && verified.layer(named: "c")?.shape == TensorShape(3, 2, 2))
        let small = try Compiler(try IntegerNetwork.check(verified, target: FanInSplitTests.tiny), options: Compiler.Options(partialSums: sums)).compile()
        #expect(small.approximations.map(\.layer) == ["c"])
        #expect(try ApproximationError.measure(small, ticks: 64, seed: 3)?.neurons == 12)
    }

    /// Where the whole network is too large to measure, the choice between schemes is made on
    /// the samples: on deeplab-small (measurable, so a check of the mechanism) every split
    /// layer is sampled under both schemes, and the kept scheme's mean is the lower.
    @Test func choiceOnSamples() throws {
        let net = try Network.load(TestSupport.example("deeplab/deeplab-small.yaml"))
        let target = try Target.load(TestSupport.target("truenorth"))
        let integer = try IntegerNetwork.check(try net.convert(target: target).network.graph, target: target)
        let compiled = try Compiler(integer, options: Compiler.Options(partialSums: .net)).compile()
        let choice = try SampledChoice.choose(compiled, ticks: 32, schemes: [.offset])
        #expect(Set(choice.samples.map(\.layer)) == ["conv2", "conv3", "fc6"])
        #expect(choice.rejected.count == 1 && choice.rejected.allSatisfy { $0.mean >= choice.mean })
        #expect(choice.compiled.compiler.options.partialSums == choice.sums)
    }

    /// A dilation wider than the map: a 3 x 3 kernel at dilation 4 on 6 x 6 reads 9 rows, so
    /// no tile's window lies inside the input, and with a budget too small for the whole
    /// layer the sample cuts 4 of its 8 output channels (0, 2, 4, 6) at every position. Each
    /// of those neurons has its own parts and merge, read from the same input trains, so the
    /// sample's error equals the whole map's on the same channels, worked out here from the
    /// emulator and the reference directly.
    @Test(arguments: [PartialSums.net, .offset])
    func channelSampleEqualsTheWholeMapOnItsChannels(sums: PartialSums) throws {
        var rng = SeededRandom(seed: 11)
        let (out, inC) = (8, 4)
        let values = (0..<(out * inC * 9)).map { _ in Double([0, 2, 1, -1, -2][Int.random(in: 0...4, using: &rng)]) }
        let graph = try TestSupport.convolution(input: TensorShape(inC, 6, 6), out: out, window: Window(kernel: 3, padding: 4, dilation: 4),
                                                weights: try #require(Tensor(shape: [out, inC, 3, 3], values: values)), threshold: 3)
        let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: sums)).compile()
        #expect(compiled.approximations.map(\.layer) == ["c"])
        let ticks = 64
        let synapses = GraphSummary(graph).total.synapses
        let samples = try SampledError.measure(compiled, ticks: ticks, seed: 3, budget: synapses * (ticks + 4) - 1)
        let sample = try #require(samples.first)
        #expect(samples.count == 1 && sample.rows == nil && sample.channels == 4)

        // The same channels of the whole map, on the same input trains.
        let latency = compiled.latencies.map(\.ticks).max() ?? 0
        let stimulus = FiringRates.randomStimulus(graph, ticks: ticks, seed: 3, length: ticks + latency)
        let emulated = try Emulator(map: compiled.map, target: network.target).run(stimulus, ticks: ticks + latency).outputs[0].counts
        let simulated = ReferenceSimulator(network).run(stimulus, ticks: ticks + latency).outputs[0].counts
        let neurons = LayerCut.spread(4, of: out).flatMap { c in (0..<36).map { c * 36 + $0 } }
        let errors = neurons.map { Double(abs(emulated[$0] - simulated[$0])) / Double(ticks) }
        #expect(sample.error.neurons == 4 * 36)
        #expect(sample.error.differing == errors.filter { $0 > 0 }.count)
        #expect(sample.error.maxRateError == errors.max())
        #expect(abs(sample.error.meanRateError - errors.reduce(0, +) / Double(errors.count)) < 1e-12)
        #expect(sample.error.differing > 0)  // the split is measured, not exact
    }

    /// A layer of two inputs is sampled whole: SiamSNN's xcorr score, with its template
    /// bound, reading the exemplar's features (no synapses once bound) and the search map.
    /// Here both are the network's inputs, so the cut is the network itself and its sampled
    /// error equals the full measurement. 8 channels of a 4 x 4 template of weights 0 to 4
    /// (threshold their sum, as binding sets it) split the head's fan-in on TrueNorth.
    @Test func aLayerOfTwoInputsIsSampledWhole() throws {
        let template = try #require(Tensor(shape: [8, 4, 4], values: (0..<128).map { Double($0 * 7 % 5) }))
        var store = ParameterStore()
        store["score.template"] = .loaded(template, origin: "bound by hand")
        let graph = try Verifier.verify(SpikeGraph(name: "head", layers: [
            Layer(name: "exemplar", op: .input(shape: TensorShape(8, 4, 4), encoding: .rate)),
            Layer(name: "search", op: .input(shape: TensorShape(8, 12, 12), encoding: .rate)),
            Layer(name: "score", op: .xcorr, inputs: ["exemplar", "search"],
                  neuron: NeuronModel(threshold: template.values.reduce(0, +), reset: .subtract), parameterKey: "score"),
        ], outputs: ["score"], parameters: store)).graph
        let target = try Target.load("truenorth")
        let compiled = try Compiler(try IntegerNetwork.check(graph, target: target)).compile()
        #expect(compiled.approximations.map(\.layer) == ["score"])
        let full = try #require(try ApproximationError.measure(compiled, ticks: 64, seed: 3))
        let samples = try SampledError.measure(compiled, ticks: 64, seed: 3)
        #expect(samples.count == 1 && samples.first?.layer == "score" && samples.first?.rows == nil && samples.first?.channels == nil)
        #expect(samples.first?.error == full)
        #expect(full.neurons == 81 && full.differing > 0)  // the split is measured, not exact
    }
}
