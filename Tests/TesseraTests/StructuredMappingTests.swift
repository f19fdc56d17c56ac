import Foundation
import Testing
@testable import Mapping
@testable import Reference
@testable import Tessera

/// The structured (tiled) lowering of every layer kind it claims exact: conv2d with random
/// kernel, stride, padding, dilation and groups, then sum/avg pooling, nearest upsampling
/// or a transposed convolution, with signed, up-to-4-level and 4-bit weights. On the tiny
/// target (16 x 16 cores) tiles are small and layers spread over many cores; on a 64 x 32
/// target and on TrueNorth they are larger.
@Suite struct StructuredMappingTests {
    /// Tiny cores (16 x 16) on an 8 x 8 board of chips, so that the many small tiles fit.
    static let tiny: Target = {
        var t = NeuronModeTests.tiny
        t.name = "tiny-8x8"
        t.board.chips = [8, 8]
        return t
    }()
    static let mid: Target = {
        var t = tiny
        t.name = "mid"
        t.core.axons = 64
        t.core.neurons = 32
        return t
    }()
    static let truenorth = ReferenceSimulatorTests.truenorth

    /// A random two-layer structured network that fits `axons` per neuron without a split.
    static func network(seed: UInt64, axons: Int) -> SpikeGraph? {
        var rng = SeededRandom(seed: seed)
        func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        var store = ParameterStore()
        let mode = int(0...3)  // 0 signed, 1 up to 4 levels, 2 4-bit, 3 5- to 8-bit
        let bits = mode == 3 ? int(5...8) : 4
        // Axon lanes per input of a k-bit layer, worked out by hand from the encoding's
        // rule (base m = least with m^3 >= 2^(k-1); 3(m-1)+1 lanes): k=5: m=3, 7 lanes;
        // k=6 and 7: m=4, 10; k=8: m=6, 16. Signed and levels layers need at most 4.
        let perInput = [5: 7, 6: 10, 7: 10, 8: 16][bits] ?? 4
        /// A weight tensor whose values for output channel `channelOf(i)` come from that
        /// channel's own small set (signed: {0, p, -n}; levels: 3-4 values; k-bit: all of
        /// -2^(k-1)...2^(k-1)-1).
        func tensor(_ key: String, shape: [Int], outChannels: Int, channelOf: (Int) -> Int) {
            let sets: [[Int]] = (0..<outChannels).map { _ in
                switch mode {
                case 0: return [0, int(1...5), -int(1...5)]
                case 1: return [0] + (0..<int(3...4)).map { _ in [int(-20 ... -1), int(1...20)][int(0...1)] }
                default: return Array(-(1 << (bits - 1))...((1 << (bits - 1)) - 1))
                }
            }
            let count = shape.reduce(1, *)
            let values = (0..<count).map { i in Double(sets[channelOf(i)][int(0...(sets[channelOf(i)].count - 1))]) }
            store["\(key).weight"] = .loaded(Tensor(shape: shape, values: values) ?? Tensor(repeating: 0, shape: shape), origin: "random")
            store["\(key).bias"] = .loaded(Tensor(shape: [outChannels], values: (0..<outChannels).map { _ in Double(int(-1...1)) }) ?? Tensor(repeating: 0, shape: [outChannels]), origin: "random")
        }
        // One layer in four is binary (Eedn: membrane cleared every tick).
        func neuron() -> NeuronModel {
            NeuronModel(kind: int(0...3) == 0 ? .binary : .integrateAndFire, threshold: Double(int(1...6)), reset: NeuronModel.Reset.allCases[int(0...2)])
        }
        let (cin, h, w) = (int(1...3), int(3...10), int(3...10))
        var k = int(1...3)
        var groups = cin > 1 && int(0...1) == 1 ? cin : 1
        if cin / groups * k * k * perInput > axons { groups = cin }
        if k * k * perInput > axons { k = 2 }
        if k * k * perInput > axons { k = 1 }
        let out1 = groups * int(1...2)
        // Dilated windows one time in two, so that phase tiles (TileAxis) are chosen often.
        let pad = int(0...1), dilation = k > 1 && int(0...1) == 0 ? int(2...3) : 1
        let window = Window(kernel: k, stride: int(1...2), padding: pad, dilation: dilation)
        var layers = [Layer(name: "x", op: .input(shape: TensorShape(cin, h, w), encoding: .rate))]
        layers.append(Layer(name: "c", op: .conv2d(Convolution(outChannels: out1, vertical: window, horizontal: window, groups: groups)),
                            inputs: ["x"], neuron: neuron(), parameterKey: "c"))
        tensor("c", shape: [out1, cin / groups, k, k], outChannels: out1) { $0 / (cin / groups * k * k) }
        switch int(0...3) {
        case 0:
            let p = Pooling(vertical: Window(kernel: 2, stride: int(1...2)), horizontal: Window(kernel: 2, stride: int(1...2)))
            layers.append(Layer(name: "s", op: int(0...1) == 0 ? .sumpool(p) : .avgpool(p), inputs: ["c"], neuron: neuron()))
        case 1:
            layers.append(Layer(name: "s", op: .upsample(Upsample(factor: 2, mode: .nearest)), inputs: ["c"], neuron: neuron()))
        default:
            var kt = int(2...3)
            var st = int(1...2)
            var g = int(0...1) == 0 ? 1 : out1
            if out1 / g * ((kt + st - 1) / st) * ((kt + st - 1) / st) * perInput > axons { g = out1 }
            if ((kt + st - 1) / st) * ((kt + st - 1) / st) * perInput > axons { kt = 2 }
            if ((kt + st - 1) / st) * ((kt + st - 1) / st) * perInput > axons { st = 2 }
            let out2 = g * int(1...2)
            let tw = Window(kernel: kt, stride: st, padding: int(0...1))
            layers.append(Layer(name: "s", op: .convTranspose2d(ConvolutionTranspose(outChannels: out2, vertical: tw, horizontal: tw, groups: g)),
                                inputs: ["c"], neuron: neuron(), parameterKey: "s"))
            // [in][out/groups][kt][kt]; output channel = group * (out2/g) + local.
            let (inPer, outPer) = (out1 / g, out2 / g)
            tensor("s", shape: [out1, outPer, kt, kt], outChannels: out2) { i in
                let ci = i / (outPer * kt * kt), local = (i / (kt * kt)) % outPer
                return ci / inPer * outPer + local
            }
        }
        let graph = SpikeGraph(name: "structured", layers: layers, outputs: int(0...1) == 0 ? ["s"] : ["c", "s"], parameters: store)
        return try? Verifier.verify(graph).graph
    }

