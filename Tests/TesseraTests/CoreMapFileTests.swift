import Foundation
import Testing
@testable import Tessera

/// The core map file: write -> load -> write is byte-identical, and malformed maps are
/// rejected with an error naming the core, neuron or axon and the limit, and exit 1.
@Suite struct CoreMapFileTests {
    static let tiny = NeuronModeTests.tiny

    @Test(arguments: 0..<20)
    func roundTripIsByteIdentical(seed: Int) throws {
        var options = SyntheticCoreMap.Options()
        options.stochastic = seed % 2 == 1
        let map = SyntheticCoreMap.random(target: Self.tiny, seed: UInt64(seed), options: options)
        let first = map.json
        let loaded = try CoreMapReader.parse(Data(first.utf8), file: "m.json", target: Self.tiny)
        #expect(loaded == map)
        #expect(loaded.json == first)
    }

    /// The example of shared/spec/coremap-format.md, completed to a valid map, reads.
    @Test func specExampleReads() throws {
        let text = """
        { "format": "tessera.coremap", "version": 1, "target": "tiny",
          "core": { "axons": 16, "neurons": 16, "axonTypes": 4 },
          "board": { "chips": [1, 1], "coresPerChip": [4, 4] },
          "cores": [ { "id": 0, "chip": [0, 0], "xy": [3, 2], "seed": 1, "axonTypes": [0, 1, 0, 1],
                       "crossbar": ["8000", "4000"],
                       "neurons": [ { "index": 0, "weights": [1, -1, 0, 0], "leak": 0, "threshold": 1, "negThreshold": 0,
                                      "reset": "linear", "resetPotential": 0, "negative": "saturate", "thresholdMask": 0,
                                      "stochasticSynapse": [false, false, false, false], "stochasticLeak": false,
                                      "leakReversal": false, "initialPotential": 0, "destination": { "output": "o", "index": 0 } },
                                    { "index": 1, "destination": null } ] } ],
          "inputs": [ { "name": "x", "shape": [2], "targets": [ [[0, 0]], [[0, 1]] ] } ],
          "outputs": [ { "name": "o", "shape": [1], "latency": 1 } ] }
        """
        let map = try CoreMapReader.parse(Data(text.utf8), file: "spec.json", target: Self.tiny)
        // "8000": the first hex digit's most significant bit is neuron 0; "4000" is neuron 1.
        #expect(map.cores[0].crossbar[0, 0] && !map.cores[0].crossbar[0, 1] && map.cores[0].crossbar[1, 1])
        #expect(map.cores[0].axonTypes[1] == 1 && map.cores[0].axonTypes[5] == 0)
        #expect(map.cores[0].neurons[0].reset == .linear && map.cores[0].neurons[0].weights == [1, -1, 0, 0])
        // Axon 0 (type 0, weight +1) reaches neuron 0, threshold 1: it fires into o at tick 0.
        let result = try map.emulate(SpikeInput(ticks: 1, spikes: ["x": [.init(tick: 0, index: 0)]]), ticks: 2, target: Self.tiny)
        #expect(result.outputs[0].spikes == [SpikeInput.Event(tick: 0, index: 0)])
    }

    /// A valid two-core map: core 0 sends neuron 0 to core 1 and neuron 1 to output o[1],
    /// core 1 drives o[0]; input x reaches axons 0 and 1 of core 0.
    static func baseMap() -> CoreMap {
        var crossbar = Crossbar(axons: 16, neurons: 16)
        crossbar[0, 0] = true
        crossbar[1, 1] = true
        let a = CoreConfig(id: 0, chip: [0, 0], place: [0, 0], seed: 1, axonTypes: [0, 1], crossbar: crossbar,
                           neurons: [NeuronConfig(index: 0, weights: [1, 0, 0, 0], destination: .axon(core: 1, axon: 0, delay: 2)),
                                     NeuronConfig(index: 1, weights: [0, 1, 0, 0], destination: .output(port: "o", index: 1))])
        let b = CoreConfig(id: 1, chip: [1, 0], place: [0, 0], seed: 2, axonTypes: [], crossbar: crossbar,
                           neurons: [NeuronConfig(index: 0, weights: [1, 0, 0, 0], destination: .output(port: "o", index: 0))])
        let map = CoreMap(target: "tiny", geometry: CoreGeometry(axons: 16, neurons: 16, axonTypes: 4), chips: [2, 2], coresPerChip: [4, 4],
                          cores: [a, b], inputs: [InputPort(name: "x", shape: [2], targets: [[AxonAddress(core: 0, axon: 0)], [AxonAddress(core: 0, axon: 1)]])],
                          outputs: [OutputPort(name: "o", shape: [2], latency: 2)])
        return map
    }

