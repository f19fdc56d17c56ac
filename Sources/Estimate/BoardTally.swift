import CoreMap
import Hardware

/// Resources and uniform-rate activity counted one core at a time, so a board whose map is
/// too large to hold (a full-size DeepLab is about 4 million cores) can be costed from cores
/// built one by one and dropped. Tallies of disjoint core ranges merge, so the counting can
/// run in parallel. ``ResourceEstimate/init(_:)`` counts a loaded map through the same code.
///
///     var tally = BoardTally(header: map, rate: 0.1, inputRate: 0.1)
///     for c in map.cores.indices { tally.add(map.cores[c], position: position) }
///     let resources = tally.resources()
public struct BoardTally: Sendable {
    /// Where a core sits: its mesh position and its chip.
    public typealias Position = (x: Int, y: Int, chip: [Int])

    let header: CoreMap
    let rate: Double
    let inputRate: Double
    /// Input-pin axons, as core x axons + axon.
    let inputPins: Set<Int>
    var rows: [ResourceEstimate.Layer]
    var unlabelled: ResourceEstimate.Layer
    var layerCopies: [Int]
    var chips: Set<[Int]> = []
    var cores = 0
    var outputPins = 0
    var spikes = 0.0, synapticEvents = 0.0, neuronUpdates = 0.0, hops = 0.0, chipCrossings = 0.0
    var links: ChipLinkLoads

    /// `header` gives the layers, ports and geometry (its cores are not read). Every neuron
    /// fires `rate` spikes per tick and every input element `inputRate`.
    /// `inputPins` (``inputPins(of:)``) may be passed in when many tallies of one board are
    /// made, so the set is built once.
    public init(header: CoreMap, rate: Double, inputRate: Double, inputPins: Set<Int>? = nil) {
        self.header = header
        self.rate = rate
        self.inputRate = inputRate
        self.inputPins = inputPins ?? Self.inputPins(of: header)
        func row(_ name: String, _ op: String, _ neurons: Int) -> ResourceEstimate.Layer {
            ResourceEstimate.Layer(name: name, op: op, cores: 0, neurons: neurons, hardwareNeurons: 0, axonsUsed: 0, synapses: 0,
                                   axonUtilisation: 0, neuronUtilisation: 0, relayCores: 0, partialCores: 0, mergeCores: 0)
        }
        rows = header.layers.map { row($0.name, $0.op, $0.neurons) }
        unlabelled = row("-", "-", 0)
        layerCopies = [Int](repeating: 0, count: header.layers.count)
        links = ChipLinkLoads(chips: header.chips)
    }

    /// The axons fed from outside the board, as core x axons + axon.
    public static func inputPins(of header: CoreMap) -> Set<Int> {
        let axons = header.geometry.axons
        var pins = Set<Int>()
        for port in header.inputs { for targets in port.targets { for t in targets { pins.insert(t.core * axons + t.axon) } } }
        return pins
    }

    /// Counts core `core` (its `id` is its index on the board); `position` places any core.
    public mutating func add(_ core: CoreConfig, position: (Int) -> Position) {
        let g = header.geometry
        var axons = 0, synapses = 0
        for a in 0..<g.axons {
            let ones = core.crossbar.fanOut(of: a)
            guard ones > 0 else { continue }
            axons += 1
            synapses += ones
            synapticEvents += Double(ones) * (inputPins.contains(core.id * g.axons + a) ? inputRate : rate)
        }
        let here = position(core.id)
        for neuron in core.neurons {
            switch neuron.destination {
            case .output?:
                outputPins += 1
            case let .axon(target, _, _)?:
                route(from: here, to: position(target))
            case nil:
                break
            }
        }
        count(neurons: core.neurons.count, axons: axons, synapses: synapses, chip: core.chip, layer: core.layer, role: core.role)
    }

    /// What counting a packed map reads for every core: per crossbar table its fan-out per
    /// axon, ones and used axons, and per core the input pins it holds.
    public struct PackedTables: Sendable {
        let fanOuts: [[Int32]]
        let ones: [Int]
        let usedAxons: [Int]
        /// Pins (axons) of core c: `pinAxons[pinStart[c]..<pinStart[c + 1]]`.
        let pinStart: [Int]
        let pinAxons: [Int32]

        public init(_ map: PackedCoreMap, inputPins: Set<Int>) {
            fanOuts = map.crossbarFanOuts()
            ones = fanOuts.map { $0.reduce(0) { $0 + Int($1) } }
            usedAxons = fanOuts.map { $0.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
            let axons = map.header.geometry.axons
            var count = [Int](repeating: 0, count: map.coreCount + 1)
            for pin in inputPins where pin / axons < map.coreCount { count[pin / axons + 1] += 1 }
            for c in 0..<map.coreCount { count[c + 1] += count[c] }
            var fill = count, axonsOf = [Int32](repeating: 0, count: count.last ?? 0)
            for pin in inputPins.sorted() where pin / axons < map.coreCount {
                axonsOf[fill[pin / axons]] = Int32(pin % axons)
                fill[pin / axons] += 1
            }
            pinStart = count
            pinAxons = axonsOf
        }
    }

