import CoreMap
import Emulator
import Foundation
import Hardware
import TesseraSupport

/// The work a core map does in one frame: the counts the energy model multiplies by the
/// target's coefficients. Either expected from firing rates (``analytic(_:rates:inputRate:ticks:)``)
/// or taken from an emulation's counters (``measured(_:ticks:neurons:)``).
public struct Activity: Sendable, Encodable, Equatable {
    /// Ticks the frame lasts.
    public var ticks: Double
    /// Neuron firings, wherever they go.
    public var spikes: Double
    /// Spikes arriving at connected synapses (each axon spike times its crossbar row's ones).
    public var synapticEvents: Double
    /// Neuron updates: every used neuron, every tick (the hardware updates each one each tick).
    public var neuronUpdates: Double
    /// Core-to-core hops of spike packets, and the chip-boundary crossings among them.
    public var hops: Double
    public var chipCrossings: Double
    /// Where the counts come from.
    public var source: String
    /// Expected spikes per tick on each chip-to-chip link (analytic counts only: measured
    /// counters do not say which link a packet took).
    public var links: ChipLinkLoads? = nil

    /// The link loads go into the report as its `links` figures, not as raw arrays.
    enum CodingKeys: String, CodingKey { case ticks, spikes, synapticEvents, neuronUpdates, hops, chipCrossings, source }

    /// Expected counts for `ticks` ticks when every neuron of layer L fires `rates(L)` spikes
    /// per tick and every input element `inputRate`: spikes = neurons x rate; synaptic events
    /// = for each neuron and input element, its rate x the ones of the crossbar row it
    /// feeds; hops and crossings = rate x the route's |dx| + |dy| and chip steps.
    public static func analytic(_ map: CoreMap, rates: (String) -> Double, inputRate: Double, ticks: Int, source: String) -> Activity {
        analytic(PackedCoreMap(map), rates: rates, inputRate: inputRate, ticks: ticks, source: source)
    }

    /// The same for a packed map, counted from its tables (the unpacked form is packed and
    /// counted here). Destinations to cores the map does not have are skipped.
    public static func analytic(_ map: PackedCoreMap, rates: (String) -> Double, inputRate: Double, ticks: Int, source: String) -> Activity {
        let layerRates = map.header.layers.map { rates($0.name) }
        let fanOuts = map.crossbarFanOuts()
        var a = Activity(ticks: Double(ticks), spikes: 0, synapticEvents: 0, neuronUpdates: 0, hops: 0, chipCrossings: 0, source: source)
        var links = ChipLinkLoads(chips: map.header.chips)
        for c in 0..<map.coreCount {
            let layer = Int(map.coreLayer[c])
            let rate = layer >= 0 && layerRates.indices.contains(layer) ? layerRates[layer] : 0
            let start = map.coreNeuronStart[c], end = map.coreNeuronStart[c + 1]
            a.neuronUpdates += Double(end - start)
            a.spikes += rate * Double(end - start)
            let p = map.meshPosition(of: c)
            for k in start..<end where map.destKind[k] == 1 && (0..<map.coreCount).contains(Int(map.destTarget[k])) {
                let target = Int(map.destTarget[k])
                let q = map.meshPosition(of: target)
                a.synapticEvents += rate * Double(fanOuts[Int(map.coreCrossbar[target])][Int(map.destIndex[k])])
                a.hops += rate * Double(abs(p.x - q.x) + abs(p.y - q.y))
                let (from, to) = ((Int(map.coreChip[2 * c]), Int(map.coreChip[2 * c + 1])), (Int(map.coreChip[2 * target]), Int(map.coreChip[2 * target + 1])))
                a.chipCrossings += rate * Double(abs(from.0 - to.0) + abs(from.1 - to.1))
                if from != to { links.add(from: from, to: to, spikes: rate) }
            }
        }
        for port in map.header.inputs {
            for address in port.targets.joined() where (0..<map.coreCount).contains(address.core) {
                a.synapticEvents += inputRate * Double(fanOuts[Int(map.coreCrossbar[address.core])][address.axon])
            }
        }
        for key in [\Activity.spikes, \.synapticEvents, \.neuronUpdates, \.hops, \.chipCrossings] { a[keyPath: key] *= Double(ticks) }
        a.links = links
        return a
    }

    /// Counts from an emulation: the run's counters scaled to a frame of `ticks` ticks
    /// (counter x ticks / ticks run); neuron updates are the map's used neurons per tick.
    public static func measured(_ run: EmulationStats, ticksRun: Int, ticks: Int, neurons: Int, source: String) -> Activity {
        let scale = ticksRun == 0 ? 0 : Double(ticks) / Double(ticksRun)
        return Activity(ticks: Double(ticks), spikes: Double(run.spikes) * scale, synapticEvents: Double(run.synapticEvents) * scale,
                        neuronUpdates: Double(neurons * ticks), hops: Double(run.hops) * scale, chipCrossings: Double(run.chipCrossings) * scale,
                        source: source)
    }

    /// Reads the counters of a `tessera emulate` output file (one result, or a batch whose
    /// samples' counters and ticks add up).
    public static func loadCounters(path: String) throws(DiagnosticError) -> (stats: EmulationStats, ticks: Int) {
        let file = try EmulationOutputFile.load(path: path)
        let results = file.results
        var total = EmulationStats()
        for (i, result) in results.enumerated() {
            guard let stats = result["stats"] as? [String: Any] else {
                throw DiagnosticError("activity file '\(path)'\(results.count > 1 ? ", sample \(i)" : ""): has no 'stats'; write it with `tessera emulate ... -o FILE`")
            }
            func count(_ key: String) throws(DiagnosticError) -> Int {
                guard let value = (stats[key] as? NSNumber)?.intValue, value >= 0 else {
                    throw DiagnosticError("activity file '\(path)': stats.\(key) must be a non-negative integer")
                }
                return value
            }
            total.spikes += try count("spikes")
            total.synapticEvents += try count("synapticEvents")
            total.hops += try count("hops")
            total.chipCrossings += try count("chipCrossings")
            total.activeCoreTicks += try count("activeCoreTicks")
        }
        return (total, file.ticks * results.count)
    }
}
