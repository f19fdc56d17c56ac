import ArgumentParser
import Tessera

/// The `tessera` command: a compiler for spiking neural networks targeting
/// TrueNorth-style neurosynaptic cores.
@main
struct TesseraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Compile spiking neural networks for TrueNorth-style neurosynaptic cores.",
        discussion: """
        A network is described in YAML (docs/network-format.md) with weights from .npy/.npz \
        files or a seed, or read from NIR and ONNX files. Hardware targets (truenorth, truenorth-4x4, \
        truenorth-32x32, tiny) are compiled in from targets/*.yaml; --target PATH.yaml reads your own.

        Start with:  tessera check examples/digits-mlp.yaml
        """,
        version: TesseraVersion.text,
        subcommands: [CheckCommand.self, ImportCommand.self, CompileCommand.self, EvaluateCommand.self, EmulateCommand.self, SimulateCommand.self, ReportCommand.self, RenderCommand.self, PlotCommand.self, ConvertCommand.self]
    )
}

/// What `tessera --version` prints: the release and the core map formats this build reads
/// and writes, so a user can tell whether a map written elsewhere will load.
enum TesseraVersion {
    static let release = "0.1.0"
    static var text: String {
        "tessera \(release); core maps: reads and writes \(CoreMap.format) v\(CoreMap.version) (JSON) and v\(PackedCoreMap.version) (.npz archive)"
    }
}
