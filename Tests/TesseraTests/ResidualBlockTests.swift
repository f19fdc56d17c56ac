import Foundation
import Testing
@testable import Emulator
@testable import Frontend
@testable import Hardware
@testable import Mapping
@testable import Passes
@testable import Reference
@testable import SpikeIR
@testable import Tessera

/// Residual blocks, `relu(bn(conv(h)) + shortcut(x))`, as one convolution reading both
/// branches (``Shortcut``): by hand, in YAML, through ONNX on a ResNet-style CNN PyTorch
/// trained (`Fixtures/trained/resnet-cnn.onnx`, `tools/onnx/make_trained_fixtures.py`), and
/// mapped onto cores spike for spike.
@Suite struct ResidualBlockTests {
    static func fixture(_ name: String) -> String { TrainedFixtures.path(name) }

    /// input x (1x4x4) -> h: 1x1 conv, weight 3 -> r: 1x1 conv of h, weight 2, plus a shortcut
    /// on x (`shortcut`, `[1, 1, k, k]`).
    static func graph(shortcut: Shortcut, weight: Double) throws -> SpikeGraph {
        var store = ParameterStore()
        store["h.weight"] = .loaded(Tensor(shape: [1, 1, 1, 1], values: [3]) ?? Tensor(repeating: 0, shape: [1]), origin: "hand")
        store["r.weight"] = .loaded(Tensor(shape: [1, 1, 1, 1], values: [2]) ?? Tensor(repeating: 0, shape: [1]), origin: "hand")
        store["r.shortcut"] = .loaded(Tensor(shape: [1, 1, 1, 1], values: [weight]) ?? Tensor(repeating: 0, shape: [1]), origin: "hand")
        let one = Window(kernel: 1)
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(1, 4, 4), encoding: .rate)),
            Layer(name: "h", op: .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: 1, stride: shortcut.vertical.stride),
                                                     horizontal: Window(kernel: 1, stride: shortcut.vertical.stride), bias: false)),
                  inputs: ["x"], neuron: NeuronModel(), parameterKey: "h"),
            Layer(name: "r", op: .conv2d(Convolution(outChannels: 1, vertical: one, horizontal: one, bias: false, shortcut: shortcut)),
                  inputs: ["h", "x"], neuron: NeuronModel(), parameterKey: "r"),
        ]
        return try Verifier.verify(SpikeGraph(name: "residual", layers: layers, outputs: ["r"], parameters: store)).graph
    }

    /// By hand: with h = [1, 0, 1, 1 | ...] and x below, r's current is 2 h + x (identity),
    /// and with a strided projection of weight 5, 2 h + 5 x at every other row and column.
    @Test func currentIsBothBranchesByHand() throws {
        let x: [Double] = [1, 1, 0, 1, 0, 2, 1, 0, 3, 0, 0, 1, 1, 1, 2, 0]
        let identity = try Self.graph(shortcut: Shortcut(), weight: 1)
        let r = try #require(identity.layers.last)
        let h = x.map { 3 * $0 }
        let current = LayerKernel.apply(r, inputs: [h, x], shapes: [TensorShape(1, 4, 4), TensorShape(1, 4, 4)]) { identity.parameters.tensor("r.\($0)")?.values }
        #expect(current == zip(h, x).map { 2 * $0 + $1 })
        // Projection: stride 2 on both branches; h is 2x2 (x at rows and columns 0 and 2).
        let strided = Shortcut(vertical: Window(kernel: 1, stride: 2), horizontal: Window(kernel: 1, stride: 2))
        let projected = try Self.graph(shortcut: strided, weight: 5)
        let p = try #require(projected.layers.last)
        #expect(p.shape == TensorShape(1, 2, 2))
        let picked = [x[0], x[2], x[8], x[10]]  // (0,0), (0,2), (2,0), (2,2)
        let hp = picked.map { 3 * $0 }
        let got = LayerKernel.apply(p, inputs: [hp, x], shapes: [TensorShape(1, 2, 2), TensorShape(1, 4, 4)]) { projected.parameters.tensor("r.\($0)")?.values }
        #expect(got == zip(hp, picked).map { 2 * $0 + 5 * $1 })
        // Synapses: 16 + 16 for the identity block, 4 + 4 for the projection.
        #expect(r.cost(inputShapes: [TensorShape(1, 4, 4), TensorShape(1, 4, 4)]).synapses == 32)
        #expect(p.cost(inputShapes: [TensorShape(1, 2, 2), TensorShape(1, 4, 4)]).synapses == 8)
    }

    /// The YAML form: `shortcut: identity` binds the identity matrix, a window binds
    /// `<name>.shortcut`; branches that cannot meet are refused with the layer named.
    @Test func yamlSaysItToo() throws {
        func network(_ shortcut: String, out: Int = 4) -> String {
            """
            network: res
            init: { seed: 3 }
            inputs:
              x: { shape: [4, 6, 6], encoding: rate }
            layers:
              - { name: h, op: conv2d, input: x, out: 4, kernel: 3, padding: 1 }
              - { name: r, op: conv2d, inputs: [h, x], out: \(out), kernel: 3, padding: 1, shortcut: \(shortcut) }
            outputs: [r]
            """
        }
        let identity = try Network.load(try TestSupport.write(network("identity")))
        let w = try #require(identity.graph.parameters.tensor("r.shortcut"))
        #expect(w.shape == [4, 4, 1, 1])
        #expect(w.values == (0..<16).map { $0 / 4 == $0 % 4 ? 1 : 0 })
        let projection = try Network.load(try TestSupport.write(network("{ kernel: 1, stride: 1 }", out: 6)))
        #expect(projection.graph.parameters.tensor("r.shortcut")?.shape == [6, 4, 1, 1])
        for (bad, reason) in [("identity", "identity shortcut reads 4 channels into 6"), ("{ kernel: 1, stride: 2 }", "must meet in one shape"),
                              ("sideways", "shortcut is 'identity' or a window")] {
            let path = try TestSupport.write(network(bad, out: bad == "identity" ? 6 : 4))
            #expect(throws: DiagnosticError.self) { try Network.load(path) }
            let run = try TestSupport.tessera(["check", path])
            #expect(run.status == 1)
            #expect(run.stderr.contains(reason) && run.stderr.contains("'r'") || run.stderr.contains(reason) && run.stderr.contains("net.yaml:"), "\(run.stderr)")
        }
    }

    /// A random integer residual network small enough to need no split: the core map gives
    /// the reference simulator's output spikes exactly (identity and projection blocks).
    @Test(arguments: 0..<6)
    func mapEqualsReference(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 7)
        func values(_ n: Int) -> [Double] { (0..<n).map { _ in Double(Int.random(in: -3...4, using: &rng)) } }
        var store = ParameterStore()
        func set(_ key: String, _ shape: [Int]) {
            let n = shape.reduce(1, *)
            store[key] = .loaded(Tensor(shape: shape, values: values(n)) ?? Tensor(repeating: 0, shape: shape), origin: "random")
        }
        set("a.weight", [2, 1, 3, 3]); set("r.weight", [2, 2, 3, 3]); set("r.shortcut", [2, 1, 1, 1])
        set("p.weight", [3, 2, 3, 3]); set("p.shortcut", [3, 2, 1, 1])
        func conv(_ out: Int, stride: Int = 1, shortcut: Shortcut? = nil) -> SpikeIR.Operation {
            .conv2d(Convolution(outChannels: out, vertical: Window(kernel: 3, stride: stride, padding: 1), horizontal: Window(kernel: 3, stride: stride, padding: 1),
                                bias: false, shortcut: shortcut))
        }
        let neuron = NeuronModel(threshold: Double(1 + seed % 3))
        let strided = Shortcut(vertical: Window(kernel: 1, stride: 2), horizontal: Window(kernel: 1, stride: 2))
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(1, 6, 6), encoding: .rate)),
            Layer(name: "a", op: conv(2), inputs: ["x"], neuron: neuron, parameterKey: "a"),
            Layer(name: "r", op: conv(2, shortcut: Shortcut()), inputs: ["a", "x"], neuron: neuron, parameterKey: "r"),
            Layer(name: "p", op: conv(3, stride: 2, shortcut: strided), inputs: ["r", "a"], neuron: neuron, parameterKey: "p"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "residual", layers: layers, outputs: ["r", "p"], parameters: store)).graph
        let target = ReferenceSimulatorTests.truenorth
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        #expect(compiled.approximations.isEmpty)
        // Both residual layers are tiled from their windows, not mapped from connections.
        #expect(compiled.layers.filter { ["r", "p"].contains($0.layer) }.allSatisfy { $0.tile != nil })
        var events: [SpikeInput.Event] = []
        for t in 0..<24 { for i in 0..<36 where rng.nextUnit() < 0.5 { events.append(.init(tick: t, index: i)) } }
        let input = SpikeInput(ticks: 24, spikes: ["x": events])
        let simulated = ReferenceSimulator(network).run(input, ticks: 30)
        let emulated = try Emulator(map: compiled.map, target: target).run(input, ticks: 30)
        #expect(emulated.outputs == simulated.outputs)
        #expect(simulated.outputs.reduce(0) { $0 + $1.spikes.count } > 0, "a comparison of silence would test nothing")
    }

    /// Residual Adds that cannot be one layer exit 1, naming the node: branches of different
    /// shapes, and two unrectified branches with no Relu after their Add.
    @Test func badResidualAddsAreRefused() throws {
        func model(_ secondBranch: Bool, relu: Bool, skip: String) throws -> String {
            var b = ONNXGraphBuilder(input: [1, 1, 4, 4], output: [1, 3])
            b.constant("wa", [2, 1, 3, 3], (0..<18).map { Float($0 % 5) / 10 - 0.2 })
            b.constant("wb", [2, 2, 3, 3], (0..<36).map { Float($0 % 7) / 10 - 0.3 })
            b.constant("wc", [2, 2, 1, 1], [0.5, -0.2, 0.1, 0.4])
            b.constant("fw", [32, 3], (0..<96).map { Float($0 % 7) / 10 - 0.3 })
            b.node("Conv", "a", ["x", "wa"], "s", ints: ["pads": [1, 1, 1, 1]])
            b.node("Relu", "ra", ["s"], "r")
            b.node("Conv", "b", ["r", "wb"], "t", ints: ["pads": [1, 1, 1, 1]])
            if secondBranch { b.node("Conv", "c", ["r", "wc"], "u") }
            b.node("Add", "add", ["t", secondBranch ? "u" : skip], "v")
            b.node(relu ? "Relu" : "Identity", "after", ["v"], "w")
            b.node("Flatten", "flat", ["w"], "f")
            b.node("Gemm", "fc", ["f", "fw"], "y")
            return try b.save()
        }
        for (path, reason) in [(try model(false, relu: true, skip: "x"), "(1x4x4); the branches of a residual block must have one shape"),
                               (try model(true, relu: false, skip: ""), "node 'flat' (Flatten): reads 'w', the output of residual conv2d layer 'b' (node 'add' (Add)) before any Relu")] {
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try TestSupport.tessera(["check", path])
            #expect(run.status == 1)
            #expect(run.stderr.contains(reason), "\(run.stderr)")
        }
        // With the Relu, the same two branches are one layer with a projection shortcut.
        let good = try model(true, relu: true, skip: "")
        defer { try? FileManager.default.removeItem(atPath: good) }
        let net = try Network.load(good)
        #expect(net.graph.layers.map(\.name) == ["x", "a", "b", "flat", "fc"])
    }

    /// `relu(conv(x) + x)`, a residual layer whose two inputs are one layer: each source's
    /// weights on the window and the shortcut are one synapse, and the map gives the
    /// reference's spikes exactly.
    @Test(arguments: 0..<3)
    func residualOfItsOwnInputMapsExactly(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 40)
        var store = ParameterStore()
        let values = (0..<18).map { _ in Double(Int.random(in: -3...4, using: &rng)) }
        store["r.weight"] = .loaded(Tensor(shape: [2, 1, 3, 3], values: values) ?? Tensor(repeating: 0, shape: [1]), origin: "random")
        store["r.shortcut"] = .loaded(Tensor(shape: [2, 1, 1, 1], values: [2, -1]) ?? Tensor(repeating: 0, shape: [1]), origin: "random")
        let window = Window(kernel: 3, padding: 1)
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(1, 5, 5), encoding: .rate)),
            Layer(name: "r", op: .conv2d(Convolution(outChannels: 2, vertical: window, horizontal: window, bias: false, shortcut: Shortcut())),
                  inputs: ["x", "x"], neuron: NeuronModel(threshold: 2), parameterKey: "r"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "self", layers: layers, outputs: ["r"], parameters: store)).graph
        let target = ReferenceSimulatorTests.truenorth
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        var events: [SpikeInput.Event] = []
        for t in 0..<20 { for i in 0..<25 where rng.nextUnit() < 0.5 { events.append(.init(tick: t, index: i)) } }
        let input = SpikeInput(ticks: 20, spikes: ["x": events])
        let simulated = ReferenceSimulator(network).run(input, ticks: 24)
        #expect(try Emulator(map: compiled.map, target: target).run(input, ticks: 24).outputs == simulated.outputs)
        #expect(simulated.outputs.reduce(0) { $0 + $1.spikes.count } > 0)
    }

    /// A residual layer too wide for one core splits into parts that read both inputs: it is
    /// tiled like a convolution, with the shortcut's channels in parts of their own after the
    /// main input's (its 1x1 window takes fewer axons, so a part holds more of them). The
    /// partial cores' axons cover every element of the main input and of the skip input, so
    /// no branch is left out of the sum, and no part reads both.
    @Test func splitResidualLayerReadsBothInputs() throws {
        var store = ParameterStore()
        var rng = SeededRandom(seed: 5)
        func set(_ key: String, _ shape: [Int]) {
            let values = (0..<shape.reduce(1, *)).map { _ in Double(Int.random(in: -100...100, using: &rng)) }
            store[key] = .loaded(Tensor(shape: shape, values: values) ?? Tensor(repeating: 0, shape: shape), origin: "random")
        }
        set("a.weight", [8, 4, 3, 3]); set("r.weight", [8, 8, 3, 3]); set("r.shortcut", [8, 4, 1, 1])
        let window = Window(kernel: 3, padding: 1)
        let layers = [
            Layer(name: "x", op: .input(shape: TensorShape(4, 6, 6), encoding: .rate)),
            Layer(name: "a", op: .conv2d(Convolution(outChannels: 8, vertical: window, horizontal: window, bias: false)), inputs: ["x"],
                  neuron: NeuronModel(threshold: 300), parameterKey: "a"),
            Layer(name: "r", op: .conv2d(Convolution(outChannels: 8, vertical: window, horizontal: window, bias: false, shortcut: Shortcut(identity: false))),
                  inputs: ["a", "x"], neuron: NeuronModel(threshold: 300), parameterKey: "r"),
        ]
        let graph = try Verifier.verify(SpikeGraph(name: "wide", layers: layers, outputs: ["r"], parameters: store)).graph
        let network = try IntegerNetwork.check(graph, target: ReferenceSimulatorTests.truenorth)
        let compiled = try Compiler(network).compile()
        let report = try #require(compiled.layers.first { $0.layer == "r" })
        #expect(report.parts > 1)
        let tile = try #require(report.tile)
        #expect(tile.contains(" + "), "the shortcut's channels per part: \(tile)")
        let analysis = try #require(compiled.compiler.analyses[2])
        let op = try #require(analysis.local)
        var read: [Int: Set<Int>] = [:]
        for recipe in compiled.recipes where recipe.layer == 2 {
            guard case .partial = recipe.stage, case let .tile(tile, _, _) = recipe.body else { continue }
            let axons = TileAxons(op, tile: tile, lanes: analysis.lanes(ofGroup: recipe.stage.group(in: compiled.layouts[2])))
            let inputs = Set((0..<axons.count).map { axons.source(of: $0).input })
            #expect(inputs.count == 1, "a part reads one input")
            for a in 0..<axons.count {
                let source = axons.source(of: a)
                read[source.input, default: []].insert(source.element)
            }
        }
        #expect(read[0]?.count == 8 * 6 * 6, "main input elements read: \(read[0]?.count ?? 0)")
        #expect(read[1]?.count == 4 * 6 * 6, "skip input elements read: \(read[1]?.count ?? 0)")
    }

    // MARK: - The trained fixture

    /// The ResNet-style CNN imports as one layer per block (the exporter folded the batch
    /// norms into the convolutions): an identity shortcut with unit weights, a strided 1x1
    /// projection; its float reading gives onnxruntime's scores (at most 1e-4 of the largest)
    /// and PyTorch's accuracy.
    @Test func floatReadingEqualsOnnxruntime() throws {
        let net = try Network.load(Self.fixture("resnet-cnn.onnx"))
        let blocks = net.graph.layers.filter { if case let .conv2d(c) = $0.op { c.shortcut != nil } else { false } }
        #expect(blocks.map { if case let .conv2d(c) = $0.op { c.shortcut?.vertical.stride ?? 0 } else { 0 } } == [1, 2])
        let identity = try #require(blocks.first.flatMap { net.graph.tensor($0, "shortcut") })
        #expect(identity.values == (0..<64).map { $0 / 8 == $0 % 8 ? 1 : 0 })
        let r = try TrainedFixtures.floatReading("resnet-cnn")
        #expect(r.worst <= 1e-4 * r.largest, "largest difference \(r.worst) against scores up to \(r.largest)")
        #expect(r.correct == Int((r.torch * Double(r.count)).rounded()))
    }

    /// `tessera import` writes the blocks to YAML (inputs, shortcut window, `.shortcut`
    /// weights), and the file reads as the model.
    @Test func importedYAMLReadsAsTheModel() throws {
        let r = try TrainedFixtures.importedDifference("resnet-cnn")
        #expect((r.difference ?? 1) <= 1e-9)
    }

    /// Converted with balancing on the calibration set and 8-bit weights, the integer
    /// reference simulator classifies 100 test images as the float network does, within 2:
    /// balancing scales the shortcut's weights by the skip input's lambda like any input's.
    @Test func convertedNetworkFollowsTheFloatOne() throws {
        let net = try Network.load(Self.fixture("resnet-cnn.onnx"))
        let input = net.graph.inputLayers[0].name
        let calibration = try SampleSet.load([input: TestSupport.fixtures + "/digits/calibration.npy"], for: net.graph).samples
        let target = ReferenceSimulatorTests.truenorth
        var settings = net.conversion
        settings.balance = .init(percentile: 99.9, granularity: .layer, calibration: [:])
        let integer = try IntegerNetwork.check(try net.convert(settings, calibration: calibration, target: target).network.graph, target: target)
        let x = try NPYFile.read(path: Self.fixture("digits.input.npy"))
        let labels = try NPYFile.read(path: Self.fixture("digits.labels.npy")).values.map { Int($0) }
        let size = x.values.count / x.shape[0]
        let ports = [InputPort(name: input, shape: [1, 8, 8], targets: [])]
        let simulator = ReferenceSimulator(integer)
        let latency = simulator.latency(of: try #require(integer.graph.outputs.first))
        var (spiking, float) = (0, 0)
        for s in 0..<100 {
            let sample = Array(x.values[s * size ..< (s + 1) * size])
            let spikes = try InputEncoder.encode([input: sample], ports: ports, encoding: .rate, ticks: 64, seed: 0, sample: s)
            let counts = simulator.run(spikes, ticks: 64 + latency).outputs[0].counts
            if counts.firstIndex(of: counts.max() ?? 0) == labels[s] { spiking += 1 }
            let scores = AnalogForward(net.graph).run([input: sample], linear: Set(net.graph.outputs)).last ?? []
            if scores.firstIndex(of: scores.max() ?? 0) == labels[s] { float += 1 }
        }
        #expect(spiking >= float - 2, "reference simulator \(spiking) of 100, float \(float)")
    }
}
