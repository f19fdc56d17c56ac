import Foundation
import Testing
@testable import Tessera

/// `BoardTally` (Sources/Estimate/BoardTally.swift): resources and uniform-rate activity
/// counted core by core, through both of its entry points (a `CoreConfig` with a position
/// function, and a packed map's shared tables), merged from disjoint tallies, and with the
/// input pins passed in. Every figure below is worked out by hand from the map drawn here.
@Suite struct BoardTallyTests {
    /// Cores of 8 axons x 8 neurons on a 2x2 board of 2x2-core chips; mesh position =
    /// chip x 2 + place. Layers a (3 network neurons) and b (2); rates r = 0.5 for neurons,
    /// q = 0.25 for input pins.
    ///
    ///   core  chip   place  mesh   layer  role     crossbar rows (axon: neurons)     neurons' destinations
    ///   0     (0,0)  (0,0)  (0,0)  a      whole    0: 0,1,2   1: 1                   c2.a0, c2.a1, c1.a0, c3.a0
    ///   1     (0,0)  (1,1)  (1,1)  a      relay    0: 0,1                            c2.a2, c3.a1
    ///   2     (1,0)  (0,1)  (2,1)  b      partial  0: 0   1: 0,1   2: 1              c3.a2, out y[0]
    ///   3     (1,1)  (1,0)  (3,2)  b      merge    0: 0   1: 0     2: 0,1            out y[1], out y[2]
    ///   4     (1,1)  (0,0)  (2,2)  -      whole    3: 0                              (none)
    ///
    /// Input x = [c0.a0, c0.a1, c4.a3]: three input pins.
    static func map() -> CoreMap {
        func core(_ id: Int, chip: [Int], place: [Int], rows: [Int: [Int]], destinations: [Destination?], layer: Int?, role: CoreRole) -> CoreConfig {
            var crossbar = Crossbar(axons: 8, neurons: 8)
            for (axon, neurons) in rows { for n in neurons { crossbar[axon, n] = true } }
            var config = CoreConfig(id: id, chip: chip, place: place, axonTypes: [UInt8](repeating: 0, count: 8), crossbar: crossbar,
                                    neurons: destinations.enumerated().map { NeuronConfig(index: $0, weights: [1, 0, 0, 0], destination: $1) })
            config.layer = layer
            config.role = role
            return config
        }
        var map = CoreMap(target: "tally-test", geometry: CoreGeometry(axons: 8, neurons: 8, axonTypes: 4), chips: [2, 2], coresPerChip: [2, 2])
        map.cores = [
            core(0, chip: [0, 0], place: [0, 0], rows: [0: [0, 1, 2], 1: [1]],
                 destinations: [.axon(core: 2, axon: 0, delay: 1), .axon(core: 2, axon: 1, delay: 1), .axon(core: 1, axon: 0, delay: 1), .axon(core: 3, axon: 0, delay: 1)],
                 layer: 0, role: .whole),
            core(1, chip: [0, 0], place: [1, 1], rows: [0: [0, 1]],
                 destinations: [.axon(core: 2, axon: 2, delay: 1), .axon(core: 3, axon: 1, delay: 1)], layer: 0, role: .relay),
            core(2, chip: [1, 0], place: [0, 1], rows: [0: [0], 1: [0, 1], 2: [1]],
                 destinations: [.axon(core: 3, axon: 2, delay: 1), .output(port: "y", index: 0)], layer: 1, role: .partial),
            core(3, chip: [1, 1], place: [1, 0], rows: [0: [0], 1: [0], 2: [0, 1]],
                 destinations: [.output(port: "y", index: 1), .output(port: "y", index: 2)], layer: 1, role: .merge),
            core(4, chip: [1, 1], place: [0, 0], rows: [3: [0]], destinations: [nil], layer: nil, role: .whole),
        ]
        map.inputs = [InputPort(name: "x", shape: [3], targets: [[AxonAddress(core: 0, axon: 0)], [AxonAddress(core: 0, axon: 1)], [AxonAddress(core: 4, axon: 3)]])]
        map.outputs = [OutputPort(name: "y", shape: [3], latency: 2)]
        map.layers = [LayerLabel(name: "a", op: "dense", neurons: 3), LayerLabel(name: "b", op: "dense", neurons: 2)]
        return map
    }

    /// Mesh position and chip of core c, from the table above (independent of the packer).
    static func position(_ c: Int) -> BoardTally.Position {
        let core = map().cores[c]
        return (x: core.chip[0] * 2 + core.place[0], y: core.chip[1] * 2 + core.place[1], chip: core.chip)
    }

    static func tally(cores: [Int], inputPins: Set<Int>? = nil) -> BoardTally {
        let map = map()
        var tally = BoardTally(header: map, rate: 0.5, inputRate: 0.25, inputPins: inputPins)
        for c in cores { tally.add(map.cores[c], position: position) }
        return tally
    }

