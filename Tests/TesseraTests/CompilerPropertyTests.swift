import Testing
@testable import Mapping
@testable import Placement
@testable import Tessera

/// emulate(compile(net)) == simulate(net), spike for spike, on random small integer
/// networks: dense chains, convolution + pooling, and branches merged by add; signed and
/// 4-bit weights; on the tiny target (16 x 16 cores, forcing several cores per layer and
/// duplicated neurons) and on TrueNorth.
@Suite struct CompilerPropertyTests {
    static let tiny = NeuronModeTests.tiny
    static let truenorth = ReferenceSimulatorTests.truenorth

    /// A random integer network of one of three shapes, with its tensors.
    static func network(seed: UInt64, small: Bool) -> SpikeGraph {
        var rng = SeededRandom(seed: seed)
        func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        var store = ParameterStore()
        let fourBit = int(0...1) == 1
        /// Weights [out, fanIn]: 4-bit anywhere in -8...7, or signed (one positive and one
        /// negative magnitude per output neuron).
        func weights(_ key: String, out: Int, fanIn: Int) {
            var values: [Double] = []
            for _ in 0..<out {
                let (p, n) = (int(1...5), int(1...5))
                for _ in 0..<fanIn {
                    values.append(Double(fourBit ? int(-8...7) : [0, p, -n][int(0...2)]))
                }
            }
            store["\(key).weight"] = .loaded(Tensor(shape: [out, fanIn], values: values) ?? Tensor(repeating: 0, shape: [out, fanIn]), origin: "random")
            store["\(key).bias"] = .loaded(Tensor(shape: [out], values: (0..<out).map { _ in Double(int(-1...1)) }) ?? Tensor(repeating: 0, shape: [out]), origin: "random")
        }
        func neuron() -> NeuronModel {
            NeuronModel(threshold: Double(int(1...6)), reset: NeuronModel.Reset.allCases[int(0...2)])
        }
        var layers: [Layer] = []
        var outputs: [String] = []
        switch seed % 3 {
        case 0:  // dense chain
            let n = small ? int(2...4) : int(2...12), m = small ? int(2...6) : int(2...20), k = int(1...5)
            layers.append(Layer(name: "x", op: .input(shape: TensorShape(vector: n), encoding: .rate)))
            layers.append(Layer(name: "h", op: .dense(Dense(outFeatures: m)), inputs: ["x"], neuron: neuron(), parameterKey: "h"))
            layers.append(Layer(name: "o", op: .dense(Dense(outFeatures: k)), inputs: ["h"], neuron: neuron(), parameterKey: "o"))
            weights("h", out: m, fanIn: n)
            weights("o", out: k, fanIn: m)
            outputs = int(0...1) == 0 ? ["o"] : ["h", "o"]
        case 1:  // convolution then sum pooling; conv weights [c, 1, 2, 2]
            let c = small ? 1 : int(1...3)
            layers.append(Layer(name: "x", op: .input(shape: TensorShape(1, 4, 4), encoding: .rate)))
            layers.append(Layer(name: "c", op: .conv2d(Convolution(outChannels: c, vertical: Window(kernel: 2), horizontal: Window(kernel: 2))),
                                inputs: ["x"], neuron: neuron(), parameterKey: "c"))
            layers.append(Layer(name: "p", op: .sumpool(Pooling(vertical: Window(kernel: 3, stride: 3), horizontal: Window(kernel: 3, stride: 3))),
                                inputs: ["c"], neuron: neuron()))
            weights("c", out: c, fanIn: 4)
            if case let .loaded(t, _)? = store["c.weight"] { store["c.weight"] = .loaded(Tensor(shape: [c, 1, 2, 2], values: t.values) ?? t, origin: "random") }
            outputs = ["p"]
        default:  // two branches of equal depth merged by add, plus a flatten
            let n = small ? int(2...4) : int(2...8), m = small ? int(1...4) : int(1...8)
            layers.append(Layer(name: "x", op: .input(shape: TensorShape(vector: n), encoding: .rate)))
            layers.append(Layer(name: "a", op: .dense(Dense(outFeatures: m)), inputs: ["x"], neuron: neuron(), parameterKey: "a"))
            layers.append(Layer(name: "b", op: .dense(Dense(outFeatures: m)), inputs: ["x"], neuron: neuron(), parameterKey: "b"))
            layers.append(Layer(name: "s", op: .add, inputs: ["a", "b"], neuron: neuron()))
            layers.append(Layer(name: "f", op: .flatten, inputs: ["s"]))
            layers.append(Layer(name: "o", op: .dense(Dense(outFeatures: 2)), inputs: ["f"], neuron: neuron(), parameterKey: "o"))
            weights("a", out: m, fanIn: n)
            weights("b", out: m, fanIn: n)
            weights("o", out: 2, fanIn: m)
            outputs = ["s", "o"]
        }
        return SpikeGraph(name: "random", layers: layers, outputs: outputs, parameters: store)
    }

