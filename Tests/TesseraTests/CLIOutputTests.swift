import CCairo
import Foundation
import Testing
@testable import Tessera

/// The normal output of `tessera report`, `tessera render` and `tessera plot`, run as the
/// user runs them, on examples/tiny-int.yaml compiled for the tiny target. The expected
/// figures are derived by hand from the network's weights (examples/tiny-int.npz) and the
/// mapping rules of docs/mapping.md, the formulas of docs/estimates.md and the figures of
/// targets/truenorth.yaml (which targets/tiny.yaml inherits), and the spike counts from the
/// reference simulator.
///
/// The network: x (4) -> hidden (dense 6, threshold 4) -> out (dense 3, threshold 2).
///   hidden.weight = [[7, 2, 2, 6], [1, 4, 5, -5], [-8, -4, -4, 5], [6, -8, -1, 5], [-6, 4, -7, -1], [5, -4, -3, -4]]
///   out.weight    = [[2, -2, 2, 0, 0, 0], [0, 0, 0, 3, 3, 3], [1, 0, 0, 1, 0, -1]]
/// - hidden: neurons with 4 distinct values (neuron 1: -5, 1, 4, 5) rule out `signed`, so
///   `levels(4)`: each neuron's sorted values are its types, an input's lanes are those its
///   weights select. Lanes used per input: x0 {2, 1, 0, 3, 1, 2} = 4, x1 {0, 2, 1, 0, 3, 0} = 4,
///   x2 {0, 3, 1, 1, 0, 1} = 3, x3 {1, 0, 2, 2, 2, 0} = 3: 14 axons, all input pins; 24
///   synapses (every weight is nonzero). One core (14 <= 16 axons).
/// - out: each neuron has at most one positive and one negative value: `signed`, one lane
///   per sign an input's weights use: h0 +, h1 -, h2 +, h3 +, h4 +, h5 + and -: 7 axons; 9
///   synapses (nonzero weights). One core.
/// - copies: a neuron has one destination, so h5 is sent twice: 7 hardware neurons for
///   hidden's 6, 1 copy; out's 3 drive output pins. 10 hardware neurons, 9 network neurons.
///   A copy is a whole neuron with its own crossbar column, so h5's 4 synapses are there
///   twice: hidden's core holds 24 + 4 = 28 synapses, and an input element reaches 7.
/// - 28 + 9 = 37 synapses on 14 + 7 = 21 axons.
@Suite(.serialized) struct CLIOutputTests {
    static let hidden = [[7, 2, 2, 6], [1, 4, 5, -5], [-8, -4, -4, 5], [6, -8, -1, 5], [-6, 4, -7, -1], [5, -4, -3, -4]]
    static let out = [[2, -2, 2, 0, 0, 0], [0, 0, 0, 3, 3, 3], [1, 0, 0, 1, 0, -1]]
    /// Synapses an out-layer axon fed by hidden neuron j's copies holds: its signs' weights.
    /// h0 -> + (out0, out2), h1 -> - (out0), h2 -> + (out0), h3 -> + (out1, out2), h4 -> +
    /// (out1), h5 -> + (out1) and - (out2).
    static let copies = [1, 1, 1, 1, 1, 2]
    static let outSynapsesPerSpike = [2, 1, 1, 2, 1, 2]

    struct Compiled {
        var dir: URL
        var map: String
        /// Mesh distance and chip steps from hidden's core to out's.
        var hops: Int
        var crossings: Int
        var chips: Int
        /// Mesh positions of hidden's and out's cores.
        var hiddenAt: (x: Int, y: Int)
        var outAt: (x: Int, y: Int)
    }

