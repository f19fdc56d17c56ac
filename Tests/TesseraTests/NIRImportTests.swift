import Foundation
import Testing
@testable import Frontend
@testable import Mapping
@testable import Tessera

/// A NIR graph through Tessera: stepped by NIR's own equations (written out here from the
/// file's fields, apart from the lowering), simulated in the IR, compiled and emulated, and
/// written out by `tessera import` as a network that loads back to the same graph.
@Suite struct NIRImportTests {
    static func fixture(_ name: String) -> String { NIRReaderTests.fixture(name) }

    /// conv-if-int.nir stepped tick by tick as NIR defines it (the reading `--from nir`
    /// follows): each tick the input spikes pass the whole graph; IF neurons add their
    /// current (r = 1), fire when v > threshold and reset to v_reset = 0. Returns the output
    /// spikes (tick, element) in firing order.
    static func stepNIR(_ graph: NIRGraph, input: [[Double]], ticks: Int) throws -> [SpikeInput.Event] {
        func field(_ node: String, _ name: String) throws -> [Double] {
            guard case let .numbers(_, v)? = graph.node(node)?.fields[name] else { throw DiagnosticError("fixture: \(node).\(name)") }
            return v
        }
        let (w, fc, fcBias) = (try field("conv", "weight"), try field("fc", "weight"), try field("fc", "bias"))
        let (t1, t2) = (try field("if1", "v_threshold")[0], try field("if2", "v_threshold")[0])
        var v1 = [Double](repeating: 0, count: 4 * 36), v2 = [Double](repeating: 0, count: 3)
        var out: [SpikeInput.Event] = []
        for t in 0..<ticks {
            let x = input[t]
            // Conv2d 2 -> 4, 3x3, padding 1, into IF.
            var s1 = [Double](repeating: 0, count: 4 * 36)
            for co in 0..<4 {
                for y in 0..<6 {
                    for xx in 0..<6 {
                        var i = 0.0
                        for ci in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                            let (iy, ix) = (y - 1 + ky, xx - 1 + kx)
                            if iy >= 0, iy < 6, ix >= 0, ix < 6 { i += w[((co * 2 + ci) * 3 + ky) * 3 + kx] * x[(ci * 6 + iy) * 6 + ix] }
                        } } }
                        let k = (co * 6 + y) * 6 + xx
                        v1[k] += i
                        if v1[k] > t1 { s1[k] = 1; v1[k] = 0 }
                    }
                }
            }
            // SumPool2d 2, Flatten, Affine 36 -> 3, into IF.
            var pooled = [Double](repeating: 0, count: 36)
            for c in 0..<4 { for y in 0..<6 { for xx in 0..<6 { pooled[c * 9 + (y / 2) * 3 + xx / 2] += s1[(c * 6 + y) * 6 + xx] } } }
            for o in 0..<3 {
                v2[o] += (0..<36).reduce(fcBias[o]) { $0 + fc[o * 36 + $1] * pooled[$1] }
                if v2[o] > t2 { out.append(.init(tick: t, index: o)); v2[o] = 0 }
            }
        }
        return out
    }

    /// The integer graph: NIR's own stepping, the IR's reference simulation and the
    /// emulated TrueNorth map agree spike for spike, the IR's after its latency (one tick
    /// per layer, where NIR passes a tick's spikes through the whole graph at once).
    @Test(arguments: 0..<8)
    func integerGraphRunsAsNIRSteppedIt(seed: Int) throws {
        let path = Self.fixture("conv-if-int.nir")
        let nir = try NIRReader.read(path: path)
        let net = try Network.load(path)
        let target = try Target.load("truenorth")
        let network = try IntegerNetwork.check(net.graph, target: target)
        var rng = SeededRandom(seed: UInt64(seed) &+ 31)
        let ticks = 40
        let frames = (0..<ticks).map { _ in (0..<72).map { _ in rng.nextUnit() < 0.4 ? 1.0 : 0 } }
        let events = frames.enumerated().flatMap { t, f in f.indices.filter { f[$0] == 1 }.map { SpikeInput.Event(tick: t, index: $0) } }
        let input = SpikeInput(ticks: ticks, spikes: ["input": events])
        let simulator = ReferenceSimulator(network)
        let latency = simulator.latency(of: "if2")
        let simulated = simulator.run(input, ticks: ticks + latency)
        let expected = try Self.stepNIR(nir, input: frames, ticks: ticks)
        #expect(expected.count > 5, "the output should fire: \(expected.count) spikes")
        let shifted = simulated.outputs[0].spikes.map { SpikeInput.Event(tick: $0.tick - latency, index: $0.index) }.filter { $0.tick >= 0 }
        #expect(shifted == expected)
        let compiled = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        #expect(try Emulator(map: compiled.map, target: target).run(input, ticks: ticks + latency).outputs == simulated.outputs)
    }

    /// `tessera import` writes NET.yaml and NET.npz, which load back to the graph the .nir
    /// file lowers to: the same layers, neurons and tensors.
    @Test func importWritesANetworkThatLoadsBackToTheSameGraph() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-import-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("net.yaml").path
        let run = try TestSupport.tessera(["import", Self.fixture("conv-if-lif.nir"), "--from", "snntorch", "-o", yaml])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("net.npz").path))
        let direct = try Network.load(Self.fixture("conv-if-lif.nir"), nir: NIRSemantics(writer: .snntorch)).graph
        let loaded = try Network.load(yaml).graph
        #expect(loaded.layers.map(\.name) == direct.layers.map(\.name))
        #expect(loaded.layers.map(\.op) == direct.layers.map(\.op))
        #expect(loaded.layers.map(\.neuron) == direct.layers.map(\.neuron))
        #expect(loaded.outputs == direct.outputs)
        for key in direct.parameters.keys { #expect(loaded.parameters.tensor(key) == direct.parameters.tensor(key), "\(key)") }
        // Float weights: the file asks for quantisation, and compiles.
        #expect(try String(contentsOfFile: yaml, encoding: .utf8).contains("compile: { quantise: { weights: 8, per: channel } }"))
        let compile = try TestSupport.tessera(["compile", yaml, "-o", dir.appendingPathComponent("map.npz").path])
        #expect(compile.status == 0, "\(compile.stderr)")
    }

    /// The commands take .nir files directly, and a malformed one exits 1 naming the node.
    @Test func commandsTakeNIRFiles() throws {
        let check = try TestSupport.tessera(["check", Self.fixture("conv-if-int.nir")])
        #expect(check.status == 0 && check.stdout.contains("if2    dense"), "\(check.stderr)")
        let bad = try TestSupport.tessera(["compile", Self.fixture("wrong-shape.nir"), "-o", "/dev/null"])
        #expect(bad.status == 1 && bad.stderr.contains("node 'fc' (Affine) field 'weight'"))
        let noStep = try TestSupport.tessera(["check", Self.fixture("conv-if-lif.nir")])
        #expect(noStep.status == 1 && noStep.stderr.contains("--dt"))
        let badStep = try TestSupport.tessera(["check", Self.fixture("conv-if-lif.nir"), "--dt", "0"])
        #expect(badStep.status != 0 && badStep.stderr.contains("--dt must be a positive number"))
    }

    /// Event tensors [N, T, C, H, W] are the spikes of each tick: each sample, read by
    /// EventInput and simulated, gives what NIR's own stepping gives on the same frames (a
    /// count of 2 is one spike); simulate takes them with --encoding events and says so.
    @Test func eventTensorsAreTheSpikesOfEachTick() throws {
        let path = Self.fixture("conv-if-int.nir"), eventsPath = Self.fixture("conv-if-int.events.npy")
        let nir = try NIRReader.read(path: path)
        let network = try IntegerNetwork.check(try Network.load(path).graph, target: try Target.load("truenorth"))
        let tensor = try NPYFile.read(path: eventsPath)
        #expect(tensor.shape == [3, 40, 2, 6, 6])
        let port = InputPort(name: "input", shape: [2, 6, 6], targets: [])
        let simulator = ReferenceSimulator(network)
        let latency = simulator.latency(of: "if2")
        let samples = try EventInput.samples(["input": (tensor.shape, tensor.values)], ports: [port], ticks: 40 + latency)
        #expect(samples.isBatch && samples.inputs.count == 3 && samples.clipped == 1 && samples.dropped == 0)
        for k in 0..<3 {
            let frames = (0..<40).map { t in (0..<72).map { min(1, tensor.values[(k * 40 + t) * 72 + $0]) } }
            let shifted = simulator.run(samples.inputs[k], ticks: 40 + latency).outputs[0].spikes
                .map { SpikeInput.Event(tick: $0.tick - latency, index: $0.index) }.filter { $0.tick >= 0 }
            #expect(shifted == (try Self.stepNIR(nir, input: frames, ticks: 40)), "sample \(k)")
        }
        let run = try TestSupport.tessera(["simulate", path, "--input", eventsPath, "--encoding", "events", "--ticks", "\(40 + latency)"])
        #expect(run.status == 0 && run.stderr.contains("1 events counted more than 1 spike"), "\(run.stderr)")
        // A tensor of the wrong shape, and a negative value, are errors naming the input.
        #expect(throws: EventInput.ShapeError.self) { try EventInput.samples(["input": ([40, 72, 1], tensor.values)], ports: [port], ticks: 40) }
        #expect(throws: EventInput.ShapeError.self) { try EventInput.samples(["input": ([1, 2, 6, 6], [-1] + Array(repeating: 0, count: 71))], ports: [port], ticks: 40) }
    }
}