    /// Counts core `c` of a packed map from its shared tables (``PackedTables``, made once
    /// per map). Gives the figures of ``add(_:position:)`` for the same core.
    public mutating func add(packed map: PackedCoreMap, core c: Int, tables: PackedTables) {
        let x = Int(map.coreCrossbar[c])
        let fan = tables.fanOuts[x]
        var pinned = 0
        for k in tables.pinStart[c]..<tables.pinStart[c + 1] { pinned += Int(fan[Int(tables.pinAxons[k])]) }
        synapticEvents += Double(tables.ones[x] - pinned) * rate + Double(pinned) * inputRate
        let per = map.header.coresPerChip
        let (cx, cy) = (Int(map.coreChip[2 * c]), Int(map.coreChip[2 * c + 1]))
        let (hx, hy) = (cx * per[0] + Int(map.coreXY[2 * c]), cy * per[1] + Int(map.coreXY[2 * c + 1]))
        let start = map.coreNeuronStart[c], end = map.coreNeuronStart[c + 1]
        var hopSum = 0, crossingSum = 0
        for k in start..<end {
            switch map.destKind[k] {
            case 2: outputPins += 1
            case 1:
                // A destination outside the map counts as the core itself (no hops).
                let t = (0..<map.coreCount).contains(Int(map.destTarget[k])) ? Int(map.destTarget[k]) : c
                let (tx, ty) = (Int(map.coreChip[2 * t]), Int(map.coreChip[2 * t + 1]))
                hopSum += abs(hx - tx * per[0] - Int(map.coreXY[2 * t])) + abs(hy - ty * per[1] - Int(map.coreXY[2 * t + 1]))
                crossingSum += abs(cx - tx) + abs(cy - ty)
                if (cx, cy) != (tx, ty) { links.add(from: (cx, cy), to: (tx, ty), spikes: rate) }
            default: break
            }
        }
        hops += rate * Double(hopSum)
        chipCrossings += rate * Double(crossingSum)
        count(neurons: end - start, axons: tables.usedAxons[x], synapses: tables.ones[x], chip: [cx, cy],
              layer: map.coreLayer[c] < 0 ? nil : Int(map.coreLayer[c]), role: CoreRole.allCases[Int(map.coreRole[c])])
    }

    private mutating func route(from here: Position, to there: Position) {
        hops += rate * Double(abs(here.x - there.x) + abs(here.y - there.y))
        chipCrossings += rate * Double(abs(here.chip[0] - there.chip[0]) + abs(here.chip[1] - there.chip[1]))
        if here.chip != there.chip { links.add(from: (here.chip[0], here.chip[1]), to: (there.chip[0], there.chip[1]), spikes: rate) }
    }

    private mutating func count(neurons: Int, axons: Int, synapses: Int, chip: [Int], layer: Int?, role: CoreRole) {
        spikes += rate * Double(neurons)
        neuronUpdates += Double(neurons)
        cores += 1
        chips.insert(chip)
        func add(_ row: inout ResourceEstimate.Layer) {
            row.cores += 1
            row.hardwareNeurons += neurons
            row.axonsUsed += axons
            row.synapses += synapses
            switch role {
            case .relay: row.relayCores += 1
            case .partial: row.partialCores += 1
            case .merge: row.mergeCores += 1
            case .whole: break
            }
        }
        if let k = layer, rows.indices.contains(k) {
            add(&rows[k])
            if role == .whole || role == .merge { layerCopies[k] += neurons }
        } else {
            add(&unlabelled)
        }
    }

    /// Adds the counts of a tally of other cores of the same board.
    public mutating func merge(_ other: BoardTally) {
        func sum(_ a: inout ResourceEstimate.Layer, _ b: ResourceEstimate.Layer) {
            a.cores += b.cores
            a.hardwareNeurons += b.hardwareNeurons
            a.axonsUsed += b.axonsUsed
            a.synapses += b.synapses
            a.relayCores += b.relayCores
            a.partialCores += b.partialCores
            a.mergeCores += b.mergeCores
        }
        for k in rows.indices { sum(&rows[k], other.rows[k]) }
        sum(&unlabelled, other.unlabelled)
        for k in layerCopies.indices { layerCopies[k] += other.layerCopies[k] }
        chips.formUnion(other.chips)
        cores += other.cores
        outputPins += other.outputPins
        spikes += other.spikes
        synapticEvents += other.synapticEvents
        neuronUpdates += other.neuronUpdates
        hops += other.hops
        chipCrossings += other.chipCrossings
        links.merge(other.links)
    }

    /// The resources of the cores added so far.
    public func resources() -> ResourceEstimate {
        ResourceEstimate(rows: unlabelled.cores > 0 ? rows + [unlabelled] : rows, header: header, cores: cores, chips: chips.count,
                         layerCopies: layerCopies, inputPins: inputPins.count, outputPins: outputPins)
    }

    /// The activity of a frame of `ticks` ticks at the tally's rates.
    public func activity(ticks: Int, source: String) -> Activity {
        let t = Double(ticks)
        return Activity(ticks: t, spikes: spikes * t, synapticEvents: synapticEvents * t, neuronUpdates: neuronUpdates * t,
                        hops: hops * t, chipCrossings: chipCrossings * t, source: source, links: links)
    }
}
