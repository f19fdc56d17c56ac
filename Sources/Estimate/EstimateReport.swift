import CoreMap
import Foundation
import Hardware
import TesseraSupport

/// Frame timing from the map's output latencies and the target's tick: a frame presented
/// for `ticks` ticks; frames follow each other every `ticks` ticks (the cores pipeline), and
/// a frame's last output arrives `ticks + latency` ticks after it starts.
public struct FrameTiming: Sendable, Encodable {
    public var ticksPerFrame: Int
    public var latency: [String: Int]
    public var ticksToLastOutput: Int
    public var tickHz: Double
    public var framesPerSecond: Double

    public init(_ map: CoreMap, ticks: Int, target: Target) {
        ticksPerFrame = ticks
        latency = Dictionary(map.outputs.map { ($0.name, $0.latency) }, uniquingKeysWith: { a, _ in a })
        ticksToLastOutput = ticks + (map.outputs.map(\.latency).max() ?? 0)
        tickHz = target.timing.tickHz
        framesPerSecond = ticks == 0 ? 0 : target.timing.tickHz / Double(ticks)
    }
}

/// Everything `tessera report` says about a core map: resources, timing, energy per frame
/// (analytic or measured) and optionally the ANN comparison, as text lines or JSON.
public struct EstimateReport: Sendable, Encodable {
    public var target: String
    public var resources: ResourceEstimate
    public var timing: FrameTiming
    public var energy: EnergyEstimate
    public var ann: AnnComparison?
    /// Expected load on the chip-to-chip links (analytic counts only).
    public var links: LinkReport?

    public init(map: CoreMap, target: Target, activity: Activity, annMACs: Int? = nil) {
        self.init(header: map, resources: ResourceEstimate(map), target: target, activity: activity, annMACs: annMACs)
    }

    /// The report of a packed map, counted from its shared tables.
    public init(packed map: PackedCoreMap, target: Target, activity: Activity, annMACs: Int? = nil) {
        self.init(header: map.header, resources: ResourceEstimate(map), target: target, activity: activity, annMACs: annMACs)
    }

    /// From resources counted elsewhere (``BoardTally``); `header` gives the output ports.
    public init(header: CoreMap, resources: ResourceEstimate, target: Target, activity: Activity, annMACs: Int? = nil) {
        self.target = target.name
        self.resources = resources
        timing = FrameTiming(header, ticks: Int(activity.ticks), target: target)
        energy = EnergyEstimate(activity: activity, chips: resources.chips, target: target)
        ann = annMACs.flatMap { AnnComparison(macs: $0, synapticEvents: activity.synapticEvents, target: target) }
        links = activity.links.map { LinkReport($0, board: target.board, tickHz: target.timing.tickHz) }
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return ((try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }

    public var lines: [String] {
        var lines: [String] = []
        let r = resources
        lines.append("resources on \(target): \(r.cores) cores on \(r.chips) chip(s); \(r.hardwareNeurons) hardware neurons for \(r.networkNeurons) network neurons (\(r.duplicatedNeurons) copies for fan-out); \(r.synapses) synapses on \(r.axonsUsed) axons")
        lines.append(String(format: "utilisation: axons %.1f%%, neurons %.1f%%", r.axonUtilisation * 100, r.neuronUtilisation * 100)
                     + "; relay (splitter) cores \(r.relayCores), partial-sum cores \(r.partialCores), merge cores \(r.mergeCores); input pins \(r.inputPins), output pins \(r.outputPins)")
        var table = [["layer", "op", "cores", "neurons", "hw neurons", "axons", "synapses", "axon use", "neuron use"]]
        for l in r.layers {
            table.append([l.name, l.op, "\(l.cores)", "\(l.neurons)", "\(l.hardwareNeurons)", "\(l.axonsUsed)", "\(l.synapses)",
                          String(format: "%.0f%%", l.axonUtilisation * 100), String(format: "%.0f%%", l.neuronUtilisation * 100)])
        }
        lines += Self.align(table)
        let t = timing
        let latencies = t.latency.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append(String(format: "timing: %ld ticks per frame at %.0f Hz = %.1f frames/s; output latency in ticks: ", t.ticksPerFrame, t.tickHz, t.framesPerSecond)
                     + latencies + "; last output \(t.ticksToLastOutput) ticks after a frame starts")
        let a = energy.activity
        lines.append("activity per frame (\(a.source)): \(g(a.synapticEvents)) synaptic events, \(g(a.spikes)) spikes, \(g(a.neuronUpdates)) neuron updates, \(g(a.hops)) hops, \(g(a.chipCrossings)) chip crossings")
        for term in energy.terms {
            if let joules = term.joules, let c = term.coefficient, let unit = term.coefficientUnit {
                lines.append("  \(term.name): \(g(term.count)) \(term.countUnit) x \(g(c)) \(unit) (\(term.coefficientKey)) = \(Self.energy(joules))")
            } else {
                lines.append("  \(term.name): not modelled (target has no '\(term.coefficientKey)')")
            }
        }
        lines.append("energy per frame: \(Self.energy(energy.joules))" + String(format: " (%.3g mW at %.1f frames/s)", energy.joules * t.framesPerSecond * 1e3, t.framesPerSecond))
        lines += links?.lines ?? []
        if let ann {
            lines.append("ANN comparison (45 nm): \(ann.macs) MACs x E_MAC = \(Self.energy(ann.macJoules)) vs \(g(ann.synapticEvents)) synaptic events x E_AC = \(Self.energy(ann.acJoules)); ANN / SNN = "
                         + String(format: "%.2f", ann.ratio))
        }
        return lines
    }

    /// Joules with an SI prefix.
    static func energy(_ joules: Double) -> String {
        for (scale, unit) in [(1.0, "J"), (1e-3, "mJ"), (1e-6, "uJ"), (1e-9, "nJ")] where abs(joules) >= scale {
            return "\(g(joules / scale)) \(unit)"
        }
        return "\(g(joules / 1e-12)) pJ"
    }

    /// Four significant digits.
    func g(_ x: Double) -> String { Self.g(x) }
    static func g(_ x: Double) -> String { String(format: "%.4g", x) }

    static func align(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        let widths = first.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i < 2 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
    }
}
