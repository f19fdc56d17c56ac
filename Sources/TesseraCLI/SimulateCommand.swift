import ArgumentParser
import Foundation
import Tessera

/// `tessera simulate`: run a network on the IR-level reference simulator.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a network on a reference simulator: the integer one (the oracle for compiled core maps) or the float one.",
        discussion: """
        `--reference integer` runs every layer with the integer semantics of the hardware \
        neuron, one tick per layer hop, branches aligned (docs/reference.md). The network must \
        already be exact in integers: integer weights, biases, thresholds and leaks within the \
        target's widths, and ops with an integer meaning; otherwise each offending layer is \
        reported.

        `--reference float` runs the network unquantised, every layer in the same tick as \
        training frameworks step, with the firing rules of the framework that wrote a NIR \
        file (`--from`; docs/nir.md): it checks an import apart from quantisation. It is the \
        default for .nir files; integer is the default for YAML.

        Inputs and outputs use the spike-file formats of `tessera emulate`; output ports are \
        the network's outputs, with their latency in ticks printed.

        Example:  tessera simulate net.yaml --spikes in.json --ticks 32 -o out.json
        """
    )

    @Argument(help: "The network description (YAML), or a NIR graph (.nir).")
    var network: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @OptionGroup var input: InputOptions

    enum Reference: String, ExpressibleByArgument, CaseIterable {
        case integer, float
    }

    @Option(help: "Which reference: integer (the chip's semantics) or float (the framework's); default float for .nir files, else integer.")
    var reference: Reference?

    @Option(help: "Number of ticks to run.")
    var ticks: Int

    @Option(name: .shortAndLong, help: "Write the result JSON here instead of standard output.")
    var output: String?

    @Option(name: .shortAndLong, help: "Target whose widths the integers must fit (default: truenorth).")
    var target: String = "truenorth"

    @Option(name: .long, help: ArgumentHelp("Write each layer's firing rate (spikes per neuron per tick, averaged over the samples) here.",
                                            discussion: "`tessera compile --rates` weighs placement by them."))
    var writeRates: String?

    func validate() throws {
        guard ticks >= 0 else { throw ValidationError("--ticks must not be negative") }
    }

    func run() throws {
        do throws(DiagnosticError) {
            let hardware = try Target.load(target)
            let net = try Network.load(network, nir: nir.semantics)
            report(net.warnings)
            let ports = InputOptions.ports(of: net.graph)
            let isNIR = NetworkLoader.isNIR(network)
            if (reference ?? (isNIR ? .float : .integer)) == .float {
                guard writeRates == nil else { throw DiagnosticError("--write-rates measures the chip's rates: use it with --reference integer") }
                let (samples, isBatch) = try input.samples(ports: ports, ticks: ticks)
                let simulator = FloatSimulator(net.graph, rules: net.rules)
                let how = isNIR ? "\(nir.semantics.writer.rawValue)'s firing rules" : "the chip's firing rules"
                FileHandle.standardError.write(Data("float reference, every layer in the same tick, \(how): latency 0 ticks\n".utf8))
                try writeResults(samples.map { simulator.run($0, ticks: ticks) }, isBatch: isBatch, ticks: ticks, to: output, withStats: false)
                return
            }
            let simulator = ReferenceSimulator(try IntegerNetwork.check(net.graph, target: hardware))
            let (samples, isBatch) = try input.samples(ports: ports, ticks: ticks)
            let runs = samples.map { simulator.runMeasuringRates($0, ticks: ticks) }
            let results = runs.map(\.result)
            let latencies = net.graph.outputs.map { "\($0) \(simulator.latency(of: $0))" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("latency in ticks: \(latencies)\n".utf8))
            try writeResults(results, isBatch: isBatch, ticks: ticks, to: output, withStats: false)
            if let writeRates {
                var sums: [String: Double] = [:]
                for run in runs {
                    for (layer, rate) in run.rates { sums[layer, default: 0] += rate }
                }
                let mean = sums.mapValues { $0 / Double(max(samples.count, 1)) }
                try FiringRates(rates: mean, source: "tessera simulate, \(samples.count) sample(s) of \(ticks) ticks").save(to: writeRates)
            }
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
