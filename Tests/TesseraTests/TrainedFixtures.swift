import Foundation
import Testing
@testable import Passes
@testable import Tessera

/// The CNNs PyTorch and Keras trained on the digits (`Fixtures/trained`, written by
/// `tools/onnx/make_trained_fixtures.py` and `make_keras_fixture.py`): each model,
/// onnxruntime's scores on the 360 test images, and `summary.json`'s (`keras.json`'s)
/// accuracies.
enum TrainedFixtures {
    static func path(_ name: String) -> String { TestSupport.fixtures + "/trained/" + name }

    /// The float reading of `model` on every test image against onnxruntime's scores: the
    /// largest difference, the largest score, and how many images it classifies right, with
    /// the framework's accuracy (PyTorch's from summary.json unless told).
    static func floatReading(_ model: String, summary: String = "summary.json", accuracyKey: String = "torch_accuracy") throws -> (worst: Double, largest: Double, correct: Int, count: Int, torch: Double) {
        let net = try Network.load(path("\(model).onnx"))
        let x = try NPYFile.read(path: path("digits.input.npy"))
        let y = try NPYFile.read(path: path("\(model).output.npy"))
        let labels = try NPYFile.read(path: path("digits.labels.npy")).values.map { Int($0) }
        let input = try #require(net.graph.inputLayers.first?.name), output = try #require(net.graph.outputs.first)
        let k = try #require(net.graph.layers.firstIndex { $0.name == output })
        let forward = AnalogForward(net.graph)
        let n = x.shape[0], inSize = x.values.count / n, outSize = y.values.count / n
        var worst = 0.0, largest = 0.0, correct = 0
        for s in 0..<n {
            let mine = forward.run([input: Array(x.values[s * inSize ..< (s + 1) * inSize])], linear: [output])[k]
            let theirs = Array(y.values[s * outSize ..< (s + 1) * outSize])
            worst = max(worst, zip(mine, theirs).map { abs($0 - $1) }.max() ?? .infinity)
            largest = max(largest, theirs.map(abs).max() ?? 0)
            if mine.firstIndex(of: mine.max() ?? 0) == labels[s] { correct += 1 }
        }
        let table = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(summary)))) as? [String: Any]
        let framework = try #require((table?[model] as? [String: Any])?[accuracyKey] as? Double)
        return (worst, largest, correct, n, framework)
    }

    /// `tessera import` of `model`, loaded back: the largest relative difference of its
    /// scores from the model's own on the first `samples` test images (nil if the import
    /// failed), and the two networks.
    static func importedDifference(_ model: String, samples: Int = 16) throws -> (difference: Double?, direct: Network, written: Network?) {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("\(model).yaml").path
        let direct = try Network.load(path("\(model).onnx"))
        let run = try TestSupport.tessera(["import", path("\(model).onnx"), "-o", yaml])
        guard run.status == 0 else { return (nil, direct, nil) }
        let written = try Network.load(yaml)
        let x = try NPYFile.read(path: path("digits.input.npy"))
        let size = x.values.count / x.shape[0]
        var worst = 0.0
        for s in 0..<samples {
            let sample = Array(x.values[s * size ..< (s + 1) * size])
            let a = AnalogForward(direct.graph).run([direct.graph.inputLayers[0].name: sample], linear: Set(direct.graph.outputs))
            let b = AnalogForward(written.graph).run([written.graph.inputLayers[0].name: sample], linear: Set(written.graph.outputs))
            worst = max(worst, zip(a.last ?? [], b.last ?? []).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity)
        }
        return (worst, direct, written)
    }
}
