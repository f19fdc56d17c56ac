import Foundation
import Testing
@testable import Tessera

/// The IR reference simulator on small networks whose spikes are worked out by hand.
@Suite struct ReferenceSimulatorTests {
    static let truenorth = try! Target.load(TestSupport.target("truenorth"))  // bundled file, not user input

    static func simulator(_ layers: [Layer], outputs: [String], tensors: [String: Tensor]) throws -> ReferenceSimulator {
        var store = ParameterStore()
        for (key, tensor) in tensors { store[key] = .loaded(tensor, origin: "test") }
        let graph = try Verifier.verify(SpikeGraph(name: "t", layers: layers, outputs: outputs, parameters: store)).graph
        return ReferenceSimulator(try IntegerNetwork.check(graph, target: truenorth))
    }

    static func tensor(_ shape: [Int], _ values: [Double]) -> Tensor {
        Tensor(shape: shape, values: values) ?? Tensor(repeating: 0, shape: shape)
    }

    static func input(_ name: String, _ events: [(Int, Int)], ticks: Int) -> SpikeInput {
        SpikeInput(ticks: ticks, spikes: [name: events.map { SpikeInput.Event(tick: $0.0, index: $0.1) }])
    }

    @Test func chainOfTwoDenseLayers() throws {
        // d1 (depth 1) integrates input spikes in their own tick: w = [2, 3], threshold 4,
        // reset by subtraction. t0: x0, x1 -> V = 5 >= 4 fires, V = 1. t1: x0 -> V = 3.
        // t2: nothing -> 3. d2 (depth 2, weight 1, threshold 1) gets d1's t0 spike in t1.
        let neuron = NeuronModel(kind: .integrateAndFire, threshold: 4, reset: .subtract)
        let sim = try Self.simulator([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 2), encoding: .rate)),
            Layer(name: "d1", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: neuron, parameterKey: "d1"),
            Layer(name: "d2", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["d1"], neuron: NeuronModel(threshold: 1), parameterKey: "d2"),
        ], outputs: ["d1", "d2"], tensors: ["d1.weight": Self.tensor([1, 2], [2, 3]), "d2.weight": Self.tensor([1, 1], [1])])
        let result = sim.run(Self.input("x", [(0, 0), (0, 1), (1, 0)], ticks: 3), ticks: 3)
        #expect(result.outputs[0].spikes == [SpikeInput.Event(tick: 0, index: 0)])
        #expect(result.outputs[1].spikes == [SpikeInput.Event(tick: 1, index: 0)])
        #expect(sim.latency(of: "d1") == 0 && sim.latency(of: "d2") == 1)
    }

    @Test func branchesOfDifferentLengthArriveAligned() throws {
        // c = add(b, x) has depth 3 (x -> a -> b -> c). A binary neuron with threshold 2
        // fires only when both inputs arrive in one tick: x's spike of tick 0 is delayed to
        // tick 2, where b's spike (fired in tick 1) arrives too. c fires once, in tick 2.
        let one = NeuronModel(threshold: 1)
        let sim = try Self.simulator([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate)),
            Layer(name: "a", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: one, parameterKey: "a"),
            Layer(name: "b", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["a"], neuron: one, parameterKey: "b"),
            Layer(name: "c", op: .add, inputs: ["b", "x"], neuron: NeuronModel(kind: .binary, threshold: 2)),
        ], outputs: ["c"], tensors: ["a.weight": Self.tensor([1, 1], [1]), "b.weight": Self.tensor([1, 1], [1])])
        let result = sim.run(Self.input("x", [(0, 0)], ticks: 5), ticks: 5)
        #expect(result.outputs[0].spikes == [SpikeInput.Event(tick: 2, index: 0)])
        #expect(sim.latency(of: "c") == 2)
    }

    @Test func convolutionByHand() throws {
        // 1x3x3 input, one 2x2 kernel [[1, 2], [3, 4]], threshold 3. Only pixel (1,1)
        // spikes: output (0,0) sees it through w[1][1] = 4 and fires; (0,1) through
        // w[1][0] = 3 and fires; (1,0) through w[0][1] = 2 and (1,1) through w[0][0] = 1 do not.
        let sim = try Self.simulator([
            Layer(name: "x", op: .input(shape: TensorShape(1, 3, 3), encoding: .rate)),
            Layer(name: "c", op: .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: 2), horizontal: Window(kernel: 2), bias: false)),
                  inputs: ["x"], neuron: NeuronModel(threshold: 3), parameterKey: "c"),
        ], outputs: ["c"], tensors: ["c.weight": Self.tensor([1, 1, 2, 2], [1, 2, 3, 4])])
        let result = sim.run(Self.input("x", [(0, 4)], ticks: 1), ticks: 1)
        #expect(result.outputs[0].spikes.map(\.index) == [0, 1])
    }

    @Test func biasIsALeakAndResetsDiffer() throws {
        // No input; bias +2 per tick, threshold 3. subtract: 2, 4->fire->1, 3->fire->0, 2
        // fires at t1, t2. zero: 2, 4->fire->0, 2, 4->fire->0: fires at t1, t3.
        let tensors = ["s.weight": Self.tensor([1, 1], [0]), "s.bias": Self.tensor([1], [2]),
                       "z.weight": Self.tensor([1, 1], [0]), "z.bias": Self.tensor([1], [2])]
        let sim = try Self.simulator([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate)),
            Layer(name: "s", op: .dense(Dense(outFeatures: 1)), inputs: ["x"], neuron: NeuronModel(threshold: 3, reset: .subtract), parameterKey: "s"),
            Layer(name: "z", op: .dense(Dense(outFeatures: 1)), inputs: ["x"], neuron: NeuronModel(threshold: 3, reset: .zero), parameterKey: "z"),
        ], outputs: ["s", "z"], tensors: tensors)
        let result = sim.run(SpikeInput(ticks: 0, spikes: [:]), ticks: 4)
        #expect(result.outputs[0].spikes.map(\.tick) == [1, 2])
        #expect(result.outputs[1].spikes.map(\.tick) == [1, 3])
    }

    @Test func nonIntegerNetworksAreRejectedByLayer() throws {
        // The examples carry synthetic float weights: not exact until quantised.
        let net = try Network.load(TestSupport.example("digits-mlp.yaml"))
        do {
            _ = try IntegerNetwork.check(net.graph, target: Self.truenorth)
            Issue.record("float weights accepted")
        } catch {
            #expect(error.description.contains("dense 'h1': h1.weight holds"))
            #expect(error.description.contains("quantise the weights first"))
            #expect(error.diagnostics.first?.location?.line == 12)
        }
        let fcn = try Network.load(TestSupport.example("fcn/fcn-small.yaml"))
        do {
            _ = try IntegerNetwork.check(fcn.graph, target: Self.truenorth)
            Issue.record("batchnorm and decay accepted")
        } catch {
            #expect(error.description.contains("batchnorm 'bn1' cannot be simulated exactly"))
            #expect(error.description.contains("a multiplicative decay is not a hardware leak"))
        }
    }

    /// `tessera simulate` on a network with integer weights from NumPy files:
    /// w = [[-3, -2, -1, 0], [1, 2, 3, 4]] (dense-weight.npy), threshold 1, all four inputs
    /// at tick 0: out[0] gets -6 and never fires; out[1] gets 10 and, resetting by
    /// subtraction, fires in ticks 0, 1 and 2 (V = 9, 8, 7 left).
    @Test func simulateCommand() throws {
        let (path, spikes) = try TestSupport.integerDenseNetwork(spikes: "{\"ticks\": 1, \"spikes\": {\"x\": [[0, 0], [0, 1], [0, 2], [0, 3]]}}")
        let out = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("out.json").path
        let run = try TestSupport.tessera(["simulate", path, "--spikes", spikes, "--ticks", "3", "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("latency in ticks: fc 0"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let fc = try #require((json["outputs"] as? [String: Any])?["fc"] as? [String: Any])
        #expect((fc["spikes"] as? [[Int]]) == [[0, 1], [1, 1], [2, 1]])
        let rejected = try TestSupport.tessera(["simulate", "examples/digits-mlp.yaml", "--spikes", spikes, "--ticks", "3"])
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("quantise the weights first"))
    }
}