    /// The base map as a JSON object, for the malformed cases to break.
    static func base() throws -> [String: Any] {
        let map = baseMap()
        return try #require(try JSONSerialization.jsonObject(with: Data(map.json.utf8)) as? [String: Any])
    }

    typealias Mutation = @Sendable (inout [String: Any]) -> Void

    static func core(_ k: Int, _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> Mutation {
        { top in
            var cores = top["cores"] as! [[String: Any]]  // the test's own base map
            change(&cores[k])
            top["cores"] = cores
        }
    }

    static func neuron(_ core: Int, _ k: Int, _ change: @escaping @Sendable (inout [String: Any]) -> Void) -> Mutation {
        self.core(core) { c in
            var neurons = c["neurons"] as! [[String: Any]]
            change(&neurons[k])
            c["neurons"] = neurons
        }
    }

    static let malformed: [(String, Mutation, String)] = [
        ("wrong format", { $0["format"] = "other.map" }, "expected \"tessera.coremap\""),
        ("future version", { $0["version"] = 2 }, "unsupported core map version 2"),
        ("unknown top-level field", { $0["routes"] = [] }, "top level: unknown field 'routes'"),
        ("core geometry differs from target", { $0["core"] = ["axons": 32, "neurons": 16, "axonTypes": 4] }, "does not match target 'tiny'"),
        ("board larger than target", { $0["board"] = ["chips": [3, 2], "coresPerChip": [4, 4]] }, "board.chips [3, 2] must be at least 1x1 and fit target 'tiny'"),
        ("ids not dense", core(1) { $0["id"] = 5 }, "core 1: id 5 must equal its position 1"),
        ("two cores in one place", core(1) { $0["chip"] = [0, 0] }, "core 1: chip [0, 0] xy [0, 0] is already used by another core"),
        ("chip outside board", core(1) { $0["chip"] = [2, 0] }, "core 1: chip [2, 0] is outside the board of 2x2 chips"),
        ("place outside chip", core(1) { $0["xy"] = [4, 0] }, "core 1: xy [4, 0] is outside the chip of 4x4 cores"),
        ("axon type out of range", core(0) { $0["axonTypes"] = [0, 4] }, "core 0, axon 1: axon type 4 is out of range 0..3"),
        ("too many axon types", core(0) { $0["axonTypes"] = Array(repeating: 0, count: 17) }, "has 17 entries but a core has 16 axons"),
        ("crossbar row too short", core(0) { $0["crossbar"] = ["800"] }, "core 0, axon 0: crossbar row must be a string of 4 hex digits"),
        ("crossbar row not hex", core(0) { $0["crossbar"] = ["80g0"] }, "core 0, axon 0: crossbar row must be a string of 4 hex digits"),
        ("too many crossbar rows", core(0) { $0["crossbar"] = Array(repeating: "0000", count: 17) }, "has more than 16 rows but a core has 16 axons"),
        ("neuron index out of range", neuron(0, 1) { $0["index"] = 16 }, "core 0, neuron 16: neuron index out of range 0..15"),
        ("neurons out of order", neuron(0, 1) { $0["index"] = 0 }, "core 0, neuron 0: neurons must be listed once each, in ascending index order"),
        ("weight beyond 9 bits", neuron(0, 0) { $0["weights"] = [300, 0, 0, 0] }, "core 0, neuron 0: weight 300 for axon type 0 exceeds the 9-bit signed range -256..255"),
        ("threshold beyond 18 bits", neuron(0, 0) { $0["threshold"] = 300_000 }, "threshold 300000 exceeds the 18-bit unsigned range 0..262143"),
        ("negative threshold value", neuron(0, 0) { $0["negThreshold"] = -1 }, "negThreshold -1 exceeds the 18-bit unsigned range"),
        ("leak beyond 9 bits", neuron(0, 0) { $0["leak"] = -257 }, "leak -257 exceeds the 9-bit signed range -256..255"),
        ("initial potential beyond membrane", neuron(0, 0) { $0["initialPotential"] = 600_000 }, "initialPotential 600000 exceeds the 20-bit membrane range"),
        ("delay zero", neuron(0, 0) { $0["destination"] = ["core": 1, "axon": 0, "delay": 0] }, "core 0, neuron 0: delay 0 is outside the target's range 1..15"),
        ("delay sixteen", neuron(0, 0) { $0["destination"] = ["core": 1, "axon": 0, "delay": 16] }, "delay 16 is outside the target's range 1..15"),
        ("destination core missing", neuron(0, 0) { $0["destination"] = ["core": 9, "axon": 0, "delay": 1] }, "destination core 9 does not exist"),
        ("destination axon out of range", neuron(0, 0) { $0["destination"] = ["core": 1, "axon": 16, "delay": 1] }, "destination axon 16 is out of range 0..15"),
        ("two destinations", neuron(0, 0) { $0["destination"] = ["core": 1, "axon": 0, "delay": 1, "output": "o", "index": 0] }, "a neuron has exactly one destination"),
        ("undeclared output port", neuron(0, 1) { $0["destination"] = ["output": "p", "index": 0] }, "output port 'p' is not declared"),
        ("output element undriven", neuron(0, 1) { $0["destination"] = NSNull() }, "output 'o' element 1 is driven by no neuron"),
        ("unknown neuron field", neuron(0, 0) { $0["treshold"] = 3 }, "unknown field 'treshold'; did you mean 'threshold'?"),
        ("unknown reset mode", neuron(0, 0) { $0["reset"] = "soft" }, "expected one of normal, linear, none"),
        ("string for an integer", neuron(0, 0) { $0["threshold"] = "5" }, "threshold, got a string"),
        ("boolean for an integer", neuron(0, 0) { $0["leak"] = true }, "leak, got a boolean"),
        ("input targets count", { top in
            var inputs = top["inputs"] as! [[String: Any]]
            inputs[0]["targets"] = [[[0, 0]]]
            top["inputs"] = inputs
        }, "input 'x': 1 target lists for 2 elements"),
        ("input target core missing", { top in
            var inputs = top["inputs"] as! [[String: Any]]
            inputs[0]["targets"] = [[[0, 0]], [[7, 1]]]
            top["inputs"] = inputs
        }, "input 'x' element 1: core 7 does not exist"),
        ("unknown target", { $0["target"] = "truenorht" }, "unknown target 'truenorht'; did you mean 'truenorth'?"),
    ]

    @Test func thereAreAtLeastTwentyCases() { #expect(Self.malformed.count >= 20) }

    @Test(arguments: 0..<malformed.count)
    func malformedMapsAreRejected(_ k: Int) throws {
        let (name, mutate, message) = Self.malformed[k]
        var top = try Self.base()
        mutate(&top)
        let data = try JSONSerialization.data(withJSONObject: top)
        do {
            // An explicit target unless the case is about the map's own target name.
            _ = try CoreMapReader.parse(data, file: "bad.json", target: name == "unknown target" ? nil : Self.tiny)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.description.contains(message), "\(name): \(error.description)")
        }
        // And through the command line: exit 1, the same message, no crash.
        let dir = try TestSupport.temporaryDirectory()
        let mapPath = dir.appendingPathComponent("bad.json").path
        let spikes = dir.appendingPathComponent("in.json").path
        try data.write(to: URL(fileURLWithPath: mapPath))
        try Data("{\"ticks\": 1, \"spikes\": {}}".utf8).write(to: URL(fileURLWithPath: spikes))
        let run = try TestSupport.tessera(["emulate", mapPath, "--spikes", spikes, "--ticks", "1"])
        #expect(run.status == 1, "\(name): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
    }

    @Test func notJSONIsRejected() throws {
        do {
            _ = try CoreMapReader.parse(Data("{ \"format\": ".utf8), file: "bad.json", target: Self.tiny)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("bad.json:1:13: error: expected a string for format, got the end of the file"), "\(error)")
        }
    }
}

