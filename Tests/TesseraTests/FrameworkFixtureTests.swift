import Foundation
import Testing
@testable import Tessera

/// The NIR files snnTorch 1.0.0, Sinabs 3.1.3 and Norse 1.1.0 exported themselves, with the
/// output and hidden spikes each framework recorded on the same seeded inputs
/// (Fixtures/nir/frameworks, made by tools/nir/make_framework_fixtures.py; its README says
/// what each framework ran). The expected spikes are the frameworks' own.
@Suite struct FrameworkFixtureTests {
    static func fixture(_ name: String) -> String { TestSupport.fixtures + "/nir/frameworks/" + name }

    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var writer: NIRSemantics.Writer
        var reset: NeuronModel.Reset?
        /// The recording's infix: "" for the main one, "subtract." for snnTorch's default reset.
        var recording = ""
        var testDescription: String { "\(file) \(recording)" }
        var integral: Bool { file.hasSuffix("-int") }
        var semantics: NIRSemantics { NIRSemantics(writer: writer, reset: reset) }
    }

    // The main snnTorch recordings ran reset "zero", which its exporter does not write.
    static let cases: [Case] = [
        Case(file: "snntorch-int", writer: .snntorch, reset: .zero), Case(file: "snntorch-float", writer: .snntorch, reset: .zero),
        Case(file: "snntorch-int", writer: .snntorch, recording: "subtract."), Case(file: "snntorch-float", writer: .snntorch, recording: "subtract."),
        Case(file: "sinabs-int", writer: .sinabs), Case(file: "sinabs-float", writer: .sinabs),
        Case(file: "norse-int", writer: .norse), Case(file: "norse-float", writer: .norse),
    ]

    /// Samples [N, T, C, H, W] of `name`.input.npy as spike inputs of `ticks` ticks.
    static func inputs(_ name: String, ticks: Int) throws -> [SpikeInput] {
        let tensor = try NPYFile.read(path: fixture("\(name).input.npy"))
        let port = InputPort(name: "input", shape: Array(tensor.shape.dropFirst(2)), targets: [])
        return try EventInput.samples(["input": (tensor.shape, tensor.values)], ports: [port], ticks: ticks).inputs
    }

    /// A recording [N, T, ...] as N x T flat 0/1 frames.
    static func recording(_ path: String) throws -> [[[UInt8]]] {
        let tensor = try NPYFile.read(path: fixture(path))
        let (n, t) = (tensor.shape[0], tensor.shape[1])
        let size = tensor.values.count / (n * t)
        return (0..<n).map { k in (0..<t).map { s in tensor.values[((k * t) + s) * size ..< ((k * t) + s + 1) * size].map { $0 != 0 ? 1 : 0 } } }
    }

    /// Spikes of `mine` that differ from `theirs`, and the spikes in all.
    static func mismatches(_ mine: [[[UInt8]]], _ theirs: [[[UInt8]]]) -> (differ: Int, all: Int) {
        var differ = 0, all = 0
        for (a, b) in zip(mine, theirs) {
            for (x, y) in zip(a, b) {
                differ += zip(x, y).filter { $0 != $1 }.count
                all += x.count
            }
        }
        return (differ, all)
    }

    /// The float reference, with the writer's rules, gives the framework's output and hidden
    /// spikes: every spike of the integer-valued networks, and of the float ones too (the
    /// issue asks for 99%; all 480 output and 40,960 hidden spikes agree, measured on every
    /// case, and the run is deterministic, so all must: no spike may differ).
    @Test(arguments: cases)
    func floatReferenceGivesTheFrameworksSpikes(_ c: Case) throws {
        let net = try Network.load(Self.fixture("\(c.file).nir"), nir: c.semantics)
        let simulator = FloatSimulator(net.graph, rules: net.rules)
        let out = try Self.recording("\(c.file).\(c.recording)output.npy"), hidden = try Self.recording("\(c.file).\(c.recording)hidden.npy")
        let ticks = out[0].count, last = try #require(net.graph.outputs.first)
        let runs = try Self.inputs(c.file, ticks: ticks).map { simulator.spikes(of: ["1", last], $0, ticks: ticks) }
        #expect(runs.count == 8)
        let (o, h) = (Self.mismatches(runs.map { $0[last] ?? [] }, out), Self.mismatches(runs.map { $0["1"] ?? [] }, hidden))
        #expect(o.all == 480 && h.all == 40960)
        #expect(o.differ == 0 && h.differ == 0, "\(c.integral ? "integer" : "float") network: output \(o.differ), hidden \(h.differ) spikes differ")
    }

    /// The rules are what make it agree: with the chip's firing (v >= θ, subtract at once)
    /// instead of the writer's, the recordings that tell them apart are not reproduced.
    @Test func theWritersRulesAreNeeded() throws {
        for c in [Self.cases[2], Self.cases[3]] {
            let net = try Network.load(Self.fixture("\(c.file).nir"), nir: c.semantics)
            let layer = try #require(net.graph.outputs.first)
            #expect(net.rules.delayedSubtract.contains(layer) && net.rules.strict.contains(layer))
            let out = try Self.recording("\(c.file).\(c.recording)output.npy")
            let chip = FloatSimulator(net.graph, rules: FiringRules())
            let runs = try Self.inputs(c.file, ticks: 20).map { chip.spikes(of: [layer], $0, ticks: 20)[layer] ?? [] }
            #expect(Self.mismatches(runs, out).differ > 0, "\(c.testDescription)")
        }
    }

    /// Sinabs' integer network is exact on the chip (IF neurons, v >= θ, subtract): the
    /// integer reference and the emulated core map give the framework's output spikes, spike
    /// for spike, after the latency the compiler declares.
    @Test func sinabsIntegerNetworkRunsOnTheChipAsInSinabs() throws {
        let net = try Network.load(Self.fixture("sinabs-int.nir"), nir: NIRSemantics(writer: .sinabs))
        let target = try Target.load("truenorth")
        let network = try IntegerNetwork.check(net.graph, target: target)
        let simulator = ReferenceSimulator(network)
        let latency = simulator.latency(of: try #require(net.graph.outputs.first))
        #expect(latency == 1)
        let compiled = try Compiler(network, options: Compiler.Options(strict: true)).compile()
        let emulator = try Emulator(map: compiled.map, target: target)
        let out = try Self.recording("sinabs-int.output.npy")
        for (k, input) in try Self.inputs("sinabs-int", ticks: 20 + latency).enumerated() {
            let simulated = simulator.run(input, ticks: 20 + latency)
            var frames = [[UInt8]](repeating: [0, 0, 0], count: 20)
            for e in simulated.outputs[0].spikes where e.tick >= latency { frames[e.tick - latency][e.index] = 1 }
            #expect(frames == out[k], "sample \(k)")
            #expect(emulator.run(input, ticks: 20 + latency).outputs == simulated.outputs, "sample \(k)")
        }
    }

    /// `simulate` runs a .nir file on the float reference by default and says so.
    @Test func simulateRunsNIRFilesInFloat() throws {
        let run = try TestSupport.tessera(["simulate", Self.fixture("sinabs-float.nir"), "--from", "sinabs", "--input", Self.fixture("sinabs-float.input.npy"),
                                           "--encoding", "events", "--ticks", "20"])
        #expect(run.status == 0 && run.stderr.contains("float reference") && run.stderr.contains("sinabs"), "\(run.stderr)")
        let integer = try TestSupport.tessera(["simulate", Self.fixture("sinabs-float.nir"), "--from", "sinabs", "--reference", "integer",
                                               "--input", Self.fixture("sinabs-float.input.npy"), "--encoding", "events", "--ticks", "20"])
        #expect(integer.status == 1 && integer.stderr.contains("quantise the weights first"), "\(integer.stderr)")
    }

    /// Where offset coding measures ahead on the outputs but the sampled split layers keep
    /// `net` (the Sinabs float fixture at 8 bits, whose bound fails in every split layer),
    /// compile keeps the map that `--partial-sums net` keeps, step and start chosen as there:
    /// the same core map byte for byte, and the same measured error.
    @Test func samplesThatOverruleOffsetKeepNetAsChosenWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("overruled-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func compile(_ extra: [String], to name: String) throws -> (TestSupport.Run, Data) {
            let path = directory.appendingPathComponent(name).path
            let run = try TestSupport.tessera(["compile", Self.fixture("sinabs-float.nir"), "--from", "sinabs", "--quantise", "8", "-o", path] + extra)
            return (run, try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let (chosen, chosenMap) = try compile([], to: "chosen.npz")
        let (net, netMap) = try compile(["--partial-sums", "net"], to: "net.npz")
        #expect(chosen.status == 0 && net.status == 0, "\(chosen.stderr)\(net.stderr)")
        #expect(chosen.stdout.contains("offset measured ahead on the outputs") && chosen.stdout.contains("net kept"), "\(chosen.stdout)")
        func measured(_ run: TestSupport.Run) -> String? { run.stdout.split(separator: "\n").first { $0.hasPrefix("measured on ") }.map(String.init) }
        #expect(measured(chosen) != nil && measured(chosen) == measured(net), "\(chosen.stdout)")
        #expect(chosenMap == netMap)
    }

    /// The README's walk-through: a network trained in snnTorch (tools/nir/train_snntorch_bars.py)
    /// runs on the float reference as in snnTorch, spike for spike, and compiled at the
    /// import's default 8 bits its core map's class decisions agree with snnTorch's on at
    /// least 95% of the 100 test samples (all 100 when measured).
    @Test func trainedSnnTorchModelCompilesToAMapThatDecidesAsSnnTorchDoes() throws {
        try Self.trainedModelDecidesAsItsFramework("bars.nir", recording: "bars-test-snntorch.npy",
                                                   semantics: NIRSemantics(writer: .snntorch, reset: .zero),
                                                   options: ["--from", "snntorch", "--reset", "zero", "--quantise", "8"])
    }

    /// The same network trained in Sinabs (tools/nir/train_sinabs_bars.py), its output layer
    /// Sinabs' LIF with tau_mem = 4 (a decay of 0.78 a tick, which the chip's linear leak
    /// stands in for): spike for spike on the float reference, and the map decides as Sinabs
    /// on at least 95 of the 100 test samples (99 measured; docs/nir.md).
    @Test func trainedSinabsModelCompilesToAMapThatDecidesAsSinabsDoes() throws {
        try Self.trainedModelDecidesAsItsFramework("bars-sinabs.nir", recording: "bars-sinabs-test-sinabs.npy",
                                                   semantics: NIRSemantics(writer: .sinabs),
                                                   options: ["--from", "sinabs", "--quantise", "8"])
    }

    static func trainedModelDecidesAsItsFramework(_ file: String, recording: String, semantics: NIRSemantics, options: [String]) throws {
        let dir = TestSupport.example("nir") + "/"
        let net = try Network.load(dir + file, nir: semantics)
        let recorded = try NPYFile.read(path: dir + recording)
        #expect(recorded.shape == [100, 20, 2])
        let tensor = try NPYFile.read(path: dir + "bars-test.npy")
        let port = InputPort(name: "input", shape: [2, 8, 8], targets: [])
        let inputs = try EventInput.samples(["input": (tensor.shape, tensor.values)], ports: [port], ticks: 20).inputs
        let simulator = FloatSimulator(net.graph, rules: net.rules)
        var float = [Double](repeating: 0, count: 4000)
        for (k, input) in inputs.enumerated() {
            for e in simulator.run(input, ticks: 20).outputs[0].spikes { float[(k * 20 + e.tick) * 2 + e.index] = 1 }
        }
        #expect(float == recorded.values, "\(file): the float reference differs from the framework's spikes")
        // The framework's decision per sample: the output with more spikes (ties to the first).
        func decisions(_ spikes: (Int, Int, Int) -> UInt8) -> [Int] {
            (0..<100).map { k in
                let counts = (0..<2).map { i in (0..<20).reduce(0) { $0 + Int(spikes(k, $1, i)) } }
                return counts[1] > counts[0] ? 1 : 0
            }
        }
        let theirs = decisions { recorded.values[($0 * 20 + $1) * 2 + $2] != 0 ? 1 : 0 }
        let chip = try chipSpikes(dir + file, options, input: dir + "bars-test.npy", ticks: 20)
        let agree = zip(decisions { chip[$0][$1][$2] }, theirs).filter { $0 == $1 }.count
        #expect(agree >= 95, "\(file): the map decides as its framework on \(agree) of 100 samples")
    }

    /// Compiles `nir` with `options` (`tessera compile`), emulates it on the event tensor
    /// `input` for `ticks` ticks after the latency compile declares, and returns the output
    /// spikes per sample, tick and neuron.
    static func chipSpikes(_ nir: String, _ options: [String], input: String, ticks: Int) throws -> [[[UInt8]]] {
        let map = FileManager.default.temporaryDirectory.appendingPathComponent("chip-\(getpid())-\(UUID().uuidString).npz").path, out = map + ".json"
        defer { try? FileManager.default.removeItem(atPath: map); try? FileManager.default.removeItem(atPath: out) }
        let compile = try TestSupport.tessera(["compile", nir] + options + ["-o", map])
        #expect(compile.status == 0, "\(compile.stderr)")
        let reported = compile.stdout.components(separatedBy: "latency in ticks: ").dropFirst().first?.split(separator: ";").first
        let latency = try #require(reported.flatMap { $0.split(separator: " ").last.flatMap { Int($0) } })
        let emulate = try TestSupport.tessera(["emulate", map, "--input", input, "--encoding", "events", "--ticks", "\(ticks + latency)", "-o", out])
        #expect(emulate.status == 0, "\(emulate.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        let samples = try #require(json?["samples"] as? [[String: Any]])
        return samples.map { sample in
            let port = (sample["outputs"] as? [String: Any])?.values.first as? [String: Any]
            let count = (port?["shape"] as? [Int])?.first ?? 0
            var frames = [[UInt8]](repeating: [UInt8](repeating: 0, count: count), count: ticks)
            for pair in port?["spikes"] as? [[Int]] ?? [] where pair.count == 2 && pair[0] >= latency && pair[0] < latency + ticks && pair[1] < count {
                frames[pair[0] - latency][pair[1]] = 1
            }
            return frames
        }
    }

    /// The float fixtures compiled at 8 bits decide as their frameworks on the recorded
    /// inputs. Their last layer's threshold is above the widest weight (255), where a partial
    /// spike worth the merge weight saturated (0 of 8 for snnTorch's, 3 of 8 for Norse's);
    /// compile measures each ``PartialStep`` (and the partial neurons' start) and keeps the
    /// best. The agreement cannot be worked out by hand (it turns on 8-bit rounding, the
    /// partial steps and the leak), so instead of a count of at least 8, 7 and 7 the test
    /// names the samples on which the chip decides otherwise, each explained; the run is
    /// deterministic, so any other sample turning (or these being mended) shows here.
    /// snnTorch: none. Sinabs sample 4: the framework's lead is one spike (17 against 16),
    /// and its LIF decays by 0.78 a tick, which a linear leak follows poorly. Norse sample
    /// 5: its LIF decays by 0.8 a tick and the chip's output neurons start led by their leak,
    /// as the framework's hold 0 until input comes; the chip's counts run at about 0.6 of
    /// the framework's (7-8 against 12-16), so its leads shrink to 0-2 spikes and one turns.
    @Test(arguments: [(Self.cases[1], [Int]()), (Self.cases[5], [4]), (Self.cases[7], [5])])
    func floatFixturesDecideOnTheChipAsInTheFramework(_ c: Case, turned: [Int]) throws {
        var options = ["--from", c.writer.rawValue, "--quantise", "8"]
        if let reset = c.reset { options += ["--reset", reset.rawValue] }
        let chip = try Self.chipSpikes(Self.fixture("\(c.file).nir"), options, input: Self.fixture("\(c.file).input.npy"), ticks: 20)
        let theirs = try Self.recording("\(c.file).output.npy")
        func decision(_ frames: [[UInt8]]) -> Int {
            let counts = (0..<3).map { i in frames.reduce(0) { $0 + Int($1[i]) } }
            return counts.firstIndex(of: counts.max() ?? 0) ?? 0
        }
        let differ = zip(chip, theirs).enumerated().filter { decision($1.0) != decision($1.1) }.map(\.offset)
        #expect(chip.count == 8 && differ == turned, "the chip decides otherwise on samples \(differ)")
    }
}
