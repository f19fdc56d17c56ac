import Foundation
import SpikeIR
import TesseraSupport
import Yams

/// Fills a graph's ``ParameterStore``: for every parameter key, each tensor its layer
/// needs comes from the layer's own `.npy` file, else from the network's `.npz` archive
/// (`<key>.<suffix>`), else from the seed (`init:`), else it is an error.
///
/// Synthetic tensors follow PyTorch's default initialisation, uniform in
/// `[-1/sqrt(fanIn), 1/sqrt(fanIn)]`; batch-norm statistics default to the identity.
struct WeightBinder {
    var reader: YAMLReader
    let baseDirectory: URL

    mutating func bind(_ graph: SpikeGraph, file: NetworkFile,
                       weights: [String: (spec: WeightSpec, location: SourceLocation?)]) -> ParameterStore {
        var store = ParameterStore()
        var archive: NPZArchive?
        if let (path, node) = file.archive {
            do {
                archive = try NPZArchive(path: resolve(path))
            } catch {
                reader.error("cannot open weights archive: \(error.message)", at: node)
            }
        }
        var used = Set<String>()
        let index = graph.layersByName
        var done = Set<String>()
        for layer in graph.layers {
            let shapes = graph.inputShapes(of: layer, in: index)
            guard let key = layer.parameterKey, done.insert(key).inserted, !shapes.isEmpty else { continue }
            let spec = weights[key]?.spec ?? WeightSpec()
            let synthetic = spec.synthetic ?? file.synthetic
            for slot in layer.op.parameterSlots(inputs: shapes) {
                let name = "\(key).\(slot.suffix)"
                if let (path, node) = spec.files[slot.suffix] {
                    do {
                        store[name] = .loaded(try NPYFile.read(path: resolve(path)), origin: path)
                    } catch {
                        reader.error("\(layer.op.name) '\(layer.name)': cannot load '\(path)' for \(slot.suffix): \(error.message)", at: node)
                    }
                    continue
                }
                if let archive, archive.keys.contains(name) {
                    used.insert(name)
                    do {
                        if let tensor = try archive.tensor(name) {
                            store[name] = .loaded(tensor, origin: "\(archive.path):\(name)")
                        }
                    } catch {
                        reader.diagnostics.error("\(layer.op.name) '\(layer.name)': \(error.message)", at: layer.location)
                    }
                    continue
                }
                // A trained scale is bound only when the weights hold it.
                if slot.optional { continue }
                // `shortcut: identity` needs no tensor: its weights are the identity matrix.
                if slot.suffix == "shortcut", case let .conv2d(c) = layer.op, c.shortcut?.identity == true, slot.shape.count == 4 {
                    let (out, inner) = (slot.shape[0], slot.shape[1])
                    let values = (0..<(out * inner)).map { $0 / inner == $0 % inner ? 1.0 : 0 }
                    if let identity = Tensor(shape: slot.shape, values: values) { store[name] = .loaded(identity, origin: "the identity (shortcut: identity)") }
                    continue
                }
                if let synthetic {
                    let constant = synthetic.trinary && slot.suffix == "bias" ? 0 : slot.constant
                    store[name] = .synthetic(.init(shape: slot.shape, seed: synthetic.seed, bound: 1 / Double(max(slot.fanIn, 1)).squareRoot(),
                                                   constant: constant, trinary: synthetic.trinary))
                    continue
                }
                var why = archive.map { "it is not in '\($0.path)'" } ?? "the network has no 'weights:' archive"
                if let archive, let near = Suggestion.closest(to: name, among: archive.keys) { why += " (which has '\(near)')" }
                let hint = slot.suffix == "bias" ? ", set 'bias: false' if the layer has none," : ""
                reader.diagnostics.error("\(layer.op.name) '\(layer.name)' needs tensor '\(name)' of shape \(describeShape(slot.shape)): \(why)\(hint) and no 'init: { seed: N }' asks for synthetic values", at: layer.location)
            }
        }
        if let archive, let (_, node) = file.archive {
            let unused = archive.keys.filter { !used.contains($0) && !$0.hasSuffix("num_batches_tracked") }
            if !unused.isEmpty {
                reader.warning("\(unused.count) array\(unused.count == 1 ? "" : "s") of '\(archive.path)' used by no layer: \(unused.prefix(8).joined(separator: ", "))\(unused.count > 8 ? ", ..." : "")", at: node)
            }
        }
        return store
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory.appendingPathComponent(path).path
    }
}