    /// Resources, by hand from the table:
    /// - axons with a synapse / synapses: c0 2 / 4, c1 1 / 2, c2 3 / 4, c3 3 / 4, c4 1 / 1:
    ///   10 axons, 15 synapses;
    /// - hardware neurons 4 + 2 + 2 + 2 + 1 = 11, network neurons 3 + 2 = 5; copies count on
    ///   whole and merge cores only: a has 4 (core 0; the relay's 2 are not copies), b has 2
    ///   (core 3; the partial core's are not), so 4 - 3 = 1 duplicated neuron;
    /// - chips used (0,0), (1,0), (1,1): 3; output pins: c2 1 + c3 2 = 3; input pins 3;
    /// - layer a: 2 cores (1 relay), 6 hw neurons, 3 axons, 6 synapses, axon use 3/16, neuron
    ///   use 6/16; b: 2 cores (1 partial, 1 merge), 4, 6, 8, 6/16, 4/16; the unlabelled core
    ///   4 gets a row "-" of its own: 1 core, 1, 1, 1, 1/8, 1/8;
    /// - utilisation: axons 10 / (5 x 8) = 0.25, neurons 11 / 40 = 0.275.
    @Test func resourcesOfAHandDrawnBoard() {
        let r = Self.tally(cores: Array(0..<5)).resources()
        #expect((r.cores, r.chips, r.hardwareNeurons, r.networkNeurons, r.duplicatedNeurons) == (5, 3, 11, 5, 1))
        #expect((r.axonsUsed, r.synapses, r.inputPins, r.outputPins) == (10, 15, 3, 3))
        #expect((r.relayCores, r.partialCores, r.mergeCores) == (1, 1, 1))
        #expect(r.axonUtilisation == 0.25 && r.neuronUtilisation == 0.275)
        #expect(r.layers.map(\.name) == ["a", "b", "-"])
        #expect(r.layers.map(\.op) == ["dense", "dense", "-"])
        #expect(r.layers.map(\.cores) == [2, 2, 1])
        #expect(r.layers.map(\.neurons) == [3, 2, 0])
        #expect(r.layers.map(\.hardwareNeurons) == [6, 4, 1])
        #expect(r.layers.map(\.axonsUsed) == [3, 6, 1])
        #expect(r.layers.map(\.synapses) == [6, 8, 1])
        #expect(r.layers.map(\.relayCores) == [1, 0, 0] && r.layers.map(\.partialCores) == [0, 1, 0] && r.layers.map(\.mergeCores) == [0, 1, 0])
        let axonUse: [Double] = [0.1875, 0.375, 0.125]  // 3/16, 6/16, 1/8
        #expect(r.layers.map(\.axonUtilisation) == axonUse)
        let neuronUse: [Double] = [0.375, 0.25, 0.125]  // 6/16, 4/16, 1/8
        #expect(r.layers.map(\.neuronUtilisation) == neuronUse)
        // Without the unlabelled core there is no "-" row.
        #expect(Self.tally(cores: [0, 1, 2, 3]).resources().layers.map(\.name) == ["a", "b"])
    }

    /// Activity per tick at r = 0.5, q = 0.25, by hand:
    /// - synaptic events: c0's 4 synapses sit on input pins (4 q = 1), c1 2 r = 1, c2 4 r = 2,
    ///   c3 4 r = 2, c4's one on a pin q = 0.25: 6.25;
    /// - spikes 11 r = 5.5; neuron updates 11;
    /// - hops (|dx| + |dy| on the mesh): c0 -> c2 3, 3, -> c1 2, -> c3 5 (13); c1 -> c2 1,
    ///   -> c3 3 (4); c2 -> c3 2: 19 routes' hops x r = 9.5;
    /// - chip crossings: c0 1, 1, 0, 2 (4); c1 1, 2 (3); c2 1: 8 x r = 4.
    /// A frame of 4 ticks is 4 times each: 25, 22, 44, 38, 16.
    @Test func activityOfAHandDrawnBoard() throws {
        let a = Self.tally(cores: Array(0..<5)).activity(ticks: 4, source: "hand")
        #expect((a.ticks, a.synapticEvents, a.spikes, a.neuronUpdates, a.hops, a.chipCrossings) == (4, 25, 22, 44, 38, 16))
        #expect(a.source == "hand")
        // Links, routed x first then y, r = 0.5 per route and tick: east (0,0) -> (1,0) carries
        // c0's routes to c2 (2) and to c3, c1's to c2 and to c3: 5 x 0.5 = 2.5; south
        // (1,0) -> (1,1) carries c0 -> c3, c1 -> c3 and c2 -> c3: 1.5. A 2x2 board has 8
        // directed links; mean over the 2 used (2.5 + 1.5) / 2 = 2.
        let links = try #require(a.links).summary()
        #expect(links.largest == 2.5 && links.busiest?.description == "(0, 0) -> (1, 0)")
        #expect((links.used, links.links, links.mean) == (2, 8, 2.0))
        let loads = try #require(a.links).loads().filter { $0.spikes > 0 }
        #expect(loads.map(\.link.description) == ["(0, 0) -> (1, 0)", "(1, 0) -> (1, 1)"])
        #expect(loads.map(\.spikes) == [2.5, 1.5])
    }

