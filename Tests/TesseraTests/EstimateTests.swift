import Foundation
import Testing
@testable import Tessera

/// Resource and energy estimates worked out by hand for a two-core network, analytic and
/// measured modes agreeing when the rates agree, and the chip picture.
@Suite struct EstimateTests {
    /// tiny's geometry with every energy coefficient set to a round number, so each term
    /// below can be checked by hand.
    static let yaml = """
    name: estimate-test
    description: tiny cores with round energy figures
    core: { axons: 16, neurons: 16, axonTypes: 4, weightBits: 9, leakBits: 9, membraneBits: 20, thresholdBits: 18,
            negThresholdBits: 18, resetBits: 18, thresholdMaskBits: 17, randomBits: 8 }
    timing: { tickHz: 1000, delay: [1, 15] }
    chip: { cores: [4, 4] }
    board: { chips: [2, 2] }
    energy:
      staticPower: { value: 40, unit: mW, source: test }
      activeSynapticEvent: { value: 10, unit: pJ, source: test }
      spike: { value: 3, unit: pJ, source: test }
      neuronUpdate: { value: 1, unit: pJ, source: test }
      hop: { value: 2, unit: pJ, source: test }
      chipCrossing: { value: 100, unit: pJ, source: test }
      mac45nm: { value: 4.6, unit: pJ, source: test }
      ac45nm: { value: 0.9, unit: pJ, source: test }
    """

    static func target() throws -> Target {
        try Target.load(TestSupport.write(yaml, named: "estimate-test.yaml"))
    }

    /// Input x (2 elements) -> core 0 (layer a, chip [0,0]) -> core 1 (layer b, chip [1,0],
    /// 4 mesh hops and 1 chip crossing away) -> output y. Crossbars: core 0 axon 0 -> neurons
    /// 0, 1 and axon 1 -> neuron 1; core 1 axon 0 -> neuron 0 and axon 1 -> neurons 0, 1.
    /// Neuron i of core 0 feeds axon i of core 1. Weights 1, threshold 1, reset to 0.
    static func map() -> CoreMap {
        func core(_ id: Int, chip: [Int], rows: [[Int]], destinations: [Destination], layer: Int) -> CoreConfig {
            var crossbar = Crossbar(axons: 16, neurons: 16)
            for (axon, neurons) in rows.enumerated() { for n in neurons { crossbar[axon, n] = true } }
            var config = CoreConfig(id: id, chip: chip, place: [0, 0], axonTypes: [UInt8](repeating: 0, count: 16), crossbar: crossbar,
                                    neurons: destinations.enumerated().map { NeuronConfig(index: $0, weights: [1, 0, 0, 0], destination: $1) })
            config.layer = layer
            return config
        }
        var map = CoreMap(target: "estimate-test", geometry: CoreGeometry(axons: 16, neurons: 16, axonTypes: 4), chips: [2, 2], coresPerChip: [4, 4])
        map.cores = [
            core(0, chip: [0, 0], rows: [[0, 1], [1]], destinations: [.axon(core: 1, axon: 0, delay: 1), .axon(core: 1, axon: 1, delay: 1)], layer: 0),
            core(1, chip: [1, 0], rows: [[0], [0, 1]], destinations: [.output(port: "y", index: 0), .output(port: "y", index: 1)], layer: 1),
        ]
        map.inputs = [InputPort(name: "x", shape: [2], targets: [[AxonAddress(core: 0, axon: 0)], [AxonAddress(core: 0, axon: 1)]])]
        map.outputs = [OutputPort(name: "y", shape: [2], latency: 1)]
        map.layers = [LayerLabel(name: "a", op: "dense", neurons: 2), LayerLabel(name: "b", op: "dense", neurons: 2)]
        return map
    }

    @Test func resourcesOfTheTwoCoreMap() throws {
        let map = Self.map()
        // The labels survive the file: written, read back, equal.
        #expect(try CoreMapReader.parse(Data(map.json.utf8), file: "two.json", target: try Self.target()) == map)
        let r = ResourceEstimate(map)
        #expect((r.cores, r.chips, r.hardwareNeurons, r.networkNeurons, r.duplicatedNeurons) == (2, 2, 4, 4, 0))
        // 4 axons with synapses (2 per core) carrying 3 + 3 synapses; 2 input pins, 2 output pins.
        #expect((r.axonsUsed, r.synapses, r.inputPins, r.outputPins) == (4, 6, 2, 2))
        #expect(r.layers.map(\.name) == ["a", "b"] && r.layers.map(\.synapses) == [3, 3])
        #expect(r.layers[0].axonUtilisation == 2.0 / 16 && r.layers[0].neuronUtilisation == 2.0 / 16)
    }