    /// Compiles tiny-int for the tiny target into a new folder; where its two cores sit is
    /// read from the map (placement is the compiler's choice; the counts are checked).
    static func compile() throws -> Compiled {
        let dir = try TestSupport.temporaryDirectory()
        let map = dir.appendingPathComponent("tiny.json").path
        let run = try TestSupport.tessera(["compile", TestSupport.example("tiny-int.yaml"), "--target", "tiny", "-o", map])
        try #require(run.status == 0, "\(run.stderr)")
        let loaded = try CoreMapFile.load(path: map, target: try Target.load("tiny"))
        try #require(loaded.cores.count == 2 && loaded.layers.map(\.name) == ["hidden", "out"])
        let h = try #require(loaded.cores.first { $0.layer == 0 }), o = try #require(loaded.cores.first { $0.layer == 1 })
        func mesh(_ c: CoreConfig) -> (x: Int, y: Int) { (c.chip[0] * 4 + c.place[0], c.chip[1] * 4 + c.place[1]) }
        let (p, q) = (mesh(h), mesh(o))
        return Compiled(dir: dir, map: map, hops: abs(p.x - q.x) + abs(p.y - q.y), crossings: abs(h.chip[0] - o.chip[0]) + abs(h.chip[1] - o.chip[1]),
                        chips: h.chip == o.chip ? 1 : 2, hiddenAt: p, outAt: q)
    }

    /// Counts and figures as the report prints them: four significant digits.
    static func number(_ x: Double) -> String { String(format: "%.4g", x) }

    /// An energy in pJ with the report's SI prefix (docs/estimates.md prints J, mJ, uJ, nJ, pJ).
    static func picojoules(_ pJ: Double) -> String {
        pJ >= 1000 ? number(pJ / 1000) + " nJ" : number(pJ) + " pJ"
    }

    /// `report --rate 0.5 --ticks 10`, by hand (docs/estimates.md), r = 0.5, 10 ticks:
    /// - synaptic events: (28 hidden synapses x the input rate + 9 out synapses x r) x 10 = 185;
    ///   spikes 10 hardware neurons x r x 10 = 50; neuron updates 10 x 10 = 100;
    ///   hops: hidden's 7 neurons x r x 10 x d = 35 d (d the cores' mesh distance); chip
    ///   crossings 35 x chip steps;
    /// - utilisation per layer: hidden axons 14/16 = 87.5% ("88%"), neurons 7/16 = 43.75%
    ///   ("44%"); out 7/16 ("44%"), 3/16 = 18.75% ("19%");
    /// - timing: 1000 Hz / 10 ticks = 100 frames/s; out's latency 1 (depth 2 - 1: hidden
    ///   fires in the tick its input arrives, out one tick later); last output 10 + 1 = 11;
    /// - energy: static 42 mW x 1 chip x 0.01 s = 420 uJ; 185 events x 8.57 pJ = 1.585 nJ;
    ///   hops x 2.3 pJ; no 'spike' or 'neuronUpdate' figure on TrueNorth; total 420 uJ to 4
    ///   digits, x 100 frames/s = 42 mW.
    @Test func reportOfTheTinyNetwork() throws {
        let c = try Self.compile()
        let run = try TestSupport.tessera(["report", c.map, "--rate", "0.5", "--ticks", "10"])
        try #require(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "resources on tiny: 2 cores on \(c.chips) chip(s); 10 hardware neurons for 9 network neurons (1 copies for fan-out); 37 synapses on 21 axons")
        #expect(lines.contains { $0.hasSuffix("; relay (splitter) cores 0, partial-sum cores 0, merge cores 0; input pins 14, output pins 3") })
        let table = lines.map { $0.split(separator: " ").map(String.init) }
        #expect(table.contains(["layer", "op", "cores", "neurons", "hw", "neurons", "axons", "synapses", "axon", "use", "neuron", "use"]))
        #expect(table.contains(["hidden", "dense", "1", "6", "7", "14", "28", "88%", "44%"]))
        #expect(table.contains(["out", "dense", "1", "3", "3", "7", "9", "44%", "19%"]))
        #expect(lines.contains("timing: 10 ticks per frame at 1000 Hz = 100.0 frames/s; output latency in ticks: out 1; last output 11 ticks after a frame starts"))
        let hops = 35 * c.hops, crossings = 35 * c.crossings
        #expect(lines.contains("activity per frame (analytic: every layer at 0.5 spikes per neuron per tick, inputs at 0.5): 185 synaptic events, 50 spikes, 100 neuron updates, \(hops) hops, \(crossings) chip crossings"))
        let staticLine = c.chips == 1 ? "  static: 0.01 chip-seconds x 42 mW (staticPower) = 420 uJ" : "  static: 0.02 chip-seconds x 42 mW (staticPower) = 840 uJ"
        #expect(lines.contains(staticLine))
        #expect(lines.contains("  synaptic events: 185 events x 8.57 pJ (activeSynapticEvent) = 1.585 nJ"))
        #expect(lines.contains("  spikes: not modelled (target has no 'spike')"))
        #expect(lines.contains("  neuron updates: not modelled (target has no 'neuronUpdate')"))
        #expect(lines.contains("  hops: \(hops) hops x 2.3 pJ (hop) = \(Self.picojoules(Double(hops) * 2.3))"))
        if c.chips == 1 {
            #expect(lines.contains("energy per frame: 420 uJ (42 mW at 100.0 frames/s)"))
            #expect(lines.contains("  chip crossings: 0 crossings x 832 pJ (chipCrossing) = 0 pJ"))
        }

        // The same report as JSON: the exact figures.
        let json = try TestSupport.tessera(["report", c.map, "--rate", "0.5", "--ticks", "10", "--json"])
        try #require(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let resources = try #require(object["resources"] as? [String: Any])
        #expect(resources["axonUtilisation"] as? Double == 21.0 / 32 && resources["neuronUtilisation"] as? Double == 10.0 / 32)
        #expect(resources["inputPins"] as? Int == 14 && resources["duplicatedNeurons"] as? Int == 1)
        let energy = try #require(object["energy"] as? [String: Any])
        let expected = 42e-3 * Double(c.chips) * 0.01 + 185 * 8.57e-12 + Double(hops) * 2.3e-12 + Double(crossings) * 832e-12
        let joules = try #require(energy["joules"] as? Double)
        #expect(abs(joules - expected) < 1e-15)
        let timing = try #require(object["timing"] as? [String: Any])
        #expect(timing["framesPerSecond"] as? Double == 100 && timing["ticksToLastOutput"] as? Int == 11)

        // Given the network instead of the map, report compiles it and counts core by core:
        // the same resources and counts.
        let streamed = try TestSupport.tessera(["report", TestSupport.example("tiny-int.yaml"), "--target", "tiny", "--rate", "0.5", "--ticks", "10"])
        try #require(streamed.status == 0, "\(streamed.stderr)")
        let other = streamed.stdout.split(separator: "\n").map(String.init)
        #expect(other.first == lines.first)
        #expect(other.contains { $0.hasPrefix("activity per frame (analytic: every layer of tiny-int at 0.5 spikes per neuron per tick, inputs at 0.5; counted core by core): 185 synaptic events, 50 spikes, 100 neuron updates, \(hops) hops") })
    }