    func check(seed: Int, target: Target) throws {
        let graph = try Verifier.verify(Self.network(seed: UInt64(seed), small: target.core.axons < 64)).graph
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        // The written file must load back and validate.
        let map = try CoreMapReader.parse(Data(compiled.map.json.utf8), file: "compiled.json", target: target)
        var rng = SeededRandom(seed: UInt64(seed) &+ 99)
        var events: [SpikeInput.Event] = []
        let inputCount = graph.inputLayers.first?.shape?.count ?? 0
        for t in 0..<20 { for i in 0..<inputCount where rng.nextUnit() < 0.4 { events.append(.init(tick: t, index: i)) } }
        let input = SpikeInput(ticks: 20, spikes: ["x": events])
        let simulated = ReferenceSimulator(network).run(input, ticks: 28)
        let emulated = try Emulator(map: map, target: target).run(input, ticks: 28)
        #expect(emulated.outputs == simulated.outputs, "seed \(seed) on \(target.name)")
        for port in map.outputs { #expect(port.latency == ReferenceSimulator(network).latency(of: port.name)) }
        // Placement only improves on row-major (it accepts moves that lower the weighted cost).
        #expect(compiled.placement.objective <= compiled.placement.rowMajorObjective)
    }

    @Test(arguments: 0..<150)
    func tinyTarget(seed: Int) throws { try check(seed: seed, target: Self.tiny) }

    @Test(arguments: 0..<60)
    func truenorthTarget(seed: Int) throws { try check(seed: seed, target: Self.truenorth) }
}

import Foundation

extension CompilerPropertyTests {
    /// Guard against a vacuous comparison: the random networks do fire at their outputs,
    /// and on the tiny target layers spread over several cores with duplicated neurons.
    @Test func randomNetworksAreActiveAndSplit() throws {
        var outputSpikes = 0, multiCore = 0, duplicated = 0
        for seed in 0..<60 {
            let graph = try Verifier.verify(Self.network(seed: UInt64(seed), small: true)).graph
            let network = try IntegerNetwork.check(graph, target: Self.tiny)
            let compiled = try Compiler(network).compile()
            let input = SpikeInput(ticks: 20, spikes: ["x": (0..<20).flatMap { t in (0..<2).map { SpikeInput.Event(tick: t, index: $0) } }])
            outputSpikes += ReferenceSimulator(network).run(input, ticks: 28).outputs.reduce(0) { $0 + $1.spikes.count }
            multiCore += compiled.layers.filter { $0.cores > 1 }.count
            duplicated += compiled.layers.filter { $0.hardwareNeurons > $0.neurons }.count
        }
        #expect(outputSpikes > 500 && multiCore > 10 && duplicated > 30, "\(outputSpikes) \(multiCore) \(duplicated)")
    }
}

/// `tessera compile` then `tessera emulate` give what `tessera simulate` gives, through the
/// files a user would handle.
@Suite struct CompileCommandTests {
    @Test func compileEmulateEqualsSimulate() throws {
        // dense-weight.npy holds [[-3, -2, -1, 0], [1, 2, 3, 4]]: more than one positive
        // value per neuron, so not signed; neuron 1 has 4 distinct values, so 4 levels (4
        // axons per input, as bit-slicing would take; levels comes first on a tie).
        let (path, spikes) = try TestSupport.integerDenseNetwork(spikes: "{\"ticks\": 2, \"spikes\": {\"x\": [[0, 0], [0, 1], [0, 2], [0, 3], [1, 3]]}}")
        let map = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("map.json").path
        let compile = try TestSupport.tessera(["compile", path, "--target", "tiny", "-o", map])
        #expect(compile.status == 0, "\(compile.stderr)")
        #expect(compile.stdout.contains("levels(4)"))
        let emulated = try TestSupport.tessera(["emulate", map, "--spikes", spikes, "--ticks", "6"])
        let simulated = try TestSupport.tessera(["simulate", path, "--spikes", spikes, "--ticks", "6", "--target", "tiny"])
        #expect(emulated.status == 0 && simulated.status == 0, "\(emulated.stderr) \(simulated.stderr)")
        func spikesOf(_ text: String) throws -> [[Int]]? {
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return ((json?["outputs"] as? [String: Any])?["fc"] as? [String: Any])?["spikes"] as? [[Int]]
        }
        let expected = try spikesOf(simulated.stdout)
        #expect(expected?.isEmpty == false)
        #expect(try spikesOf(emulated.stdout) == expected)
        // A float network with no quantise setting is quantised to 8 bits per channel, and
        // the log says so; compile is exact thereafter.
        let float = try TestSupport.tessera(["compile", "examples/digits-mlp.yaml", "-o", map])
        #expect(float.status == 0, "\(float.stderr)")
        #expect(float.stdout.contains("no quantise setting, and h1.weight is not integers in -256..255: 8-bit weights per output channel, the default"))
        #expect(float.stdout.contains("h1: 8-bit, scales") && float.stdout.contains("per channel"))
    }
}

extension CompilerPropertyTests {
    /// The placement report matches the map (hops recomputed from every neuron's destination
    /// on the written board), and the search helps where help is to be had. Instead of a count
    /// of improved networks: (1) it is never worse than row-major (one of its candidates is
    /// row-major improved by moves kept only when they lower the objective); (2) where one
    /// move of a core to another slot (a swap if taken) would lower row-major's objective,
    /// tried here exhaustively with the placer's own objective, the search did better than
    /// row-major; (3) for a two-core network row-major is optimal by hand (side by side on
    /// one chip, every route takes the fewest hops two distinct cores allow, 1), so no move
    /// helps and the search keeps its objective.
    @Test func placementIsReportedTruthfullyAndHelps() throws {
        var improvable = 0
        for seed in 0..<40 {
            let graph = try Verifier.verify(Self.network(seed: UInt64(seed), small: true)).graph
            let compiled = try Compiler(try IntegerNetwork.check(graph, target: Self.tiny)).compile()
            let map = compiled.map
            var hops = 0, crossings = 0
            for (c, core) in map.cores.enumerated() {
                for n in core.neurons {
                    guard case let .axon(target, _, _)? = n.destination else { continue }
                    let (a, b) = (map.meshPosition(of: c), map.meshPosition(of: target))
                    hops += abs(a.x - b.x) + abs(a.y - b.y)
                    crossings += abs(core.chip[0] - map.cores[target].chip[0]) + abs(core.chip[1] - map.cores[target].chip[1])
                }
            }
            #expect(hops == compiled.placement.hops && crossings == compiled.placement.chipCrossings, "seed \(seed)")
            let p = compiled.placement
            #expect(p.objective <= p.rowMajorObjective, "seed \(seed): placed \(p.objective), row-major \(p.rowMajorObjective)")
            let placer = compiled.placer, n = map.cores.count
            let rowMajor = Array(0..<n)
            #expect(placer.figures(rowMajor).objective == p.rowMajorObjective)
            let oneMoveBetter = (0..<n).contains { a in
                placer.rowMajorCandidates.contains { slot in
                    guard slot != a else { return false }
                    var slots = rowMajor
                    if let b = slots.firstIndex(of: slot) { slots[b] = a }
                    slots[a] = slot
                    return placer.figures(slots).objective < p.rowMajorObjective
                }
            }
            if oneMoveBetter {
                improvable += 1
                #expect(p.objective < p.rowMajorObjective, "seed \(seed): a single move improves row-major, the search did not")
            }
            if n == 2 { #expect(!oneMoveBetter && p.objective == p.rowMajorObjective, "seed \(seed): two cores side by side are optimal") }
        }
        // Not vacuous: the networks of more than two cores (seed % 3 != 0) leave row-major
        // improvable by one move.
        print("placement: row-major improvable by one move on \(improvable) of 40 networks")
        #expect(improvable > 0, "no network's row-major placement could be improved by one move")
    }
}

extension CompilerPropertyTests {
    /// Cores used never fall below the lower bound, and for the convolution layers of the
    /// random networks (on TrueNorth, where a whole small layer fits) they meet it.
    @Test func coresAgainstTheLowerBound() throws {
        for seed in stride(from: 1, to: 60, by: 3) {  // seed % 3 == 1: convolution networks
            for target in [Self.tiny, Self.truenorth] {
                let graph = try Verifier.verify(Self.network(seed: UInt64(seed), small: target.core.axons < 64)).graph
                for sums in PartialSums.allCases {
                    let compiled = try Compiler(try IntegerNetwork.check(graph, target: target), options: Compiler.Options(partialSums: sums)).compile()
                    for row in compiled.layers {
                        #expect(row.cores >= row.tightBound && row.tightBound >= row.lowerBound, "\(row.layer) seed \(seed) \(sums)")
                        if target.core.axons >= 256 { #expect(row.cores == row.lowerBound, "\(row.layer) seed \(seed)") }
                    }
                }
            }
        }
    }
}

extension CompileCommandTests {
    /// The bundled integer example does what its header comment promises, through the API.
    @Test func bundledIntegerExample() throws {
        let net = try Network.load(TestSupport.example("tiny-int.yaml"))
        let tiny = NeuronModeTests.tiny
        let network = try IntegerNetwork.check(net.graph, target: tiny)
        let map = try Compiler(network).compile().map
        let input = try SpikeFile.readInput(path: TestSupport.example("tiny-int.spikes.json"), ports: map.inputs)
        let simulated = ReferenceSimulator(network).run(input, ticks: 16)
        #expect(simulated.outputs[0].spikes.count > 5)
        #expect(try map.emulate(input, ticks: 16, target: tiny).outputs == simulated.outputs)
    }
}
