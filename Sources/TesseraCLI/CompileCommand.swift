import ArgumentParser
import Foundation
import Tessera

/// `tessera compile`: lower a network onto the cores of a target and write the core map.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Map a network with integer weights onto cores and write its core map.",
        discussion: """
        A network in floating point is first converted by the passes its compile: section \
        or the options below enable (batch-norm folding, decay approximation, threshold \
        balancing, weight quantisation, binarisation); each prints what it did. The result \
        must be exact in integers (see `tessera simulate`). Each layer gets the \
        cheapest exact weight encoding (signed, up to 4 levels per neuron, or 4-bit \
        bit-sliced). Convolutions, pooling and upsampling are tiled (rows x cols x channel \
        block, chosen to minimise cores); dense layers are packed neuron by neuron. Neurons \
        are duplicated once per destination axon. A fan-in larger than a core is split into \
        partial sums and merged, which approximates: the measured error is printed, and \
        --strict makes it an error. Cores are placed to cut traffic-weighted hops, and \
        delays align branches. Exact layers emulate exactly as `tessera simulate`.

        Example:  tessera compile net.yaml --target tiny -o net.coremap.json --report net.report.json
        """
    )

    @Argument(help: "The network description (YAML), or a NIR graph (.nir).")
    var network: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(name: .shortAndLong, help: "Hardware target: truenorth, truenorth-4x4, tiny, or a path.")
    var target: String = "truenorth"

    @Option(name: .shortAndLong, help: "Where to write the core map: NAME.npz writes v2 (compact, for any size), NAME.json v1. Without it, only the report.")
    var output: String?

    @Option(name: .customLong("report"), help: "Where to write the compile report (JSON).")
    var reportPath: String?

    @Flag(name: .long, help: "Fail instead of splitting a fan-in into partial sums (an approximation).")
    var strict = false

    @Flag(name: .long, help: ArgumentHelp("Print each stage's wall time and the peak memory at its end (standard error).",
                                          discussion: "Loading, analysis, partition, firing rates, each step of placement, the error measurement and the map's writer (docs/performance.md)."))
    var profile = false

    @OptionGroup(title: "Conversion passes (override the network file's compile: section)")
    var conversion: ConversionOptions

    @Option(name: .long, help: ArgumentHelp("Ticks of random input used to measure the error of split fan-ins; 0 skips the measurement.",
                                            discussion: "Without the measurement, the map is offset-coded unless --partial-sums says otherwise."))
    var measureTicks = 64

    @Option(name: .long, help: ArgumentHelp("Firing rates per layer to weigh placement by (written by `tessera simulate --write-rates`).",
                                            discussion: "Without it, rates are measured on random input when the network is small enough, else estimated in one pass."))
    var rates: String?

    @Option(name: .long, help: ArgumentHelp("How cores are placed: auto (recursive bisection with METIS, in blocks of 4x4 cores above 100,000 cores where a k-way cut into chips is tried too, with local search up to 100,000), cores (bisection core by core at every size) or row-major (the partition's order).",
                                            discussion: "row-major is there to compare against."))
    var placement: PlacementStrategy = .auto

    @Option(name: .long, help: ArgumentHelp("How a split fan-in's parts divide the inputs: net (each part every lane, a positive and a negative partial neuron per element, floored at zero), offset (each part every lane, one offset-coded partial neuron per element, whose error does not grow with the run) or by-sign (each part one sign's lane, one partial neuron per element).",
                                            discussion: "Without it, compile measures offset and net on random input and keeps the map with the lower error (offset on a tie); a network too large to measure whole is measured on a sample of each split layer, and so is offset coding where its bound does not hold in some layer, which must then win there too. offset and by-sign take fewer partial-sum and merge cores than net; by-sign applies to layers with the signed encoding whose weights take both signs, and offset to layers that do not reset to zero; other split layers are net."))
    var partialSums: PartialSums?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Start net and by-sign partial-sum neurons at half their step, so each part's count is rounded rather than floored.",
                                                     discussion: "Without --partial-rounding or --no-partial-rounding, compile measures both on random input where the net scheme is kept and keeps the lower error (floored on a tie)."))
    var partialRounding: Bool?

    @Option(name: .long, help: ArgumentHelp("Partial-sum neurons per part and sign, started a fraction of the step apart: a finer residue at the same reach a tick, for more partial-sum and merge cores.",
                                            discussion: "Without it, compile measures 1 and 2 on random input for each scheme it measures and keeps the lower error (1 on a tie). Applies to offset-coded split layers, and to net and by-sign ones whose thresholds are at least twice the stagger."))
    var partialStagger: Int?

    /// The error of a map measured whole, on its outputs.
    static func reportMeasured(_ error: ApproximationError) {
        print(String(format: "measured on %ld ticks of random rate-coded input (seed %llu): %ld of %ld output neurons differ, mean rate error %.4f, max %.4f spikes/tick",
                     error.ticks, error.seed, error.differing, error.neurons, error.meanRateError, error.maxRateError))
    }

    /// The sampled errors of a map, layer by layer: one too large to measure whole, or one
    /// whose scheme was chosen on each layer's own error (`bySample`).
    static func reportSamples(_ sampled: SampledChoice, compiled: Compiled, bySample: Bool = false) {
        print(bySample ? "error measured layer by layer: each split layer sampled on its own (random rate-coded input):"
              : "error not measured whole: the network is too large to run the reference at compile time; each split layer sampled on its own (random rate-coded input):")
        for (sums, mean) in sampled.rejected {
            print(String(format: "  partial sums: %@ kept (mean sampled rate error %.4f), against %@ (%.4f)",
                         sampled.sums.rawValue, sampled.mean, sums.rawValue, mean))
        }
        for sample in sampled.samples {
            let channels = sample.channels.map { "\($0) of its output channels, evenly spaced" } ?? "every channel"
            let tile = sample.rows.map { "a \($0)x\(sample.columns ?? 0) tile of its outputs, \(channels)" }
                ?? (sample.channels == nil ? "the whole layer" : "every position, \(channels)")
            print(String(format: "  %@ (%@, from its input window): %ld of %ld outputs differ, mean rate error %.4f, max %.4f spikes/tick",
                         sample.layer, tile, sample.error.differing, sample.error.neurons, sample.error.meanRateError, sample.error.maxRateError))
        }
        let missing = compiled.approximations.map(\.layer).filter { name in !sampled.samples.contains { $0.layer == name } }
        if !missing.isEmpty { print("  not sampled (no tile within the budget): \(missing.joined(separator: ", "))") }
    }

    /// The staggers accepted: beyond 8, a merge element's axons (parts x signs x stagger)
    /// outgrow a core on all but the smallest splits.
    static let staggers = 1...8

    /// The partial sums of split layers when `--partial-sums` is not given, before compile's
    /// error measurement weighs the others: offset coding. `report` and `render` of a network
    /// count the same layout (``compileNetwork(_:target:placement:nir:)``).
    static let defaultPartialSums = PartialSums.offset

    /// Refuses a `--partial-stagger` outside ``staggers`` (compile and evaluate).
    static func validate(stagger: Int?) throws {
        if let stagger, !staggers.contains(stagger) {
            throw ValidationError("--partial-stagger \(stagger): expected \(staggers.lowerBound)...\(staggers.upperBound) partial neurons per part and sign")
        }
    }

    /// Offset coding measured ahead on the outputs and kept there, overruled by the split
    /// layers' sampled errors (`--partial-sums` not given, offset's bound failing somewhere).
    static func reportOverruled(_ overruled: PartialStepChoice, by sampled: SampledChoice, compiled: Compiled) {
        print(String(format: "partial sums: offset measured ahead on the outputs (mean rate error %.4f), but behind on each split layer's own error:",
                     overruled.error.meanRateError))
        reportSamples(sampled, compiled: compiled, bySample: true)
    }

    func validate() throws {
        if measureTicks < 0 { throw ValidationError("--measure-ticks must be 0 (no measurement) or more") }
        try Self.validate(stagger: partialStagger)
    }

    func run() throws {
        do throws(DiagnosticError) {
            let started = Date()
            var stages = StageProfile()
            let hardware = try Target.load(target)
            let net = try conversion.convert(network, target: hardware, nir: nir.semantics).conversion.network
            let integer = try IntegerNetwork.check(net.graph, target: hardware)
            stages.lap("load, convert and check")
            if conversion.printAfterEachPass { print("== after integer check: every weight, bias, threshold and leak is an integer within \(hardware.name)'s widths ==\n") }
            let progress = Progress()
            let given = try rates.map { path throws(DiagnosticError) in try FiringRates.load(path: path, graph: net.graph) }
            let options = Compiler.Options(strict: strict, rates: given, placement: placement, partialSums: partialSums ?? Self.defaultPartialSums,
                                           partialRounding: partialRounding ?? false, partialStagger: partialStagger ?? 1)
            var compiled = try Compiler(integer, options: options).compile { progress.show(text: $0) }
            progress.finish()
            stages.append(compiled.profile, prefix: "")
            let schemes: [PartialSums] = partialSums == nil ? [.net] : []
            if conversion.printAfterEachPass { print("== after analysis, partition and placement ==") }
            // Measured first: where compile chooses the scheme or the step, the table is the
            // kept map's.
            let measures = measureTicks > 0 && !compiled.approximations.isEmpty
            let unbounded = partialSums == nil ? compiled.unboundedOffsetLayers : []
            var choice = !measures ? nil : try PartialStepChoice.choose(compiled, ticks: measureTicks, schemes: schemes, rounding: partialRounding == nil, stagger: partialStagger == nil)
            let approximated = compiled.approximations
            if let choice { compiled = choice.compiled }
            // Where offset coding's bound fails in some layer, a part whose current stays
            // negative loses it, which the outputs on random input need not show: offset kept
            // on the outputs must also win on each split layer's own error, sampled.
            let confirms = choice?.sums == .offset && !unbounded.isEmpty
            // Too large to measure whole: each split layer is sampled, and the scheme chosen on
            // the samples when none was given.
            let sampled = (choice == nil && measures) || confirms ? try SampledChoice.choose(compiled, ticks: measureTicks, schemes: schemes) : nil
            var overruled: PartialStepChoice?
            if let sampled {
                compiled = sampled.compiled
                if confirms && sampled.sums != .offset {
                    // The scheme the samples keep, with its own step, start and stagger chosen
                    // and measured whole, as the offset map was.
                    overruled = choice
                    var samples = options
                    samples.partialSums = sampled.sums
                    let kept = try Compiler(integer, options: samples).compile()
                    choice = try PartialStepChoice.choose(kept, ticks: measureTicks, rounding: partialRounding == nil, stagger: partialStagger == nil)
                    compiled = choice?.compiled ?? kept
                }
            }
            if measures { stages.lap("error measurement and partial-sum choice") }
            if !unbounded.isEmpty {
                print("partial sums: offset coding's bound does not hold in \(unbounded.joined(separator: ", ")) (a part's negative range is more than the target's leak can offset)")
            }
            CompileTable(compiled).lines.forEach { print($0) }
            var error: ApproximationError?
            if !approximated.isEmpty {
                let names = compiled.approximations.map { "\($0.layer) (\($0.parts) parts)" }.joined(separator: ", ")
                print("approximated: fan-in split into partial sums in \(names)")
                if let choice {
                    let measured = choice.error
                    if let overruled, let sampled { Self.reportOverruled(overruled, by: sampled, compiled: compiled) }
                    for (sums, rejected) in choice.rejectedSchemes {
                        print(String(format: "partial sums: %@ kept (mean rate error %.4f), against %@ (mean rate error %.4f)",
                                     choice.sums.rawValue, measured.meanRateError, sums.rawValue, rejected.meanRateError))
                    }
                    if !choice.rejectedSteps.isEmpty {
                        let offset = choice.sums == .offset
                        func says(_ step: PartialStep) -> String {
                            switch step {
                            case .threshold: offset ? "one threshold" : "a threshold"
                            case .weight: offset ? "the part's per-tick range" : "the merge weight"
                            case .halfWeight: "half the merge weight"
                            }
                        }
                        let against = choice.rejectedSteps.map { String(format: "%.4f for %@", $0.error.meanRateError, says($0.step)) }.joined(separator: ", ")
                        let above = choice.layers.isEmpty || offset ? "" : "thresholds above \(hardware.core.weightRange.upperBound) in \(choice.layers.joined(separator: ", ")); "
                        print(String(format: offset ? "partial sums: offset-coded, each step %@ (mean rate error %.4f, against %@)"
                                                    : "partial sums: \(above)a partial spike stands for %@ (mean rate error %.4f, against %@)",
                                     says(choice.step), measured.meanRateError, against))
                    }
                    if let (_, rejected) = choice.rejectedRounding {
                        print(String(format: choice.rounding
                                        ? "partial sums: rounded, partial neurons start at half a step (mean rate error %.4f, against %.4f floored)"
                                        : "partial sums: floored, partial neurons start at zero (mean rate error %.4f, against %.4f rounded)",
                                     measured.meanRateError, rejected.meanRateError))
                    }
                    if let (stagger, cores, rejected) = choice.rejectedStagger {
                        func says(_ stagger: Int) -> String { stagger == 1 ? "one partial neuron per part and sign" : "\(stagger) staggered partial neurons per part and sign" }
                        print(String(format: "partial sums: %@ (mean rate error %.4f on %ld cores, against %.4f on %ld cores with %@)",
                                     says(choice.stagger), measured.meanRateError, compiled.coreCount, rejected.meanRateError, cores, says(stagger)))
                    }
                    error = measured
                    Self.reportMeasured(measured)
                    if let sampled, overruled == nil { Self.reportSamples(sampled, compiled: compiled, bySample: true) }
                } else if let sampled {
                    if let overruled { Self.reportOverruled(overruled, by: sampled, compiled: compiled) } else { Self.reportSamples(sampled, compiled: compiled) }
                } else {
                    print("error not measured (--measure-ticks 0)")
                }
            }
            if let output {
                let cores = compiled.coreCount
                progress.show(text: "writing \(output)")
                let summary = try compiled.write(to: output) { done in progress.show(text: "writing \(output): \(done) of \(cores) cores") }
                progress.finish()
                stages.lap("writing the map")
                if let summary {
                    print("core map v2: \(summary.bytes) bytes; shared tables: \(summary.crossbars) crossbars, \(summary.axonTypeTables) axon-type vectors, \(summary.neuronBlocks) neuron blocks for \(summary.cores) cores and \(summary.neurons) neurons")
                }
            }
            let seconds = Date().timeIntervalSince(started)
            if profile { FileHandle.standardError.write(Data(stages.table.map { $0 + "\n" }.joined().utf8)) }
            if let reportPath {
                try CompileReport(compiled, network: net.graph.name, target: hardware.name, error: error, seconds: seconds).save(to: reportPath)
            }
            let latencies = compiled.latencies.map { "\($0.name) \($0.ticks)" }.joined(separator: ", ")
            let written = [output, reportPath].compactMap { $0 }
            print("\(compiled.coreCount) cores on \(compiled.chipsUsed) chip(s) of target \(hardware.name); latency in ticks: \(latencies)"
                  + (written.isEmpty ? "" : "; wrote \(written.joined(separator: ", "))"))
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}

/// The per-layer table `tessera compile` prints, and its totals.
struct CompileTable {
    let lines: [String]

    init(_ compiled: Compiled) {
        var table = [["layer", "op", "neurons", "hw neurons", "cores", "lower bound", "tight bound", "axon use", "neuron use", "encoding", "tile", "fan-in", "split"]]
        for row in compiled.layers {
            table.append([row.layer, row.op, "\(row.neurons)", "\(row.hardwareNeurons)", "\(row.cores)", "\(row.lowerBound)", "\(row.tightBound)",
                          String(format: "%.0f%%", row.axonUtilisation * 100), String(format: "%.0f%%", row.neuronUtilisation * 100),
                          row.encoding.description, row.tile ?? "-", "\(row.fanIn)",
                          row.parts > 1 ? "\(row.parts) parts\(row.partialSums == .bySign ? " by sign" : row.partialSums == .offset ? " offset" : ""): \(row.partialCores) partial + \(row.mergeCores) merge cores" : "-"])
        }
        let neurons = compiled.layers.reduce(0) { $0 + $1.neurons }, hardware = compiled.layers.reduce(0) { $0 + $1.hardwareNeurons }
        let bound = compiled.layers.reduce(0) { $0 + $1.lowerBound }, tight = compiled.layers.reduce(0) { $0 + $1.tightBound }
        table.append(["total", "", "\(neurons)", "\(hardware)", "\(compiled.coreCount)", "\(bound)", "\(tight)", "", "", "", "", "", ""])
        var lines = GraphPrinter.align(table, rightAligned: [2, 3, 4, 5, 6, 7, 8, 11])
        let p = compiled.placement
        lines.append("duplication: \(hardware) hardware neurons for \(neurons) network neurons (x\(String(format: "%.2f", Double(hardware) / Double(max(neurons, 1))))), one copy per destination axon")
        if compiled.relayCores > 0 {
            lines.append("relays: \(compiled.relayCores) relay cores carry \(compiled.relayedRoutes) routes whose delay the target cannot give directly (beyond its longest axonal delay, or from an input read late)")
        }
        switch p.method {
        case "row-major": lines.append("placement: row-major, in partition order" + (p.strategy == "row-major" ? " (--placement row-major)" : ""))
        case "blocks", "blocks-at-once":
            let how = p.method == "blocks" ? "cut into chips by halves (recursive bisection), which beat one k-way cut into all the chips" : "cut into all the chips at once (k-way) and the chips arranged, which beat recursive bisection"
            lines.append("placement: METIS in blocks of 4x4 cores (above 100,000 cores), \(how); --placement cores bisects core by core, at several times the time and memory")
        case "bisection": lines.append("placement: recursive bisection of the board with METIS, core by core (the local search after it is skipped above 100,000 cores)")
        default: lines.append("placement: the better of recursive bisection with METIS and row-major order, each improved by local search")
        }
        lines.append("placement: routes take \(p.hops) hops and \(p.chipCrossings) chip crossings (row-major: \(p.rowMajorHops) and \(p.rowMajorChipCrossings))")
        if let hops = p.spikeHopsPerTick, let crossings = p.spikeCrossingsPerTick, let naiveHops = p.rowMajorSpikeHopsPerTick,
           let naiveCrossings = p.rowMajorSpikeCrossingsPerTick {
            lines.append(String(format: "placement: expected %.1f spike hops and %.2f chip crossings per tick (row-major: %.1f and %.2f)",
                                hops, crossings, naiveHops, naiveCrossings))
        }
        lines.append("placement: a chip crossing counts as \(p.crossingCost) hops (target chipCrossing / hop energy); firing rates from \(p.rateSource)")
        if let summary = p.links.summary {
            lines.append("placement: " + summary + String(format: " (row-major: %.1f on the busiest link)", p.rowMajorLinks.largestSpikesPerTick))
        }
        if let warning = p.links.warning { lines.append(warning) }
        self.lines = lines
    }
}

extension PlacementStrategy: ExpressibleByArgument {}
extension PartialSums: ExpressibleByArgument {}
extension PartialStep: ExpressibleByArgument {}