    /// Every neuron fires every tick when both inputs spike every tick (core 0: neuron 0
    /// gets 1, neuron 1 gets 2; core 1: neuron 0 gets 2, neuron 1 gets 1; threshold 1). So
    /// at rate 1, per tick: synaptic events = inputs (2 + 1) + core 0's spikes (1 + 2) = 6;
    /// spikes 4; neuron updates 4; hops 2 routes x 4 = 8; chip crossings 2.
    /// A frame of 10 ticks at 1 kHz lasts 0.01 s:
    ///   static     40 mW x 2 chips x 0.01 s = 0.8 mJ
    ///   events     60 x 10 pJ  =   600 pJ
    ///   spikes     40 x 3 pJ   =   120 pJ
    ///   updates    40 x 1 pJ   =    40 pJ
    ///   hops       80 x 2 pJ   =   160 pJ
    ///   crossings  20 x 100 pJ = 2,000 pJ      total 0.8 mJ + 2,920 pJ
    @Test func energyOfTheTwoCoreMapByHand() throws {
        let target = try Self.target()
        let activity = Activity.analytic(Self.map(), rates: { _ in 1 }, inputRate: 1, ticks: 10, source: "test")
        #expect((activity.synapticEvents, activity.spikes, activity.neuronUpdates, activity.hops, activity.chipCrossings) == (60, 40, 40, 80, 20))
        let energy = EnergyEstimate(activity: activity, chips: 2, target: target)
        let terms = Dictionary(uniqueKeysWithValues: energy.terms.map { ($0.name, $0.joules ?? -1) })
        #expect(abs((terms["static"] ?? 0) - 0.8e-3) < 1e-15)
        for (name, pJ) in [("synaptic events", 600.0), ("spikes", 120), ("neuron updates", 40), ("hops", 160), ("chip crossings", 2000)] {
            #expect(abs((terms[name] ?? 0) - pJ * 1e-12) < 1e-18, "\(name)")
        }
        #expect(abs(energy.joules - (0.8e-3 + 2920e-12)) < 1e-15)
        // 100 MACs x 4.6 pJ = 460 pJ against 60 events x 0.9 pJ = 54 pJ.
        let ann = try #require(AnnComparison(macs: 100, synapticEvents: activity.synapticEvents, target: target))
        #expect(abs(ann.ratio - 460.0 / 54.0) < 1e-12)
        // Frames: 10 ticks at 1 kHz = 100 frames/s; the last output 10 + 1 ticks after a frame starts.
        let report = EstimateReport(map: Self.map(), target: target, activity: activity, annMACs: 100)
        #expect(report.timing.framesPerSecond == 100 && report.timing.ticksToLastOutput == 11)
        #expect(report.lines.contains { $0.contains("chip crossings: 20 crossings x 100 pJ (chipCrossing) = 2 nJ") })
    }

    /// The emulator's counters over one steady-state tick (a run of 6 ticks minus a run of
    /// 5, both with every input spiking every tick) equal the analytic counts at rate 1.
    @Test func measuredAgreesWithAnalyticAtTheSameRates() throws {
        let target = try Self.target()
        let map = Self.map()
        let emulator = try Emulator(map: map, target: target)
        func run(_ ticks: Int) -> EmulationStats {
            let events = (0..<ticks).flatMap { t in [SpikeInput.Event(tick: t, index: 0), SpikeInput.Event(tick: t, index: 1)] }
            return emulator.run(SpikeInput(ticks: ticks, spikes: ["x": events]), ticks: ticks).stats
        }
        let (long, short) = (run(6), run(5))
        var step = EmulationStats()
        step.spikes = long.spikes - short.spikes
        step.synapticEvents = long.synapticEvents - short.synapticEvents
        step.hops = long.hops - short.hops
        step.chipCrossings = long.chipCrossings - short.chipCrossings
        let measured = Activity.measured(step, ticksRun: 1, ticks: 10, neurons: 4, source: "emulator")
        var analytic = Activity.analytic(map, rates: { _ in 1 }, inputRate: 1, ticks: 10, source: "emulator")
        // Both chip crossings per tick (20 in 10 ticks) take the one link between the chips;
        // measured counters do not say which link a packet took.
        let links = try #require(analytic.links).summary()
        #expect(links.largest == measured.chipCrossings / 10 && links.used == 1)
        analytic.links = nil
        #expect(measured == analytic)
        let (e1, e2) = (EnergyEstimate(activity: measured, chips: 2, target: target), EnergyEstimate(activity: analytic, chips: 2, target: target))
        #expect(e1.joules == e2.joules)
    }

