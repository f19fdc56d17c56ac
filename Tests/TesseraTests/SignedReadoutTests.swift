import Foundation
import Testing
@testable import Tessera

/// The signed readout (``SignedReadout``): each output gets a negative half with negated
/// weights, bias and leak, and readers subtract its counts. Counts worked out by hand from
/// the neuron update of spec/neurosynaptic-core.md.
@Suite struct SignedReadoutTests {
    static let truenorth = try! Target.load(TestSupport.target("truenorth"))  // bundled file, not user input

    /// x (2 inputs) -> fc (dense, `weights` as [classes, 2], threshold 2, reset by subtraction).
    static func readout(weights: [Double], bias: [Double]? = nil, leak: Double = 0) throws -> SpikeGraph {
        let classes = weights.count / 2
        var store = ParameterStore()
        store["fc.weight"] = .loaded(try #require(Tensor(shape: [classes, 2], values: weights)), origin: "test")
        if let bias { store["fc.bias"] = .loaded(try #require(Tensor(shape: [classes], values: bias)), origin: "test") }
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(vector: 2), encoding: .rate)),
            Layer(name: "fc", op: .dense(Dense(outFeatures: classes, bias: bias != nil)), inputs: ["x"],
                  neuron: NeuronModel(kind: .integrateAndFire, threshold: 2, leak: leak, reset: .subtract), parameterKey: "fc"),
        ]
        return try Verifier.verify(SpikeGraph(name: "t", layers: layers, outputs: ["fc"], parameters: store)).graph
    }

    static func map(_ graph: SpikeGraph) throws -> CoreMap {
        let signed = try Verifier.verify(try SignedReadout().run(graph).graph).graph
        return try Compiler(try IntegerNetwork.check(signed, target: truenorth)).compile().map
    }

    @Test func negativeHalfNegatesWeightsBiasAndLeak() throws {
        let graph = try Self.readout(weights: [1, -3, 0, 2], bias: [4, -1], leak: 1)
        let result = try SignedReadout().run(graph)
        let signed = result.graph
        #expect(signed.outputs == ["fc", "fc.negative"])
        let half = try #require(signed.layer(named: "fc.negative"))
        #expect(half.inputs == ["x"] && half.parameterKey == "fc.negative")
        #expect(half.neuron?.leak == -1 && half.neuron?.threshold == 2 && half.neuron?.reset == .subtract)
        #expect(signed.parameters.tensor("fc.negative.weight")?.values == [-1, 3, 0, -2])
        #expect(signed.parameters.tensor("fc.negative.bias")?.values == [-4, 1])
        // The positive half is the layer as it was.
        #expect(signed.parameters.tensor("fc.weight")?.values == [1, -3, 0, 2])
        #expect(result.log == ["fc: read signed, its negative half 'fc.negative' has fc's weights, bias and leak negated"])
        // Running it again adds nothing.
        let again = try SignedReadout().run(signed)
        #expect(again.graph.outputs == ["fc", "fc.negative"] && again.graph.layers.count == signed.layers.count)
    }

    @Test func aReadoutThroughUpsamplingCopiesThePath() throws {
        let yaml = """
        network: seg
        init: { seed: 1 }
        inputs: { x: { shape: [1, 4, 4] } }
        layers:
          - { name: score, op: conv2d, out: 2, kernel: 3, padding: 1, bias: false }
          - { name: up, op: upsample, factor: 2 }
        outputs: [up]
        """
        let net = try Network.load(yaml: yaml)
        let signed = try SignedReadout().run(net.graph).graph
        #expect(signed.outputs == ["up", "up.negative"])
        #expect(signed.layer(named: "score.negative")?.inputs == ["x"])
        #expect(signed.layer(named: "up.negative")?.inputs == ["score.negative"])
        let w = try #require(signed.parameters.tensor("score.weight")), n = try #require(signed.parameters.tensor("score.negative.weight"))
        #expect(n.values == w.values.map { -$0 })
        #expect(try Verifier.verify(signed).graph.layer(named: "up.negative")?.shape == TensorShape(2, 8, 8))
    }

    @Test func outputsWithoutAWeightedLayerAreLeftAlone() throws {
        let yaml = """
        network: pool
        inputs: { x: { shape: [1, 4, 4] } }
        layers:
          - { name: p, op: avgpool, kernel: 2 }
        outputs: [p]
        """
        let result = try SignedReadout().run(try Network.load(yaml: yaml).graph)
        #expect(result.graph.outputs == ["p"])
        #expect(result.log.first?.hasPrefix("p: left alone") == true)
    }

