import Testing
@testable import Mapping
@testable import Tessera

/// `tessera evaluate --layer-errors`: each neuron layer's rate error against the integer
/// reference on the user's samples.
@Suite struct LayerRateErrorTests {
    /// By hand, PartialRoundingTests' split neuron (threshold 4, parts of inputs 0-11 and
    /// 12-23) shown inputs 0, 1, 2 and 23 at value 1 for one tick: the reference fires once
    /// (a rate of 1 spike per neuron per tick). Floored, the parts see 3 and 1 and send
    /// nothing: error 1, bias -1. Rounded, the merge receives 4 and fires once: error 0.
    @Test(arguments: [(false, -1.0), (true, 0.0)])
    func aSplitNeuronByHand(rounding: Bool, bias: Double) throws {
        let network = try PartialRoundingTests.network()
        let sample = ["x": (0..<24).map { [0, 1, 2, 23].contains($0) ? 1.0 : 0 }]
        let rows = try LayerRateError.measure(network, options: Compiler.Options(partialSums: .net, partialRounding: rounding), samples: [sample], ticks: 1)
        #expect(rows == [LayerRateError(layer: "d", parts: 2, referenceRate: 1, meanError: abs(bias), bias: bias)])
    }

    /// A map with no split layer computes what the reference does: every layer of the
    /// digits CNN fixture, on a target whose cores take its whole fan-in, has error 0, on
    /// its first eight test images for 16 ticks.
    @Test func unsplitLayersAreExact() throws {
        let network = try Network.load(DigitsBinaryTests.fixture("cnn.yaml"))
        var target = try Target.load("truenorth")
        target.core.axons = 4096
        let integer = try IntegerNetwork.check(try network.convert(network.conversion, target: target).network.graph, target: target)
        let samples = try SampleSet.load([network.graph.inputLayers[0].name: DigitsBinaryTests.fixture("test_images.npy")], for: network.graph).samples
        let rows = try LayerRateError.measure(integer, options: Compiler.Options(), samples: Array(samples.prefix(8)), ticks: 16)
        let neurons = integer.graph.layers.filter { layer in
            if case .input = layer.op { return false }
            return layer.neuron != nil
        }
        #expect(rows.map(\.layer) == neurons.map(\.name) && rows.count >= 2)
        #expect(rows.allSatisfy { $0.parts == 1 && $0.meanError == 0 && $0.bias == 0 })
        #expect(rows.contains { $0.referenceRate > 0 })
    }
}
