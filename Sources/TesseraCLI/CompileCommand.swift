import ArgumentParser
import Foundation
import Tessera

/// `tessera compile`: lower a network onto the cores of a target and write the core map.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Map a network with integer weights onto cores and write its core map.",
        discussion: """
        The network must be exact in integers (see `tessera simulate`). Each layer gets the \
        cheapest exact weight encoding (signed or 4-bit bit-sliced), is split over cores by \
        fan-in and neuron count, its neurons duplicated once per destination axon, and \
        placed row-major on the board with delays that align branches. The emulated map \
        equals `tessera simulate` spike for spike. Not yet: fan-in splitting, wider \
        weights, structured conv tiling and traffic-aware placement (docs/mapping.md).

        Example:  tessera compile net.yaml --target tiny -o net.coremap.json
        """
    )

    @Argument(help: "The network description (YAML).")
    var network: String

    @Option(name: .shortAndLong, help: "Hardware target: truenorth, truenorth-4x4, tiny, or a path.")
    var target: String = "truenorth"

    @Option(name: .shortAndLong, help: "Where to write the core map (JSON v1).")
    var output: String

    func run() throws {
        do throws(DiagnosticError) {
            let hardware = try Target.load(target)
            let net = try Network.load(network)
            report(net.warnings)
            let compiled = try Compiler(try IntegerNetwork.check(net.graph, target: hardware)).compile()
            try compiled.map.save(to: output)
            var table = [["layer", "neurons", "hw neurons", "cores", "lower bound", "axons used", "encoding"]]
            for row in compiled.layers {
                table.append([row.layer, "\(row.neurons)", "\(row.hardwareNeurons)", "\(row.cores)", "\(row.lowerBound)", "\(row.axonsUsed)", row.encoding.rawValue])
            }
            GraphPrinter.align(table, rightAligned: [1, 2, 3, 4, 5]).forEach { print($0) }
            let p = compiled.placement
            print("placement: \(p.hops) hops and \(p.chipCrossings) chip crossings of traffic (row-major: \(p.rowMajorHops) and \(p.rowMajorChipCrossings)); a crossing counts as \(p.crossingCost) hops (target chipCrossing / hop energy)")
            let latencies = compiled.map.outputs.map { "\($0.name) \($0.latency)" }.joined(separator: ", ")
            print("\(compiled.map.cores.count) cores on target \(hardware.name); latency in ticks: \(latencies); wrote \(output)")
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