    /// A target without a coefficient leaves its term out and says so; TrueNorth's folds
    /// spikes and neuron updates into its active synaptic-event figure.
    @Test func missingCoefficientsAreNamed() throws {
        let truenorth = try Target.load(TestSupport.target("truenorth"))
        let activity = Activity.analytic(Self.map(), rates: { _ in 0.5 }, inputRate: 0.5, ticks: 1, source: "test")
        let energy = EnergyEstimate(activity: activity, chips: 1, target: truenorth)
        #expect(energy.terms.filter { $0.joules == nil }.map(\.coefficientKey) == ["spike", "neuronUpdate"])
        let report = EstimateReport(map: Self.map(), target: truenorth, activity: activity)
        #expect(report.lines.contains("  spikes: not modelled (target has no 'spike')"))
    }

    @Test func badActivityFilesAreNamed() throws {
        let missing = try TestSupport.write("{\"ticks\": 4, \"outputs\": {}}", named: "activity.json")
        let noStats = #expect(throws: DiagnosticError.self) { try Activity.loadCounters(path: missing) }
        #expect(noStats?.description.contains("activity.json") == true && noStats?.description.contains("has no 'stats'") == true, "\(noStats?.description ?? "")")
        let garbage = try TestSupport.write("{\"ticks\": 4,", named: "garbage.json")
        do {
            _ = try Activity.loadCounters(path: garbage)
            Issue.record("a truncated activity file was accepted")
        } catch {
            #expect(error.description.contains("garbage.json") && error.description.contains("not valid JSON"))
        }
    }

