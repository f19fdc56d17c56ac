import ArgumentParser
import Foundation
import Tessera

/// `tessera evaluate`: convert, compile and emulate a classifier on labelled samples (or a
/// segmentation network on masked images), and print its accuracy (or mean IoU) per number
/// of ticks next to the float network's.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy (or mean IoU) of a converted, compiled and emulated network per number of ticks.",
        discussion: """
        The network is converted (its compile: section and the options below), compiled for \
        the target, and each sample is emulated on the core map for the longest tick count; \
        the class after T ticks is the output neuron with the most spikes in the first T ticks \
        after the output's latency. The float (ANN) accuracy comes from the unconverted \
        network with ReLU activations and linear outputs.

        With --masks instead of --labels the output is read as a segmentation: per pixel, \
        the class whose neuron fired most ([classes, H, W]; background, class 0, where none \
        fired), scored by mean IoU and pixel accuracy against the masks, and by mean IoU \
        against the float network's own segmentation.

        With --encoding events the images are spikes already, [N, T, C, H, W] (a spiking \
        network trained directly and exported to NIR), run for their T ticks; a segmentation \
        is then also scored against the framework's own output counts (--framework) and \
        Tessera's float reading of the file, by mean IoU and the share of pixels that agree. \
        An output smaller than the masks by a whole factor reads each position for the mask \
        pixels it covers.

        Example:  tessera evaluate Tests/TesseraTests/Fixtures/digits/mlp.yaml \\
                    --images Tests/TesseraTests/Fixtures/digits/test_images.npy \\
                    --labels Tests/TesseraTests/Fixtures/digits/test_labels.npy --report acc.json
                  tessera evaluate Tests/TesseraTests/Fixtures/segmentation/deeplab.yaml \\
                    --images Tests/TesseraTests/Fixtures/segmentation/test_images.npy \\
                    --masks Tests/TesseraTests/Fixtures/segmentation/test_masks.npy --ticks 16,32,64
                  tessera evaluate examples/segmentation/sinabs.nir --from sinabs --target truenorth-4x4 \\
                    --encoding events --images examples/segmentation/test-events.npy \\
                    --masks examples/segmentation/test-masks.npy --framework examples/segmentation/sinabs-counts.npy
        """
    )

    @Argument(help: "The network description (YAML), or a NIR graph (.nir).")
    var network: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(help: "Labelled samples: PATH.npy (the only input, [N, C, H, W]) or INPUT=PATH.npy; with --encoding events, spikes [N, T, C, H, W].")
    var images: [String]

    @Option(help: "Class labels, [N] integers (classification).")
    var labels: String?

    @Option(help: "Class per pixel, [N, H, W] integers (segmentation; instead of --labels).")
    var masks: String?

    @Option(help: ArgumentHelp("The framework's own output spike counts on the same event samples, [N, classes, H, W] (segmentation with --encoding events).",
                               discussion: "The chip's class maps are then also scored against the framework's: mean IoU and the share of pixels that agree."))
    var framework: String?

    @Option(help: ArgumentHelp("Draw one event sample beside its mask, the framework's segmentation and the chip's: SVG, or PNG if the name ends in .png.", valueName: "path"))
    var picture: String?

    @Option(help: "Which sample --picture draws.")
    var pictureSample = 0

    @Option(name: .shortAndLong, help: "Hardware target: truenorth, truenorth-4x4, tiny, or a path.")
    var target: String = "truenorth"

    @Option(name: .long, help: "How split fan-ins' partial sums are coded: net (the default), offset or by-sign (as in compile).")
    var partialSums: PartialSums?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Start net and by-sign partial-sum neurons at half their step, so each part's count is rounded rather than floored.",
                                                     discussion: "Off by default: it helps deep classifiers at short runs and costs others (docs/mapping.md)."))
    var partialRounding = false

    @Option(name: .long, help: ArgumentHelp("What a partial-sum spike stands for: weight (the merge weight, the default), threshold or half-weight (as compile measures them).",
                                            discussion: "docs/mapping.md, 'Rounding'."))
    var partialStep: PartialStep = .weight

    @Option(name: .long, help: ArgumentHelp("Partial-sum neurons per part and sign, started a fraction of the step apart (1, the default, is one).",
                                            discussion: "docs/mapping.md, 'Stagger'."))
    var partialStagger = 1

    @Option(help: "Tick counts to measure, comma-separated (default 1,2,4,...,128; with --encoding events, the event tensor's T).")
    var ticks: String?

    @Option(help: "Input encoding: rate, poisson or binary (default: the input's own).")
    var encoding: InputEncoding?

    @Option(help: "The output layer whose spike counts classify (default: the last output).")
    var output: String?

    @Option(help: "Seed of the Poisson encoding.")
    var seed: UInt64 = 1

    @Option(name: .customLong("report"), help: "Where to write the accuracy report (JSON).")
    var reportPath: String?

    @Flag(help: "Also measure each combination of residual elimination and bias calibration (balancing alone, + each, + both) and print one row per combination.")
    var comparePasses = false

    @Flag(help: ArgumentHelp("Also print each neuron layer's firing-rate error against the integer reference on these samples, at the longest --ticks.",
                             discussion: "Every neuron layer is made an output and the network compiled again with the same options; where a split layer's error starts, and how the layers above carry it."))
    var layerErrors = false

    @OptionGroup(title: "Conversion passes (override the network file's compile: section)")
    var conversion: ConversionOptions

    func validate() throws {
        try CompileCommand.validate(stagger: partialStagger)
    }

    func run() throws {
        do throws(DiagnosticError) {
            try checkCombinations()
            let isEvents = encoding == .events
            let hardware = try Target.load(target)
            let (original, converted) = try conversion.convert(network, target: hardware, nir: nir.semantics)
            let inputs = original.graph.inputLayers.map(\.name)
            let files = try namedPaths(images, names: inputs, option: "--images")
            let events = try isEvents ? EventSamples.load(files, graph: original.graph) : nil
            let tickList: [Int]
            if let ticks { tickList = try Self.tickList(ticks) } else if let events { tickList = [events.ticks] } else { tickList = try Self.tickList("1,2,4,8,16,32,64,128") }
            let samples = isEvents ? [] : try SampleSet.load(files, for: original.graph).samples
            let maskTensor = try masks.map { path throws(DiagnosticError) in try Self.integers(path, what: "masks") }
            let eventInputs = try events.flatMap { e throws(DiagnosticError) -> EventSegmentation.Inputs? in
                guard let maskTensor else { return nil }
                let counts = try framework.map { path throws(DiagnosticError) in (path: path, counts: try Self.numbers(path)) }
                return try EventSegmentation.inputs(graph: original.graph, output: output, samples: e.inputs.count, masks: maskTensor, framework: counts)
            }
            let integer = try IntegerNetwork.check(converted.network.graph, target: hardware)
            let options = Compiler.Options(partialStep: partialStep, partialSums: partialSums ?? .net, partialRounding: partialRounding, partialStagger: partialStagger)
            let compiled = try Compiler(integer, options: options).compile()
            var declared = InputEncoding.rate
            if case let .input(_, e)? = original.graph.inputLayers.first?.op { declared = e }
            let run = EvaluationRun(original: original.graph, compiled: compiled, target: hardware, samples: samples, ticks: tickList,
                                    encoding: encoding ?? declared, seed: seed, output: output,
                                    passes: converted.stages.map { .init(pass: $0.pass, log: $0.result.log) })
            let result: AccuracyReport
            let labelTensor = try labels.map { path throws(DiagnosticError) in try Self.integers(path, what: "labels") }
            if let events, let eventInputs {
                let drawn = picture.map { (path: $0, sample: pictureSample) }
                result = try EventSegmentation(run: run, rules: original.rules, events: events.inputs, picture: drawn).score(eventInputs)
            } else if let maskTensor { result = try run.segment(masks: maskTensor) } else {
                result = try run.classify(labels: labelTensor ?? Tensor(repeating: 0, shape: [0]))
            }
            if comparePasses { try printPassComparison(original, run: run, labels: labelTensor, masks: maskTensor) }
            if layerErrors, let longest = tickList.max() {
                try printLayerErrors(integer, options: options, samples: samples, ticks: longest, encoding: encoding ?? declared)
            }
            if let reportPath {
                try result.save(to: reportPath)
                print("wrote \(reportPath)")
            }
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }

    /// Options that do not go together, refused before anything is loaded.
    func checkCombinations() throws(DiagnosticError) {
        guard (labels == nil) != (masks == nil) else { throw DiagnosticError("give either --labels (classification) or --masks (segmentation)") }
        let isEvents = encoding == .events
        if isEvents, masks == nil { throw DiagnosticError("--encoding events is scored as a segmentation (--masks); for classes, run tools/nir/chip_decisions.py") }
        if picture != nil, !isEvents || masks == nil { throw DiagnosticError("--picture draws a segmentation of event input: give --encoding events and --masks") }
        if framework != nil, !isEvents { throw DiagnosticError("--framework reads a framework's output counts on event input: give --encoding events") }
        if isEvents, comparePasses || layerErrors { throw DiagnosticError("--compare-passes and --layer-errors run image samples; event input is scored as given") }
    }

    /// `--compare-passes`: the score per combination of residual elimination and bias calibration.
    func printPassComparison(_ original: Network, run: EvaluationRun, labels: Tensor?, masks: Tensor?) throws(DiagnosticError) {
        let settings = try conversion.apply(to: original.conversion, inputs: original.graph.inputLayers.map(\.name))
        let comparison = PassComparison(network: original, settings: settings, run: run)
        print("\n" + (masks == nil ? "accuracy" : "mean IoU") + " per pass combination:")
        let table = try comparison.run(labels: labels?.values.map { Int($0) }, masks: masks.map(EvaluationRun.maps))
        GraphPrinter.align(table, rightAligned: Set(1..<(run.ticks.count + 1))).forEach { print($0) }
    }

    /// `--layer-errors`: each neuron layer's rate error against the integer reference.
    func printLayerErrors(_ integer: IntegerNetwork, options: Compiler.Options, samples: [[String: [Double]]], ticks: Int,
                          encoding: InputEncoding) throws(DiagnosticError) {
        let rows = try LayerRateError.measure(integer, options: options, samples: samples, ticks: ticks, encoding: encoding, seed: seed)
        print("\nrate error per layer against the integer reference, every layer an output, \(ticks) ticks shown (spikes per neuron per tick, \(samples.count) samples):")
        var table = [["layer", "parts", "reference rate", "mean error", "bias"]]
        for row in rows {
            table.append([row.layer, "\(row.parts)"] + [row.referenceRate, row.meanError, row.bias].map { String(format: "%.4f", $0) })
        }
        GraphPrinter.align(table, rightAligned: [1, 2, 3, 4]).forEach { print($0) }
    }

    /// The tick counts of `--ticks`.
    static func tickList(_ text: String) throws(DiagnosticError) -> [Int] {
        let list = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ $0 >= 1 }) else { throw DiagnosticError("--ticks '\(text)': expected positive integers separated by commas") }
        return list
    }

    /// The values of a NumPy file, with its shape.
    static func numbers(_ path: String) throws(DiagnosticError) -> Tensor {
        do { return try NPYFile.read(path: path) } catch { throw DiagnosticError("\(path): \(error.message)") }
    }

    /// The integers of a NumPy file, with its shape.
    static func integers(_ path: String, what: String) throws(DiagnosticError) -> Tensor {
        let tensor = try numbers(path)
        guard tensor.values.allSatisfy({ $0 == $0.rounded() }) else { throw DiagnosticError("\(path): \(what) must be integers") }
        return tensor
    }
}