    /// Spike counts of hidden and out per element over `ticks` ticks of
    /// examples/tiny-int.spikes.json, and the last tick hidden fires in, from the reference
    /// simulator on a copy of the network whose outputs are both layers.
    static func referenceCounts(ticks: Int) throws -> (hidden: [Int], out: [Int], lastHidden: Int, inputSpikes: Int) {
        let yaml = """
        network: tiny-int-probe
        inputs:
          x: { shape: [4], encoding: rate }
        weights: \(TestSupport.example("tiny-int.npz"))
        defaults:
          neuron: { model: if, threshold: 4, reset: subtract }
          dense: { bias: false }
        layers:
          - { name: hidden, op: dense, out: 6 }
          - { name: out, op: dense, out: 3, neuron: { threshold: 2 } }
        outputs: [hidden, out]
        """
        let net = try Network.load(try TestSupport.write(yaml))
        // The weights the derivations above use.
        #expect(net.graph.parameters.tensor("hidden.weight")?.values.map { Int($0) } == Self.hidden.flatMap { $0 })
        #expect(net.graph.parameters.tensor("out.weight")?.values.map { Int($0) } == Self.out.flatMap { $0 })
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.example("tiny-int.spikes.json")))
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pairs = try #require((file["spikes"] as? [String: Any])?["x"] as? [[Int]])
        let input = SpikeInput(ticks: try #require(file["ticks"] as? Int), spikes: ["x": pairs.map { SpikeInput.Event(tick: $0[0], index: $0[1]) }])
        let result = ReferenceSimulator(try IntegerNetwork.check(net.graph, target: try Target.load("tiny"))).run(input, ticks: ticks)
        let ports = Dictionary(uniqueKeysWithValues: result.outputs.map { ($0.name, $0) })
        let hidden = try #require(ports["hidden"]), out = try #require(ports["out"])
        return (hidden.counts, out.counts, hidden.spikes.map(\.tick).max() ?? -1, pairs.filter { $0[0] < ticks }.count)
    }

    /// `emulate` (40 ticks) then `report --activity` and `plot` on its output, against the
    /// reference simulator. Inputs end at tick 11; hidden's neurons keep firing off what
    /// they integrated (subtract reset, one spike per tick) and stop well before tick 39, so
    /// every spike is delivered within the run (checked):
    /// - the emulator's spikes are hidden's spikes with h5 counted twice (its copy) plus
    ///   out's; synaptic events are every input spike x 7 (each input's six weights are
    ///   nonzero, one synapse each, and h5's copy repeats h5's) plus each hidden spike x the
    ///   synapses its axons hold;
    ///   hops are hidden's hardware spikes x the cores' distance, crossings x chip steps;
    /// - report scales the counters to an 80-tick frame (x 80 / 40) and counts 10 neurons x
    ///   80 updates; 1000 Hz / 80 = 12.5 frames/s; static 42 mW x 1 chip x 0.08 s = 3.36 mJ;
    /// - plot: per layer its hardware spikes and neurons (hidden 7, out 3) and the rate
    ///   spikes / (neurons x 40), three decimals.
    @Test func measuredReportAndPlotOfAnEmulation() throws {
        let c = try Self.compile()
        let ticks = 40
        let outPath = c.dir.appendingPathComponent("out.json").path
        let emulate = try TestSupport.tessera(["emulate", c.map, "--spikes", TestSupport.example("tiny-int.spikes.json"), "--ticks", "\(ticks)", "-o", outPath])
        try #require(emulate.status == 0, "\(emulate.stderr)")
        let ref = try Self.referenceCounts(ticks: ticks)
        try #require(ref.lastHidden < ticks - 1, "hidden fires until tick \(ref.lastHidden): its last spikes would arrive after the run")
        let hiddenSpikes = zip(ref.hidden, Self.copies).reduce(0) { $0 + $1.0 * $1.1 }
        let outSpikes = ref.out.reduce(0, +)
        #expect(hiddenSpikes > 0 && outSpikes > 0, "the example should make both layers fire")
        let events = ref.inputSpikes * 7 + zip(ref.hidden, Self.outSynapsesPerSpike).reduce(0) { $0 + $1.0 * $1.1 }

        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outPath))) as? [String: Any])
        let stats = try #require(file["stats"] as? [String: Any], "\(file.keys)")
        #expect(stats["spikes"] as? Int == hiddenSpikes + outSpikes)
        #expect(stats["synapticEvents"] as? Int == events)
        #expect(stats["hops"] as? Int == hiddenSpikes * c.hops)
        #expect(stats["chipCrossings"] as? Int == hiddenSpikes * c.crossings)

        let report = try TestSupport.tessera(["report", c.map, "--activity", outPath, "--ticks", "80"])
        try #require(report.status == 0, "\(report.stderr)")
        let lines = report.stdout.split(separator: "\n").map(String.init)
        let counts = [events * 2, (hiddenSpikes + outSpikes) * 2, 800, hiddenSpikes * c.hops * 2, hiddenSpikes * c.crossings * 2].map { Self.number(Double($0)) }
        #expect(lines.contains("activity per frame (measured: counters of \(outPath), 40 ticks): \(counts[0]) synaptic events, \(counts[1]) spikes, \(counts[2]) neuron updates, \(counts[3]) hops, \(counts[4]) chip crossings"),
                "\(lines)")
        #expect(lines.contains("timing: 80 ticks per frame at 1000 Hz = 12.5 frames/s; output latency in ticks: out 1; last output 81 ticks after a frame starts"))
        if c.chips == 1 { #expect(lines.contains("  static: 0.08 chip-seconds x 42 mW (staticPower) = 3.36 mJ")) }
        #expect(lines.contains("  synaptic events: \(counts[0]) events x 8.57 pJ (activeSynapticEvent) = \(Self.picojoules(Double(events * 2) * 8.57))"))

        // plot, SVG: the per-layer lines and the raster's title.
        let svg = c.dir.appendingPathComponent("plot.svg").path
        let plot = try TestSupport.tessera(["plot", outPath, "--map", c.map, "-o", svg])
        try #require(plot.status == 0, "\(plot.stderr)")
        func rate(_ spikes: Int, _ neurons: Int) -> String { String(format: "%.3f", Double(spikes) / Double(neurons * ticks)) }
        #expect(plot.stdout == """
            wrote \(svg): 2 layers, 40 ticks, 1 output ports
              hidden: \(hiddenSpikes) spikes from 7 neurons, rate \(rate(hiddenSpikes, 7))
              out: \(outSpikes) spikes from 3 neurons, rate \(rate(outSpikes, 3))

            """)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.contains(">output 'out': \(outSpikes) spikes from 3 elements</text>"))
        #expect(text.contains(">40 ticks; rate = spikes per hardware neuron per tick</text>"))
        #expect(text.contains(">out.json on tiny.json</text>"))

        // plot, PNG: the drawing is 10 + 150 + 520 + 90 = 770 wide and 50 + 2 layers x 32 +
        // 90 + 1 port x 200 = 404 high; at scale 1.5, 1155 x 606.
        let png = c.dir.appendingPathComponent("plot.png").path
        let plotPNG = try TestSupport.tessera(["plot", outPath, "--map", c.map, "-o", png, "--scale", "1.5"])
        try #require(plotPNG.status == 0, "\(plotPNG.stderr)")
        #expect(try TestSupport.pngSize(png) == (1155, 606))
    }

    /// `render` of the compiled map: one cell per core at its mesh position (cell 24 units
    /// while the used part of the board is at most 900 / 24 = 37 cores a side), coloured by
    /// layer (palette #1f77b4, #ff7f0e), shaded by use 0.25 + 0.75 x neurons / 16: hidden
    /// 7/16 -> 0.578 ("0.58"), out 3/16 -> 0.391 ("0.39"); the route hidden -> out (7
    /// neurons, the heaviest, so 3 units wide). The PNG's size at scale 2 follows from the
    /// mesh: the used chips' cores x 24 + 280 wide, max(their rows x 24 + 50, 40 + 5 x 16)
    /// high; a pixel inside hidden's cell is #1f77b4 at 0.578 over #f4f4f4.
    @Test func renderOfTheCompiledMap() throws {
        let c = try Self.compile()
        let svgPath = c.dir.appendingPathComponent("chip.svg").path
        let run = try TestSupport.tessera(["render", c.map, "-o", svgPath, "--routes", "5"])
        try #require(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "wrote \(svgPath): 2 cores, one cell per core\n")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        let width = (max(c.hiddenAt.x, c.outAt.x) / 4 + 1) * 4, height = (max(c.hiddenAt.y, c.outAt.y) / 4 + 1) * 4
        #expect(max(width, height) <= 37)
        func cell(_ p: (x: Int, y: Int), _ fill: String, _ opacity: String) -> String {
            "<rect x=\"\(10 + 24 * p.x)\" y=\"\(40 + 24 * p.y)\" width=\"24\" height=\"24\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>"
        }
        let cells = svg.split(separator: "\n").filter { $0.contains("stroke=\"#ffffff\"") }.map(String.init)
        #expect(Set(cells) == [cell(c.hiddenAt, "#1f77b4", "0.58"), cell(c.outAt, "#ff7f0e", "0.39")] && cells.count == 2)
        #expect(svg.contains(">hidden (1)</text>") && svg.contains(">out (1)</text>") && !svg.contains("unlabelled"))
        #expect(svg.contains(">tiny.json on tiny</text>"))
        #expect(svg.contains(">2 cores on \(width / 4)x\(height / 4) chips of 4x4; one cell per core; shade = neurons used</text>"))
        let lines = svg.split(separator: "\n").filter { $0.hasPrefix("<line") }
        #expect(lines == ["<line x1=\"\(22 + 24 * c.hiddenAt.x)\" y1=\"\(52 + 24 * c.hiddenAt.y)\" x2=\"\(22 + 24 * c.outAt.x)\" y2=\"\(52 + 24 * c.outAt.y)\" stroke=\"#000000\" stroke-width=\"3\" stroke-opacity=\"0.6\" shape-rendering=\"auto\"/>"])
        // One chip boundary per used chip.
        #expect(svg.components(separatedBy: "stroke=\"#222222\"").count - 1 == (width / 4) * (height / 4))

        let pngPath = c.dir.appendingPathComponent("chip.png").path
        let png = try TestSupport.tessera(["render", c.map, "-o", pngPath, "--scale", "2"])
        try #require(png.status == 0, "\(png.stderr)")
        let (w, h) = (10 + 24 * width + 10 + 260, max(40 + 24 * height + 10, 40 + 5 * 16))
        #expect(try TestSupport.pngSize(pngPath) == (2 * w, 2 * h))
        let surface = try #require(cairo_image_surface_create_from_png(pngPath))
        defer { cairo_surface_destroy(surface) }
        let data = try #require(cairo_image_surface_get_data(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        // 6 units inside the cell's corner, at 2 pixels per unit.
        let (px, py) = (2 * (10 + 24 * c.hiddenAt.x + 6), 2 * (40 + 24 * c.hiddenAt.y + 6))
        let pixel = UnsafeRawPointer(data + py * stride + 4 * px).loadUnaligned(as: UInt32.self) & 0xFFFFFF
        // f4 + 0.578125 (c - f4) for c = 1f, 77, b4: (120.9, 171.7, 207.0).
        #expect(RenderTests.close(pixel, 0x79ACCF), "\(String(pixel, radix: 16))")

        // Drawn from the network itself: the same two cores.
        let fromNet = c.dir.appendingPathComponent("net.svg").path
        let net = try TestSupport.tessera(["render", TestSupport.example("tiny-int.yaml"), "--target", "tiny", "-o", fromNet])
        try #require(net.status == 0, "\(net.stderr)")
        #expect(net.stdout == "wrote \(fromNet): 2 cores, one cell per core\n")
        let netSVG = try String(contentsOfFile: fromNet, encoding: .utf8)
        #expect(netSVG.contains(">hidden (1)</text>") && netSVG.contains(">out (1)</text>") && netSVG.contains(">tiny-int on tiny</text>"))
    }

    /// Refusals name what is wrong.
    @Test func refusalsAreExplained() throws {
        let c = try Self.compile()
        let both = try TestSupport.tessera(["report", c.map, "--rate", "0.5", "--activity", "x.json"])
        #expect(both.status != 0 && both.stderr.contains("give at most one of --rate, --rates (analytic) or --activity (measured)"), "\(both.stderr)")
        let badRate = try TestSupport.tessera(["report", c.map, "--rate", "1.5"])
        #expect(badRate.status != 0 && badRate.stderr.contains("rates are spikes per neuron per tick, in 0...1 (got 1.5)"), "\(badRate.stderr)")
        let noRate = try TestSupport.tessera(["report", TestSupport.example("tiny-int.yaml"), "--target", "tiny"])
        #expect(noRate.status == 1 && noRate.stderr.contains("a network is counted at one rate for every layer: give --rate"), "\(noRate.stderr)")
        let scale = try TestSupport.tessera(["render", c.map, "-o", c.dir.appendingPathComponent("x.svg").path, "--scale", "20"])
        #expect(scale.status == 1 && scale.stderr.contains("--scale must be in (0, 16], got 20.0"), "\(scale.stderr)")
        let missing = c.dir.appendingPathComponent("missing.json").path
        let plot = try TestSupport.tessera(["plot", missing, "--map", c.map, "-o", c.dir.appendingPathComponent("p.svg").path])
        #expect(plot.status == 1 && plot.stderr.contains(missing), "\(plot.stderr)")
    }
}
