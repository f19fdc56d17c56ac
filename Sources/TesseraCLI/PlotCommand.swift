import ArgumentParser
import Foundation
import Tessera

/// `tessera plot`: a picture of an emulation's activity.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Plot an emulation: firing rate per layer, population activity per tick, and output spike rasters.",
        discussion: """
        Reads the output of `tessera emulate MAP ... -o OUT.json` and the map it ran (for \
        each layer's neurons). Rates are spikes per hardware neuron per tick; neurons copied \
        for fan-out count once per copy. Writes SVG, or PNG if the name ends in .png.

        Example:
          tessera emulate digits.coremap.json --input image=x.npy --ticks 32 -o out.json
          tessera plot out.json --map digits.coremap.json -o activity.png
        """
    )

    @Argument(help: "The output of `tessera emulate`.")
    var activity: String

    @Option(help: "The core map that was emulated.")
    var map: String

    @Option(name: .shortAndLong, help: "Where to write the picture: SVG, or PNG if the name ends in .png.")
    var output: String

    @Option(help: "Which sample of a batch output to plot.")
    var sample = 0

    @Option(help: "Pixels per drawing unit in a PNG.")
    var scale = 1.0

    @Option(name: .shortAndLong, help: "Target (default: the one the map names).")
    var target: String?

    func run() throws {
        do throws(DiagnosticError) {
            let coreMap = try loadMap(map, target: target).map
            let record = try ActivityRecord.load(path: activity, sample: sample)
            let plot = ActivityPlot(record, map: coreMap, title: "\(URL(fileURLWithPath: activity).lastPathComponent) on \(URL(fileURLWithPath: map).lastPathComponent)")
            try writePicture(plot.drawing(), to: output, scale: scale)
            print("wrote \(output): \(plot.layers.count) layers, \(record.ticks) ticks, \(record.outputs.count) output ports")
            for layer in plot.layers {
                print("  \(layer.name): \(layer.perTick.reduce(0, +)) spikes from \(layer.neurons) neurons, rate \(ActivityPlot.number(layer.rate))")
            }
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
