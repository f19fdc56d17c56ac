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
        files or a seed. Hardware targets live in targets/*.yaml (truenorth, truenorth-4x4, tiny).

        Start with:  tessera check examples/digits-mlp.yaml
        """,
        subcommands: [CheckCommand.self, ImportCommand.self, CompileCommand.self, EvaluateCommand.self, EmulateCommand.self, SimulateCommand.self, ReportCommand.self, RenderCommand.self, PlotCommand.self, ConvertCommand.self]
    )
}