    /// x0 spikes in ticks 0-3 and x1 in ticks 4-9; threshold 2, starting at 0.
    /// - class 0, weights [1, -1]: the score rises to 4, then falls to -2. Positive neuron:
    ///   V = 1, 2 (fires, t1), 1, 2 (fires, t3), then falls to -6: 2 spikes. Negative neuron
    ///   (weights [-1, 1]): V = -1..-4, then -3, -2, -1, 0, 1, 2 (fires, t9): 1 spike.
    ///   Reads 2 - 1 = 1 = (highest 4 + lowest -2) / 2.
    /// - class 1, weights [-1, 0]: falls to -4. Negative neuron fires in t1 and t3: reads -2.
    /// - class 2, weights [0, -1]: falls to -6. Negative neuron fires in t5, t7, t9: reads -3.
    /// One neuron per class reads [2, 0, 0]: classes 1 and 2 cannot be told apart.
    @Test func thePairReadsTheHighestPlusTheLowestScore() throws {
        let map = try Self.map(try Self.readout(weights: [1, -1, -1, 0, 0, -1]))
        #expect(map.outputs.map(\.name) == ["fc", "fc.negative"])
        #expect(map.readablePorts.map(\.name) == ["fc"])
        #expect(map.negativeHalf(of: "fc")?.name == "fc.negative")
        let events = (0..<4).map { SpikeInput.Event(tick: $0, index: 0) } + (4..<10).map { SpikeInput.Event(tick: $0, index: 1) }
        let run = try Emulator(map: map, target: Self.truenorth).run(SpikeInput(ticks: 10, spikes: ["x": events]), ticks: 10)
        let positive = run.outputs[0].spikes, negative = run.outputs[1].spikes
        #expect(positive.map(\.tick) == [1, 3] && positive.allSatisfy { $0.index == 0 })
        #expect(negative.filter { $0.index == 0 }.map(\.tick) == [9])
        #expect(negative.filter { $0.index == 1 }.map(\.tick) == [1, 3])
        #expect(negative.filter { $0.index == 2 }.map(\.tick) == [5, 7, 9])
    }

    /// Two classes whose scores both fall, by 1 and by 2 a tick (x fires every tick at rate
    /// 1; threshold 2): a single neuron each reads 0 and 0, a miss; the pair reads -4 and
    /// -8 after 8 ticks (the second negative neuron fires every tick), so class 0 wins.
    @Test func accuracyReadsTheDifference() throws {
        let graph = try Self.readout(weights: [-1, 0, -2, 0])
        let samples: [[String: [Double]]] = [["x": [1, 0]]]
        let unsigned = try Compiler(try IntegerNetwork.check(graph, target: Self.truenorth)).compile().map
        #expect(try AccuracyCurve.measure(unsigned, samples: samples, labels: [0], ticks: [8]).accuracy == [0])
        let signed = try Self.map(graph)
        #expect(try AccuracyCurve.measure(signed, samples: samples, labels: [0], ticks: [8]).accuracy == [1])
        #expect(try AccuracyCurve.measure(signed, samples: samples, labels: [1], ticks: [8]).accuracy == [0])
        // The negative half cannot be read alone by default: the last readable port is fc.
        #expect(try EmulatedReadout(signed, ticks: [8], target: Self.truenorth, output: nil).port.name == "fc")
    }

    @Test func networkFileAsksForIt() throws {
        func network(signed value: String) throws -> String {
            try TestSupport.write("""
            network: ints
            inputs: { x: { shape: [4] } }
            layers:
              - { name: fc, op: dense, out: 2, bias: false, weights: \(TestSupport.npyFixtures)/dense-weight.npy }
            outputs: [fc]
            compile:
              signed_readout: \(value)
            """)
        }
        let net = try Network.load(try network(signed: "true"))
        #expect(net.conversion.signedReadout == true)
        let converted = try net.convert(target: Self.truenorth)
        #expect(converted.network.graph.outputs == ["fc", "fc.negative"])
        #expect(converted.stages.map(\.pass).contains("signed-readout"))
        let failures = TestSupport.failures(try network(signed: "maybe"))
        #expect(failures.contains { $0.message.contains("signed_readout") && $0.location?.line == 7 })
    }

    /// Through the files a user handles: `compile --signed-readout` writes both ports, and
    /// `emulate` names the signed winner. dense-weight.npy holds [[-3, -2, -1, 0],
    /// [1, 2, 3, 4]], threshold 1; x0 spikes once, in tick 0: class 0's score falls by 3 (its
    /// negative neuron fires in ticks 0 and 1, once a tick), class 1's rises by 1 (its
    /// positive neuron fires in tick 0): [-2, 1] after 2 ticks.
    @Test func compileAndEmulateReadTheSignedWinner() throws {
        let (path, spikes) = try TestSupport.integerDenseNetwork(spikes: "{\"ticks\": 1, \"spikes\": {\"x\": [[0, 0]]}}")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let map = folder.appendingPathComponent("map.json").path, out = folder.appendingPathComponent("out.json").path
        let compile = try TestSupport.tessera(["compile", path, "--signed-readout", "-o", map])
        #expect(compile.status == 0, "\(compile.stderr)")
        #expect(compile.stdout.contains("fc: read signed"))
        let emulated = try TestSupport.tessera(["emulate", map, "--spikes", spikes, "--ticks", "2", "-o", out])
        #expect(emulated.status == 0, "\(emulated.stderr)")
        #expect(emulated.stdout.contains("fc: 1 spikes, argmax 1; fc.negative: 2 spikes, argmax 0; fc signed: argmax 1"), "\(emulated.stdout)")
    }
}
