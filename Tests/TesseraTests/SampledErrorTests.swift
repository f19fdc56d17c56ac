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
        #expect(SampledError.window(Window(kernel: 3, padding: 1, dilation: 2), outputs: 4, of: 8, inputs: 8) == 8)
        #expect(SampledError.window(Window(kernel: 3, stride: 2, padding: 1), outputs: 2, of: 4, inputs: 8) == 5)
        #expect(SampledError.window(Window(kernel: 3, padding: 1), outputs: 8, of: 8, inputs: 8) == nil)
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
        let cut = try #require(SampledError.cut(layer, source: TensorShape(4, 6, 6), output: TensorShape(3, 5, 5), tile: (2, 2), from: graph))
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
}
