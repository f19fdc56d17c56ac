import ArgumentParser
import Foundation
import Tessera

/// `tessera render`: a picture of the board a core map occupies.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw the board as an SVG or PNG: cores coloured by layer, shaded by use, chip boundaries, a legend, the heaviest routes.",
        discussion: """
        The input is a core map, or a network file (.yaml), which is compiled for --target \
        and drawn from the compiler's cores without writing the map (for networks whose map \
        is too large to write). Boards larger than a picture can show core by core are \
        drawn in square blocks of cores, each coloured by its most common layer.

        Examples:
          tessera render digits.coremap.json -o chip.svg --routes 20
          tessera render digits.coremap.json -o chip.png --scale 2
          tessera render examples/deeplab/deeplab.yaml --target truenorth-32x32 -o docs/deeplab-chip.svg
        """
    )

    @Argument(help: "A core map (v2 .npz or JSON v1), or a network (.yaml or .nir) to compile and draw.")
    var input: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(name: .shortAndLong, help: "Where to write the picture: SVG, or PNG if the name ends in .png.")
    var output: String

    @Option(name: .shortAndLong, help: "Target (default: the map's; truenorth for a network).")
    var target: String?

    @Option(help: "Draw the heaviest core-to-core routes (by neurons routed), up to this many (core maps only).")
    var routes = 0

    @Option(help: "Pixels per drawing unit in a PNG (e.g. 2 for a high-resolution picture).")
    var scale = 1.0

    @Option(help: "Most cells in the grid before cores are drawn in blocks.")
    var maxCells = 20_000

    func run() throws {
        do throws(DiagnosticError) {
            let usage: BoardUsage
            let title: String
            if isNetworkFile(input) {
                let (compiled, hardware, name) = try compileNetwork(input, target: target, nir: nir.semantics)
                let cores = (0..<compiled.coreCount).map { c in
                    let s = compiled.coreSummary(c)
                    return BoardUsage.Core(x: s.chip[0] * hardware.board.coresPerChip[0] + s.place[0], y: s.chip[1] * hardware.board.coresPerChip[1] + s.place[1],
                                           layer: s.layer, role: s.role, utilisation: Double(s.neurons) / Double(hardware.core.neurons))
                }
                usage = BoardUsage(chips: hardware.board.chips, coresPerChip: hardware.board.coresPerChip, layers: compiled.layerLabels, cores: cores)
                title = "\(name) on \(hardware.name)"
            } else {
                let coreMap = try loadMap(input, target: target).map
                usage = BoardUsage(coreMap, traffic: routes > 0)
                title = "\(URL(fileURLWithPath: input).lastPathComponent) on \(coreMap.header.target)"
            }
            let picture = ChipPicture(usage, title: title, routes: routes, maxCells: maxCells)
            try writePicture(picture.drawing(), to: output, scale: scale)
            print("wrote \(output): \(usage.cores.count) cores, \(picture.blockSide == 1 ? "one cell per core" : "blocks of \(picture.blockSide)x\(picture.blockSide) cores")")
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