    /// The first `count` seeds from `offset` whose network verifies (some random windows
    /// leave no output), with their networks.
    static func networks(_ count: Int, axons: Int, offset: UInt64 = 0) -> [(UInt64, SpikeGraph)] {
        var result: [(UInt64, SpikeGraph)] = []
        var seed = offset
        while result.count < count {
            if let graph = network(seed: seed, axons: axons) { result.append((seed, graph)) }
            seed += 1
        }
        return result
    }

    static func seeds(_ count: Int, axons: Int, offset: UInt64 = 0) -> [UInt64] { networks(count, axons: axons, offset: offset).map(\.0) }

    static func randomInput(_ graph: SpikeGraph, seed: UInt64, ticks: Int) -> SpikeInput {
        var rng = SeededRandom(seed: seed &+ 7)
        let count = graph.inputLayers.first?.shape?.count ?? 0
        var events: [SpikeInput.Event] = []
        for t in 0..<ticks { for i in 0..<count where rng.nextUnit() < 0.5 { events.append(.init(tick: t, index: i)) } }
        return SpikeInput(ticks: ticks, spikes: ["x": events])
    }

    func check(_ seed: UInt64, on target: Target) throws {
        let graph = try #require(Self.network(seed: seed, axons: target.core.axons))
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        let map = try CoreMapReader.parse(Data(compiled.map.json.utf8), file: "compiled.json", target: target)
        let input = Self.randomInput(graph, seed: seed, ticks: 16)
        let simulated = ReferenceSimulator(network).run(input, ticks: 24)
        let emulated = try Emulator(map: map, target: target).run(input, ticks: 24)
        #expect(emulated.outputs == simulated.outputs, "seed \(seed) on \(target.name)")
        for port in map.outputs { #expect(port.latency == ReferenceSimulator(network).latency(of: port.name), "seed \(seed)") }
    }

    @Test(arguments: seeds(120, axons: 16))
    func tinyTarget(seed: UInt64) throws { try check(seed, on: Self.tiny) }

    @Test(arguments: seeds(60, axons: 64, offset: 1000))
    func midTarget(seed: UInt64) throws { try check(seed, on: Self.mid) }

    @Test(arguments: seeds(40, axons: 256, offset: 2000))
    func truenorthTarget(seed: UInt64) throws { try check(seed, on: Self.truenorth) }

    /// Tile crossbars are built once per pattern (`TileCrossbarCache`): building the cores
    /// in reverse order, so that a different core of each pattern is built first, gives the
    /// same cores, on targets whose tiles are small (many edge patterns) and large. Each
    /// target takes 40 seeds whose networks verify for it, so none is skipped.
    func checkBuildOrder(_ seed: UInt64, on target: Target) throws {
        let graph = try #require(Self.network(seed: seed, axons: target.core.axons))
        let network = try IntegerNetwork.check(graph, target: target)
        let forward = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        let backward = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        let reversed = (0..<backward.coreCount).reversed().map { backward.buildCore($0) }
        #expect(forward.map.cores == Array(reversed.reversed()), "seed \(seed) on \(target.name)")
    }

    @Test(arguments: seeds(40, axons: 16, offset: 3000))
    func tileCrossbarsDoNotDependOnBuildOrderOnTiny(seed: UInt64) throws { try checkBuildOrder(seed, on: Self.tiny) }

    @Test(arguments: seeds(40, axons: 64, offset: 3000))
    func tileCrossbarsDoNotDependOnBuildOrderOnMid(seed: UInt64) throws { try checkBuildOrder(seed, on: Self.mid) }

    /// An encoding's name without its level count (`levels(3)` -> `levels`).
    static func kind(_ encoding: WeightEncoding) -> String {
        encoding.description.hasPrefix("levels") ? "levels" : encoding.description
    }

    /// Guard against a vacuous comparison: outputs fire, every op kind and encoding occurs,
    /// and on tiny the layers are tiled over several cores with duplicated neurons.
    @Test func structuredNetworksCoverTheKindsAndSpread() throws {
        var ops = Set<String>(), encodings = Set<String>(), binary = 0
        var spikes = 0, multiCore = 0, duplicated = 0, phased = 0
        for (seed, graph) in Self.networks(120, axons: 16) {
            let network = try IntegerNetwork.check(graph, target: Self.tiny)
            let compiled = try Compiler(network).compile()
            spikes += ReferenceSimulator(network).run(Self.randomInput(graph, seed: seed, ticks: 16), ticks: 24).outputs.reduce(0) { $0 + $1.spikes.count }
            binary += graph.layers.filter { $0.neuron?.kind == .binary }.count
            for row in compiled.layers {
                ops.insert(row.op)
                encodings.insert(Self.kind(row.encoding))
                multiCore += row.cores > 1 ? 1 : 0
                duplicated += row.hardwareNeurons > row.neurons ? 1 : 0
                phased += row.tile?.contains(" step ") == true ? 1 : 0
            }
        }
        // Weights wider than 4 bits with more than 4 values per neuron need at least 5
        // inputs of 7 lanes, more than a tiny core's 16 axons: they occur on the larger targets.
        for (target, networks) in [(Self.mid, Self.networks(60, axons: 64, offset: 1000)), (Self.truenorth, Self.networks(40, axons: 256, offset: 2000))] {
            for (_, graph) in networks {
                for row in try Compiler(try IntegerNetwork.check(graph, target: target)).compile().layers {
                    encodings.insert(Self.kind(row.encoding))
                    phased += row.tile?.contains(" step ") == true ? 1 : 0
                }
            }
        }
        #expect(ops == ["conv2d", "sumpool", "avgpool", "upsample", "convtranspose2d"])
        #expect(encodings == ["signed", "levels", "bitSliced4", "bitSliced5", "bitSliced6", "bitSliced7", "bitSliced8"])
        #expect(spikes > 2000 && multiCore > 100 && duplicated > 60 && binary > 30, "\(spikes) \(multiCore) \(duplicated) \(binary)")
        // Dilated layers tiled by phase (rows or columns a phase step apart), which the
        // exactness tests above then emulate.
        #expect(phased >= 10, "\(phased) layers of the 220 networks use phase tiles")
    }
}

extension StructuredMappingTests {
    /// A SiamSNN-shaped head: exemplar and search branches (1x1 convolutions) and an xcorr
    /// whose template is bound as weights (`score.template`, trinary values); the head reads only the
    /// search branch on chip, and emulates as the reference simulates it.
    @Test(arguments: 0..<20)
    func xcorrWithBoundTemplate(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        let c = int(1...2), t = 2, s = int(4...7)
        var store = ParameterStore()
        let neuron = NeuronModel(threshold: Double(int(1...3)), reset: .subtract)
        for name in ["zf", "xf"] {
            store["\(name).weight"] = .synthetic(.init(shape: [c, 1, 1, 1], seed: UInt64(seed), constant: 1))
            store["\(name).bias"] = .synthetic(.init(shape: [c], seed: UInt64(seed), constant: 0))
        }
        // Trinary template, positive twice as often as negative so that the head fires.
        let template = [1] + (1..<(c * t * t)).map { _ in Double([0, 1, 1, -1][int(0...3)]) }
        store["score.template"] = .loaded(Tensor(shape: [c, t, t], values: template) ?? Tensor(repeating: 1, shape: [c, t, t]), origin: "random")
        let one = Window(kernel: 1)
        let graph = try Verifier.verify(SpikeGraph(name: "siam", layers: [
            Layer(name: "z", op: .input(shape: TensorShape(1, t, t), encoding: .rate)),
            Layer(name: "x", op: .input(shape: TensorShape(1, s, s), encoding: .rate)),
            Layer(name: "zf", op: .conv2d(Convolution(outChannels: c, vertical: one, horizontal: one)), inputs: ["z"], neuron: neuron, parameterKey: "zf"),
            Layer(name: "xf", op: .conv2d(Convolution(outChannels: c, vertical: one, horizontal: one)), inputs: ["x"], neuron: neuron, parameterKey: "xf"),
            Layer(name: "score", op: .xcorr, inputs: ["zf", "xf"], neuron: NeuronModel(threshold: 1, reset: .subtract), parameterKey: "score"),
        ], outputs: ["score"], parameters: store)).graph
        let network = try IntegerNetwork.check(graph, target: Self.tiny)
        let compiled = try Compiler(network, options: .init(strict: true)).compile()
        #expect(compiled.layers.first { $0.layer == "zf" }?.cores == 0)  // the template branch is not on chip
        let map = compiled.map
        var events: [SpikeInput.Event] = []
        for tick in 0..<16 { for i in 0..<(s * s) where rng.nextUnit() < 0.5 { events.append(.init(tick: tick, index: i)) } }
        let input = SpikeInput(ticks: 16, spikes: ["x": events])
        let simulated = ReferenceSimulator(network).run(input, ticks: 24)
        #expect(simulated.outputs[0].spikes.count > 0)
        #expect(try Emulator(map: map, target: Self.tiny).run(input, ticks: 24).outputs == simulated.outputs, "seed \(seed)")
    }
}
