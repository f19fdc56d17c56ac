import ArgumentParser
import Foundation
import Tessera

/// `tessera report`: resources, timing and energy per frame of a core map.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Resources, frame rate and energy per frame of a core map, each figure traced to its counts and the target's coefficients.",
        discussion: """
        Resources are counted from the map (cores, chips, neurons, copies for fan-out, \
        synapses, axon and neuron utilisation per layer, relay/splitter, partial-sum and merge \
        cores, input and output pins). A frame lasts --ticks ticks; frames per second = the \
        target's tick rate / ticks per frame.

        Energy per frame = static power x chips x frame time + synaptic events, spikes, neuron \
        updates, hops and chip crossings each times the target's figure (docs/estimates.md). \
        The counts are analytic, from firing rates (--rate for every layer, or --rates R.json \
        from `tessera simulate --write-rates`), or measured, from the counters of an \
        emulation (--activity OUT.json, written by `tessera emulate ... -o OUT.json`). With \
        none of the three, a map is counted at the rates compile kept in it (and says so). \
        --ann NET.yaml compares with the float network's MACs on the target's 45 nm figures.

        Given a network (.yaml) instead of a map, the network is compiled for --target and \
        its cores are built, counted and dropped one by one (for networks whose map is too \
        large to write); the counts equal those of the written map. Only --rate applies.

        Examples:
          tessera report digits.coremap.json --rate 0.1 --ticks 64
          tessera report digits.coremap.json --activity out.json --ticks 64 --ann digits.yaml --json
          tessera report examples/deeplab/deeplab.yaml --target truenorth-32x32 --rate 0.05 --ticks 64 --ann examples/deeplab/deeplab.yaml
        """
    )

    @Argument(help: "The core map (v2 .npz or JSON v1), or a network (.yaml or .nir) to compile for --target and count core by core (--rate only).")
    var map: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(name: .shortAndLong, help: "Target (default: the one the map names; truenorth for a network).")
    var target: String?

    @Option(help: "Ticks per frame (how long one input is presented).")
    var ticks = 1

    @Option(help: "Analytic mode: every layer fires this many spikes per neuron per tick (0...1).")
    var rate: Double?

    @Option(help: "Analytic mode: firing rates per layer (a rates file, e.g. from `tessera simulate --write-rates`).")
    var rates: String?

    @Option(help: "Analytic mode: spikes per input element per tick (default: --rate, or the mean of --rates).")
    var inputRate: Double?

    @Option(help: "Measured mode: the output of `tessera emulate` whose counters to use.")
    var activity: String?

    @Option(help: "The float network, for the ANN comparison (MACs x E_MAC vs synaptic events x E_AC).")
    var ann: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "For a network: how its cores are placed, 'auto' (METIS bisection, in 4x4 blocks above 100,000 cores), 'cores' (bisection core by core) or 'row-major', to compare.")
    var placement: PlacementStrategy = .auto

    func validate() throws {
        guard ticks >= 1 else { throw ValidationError("--ticks must be at least 1") }
        let modes = [rate != nil, rates != nil, activity != nil].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("give at most one of --rate, --rates (analytic) or --activity (measured); with none, a map is counted at the rates compile kept in it") }
        for value in [rate, inputRate].compactMap({ $0 }) where !(0...1).contains(value) {
            throw ValidationError("rates are spikes per neuron per tick, in 0...1 (got \(value))")
        }
    }

    func run() throws {
        do throws(DiagnosticError) {
            let macs = try ann.map { path throws(DiagnosticError) in try Network.load(path).multiplyAccumulates }
            if isNetworkFile(map) {
                guard let r = rate else { throw DiagnosticError("a network is counted at one rate for every layer: give --rate (per-layer rates and measured activity need a core map)") }
                let (compiled, hardware, name) = try compileNetwork(map, target: target, placement: placement, nir: nir.semantics)
                let tally = compiled.tally(rate: r, inputRate: inputRate ?? r)
                let activity = tally.activity(ticks: ticks, source: "analytic: every layer of \(name) at \(r) spikes per neuron per tick, inputs at \(inputRate ?? r); counted core by core")
                print(EstimateReport(header: compiled.mapHeader, resources: tally.resources(), target: hardware, activity: activity, annMACs: macs), json)
                return
            }
            let checked = try loadMap(map, target: target)
            let (coreMap, resolved) = (checked.map, checked.target)
            let activity: Activity
            if let path = self.activity {
                let counters = try Activity.loadCounters(path: path)
                let neurons = coreMap.neuronCount
                activity = Activity.measured(counters.stats, ticksRun: counters.ticks, ticks: ticks, neurons: neurons,
                                             source: "measured: counters of \(path), \(counters.ticks) ticks")
            } else if let path = rates {
                let given = try FiringRates.load(path: path, layers: coreMap.header.layers.map(\.name))
                activity = Activity.analytic(coreMap, rates: given.rate(of:), inputRate: inputRate ?? given.meanRate, ticks: ticks,
                                             source: "analytic: \(given.source)")
            } else if rate == nil {
                // The rates compile weighed placement by, kept in the map.
                let layers = coreMap.header.layers
                guard let source = coreMap.header.rateSource, let input = coreMap.header.inputRate, !layers.isEmpty,
                      layers.allSatisfy({ $0.rate != nil }) else {
                    throw DiagnosticError("\(map): the map keeps no firing rates (written by hand or by an older tessera): give --rate, --rates or --activity")
                }
                var byName: [String: Double] = [:]
                for layer in layers { byName[layer.name] = layer.rate }
                activity = Activity.analytic(coreMap, rates: { byName[$0] ?? 0 }, inputRate: inputRate ?? input, ticks: ticks,
                                             source: "analytic: the rates compile kept in the map (\(source)), inputs at \(inputRate ?? input)")
            } else {
                let r = rate ?? 0
                activity = Activity.analytic(coreMap, rates: { _ in r }, inputRate: inputRate ?? r, ticks: ticks,
                                             source: "analytic: every layer at \(r) spikes per neuron per tick, inputs at \(inputRate ?? r)")
            }
            print(EstimateReport(packed: coreMap, target: resolved, activity: activity, annMACs: macs), json)
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }

    private func print(_ report: EstimateReport, _ json: Bool) {
        if json { Swift.print(report.json(), terminator: "") } else { report.lines.forEach { Swift.print($0) } }
    }
}