    /// The packed entry point counts the same board from the packed map's shared tables:
    /// the same hand-derived figures as above.
    @Test func packedTablesGiveTheSameFigures() throws {
        let map = Self.map()
        let packed = PackedCoreMap(map)
        var tally = BoardTally(header: packed.header, rate: 0.5, inputRate: 0.25)
        let tables = BoardTally.PackedTables(packed, inputPins: BoardTally.inputPins(of: packed.header))
        for c in 0..<packed.coreCount { tally.add(packed: packed, core: c, tables: tables) }
        let r = tally.resources()
        #expect((r.cores, r.chips, r.hardwareNeurons, r.duplicatedNeurons) == (5, 3, 11, 1))
        #expect((r.axonsUsed, r.synapses, r.inputPins, r.outputPins) == (10, 15, 3, 3))
        #expect(r.layers.map(\.name) == ["a", "b", "-"] && r.layers.map(\.synapses) == [6, 8, 1])
        #expect((r.relayCores, r.partialCores, r.mergeCores) == (1, 1, 1))
        let a = tally.activity(ticks: 4, source: "packed")
        #expect((a.synapticEvents, a.spikes, a.neuronUpdates, a.hops, a.chipCrossings) == (25, 22, 44, 38, 16))
        #expect(try #require(a.links).summary().largest == 2.5)
        // And ResourceEstimate, which counts through this path, agrees.
        let estimate = ResourceEstimate(map)
        #expect((estimate.cores, estimate.chips, estimate.synapses, estimate.duplicatedNeurons) == (5, 3, 15, 1))
    }

    /// Tallies of disjoint cores merge into the tally of all of them (the parallel count of
    /// `Compiled.tally`): cores {0, 1, 2} + {3, 4} and {4} + {0, 1, 2, 3} both give the
    /// figures derived above.
    @Test func mergedTalliesEqualTheWhole() throws {
        for (left, right) in [([0, 1, 2], [3, 4]), ([4], [0, 1, 2, 3])] {
            var tally = Self.tally(cores: left)
            tally.merge(Self.tally(cores: right))
            let r = tally.resources()
            #expect((r.cores, r.chips, r.hardwareNeurons, r.duplicatedNeurons) == (5, 3, 11, 1))
            #expect((r.axonsUsed, r.synapses, r.outputPins) == (10, 15, 3))
            #expect(r.layers.map(\.cores) == [2, 2, 1] && r.layers.map(\.hardwareNeurons) == [6, 4, 1])
            #expect((r.relayCores, r.partialCores, r.mergeCores) == (1, 1, 1))
            let a = tally.activity(ticks: 4, source: "merged")
            #expect((a.synapticEvents, a.spikes, a.neuronUpdates, a.hops, a.chipCrossings) == (25, 22, 44, 38, 16))
            let links = try #require(a.links).summary()
            #expect(links.largest == 2.5 && links.used == 2)
        }
        // The chips of the two halves are a union, not a sum: cores 0 and 1 share chip (0,0).
        var first = Self.tally(cores: [0])
        first.merge(Self.tally(cores: [1]))
        #expect(first.resources().chips == 1)
    }

    /// The input pins are core x axons + axon: c0.a0 = 0, c0.a1 = 1, c4.a3 = 4 x 8 + 3 = 35.
    /// Passed in (as `Compiled.tally` does for its many tallies), they are used instead of
    /// the header's: with none, every synapse counts at r, 15 x 0.5 = 7.5 events per tick.
    @Test func inputPinsAreCoreTimesAxonsPlusAxon() {
        #expect(BoardTally.inputPins(of: Self.map()) == [0, 1, 35])
        let none = Self.tally(cores: Array(0..<5), inputPins: [])
        #expect(none.resources().inputPins == 0)
        #expect(none.activity(ticks: 1, source: "").synapticEvents == 7.5)
        // Pins that are not the header's: only c1.a0 (= 8) at q: 2 x 0.25 + 13 x 0.5 = 7.
        let other = Self.tally(cores: Array(0..<5), inputPins: [8])
        #expect(other.activity(ticks: 1, source: "").synapticEvents == 7)
    }
}
