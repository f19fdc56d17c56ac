import ArgumentParser
import Foundation
import Tessera

/// `tessera import`: a NIR graph written out as an ordinary Tessera network and weights.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write a NIR graph (.nir) or an ONNX model (.onnx) as a Tessera network (YAML) and its weights (.npz).",
        discussion: """
        Lowers the graph as check and compile do (each neuron node one layer, the linear \
        nodes before it composed into its weights; docs/nir.md) and writes NET.yaml with \
        NET.npz beside it, which numpy.load reads. Weights that are not whole numbers get a \
        compile: section that quantises them to 8 bits; edit it to choose other passes.

        An ONNX model (a CNN or MLP exported by PyTorch or Keras) becomes the network in \
        floating point, each weighted op and the Relu after it one layer (docs/onnx.md), \
        with a compile: section that folds batch norm and quantises to 8 bits per channel; \
        add balance: { percentile: 99.9, per: channel, calibration: SAMPLES.npy } with a few \
        hundred training inputs, which conversion needs for accuracy.

        Example:  tessera import scnn.nir --from sinabs -o scnn.yaml
                  tessera import cnn.onnx -o cnn.yaml
        """
    )

    @Argument(help: "The NIR graph (.nir) or ONNX model (.onnx).")
    var model: String

    @OptionGroup(title: "NIR files") var nir: NIROptions

    @Option(name: .shortAndLong, help: "The network file to write (NAME.yaml; the weights go to NAME.npz).")
    var output: String

    func run() throws {
        do throws(DiagnosticError) {
            let onnx = NetworkLoader.isONNX(model)
            guard NetworkLoader.isNIR(model) || onnx else { throw DiagnosticError("\(model): tessera import reads NIR graphs (.nir) and ONNX models (.onnx)") }
            guard output.hasSuffix(".yaml") || output.hasSuffix(".yml") else { throw DiagnosticError("\(output): the network file must be NAME.yaml") }
            let net = try Network.load(model, nir: nir.semantics)
            report(net.warnings)
            let url = URL(fileURLWithPath: output)
            let weightsName = url.deletingPathExtension().lastPathComponent + ".npz"
            let weightsPath = url.deletingLastPathComponent().appendingPathComponent(weightsName).path
            let integral = net.graph.parameters.keys.allSatisfy { key in
                net.graph.parameters.tensor(key)?.values.allSatisfy { $0 == $0.rounded() } ?? true
            }
            let semantics = nir.semantics
            let source = URL(fileURLWithPath: model).lastPathComponent
            let header = onnx
                ? ["Imported from \(source) by tessera import; see docs/onnx.md for how each node was read.",
                   "For accuracy add to compile: balance: { percentile: 99.9, per: channel, calibration: SAMPLES.npy } (training inputs)."]
                : ["Imported from \(source) by tessera import --from \(semantics.writer.rawValue)"
                   + (semantics.dt.map { " --dt \($0)" } ?? "") + "; see docs/nir.md for how each node was read."]
            let (yaml, tensors) = try NetworkWriter.write(net.graph, weights: weightsName, header: header,
                                                          compile: integral ? nil : "{ quantise: { weights: 8, per: channel } }")
            try NPZWriter.write(tensors, to: weightsPath)
            do {
                try yaml.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw DiagnosticError("\(output): cannot write: \(error.localizedDescription)")
            }
            print("wrote \(output) (\(net.graph.layers.count) layers, outputs \(net.graph.outputs.joined(separator: ", "))) and \(weightsPath) (\(tensors.count) arrays)")
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }
}
