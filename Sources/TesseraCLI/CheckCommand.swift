import ArgumentParser
import Foundation
import Tessera

/// `tessera check`: parse, build and verify a network and print its IR summary.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify a network file and print its layers, shapes, neurons and synapses.",
        discussion: """
        Reads NET.yaml and its weights, builds the spiking IR, infers every shape and checks \
        the graph. On success prints one line per layer and the totals, plus the fewest cores \
        the network can occupy on the target, and exits 0. Otherwise prints every problem as \
        file:line:column: error: ... and exits 1.

        Example:  tessera check examples/siamsnn/siamsnn.yaml --target truenorth-4x4
        """
    )

    @Argument(help: "The network description (YAML), or a NIR graph (.nir).")
    var network: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(name: .shortAndLong, help: "Hardware target: a bundled name (truenorth, truenorth-4x4, tiny) or a path to a target YAML file. Given explicitly, a network whose core lower bound exceeds the board is an error. (default: truenorth, reported only)")
    var target: String?

    func run() throws {
        let net: Network
        let hardware: Target
        do {
            hardware = try Target.load(target ?? "truenorth")
            net = try Network.load(network, nir: nir.semantics)
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
        report(net.warnings)
        print(net.text)
        let bound = net.coreLowerBound(on: hardware)
        print("target \(hardware.name): at least \(bound.cores) cores (ceil(neurons / \(hardware.core.neurons)) per layer) on at least \(bound.chips) chip\(bound.chips == 1 ? "" : "s"); the board has \(hardware.board.coresTotal) cores")
        if target != nil, let error = bound.capacityError {
            report([error])
            throw ExitCode(1)
        }
    }
}

/// Prints diagnostics to standard error, one per line.
func report(_ diagnostics: [Diagnostic]) {
    guard !diagnostics.isEmpty else { return }
    let text = diagnostics.map(\.description).joined(separator: "\n") + "\n"
    FileHandle.standardError.write(Data(text.utf8))
}