    /// The picture: one cell per core, coloured by layer, the legend names both layers with
    /// their cores; a board too large for one cell per core is drawn in blocks.
    @Test func chipPicture() throws {
        let svg = ChipPicture(BoardUsage(Self.map()), title: "two cores", routes: 1).svg()
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains(">a (1)</text>") && svg.contains(">b (1)</text>"))
        #expect(svg.contains("fill=\"\(ChipPicture.palette[0])\"") && svg.contains("fill=\"\(ChipPicture.palette[1])\""))
        #expect(svg.components(separatedBy: "<line ").count == 2)  // one route drawn
        // 64 x 64 chips of 64 x 64 cores, one core per chip used at the far corner: blocks.
        let cores = (0..<64).map { BoardUsage.Core(x: $0 * 64 + 63, y: 63 * 64 + 63, layer: 0, role: .whole, utilisation: 1) }
        let big = ChipPicture(BoardUsage(chips: [64, 64], coresPerChip: [64, 64], layers: [LayerLabel(name: "a", op: "dense", neurons: 1)], cores: cores),
                              title: "big")
        #expect(big.blockSide == 32)  // 4096 x 4096 cores / 32 = 128 x 128 = 16,384 cells <= 20,000
        // By hand: the used mesh is the whole 4096 x 4096 board, 128 x 128 cells of 900 / 128 =
        // 7.03125 px. Core k at x = 64k + 63, y = 4095 is in block column (64k + 63) / 32 =
        // 2k + 1, row 127: 64 distinct blocks, each one core of layer a (palette 0) at full
        // use, so 64 opaque cells at y = 40 + 127 x 7.03125 = 932.97, from x = 10 + 7.03125 =
        // 17.03 to 10 + 127 x 7.03125 = 902.97; and 64 x 64 chip outlines, unfilled.
        let text = big.svg()
        let cells = text.split(separator: "\n").filter { $0.contains("width=\"7.03\" height=\"7.03\" fill=\"\(ChipPicture.palette[0])\"") }
        #expect(cells.count == 64, "\(cells.count) cells")
        #expect(cells.allSatisfy { $0.contains("y=\"932.97\"") && !$0.contains("fill-opacity") })
        #expect(cells.first?.contains("x=\"17.03\"") == true && cells.last?.contains("x=\"902.97\"") == true, "\(cells.first ?? "") ... \(cells.last ?? "")")
        #expect(text.components(separatedBy: "fill=\"none\" stroke=\"#222222\"").count - 1 == 64 * 64)
        #expect(text.contains(">64 cores on 64x64 chips of 64x64; one cell per 32x32 block of cores; shade = neurons used</text>") && text.contains(">a (64)</text>"))
    }

    /// The activity of one input frame, counted by hand: both inputs spike at tick 0, so in
    /// tick 0 core 0's neuron 0 (axon 0, weight 1) and neuron 1 (axons 0 and 1) reach the
    /// threshold 1: layer a fires 2. Delay 1: in tick 1 core 1's axons 0 and 1 spike, neuron
    /// 0 sees 2 and neuron 1 sees 1: layer b fires 2, both to output y. Tick 2 is silent.
    /// Rates over 3 ticks: 2 spikes / (2 neurons x 3 ticks) = 0.333 for each layer.
    @Test func activityPlotOfTheTwoCoreMap() throws {
        let map = Self.map(), target = try Self.target()
        let input = SpikeInput(ticks: 1, spikes: ["x": [.init(tick: 0, index: 0), .init(tick: 0, index: 1)]])
        let result = try Emulator(map: map, target: target).run(input, ticks: 3)
        let expected = LayerSpikes(names: ["a", "b", "(unlabelled)"], perTick: [[2, 0, 0], [0, 2, 0], [0, 0, 0]])
        #expect(result.layerSpikes == expected)
        let scalar = ScalarEmulator(map: map, target: target).run(input, ticks: 3)
        #expect(scalar == result)
        let path = try TestSupport.write(SpikeFile.json(result) + "\n", named: "two-core-activity.json")
        let record = try ActivityRecord.load(path: path)
        #expect(record.outputs == [ActivityRecord.Port(name: "y", count: 2, spikes: [[1, 0], [1, 1]])])
        let plot = ActivityPlot(record, map: map, title: "two cores")
        #expect(plot.layers.map(\.name) == ["a", "b"] && plot.layers.map(\.neurons) == [2, 2])
        let rates: [Double] = plot.layers.map(\.rate)
        #expect(rates == [2.0 / 6, 2.0 / 6])
        let svg = SVGWriter.svg(plot.drawing())
        #expect(svg.contains(">0.333</text>") && svg.contains(">output 'y': 2 spikes from 2 elements</text>"))

        // The PNG of the same drawing: a PNG signature and, in its IHDR chunk, the drawing's
        // size times the scale (rounded up).
        let drawing = plot.drawing()
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-activity-\(getpid()).png").path
        try PNGWriter.write(drawing, to: png, scale: 2)
        #expect(try TestSupport.pngSize(png) == (Int((drawing.width * 2).rounded(.up)), Int((drawing.height * 2).rounded(.up))))

        // A file without layer counts, or asking for a sample that is not there, is refused.
        let bare = try TestSupport.write("{\"ticks\": 3, \"outputs\": {}}", named: "bare-activity.json")
        let noCounts = #expect(throws: DiagnosticError.self) { try ActivityRecord.load(path: bare) }
        #expect(noCounts?.description.contains("bare-activity.json") == true && noCounts?.description.contains("has no 'layerSpikes'") == true,
                "\(noCounts?.description ?? "")")
        // The file holds one sample (index 0): asking for sample 1 names both.
        let noSample = #expect(throws: DiagnosticError.self) { try ActivityRecord.load(path: path, sample: 1) }
        #expect(noSample?.description.contains("has 1 sample(s); sample 1 does not exist") == true, "\(noSample?.description ?? "")")
    }

    /// A board counted core by core (as for networks whose map is too large to write) gives
    /// the written map's figures: the same resources, and uniform-rate activity equal to the
    /// map's analytic activity, which counts synaptic events on the sending side (each
    /// neuron's target row) where the tally counts them on the receiving side (each axon).
    @Test func countedCoreByCoreEqualsTheMap() throws {
        let target = try Target.load("truenorth")
        let net = try Network.load(TestSupport.fixtures + "/digits/cnn.yaml")
        let converted = try net.convert(net.conversion, calibration: nil, target: target).network
        let compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: target)).compile()
        let map = compiled.map
        let tally = compiled.tally(rate: 0.1, inputRate: 0.3)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let (a, b) = (try encoder.encode(tally.resources()), try encoder.encode(ResourceEstimate(map)))
        #expect(String(decoding: a, as: UTF8.self) == String(decoding: b, as: UTF8.self))
        let streamed = tally.activity(ticks: 32, source: "tally")
        let analytic = Activity.analytic(map, rates: { _ in 0.1 }, inputRate: 0.3, ticks: 32, source: "map")
        for key in [\Activity.spikes, \.synapticEvents, \.neuronUpdates, \.hops, \.chipCrossings] {
            #expect(abs(streamed[keyPath: key] - analytic[keyPath: key]) <= 1e-9 * max(1, analytic[keyPath: key]))
        }
        #expect(streamed.synapticEvents > 0 && streamed.hops > 0)
    }
}
