import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// ONNX models PyTorch 2.13's exporters (default and TorchScript) and onnx.helper wrote, with
/// onnxruntime 1.32's outputs on seeded inputs (`Tests/TesseraTests/Fixtures/onnx`, made by
/// `tools/onnx/make_fixtures.py`; its README lists each file's ops and exporter).
@Suite struct ONNXImportTests {
    static func fixture(_ name: String) -> String { TestSupport.fixtures + "/onnx/" + name }

    /// Every valid fixture, with the output files that hold onnxruntime's outputs on the
    /// inputs (the opset variants and the default export share their model's inputs).
    static let models: [(model: String, inputs: String)] = [
        ("digits-mlp", "digits-mlp"), ("digits-cnn", "digits-cnn"), ("digits-cnn-opset11", "digits-cnn"), ("digits-cnn-opset13", "digits-cnn"),
        ("segmenter", "segmenter"), ("bn-convtranspose", "bn-convtranspose"), ("bn-convtranspose-default", "bn-convtranspose"),
        ("squeeze-flatten", "squeeze-flatten"), ("reshape-flatten", "reshape-flatten"), ("mixed", "mixed"),
    ]

    /// The float reading of the imported network (AnalogForward, the ANN conversion starts
    /// from) gives onnxruntime's outputs: largest difference at most 1e-4 of the largest
    /// output, per model over all its inputs.
    @Test(arguments: models.map(\.model))
    func floatReadingEqualsOnnxruntime(_ model: String) throws {
        let inputs = try #require(Self.models.first { $0.model == model }?.inputs)
        let net = try Network.load(Self.fixture("\(model).onnx"))
        let x = try NPYFile.read(path: Self.fixture("\(inputs).input.npy"))
        let y = try NPYFile.read(path: Self.fixture("\(model).output.npy"))
        let input = try #require(net.graph.inputLayers.first?.name), output = try #require(net.graph.outputs.first)
        let k = try #require(net.graph.layers.firstIndex { $0.name == output })
        let forward = AnalogForward(net.graph)
        let n = x.shape[0], inSize = x.values.count / n, outSize = y.values.count / n
        var worst = 0.0, largest = 0.0
        for s in 0..<n {
            let mine = forward.run([input: Array(x.values[s * inSize ..< (s + 1) * inSize])], linear: [output])[k]
            let theirs = Array(y.values[s * outSize ..< (s + 1) * outSize])
            #expect(mine.count == theirs.count)
            worst = max(worst, zip(mine, theirs).map { abs($0 - $1) }.max() ?? .infinity)
            largest = max(largest, theirs.map(abs).max() ?? 0)
        }
        #expect(largest > 0.1, "outputs this small would not test much")
        #expect(worst <= 1e-4 * largest, "largest difference \(worst) against outputs up to \(largest)")
    }

    /// `tessera import` writes a YAML network and weights whose float reading is the
    /// model's: each fixture imported, loaded back and compared as above.
    @Test(arguments: ["segmenter", "bn-convtranspose", "mixed", "digits-mlp"])
    func importedYAMLReadsAsTheModel(_ model: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("\(model).yaml").path
        let run = try TestSupport.tessera(["import", Self.fixture("\(model).onnx"), "-o", yaml])
        #expect(run.status == 0, "\(run.stderr)")
        let direct = try Network.load(Self.fixture("\(model).onnx")), written = try Network.load(yaml)
        let inputs = try #require(Self.models.first { $0.model == model }?.inputs)
        let x = try NPYFile.read(path: Self.fixture("\(inputs).input.npy"))
        let size = x.values.count / x.shape[0]
        for s in 0..<x.shape[0] {
            let sample = Array(x.values[s * size ..< (s + 1) * size])
            let a = AnalogForward(direct.graph).run([direct.graph.inputLayers[0].name: sample], linear: Set(direct.graph.outputs))
            let b = AnalogForward(written.graph).run([written.graph.inputLayers[0].name: sample], linear: Set(written.graph.outputs))
            #expect(a.last == b.last)
        }
    }

    /// The digits CNN exported from PyTorch converts, compiles and emulates as the YAML
    /// version does (`DigitsConversionTests`): with the YAML's own conversion (per-channel
    /// balancing on its calibration set, 5-bit per-channel weights), the best accuracy at up
    /// to 64 ticks is within 1 point of the float accuracy onnxruntime gives on the 360 test
    /// images (0.975, `digits-cnn-all.output.npy`).
    @Test func importedDigitsCNNConvertsAsTheYAMLOneDoes() throws {
        let network = try Network.load(Self.fixture("digits-cnn.onnx"))
        let theirs = try NPYFile.read(path: Self.fixture("digits-cnn-all.output.npy"))
        let labels = try NPYFile.read(path: TestSupport.fixtures + "/digits/test_labels.npy").values.map { Int($0) }
        let decided = (0..<labels.count).map { s in
            let row = Array(theirs.values[s * 10 ..< (s + 1) * 10])
            return row.firstIndex(of: row.max() ?? 0) ?? -1
        }
        let float = Double(zip(decided, labels).filter { $0 == $1 }.count) / Double(labels.count)
        #expect(abs(float - 0.975) < 1e-9)
        var settings = network.conversion
        settings.balance = .init(percentile: 99.9, granularity: .channel, calibration: [network.graph.inputLayers[0].name: TestSupport.fixtures + "/digits/calibration.npy"])
        settings.baseDirectory = "/"
        settings.quantise = .init(format: .bits(5), granularity: .channel)
        let input = network.graph.inputLayers[0].name
        let images = try SampleSet.load([input: TestSupport.fixtures + "/digits/test_images.npy"], for: network.graph).samples
        let (curve, _, _) = try DigitsConversionTests.curve(network, settings, images: images, labels: labels, ticks: [16, 32, 64])
        let best = curve.accuracy.max() ?? 0
        #expect(best >= float - 0.01, "best SNN accuracy at <= 64 ticks \(best), float (onnxruntime) \(float)")
    }

    /// Malformed or unsupported models: `tessera check` exits 1 and names the node (or the
    /// file's problem) and the reason.
    @Test(arguments: [
        ("not-protobuf", "not an ONNX model"), ("truncated", "not an ONNX model"), ("empty", "empty file"),
        ("missing-initializer", "neither an initializer, a graph input nor a node's output"),
        ("wrong-weight-shape", "input channels, but its input has"),
        ("maxpool", "(MaxPool): Tessera does not lower MaxPool"), ("sigmoid", "(Sigmoid)"), ("lstm", "(LSTM)"),
        ("dynamic-shape", "not a number; Tessera needs static shapes"), ("external-missing", "cannot be opened"),
        ("nan-weight", "weights must be finite"), ("old-opset", "opset 7"), ("unsorted", "not in topological order"),
        ("avgpool-exclude-pad", "count_include_pad = 0"), ("resize-linear", "nearest-neighbour resizing only"),
        ("conv-no-relu", "before any Relu"),
    ])
    func malformedModelsAreRejected(_ file: String, _ reason: String) throws {
        let run = try TestSupport.tessera(["check", Self.fixture("malformed/\(file).onnx")])
        #expect(run.status == 1)
        #expect(run.stderr.contains(reason), "\(run.stderr)")
        #expect(run.stderr.contains("\(file).onnx"), "\(run.stderr)")
    }

    /// A classifier ending in Softmax is read before it, and says so.
    @Test func softmaxAtTheEndIsReadBeforeIt() throws {
        let run = try TestSupport.tessera(["check", Self.fixture("malformed/softmax.onnx")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("(Softmax): dropped at the end of the graph; the output is read before it"), "\(run.stderr)")
    }
}
