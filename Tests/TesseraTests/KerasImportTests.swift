import Foundation
import Testing
@testable import Passes
@testable import Tessera

/// What tf2onnx writes for a Keras model: shape arithmetic folded to constants, a
/// channels-last Flatten (Transpose, Reshape) undone in the dense weights, and a batch norm
/// as per-channel Mul and Add folded into the convolution. Hand-built graphs, worked by hand,
/// and the Keras CNN of `tools/onnx/make_keras_fixture.py` against onnxruntime.
@Suite struct KerasImportTests {
    static let truenorth = try! Target.load(TestSupport.target("truenorth"))  // bundled file, not user input

    /// x [1, 2, 1, 2] (c, h, w), transposed to channels last and flattened with a shape
    /// computed from x's (Shape, Gather [0], Concat [4]), then MatMul by [1, 2, 3, 4].
    static func flattenedChannelsLast(perm: [Int64] = [0, 2, 3, 1], readBy reader: String = "Reshape") throws -> String {
        var b = ONNXGraphBuilder(input: [1, 2, 1, 2], output: [1, 1])
        b.constant("first", [1], [0])
        b.constant("rest", [1], [4])
        b.constant("w", [4, 1], [1, 2, 3, 4])
        b.node("Transpose", "to_nhwc", ["x"], "t", ints: ["perm": perm])
        b.node("Shape", "shape", ["x"], "s")
        b.node("Gather", "batch", ["s", "first"], "n")
        b.node("Concat", "target", ["n", "rest"], "target")
        if reader == "Reshape" { b.node("Reshape", "flatten", ["t", "target"], "f") } else { b.node(reader, "reader", ["t"], "f") }
        b.node("MatMul", "fc", ["f", "w"], "y")
        return try b.save()
    }

    /// ONNX flattens (h, w, c): x(c0, w0), x(c1, w0), x(c0, w1), x(c1, w1) meet weights 1, 2,
    /// 3, 4. The IR flattens (c, h, w): x(c0, w0), x(c0, w1), x(c1, w0), x(c1, w1), so its
    /// weights are 1, 3, 2, 4. With x = (c0: 1, 2; c1: 3, 4): 1 + 3*2 + 2*3 + 4*4 = 29.
    @Test func channelsLastFlattenReordersTheDenseWeights() throws {
        let net = try Network.load(try Self.flattenedChannelsLast())
        let dense = try #require(net.graph.layers.first { if case .dense = $0.op { true } else { false } })
        #expect(net.graph.parameters.tensor("\(dense.parameterKey ?? dense.name).weight")?.values == [1, 3, 2, 4])
        let k = try #require(net.graph.layers.firstIndex { $0.name == dense.name })
        let out = AnalogForward(net.graph).run(["x": [1, 2, 3, 4]], linear: [dense.name])[k]
        #expect(out == [29])
    }

    @Test func otherLayoutsAreRefusedNamingTheNode() throws {
        let cases: [(String, String)] = [
            (try Self.flattenedChannelsLast(perm: [0, 3, 2, 1]), "node 'to_nhwc' (Transpose): permutes the axes of a map by [0, 3, 2, 1]"),
            (try Self.flattenedChannelsLast(readBy: "Relu"), "node 'reader' (Relu): reads 't', a map transposed to channels last"),
        ]
        for (path, message) in cases {
            let run = try TestSupport.tessera(["import", path, "-o", path + ".yaml"])
            #expect(run.status == 1)
            #expect(run.stderr.contains(message), "\(run.stderr)")
        }
    }

    /// Conv 1 -> 2 (1x1, weights 1 and 2, no bias), then Mul by (3, -1) and Add (0.5, 0.25)
    /// per channel: weights 3 and -2, bias 0.5 and 0.25. A second reader of the sum refuses.
    @Test func perChannelMulAndAddFoldIntoTheConvolution() throws {
        func model(secondReader: Bool) throws -> String {
            var b = ONNXGraphBuilder(input: [1, 1, 2, 2], output: [1, 2, 2, 2])
            b.constant("w", [2, 1, 1, 1], [1, 2])
            b.constant("scale", [1, 2, 1, 1], [3, -1])
            b.constant("shift", [1, 2, 1, 1], [0.5, 0.25])
            b.node("Conv", "conv", ["x", "w"], "s")
            b.node("Mul", "bn_mul", ["s", "scale"], "m")
            b.node("Add", "bn_add", ["m", "shift"], "a")
            b.node("Relu", "relu", [secondReader ? "s" : "a"], "y")
            return try b.save()
        }
        let net = try Network.load(try model(secondReader: false))
        let conv = try #require(net.graph.layers.first { if case .conv2d = $0.op { true } else { false } })
        let key = conv.parameterKey ?? conv.name
        #expect(net.graph.parameters.tensor("\(key).weight")?.values == [3, -2])
        #expect(net.graph.parameters.tensor("\(key).bias")?.values == [0.5, 0.25])
        let refused = try model(secondReader: true)
        let run = try TestSupport.tessera(["import", refused, "-o", refused + ".yaml"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("node 'bn_mul' (Mul): scales 's' per channel, but 2 nodes or outputs read it"), "\(run.stderr)")
    }

    @Test func kerasFloatReadingEqualsOnnxruntime() throws {
        let r = try TrainedFixtures.floatReading("keras-cnn", summary: "keras.json", accuracyKey: "keras_accuracy")
        #expect(r.worst <= 1e-4 * r.largest, "largest difference \(r.worst) against scores up to \(r.largest)")
        #expect(r.correct == Int((r.torch * Double(r.count)).rounded()))
    }

    /// Converted with the digits' calibration set only (balancing, 8-bit weights by default),
    /// the map classifies the first 120 test images within 2 of the float reading at 64 ticks.
    @Test func kerasMapClassifiesAsTheFloatNetwork() throws {
        let net = try Network.load(TrainedFixtures.path("keras-cnn.onnx"))
        let x = try NPYFile.read(path: TrainedFixtures.path("digits.input.npy"))
        let labels = try NPYFile.read(path: TrainedFixtures.path("digits.labels.npy")).values.map { Int($0) }
        let input = try #require(net.graph.inputLayers.first?.name)
        let size = x.values.count / x.shape[0], count = 120
        let samples = (0..<count).map { [input: Array(x.values[$0 * size ..< ($0 + 1) * size])] }
        let calibration = try SampleSet.load([input: TestSupport.fixtures + "/digits/calibration.npy"], for: net.graph).samples
        var settings = net.conversion
        settings.balance = ConversionSettings.Balance()
        let conversion = try net.convert(settings, calibration: calibration, target: Self.truenorth)
        let compiled = try Compiler(try IntegerNetwork.check(conversion.network.graph, target: Self.truenorth)).compile()
        let curve = try AccuracyCurve.measure(compiled.map, samples: samples, labels: Array(labels.prefix(count)), ticks: [64], target: Self.truenorth)
        let float = AnalogForward(net.graph).accuracy(samples, labels: Array(labels.prefix(count)))
        #expect(abs(curve.accuracy[0] - float) * Double(count) <= 2, "map \(curve.accuracy[0]) against float \(float)")
    }
}