/// `tessera emulate` end to end on the two-core map of ``CoreMapFileTests/base()``:
/// input element 0 -> core 0 neuron 0 -> (delay 2) core 1 neuron 0 -> output o[0];
/// input element 1 -> core 0 neuron 1 -> output o[1] at once. All thresholds are 1.
@Suite struct EmulateCommandTests {
    func mapFile() throws -> (dir: URL, map: String) {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("map.json").path
        try JSONSerialization.data(withJSONObject: try CoreMapFileTests.base()).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test func spikeFileInSpikeFileOut() throws {
        let (dir, map) = try mapFile()
        let spikes = dir.appendingPathComponent("in.json").path
        let out = dir.appendingPathComponent("out.json").path
        try Data("{\"ticks\": 4, \"spikes\": {\"x\": [[0, 0], [1, 1]]}}".utf8).write(to: URL(fileURLWithPath: spikes))
        let run = try TestSupport.tessera(["emulate", map, "--spikes", spikes, "--ticks", "5", "-o", out, "--trace-potentials", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let o = try #require((json["outputs"] as? [String: Any])?["o"] as? [String: Any])
        // Element 0 enters at tick 0, core 0 fires at 0, core 1 integrates at 0 + 2 = 2 and
        // fires o[0] at tick 2; element 1 enters at tick 1 and fires o[1] at tick 1.
        #expect((o["spikes"] as? [[Int]]) == [[1, 1], [2, 0]])
        #expect((o["counts"] as? [Int]) == [1, 1])
        let stats = try #require(json["stats"] as? [String: Int])
        // Three firings; one routed hop from chip (0,0) to chip (1,0): 4 cores over, 1 crossing.
        #expect(stats["spikes"] == 3 && stats["hops"] == 4 && stats["chipCrossings"] == 1)
        #expect(((json["trace"] as? [String: Any])?["potentials"] as? [[Int]])?.count == 5)
    }

    @Test func numpyBatchGivesOneResultPerSample() throws {
        let (dir, map) = try mapFile()
        let out = dir.appendingPathComponent("out.json").path
        // batch.npy holds [[1, 0], [0, 1], [1, 1]]: binary encoding, one tick of input.
        let run = try TestSupport.tessera(["emulate", map, "--input", "\(TestSupport.npyFixtures)/batch.npy", "--encoding", "binary",
                                           "--ticks", "4", "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let samples = try #require(json["samples"] as? [[String: Any]])
        let counts = samples.map { (($0["outputs"] as? [String: Any])?["o"] as? [String: Any])?["counts"] as? [Int] }
        #expect(counts == [[1, 0], [0, 1], [1, 1]])
        let argmax = samples.map { (($0["outputs"] as? [String: Any])?["o"] as? [String: Any])?["argmax"] as? Int }
        #expect(argmax == [0, 1, 0])
        #expect(run.stdout.contains("sample 2:"))
    }

    @Test func badInputsExitOne() throws {
        let (dir, map) = try mapFile()
        let spikes = dir.appendingPathComponent("in.json").path
        try Data("{\"ticks\": 2, \"spikes\": {\"y\": [[0, 0]], \"x\": [[5, 0], [0, 9]]}}".utf8).write(to: URL(fileURLWithPath: spikes))
        let run = try TestSupport.tessera(["emulate", map, "--spikes", spikes, "--ticks", "2"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("input 'y' is not a port of the core map"))
        #expect(run.stderr.contains("tick 5 is outside 0..1"))
        #expect(run.stderr.contains("index 9 is outside the port's 2 elements"))
        let wrongShape = try TestSupport.tessera(["emulate", map, "--input", "\(TestSupport.npyFixtures)/f4.npy", "--encoding", "rate", "--ticks", "2"])
        #expect(wrongShape.status == 1)
        #expect(wrongShape.stderr.contains("shape (3, 4) matches neither input 'x' of shape (2,)"))
    }
}
