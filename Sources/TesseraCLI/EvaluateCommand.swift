import ArgumentParser
import Foundation
import Tessera

/// `tessera evaluate`: convert, compile and emulate a classifier on labelled samples, and
/// print its accuracy per number of ticks next to the float network's.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy of a converted, compiled and emulated classifier per number of ticks.",
        discussion: """
        The network is converted (its compile: section and the options below), compiled for \
        the target, and each sample is emulated on the core map for the longest tick count; \
        the class after T ticks is the output neuron with the most spikes in the first T ticks \
        after the output's latency. The float (ANN) accuracy comes from the unconverted \
        network with ReLU activations and linear outputs.

        Example:  tessera evaluate Tests/TesseraTests/Fixtures/digits/mlp.yaml \\
                    --images Tests/TesseraTests/Fixtures/digits/test_images.npy \\
                    --labels Tests/TesseraTests/Fixtures/digits/test_labels.npy --report acc.json
        """
    )

    @Argument(help: "The network description (YAML).")
    var network: String

    @Option(help: "Labelled samples: PATH.npy (the only input, [N, C, H, W]) or INPUT=PATH.npy.")
    var images: [String]

    @Option(help: "Class labels, [N] integers.")
    var labels: String

    @Option(name: .shortAndLong, help: "Hardware target: truenorth, truenorth-4x4, tiny, or a path.")
    var target: String = "truenorth"

    @Option(help: "Tick counts to measure, comma-separated.")
    var ticks: String = "1,2,4,8,16,32,64,128"

    @Option(help: "Input encoding: rate, poisson or binary (default: the input's own).")
    var encoding: InputEncoding?

    @Option(help: "The output layer whose spike counts classify (default: the last output).")
    var output: String?

    @Option(help: "Seed of the Poisson encoding.")
    var seed: UInt64 = 1

    @Option(name: .customLong("report"), help: "Where to write the accuracy report (JSON).")
    var reportPath: String?

    @OptionGroup(title: "Conversion passes (override the network file's compile: section)")
    var conversion: ConversionOptions

    func run() throws {
        do throws(DiagnosticError) {
            let tickList = ticks.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !tickList.isEmpty, tickList.allSatisfy({ $0 >= 1 }) else { throw DiagnosticError("--ticks '\(ticks)': expected positive integers separated by commas") }
            let hardware = try Target.load(target)
            let (original, converted) = try conversion.convert(network, target: hardware)
            let inputs = original.graph.inputLayers.map(\.name)
            let files = try namedPaths(images, names: inputs, option: "--images")
            let samples = try SampleSet.load(files, for: original.graph).samples
            let labelTensor: Tensor
            do { labelTensor = try NPYFile.read(path: labels) } catch { throw DiagnosticError("\(labels): \(error.message)") }
            guard labelTensor.values.allSatisfy({ $0 == $0.rounded() }) else { throw DiagnosticError("\(labels): labels must be integers") }
            let labelValues = labelTensor.values.map { Int($0) }

            let floatAccuracy = Self.floatAccuracy(original.graph, samples: samples, labels: labelValues, output: output)
            let integer = try IntegerNetwork.check(converted.network.graph, target: hardware)
            let compiled = try Compiler(integer).compile()
            let map = compiled.map
            var declared = InputEncoding.rate
            if case let .input(_, e)? = original.graph.inputLayers.first?.op { declared = e }
            let chosen = encoding ?? declared
            let curve = try AccuracyCurve.measure(map, samples: samples, labels: labelValues, ticks: tickList, encoding: chosen, seed: seed, target: hardware, output: output)
            let latency = map.outputs.first { $0.name == (output ?? map.outputs.last?.name) }?.latency ?? 0
            print("\(compiled.coreCount) cores on \(hardware.name); output latency \(latency) ticks; \(samples.count) samples, \(chosen.rawValue) encoding")
            print("float (ANN) accuracy: " + (floatAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a (binary layers have no ReLU reading)"))
            var table = [["ticks", "ticks per frame", "accuracy"]]
            for (t, a) in zip(curve.ticks, curve.accuracy) { table.append(["\(t)", "\(t + latency)", String(format: "%.2f%%", a * 100)]) }
            GraphPrinter.align(table, rightAligned: [0, 1, 2]).forEach { print($0) }
            if let reportPath {
                let report = AccuracyReport(network: original.graph.name, target: hardware.name, samples: samples.count, encoding: chosen.rawValue,
                                            floatAccuracy: floatAccuracy, cores: compiled.coreCount, latency: latency,
                                            curve: zip(curve.ticks, curve.accuracy).map { .init(ticks: $0, ticksPerFrame: $0 + latency, accuracy: $1) },
                                            passes: converted.stages.map { .init(pass: $0.pass, log: $0.result.log) })
                try report.save(to: reportPath)
                print("wrote \(reportPath)")
            }
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }

    /// Accuracy of the float network, nil when it has binary layers (no ReLU reading).
    static func floatAccuracy(_ graph: SpikeGraph, samples: [[String: [Double]]], labels: [Int], output: String?) -> Double? {
        guard !graph.layers.contains(where: { $0.neuron?.kind == .binary }) else { return nil }
        return AnalogForward(graph).accuracy(samples, labels: labels, output: output)
    }
}

/// What `tessera evaluate --report` writes.
struct AccuracyReport: Encodable {
    struct Point: Encodable {
        var ticks: Int
        var ticksPerFrame: Int
        var accuracy: Double
    }
    struct Pass: Encodable {
        var pass: String
        var log: [String]
    }
    var network: String
    var target: String
    var samples: Int
    var encoding: String
    var floatAccuracy: Double?
    var cores: Int
    var latency: Int
    var curve: [Point]
    var passes: [Pass]

    func save(to path: String) throws(DiagnosticError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do { try encoder.encode(self).write(to: URL(fileURLWithPath: path)) } catch {
            throw DiagnosticError("cannot write report '\(path)': \(error.localizedDescription)")
        }
    }
}
