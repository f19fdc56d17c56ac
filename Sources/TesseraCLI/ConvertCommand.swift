import ArgumentParser
import Foundation
import Tessera

/// `tessera convert`: rewrite a core map in the other file version.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a core map between JSON v1 and the compact v2 archive (.npz), either way.",
        discussion: """
        The input's version is read from its first bytes; the output's from its name \
        (NAME.npz is v2, anything else JSON v1). The map is validated on the way in, as every \
        loader does. Converting v1 to v2 and back gives the same bytes. A v2 map opens \
        without Tessera: numpy.load(NAME.npz); see docs/coremap-format.md.

        Example:  tessera convert net.coremap.json net.npz
        """
    )

    @Argument(help: "The core map to read (v1 JSON or v2 .npz).")
    var input: String

    @Argument(help: "Where to write it: NAME.npz for v2, NAME.json for v1.")
    var output: String

    @Option(name: .shortAndLong, help: "Target to validate against (default: the one the map names).")
    var target: String?

    func run() throws {
        do throws(DiagnosticError) {
            let map = try loadMap(input, target: target).map
            try map.save(to: output)
            let size = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? Int) ?? 0
            let version = output.lowercased().hasSuffix(".npz") ? "v2" : "v1"
            print("wrote \(output) (\(version), \(size) bytes): \(map.coreCount) cores, \(map.neuronCount) neurons; shared tables: \(map.crossbars.count) crossbars, \(map.axonTypeTables.count) axon-type vectors, \(map.neuronBlocks.count) neuron blocks")
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
