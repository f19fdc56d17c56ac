import Foundation
import Testing
@testable import Frontend
@testable import Passes
@testable import SpikeIR
@testable import Tessera

/// Quantised ReLUs (QCFS, Bu et al. 2022): the elementwise chain an exporter writes after a
/// convolution is recognised as clip λ, L levels and shift φ (``ScalarChain``), the layer
/// keeps λ through conversion, and the float reading follows onnxruntime on a QCFS network
/// PyTorch trained (`Fixtures/trained`, `tools/onnx/make_trained_fixtures.py`).
@Suite struct QuantisedActivationTests {
    /// QCFS as its authors' code and PyTorch's exporter write it: Div λ, Clip(0, 1), Mul L,
    /// Add 1/2, Floor, Div L, Mul λ. With λ = 2, L = 4: steps of q = 1/2, the k-th at
    /// x = (k - 1/2) q, so f(0.2) = 0, f(0.3) = 0.5, f(1.8) = 2 (clipped), f(-1) = 0.
    @Test func qcfsChainIsRecognisedByHand() throws {
        var chain = ScalarChain()
        chain.affine(scale: 1 / 2.0, offset: 0, node: "div")
        try chain.clip(0, 1, node: "clip")
        chain.affine(scale: 4, offset: 0, node: "mul")
        chain.affine(scale: 1, offset: 0.5, node: "add")
        try chain.floor(node: "floor")
        chain.affine(scale: 1 / 4.0, offset: 0, node: "div L")
        chain.affine(scale: 2, offset: 0, node: "mul λ")
        #expect(try chain.form().get() == .quantised(ceiling: 2, levels: 4, shift: 0.5))
        for (x, y) in [(0.2, 0.0), (0.3, 0.5), (0.74, 0.5), (0.76, 1.0), (1.8, 2.0), (5.0, 2.0), (-1.0, 0.0)] {
            #expect(abs(chain(x) - y) < 1e-12, "f(\(x)) = \(chain(x)), by hand \(y)")
        }
        // The layer's own reading of the same activation agrees at those points.
        var layer = Layer(name: "c", op: .dense(Dense(outFeatures: 1)), neuron: NeuronModel(initialFraction: 0.5), ceiling: 2)
        layer.levels = 4
        for x in [0.2, 0.3, 0.74, 0.76, 1.8, 5, -1] { #expect(layer.activation(x) == chain(x)) }
    }

    /// Other orders exporters and authors write give the same λ, L and φ: Clip(0, λ) before
    /// the division, Mul by 1/λ, Round instead of Add 1/2 and Floor, and the clip after the
    /// floor, at the levels 0 and L. A plain floor (φ = 0) and ReLU6 are recognised too.
    @Test func otherOrdersGiveTheSameActivation() throws {
        var a = ScalarChain()
        try a.clip(0, 3, node: "clip λ")
        a.affine(scale: 1 / 3.0, offset: 0, node: "div λ")
        a.affine(scale: 8, offset: 0, node: "mul L")
        a.affine(scale: 1, offset: 0.5, node: "round")
        try a.floor(node: "round")
        a.affine(scale: 3.0 / 8, offset: 0, node: "mul λ/L")
        #expect(try a.form().get() == .quantised(ceiling: 3, levels: 8, shift: 0.5))

        var b = ScalarChain()
        b.affine(scale: 4 / 2.0, offset: 0, node: "mul L/λ")
        try b.floor(node: "floor")
        try b.clip(0, 4, node: "clip levels")
        b.affine(scale: 0.5, offset: 0, node: "mul λ/L")
        #expect(try b.form().get() == .quantised(ceiling: 2, levels: 4, shift: 0))

        var relu6 = ScalarChain()
        try relu6.clip(0, 6, node: "clip")
        #expect(try relu6.form().get() == .relu(ceiling: 6))
        var relu = ScalarChain()
        try relu.clip(0, .infinity, node: "relu")
        #expect(try relu.form().get() == .relu(ceiling: nil))
    }

    /// Chains that are not quantised ReLUs are refused, with the reason: a Floor with no Clip,
    /// a negative slope, a Clip whose bounds change sign, a staircase of the wrong slope.
    @Test func otherChainsAreRefused() throws {
        var noClip = ScalarChain()
        noClip.affine(scale: 4, offset: 0.5, node: "mul, add")
        try noClip.floor(node: "floor")
        noClip.affine(scale: 0.25, offset: 0, node: "div")
        #expect(Self.refusal(noClip).contains("no Clip below"))

        var negative = ScalarChain()
        negative.affine(scale: -2, offset: 0, node: "node 'neg' (Mul)")
        #expect(throws: ScalarChain.Refusal.self) { try negative.clip(0, 1, node: "node 'c' (Clip)") }
        do {
            try negative.clip(0, 1, node: "node 'c' (Clip)")
        } catch {
            #expect(error.reason.contains("node 'neg' (Mul)") && error.reason.contains("negative"), "\(error.reason)")
        }
        var flipped = ScalarChain()
        try flipped.clip(0, 1, node: "clip")
        flipped.affine(scale: -1, offset: 0, node: "node 'neg' (Mul)")
        #expect(Self.refusal(flipped).contains("negative"))

        var signs = ScalarChain()  // QCFS with Clip(-1, 1): levels down to -λ
        signs.affine(scale: 0.5, offset: 0, node: "div")
        try signs.clip(-1, 1, node: "clip")
        signs.affine(scale: 4, offset: 0.5, node: "mul, add")
        try signs.floor(node: "floor")
        signs.affine(scale: 0.5, offset: 0, node: "div, mul")
        #expect(Self.refusal(signs).contains("least value is -2"))

        var slope = ScalarChain()  // steps of 1/2 every 1/4 of input: slope 2
        try slope.clip(0, 1, node: "clip")
        slope.affine(scale: 4, offset: 0.5, node: "mul, add")
        try slope.floor(node: "floor")
        slope.affine(scale: 0.5, offset: 0, node: "mul")
        #expect(Self.refusal(slope).contains("slope 2"))

        var shifted = ScalarChain()  // relu(x) + 1 fires with no input
        try shifted.clip(0, .infinity, node: "relu")
        shifted.affine(scale: 1, offset: 1, node: "add")
        #expect(Self.refusal(shifted).contains("least value is 1"))
    }

    static func refusal(_ chain: ScalarChain) -> String {
        if case let .failure(why) = chain.form() { return why.reason }
        return "recognised as \(chain)"
    }

    // MARK: - Through ONNX

    /// A model written node by node: x [1, 1, 4, 4], a 3x3 conv to 2 channels, `chain` (op,
    /// constant operands, in which position), flatten, and a Gemm to 3 scores.
    static func model(_ chain: [(op: String, constants: [Float], first: Bool)], square: Bool = false) throws -> String {
        var b = ONNXGraphBuilder(input: [1, 1, 4, 4], output: [1, 3])
        b.constant("w", [2, 1, 3, 3], (0..<18).map { Float($0 % 5) / 10 - 0.2 })
        b.constant("b", [2], [0.1, -0.1])
        b.constant("fw", [32, 3], (0..<96).map { Float($0 % 7) / 10 - 0.3 })
        b.constant("fb", [3], [0, 0, 0])
        b.node("Conv", "conv", ["x", "w", "b"], "s", ints: ["pads": [1, 1, 1, 1]])
        var last = "s"
        for (k, step) in chain.enumerated() {
            let names = step.constants.indices.map { "k\(k)_\($0)" }
            for (name, value) in zip(names, step.constants) { b.constant(name, [], [value]) }
            b.node(step.op, "e\(k)", step.first ? names + [last] : [last] + names, "v\(k)")
            last = "v\(k)"
        }
        if square {
            b.node("Mul", "square", [last, last], "sq")
            last = "sq"
        }
        b.node("Flatten", "flat", [last], "f")
        b.node("Gemm", "fc", ["f", "fw", "fb"], "y")
        return try b.save()
    }

    static let qcfs: [(op: String, constants: [Float], first: Bool)] = [
        ("Div", [2], false), ("Clip", [0, 1], false), ("Mul", [4], false), ("Add", [0.5], false),
        ("Floor", [], false), ("Div", [4], false), ("Mul", [2], true),
    ]

    /// Written node by node, the QCFS chain gives its layer λ = 2 as ceiling, 4 levels and the
    /// shift 1/2 as its neurons' start; with Round for Add and Floor, the same.
    @Test func onnxChainGivesTheLayerItsLevels() throws {
        for chain in [Self.qcfs, [("Div", [2], false), ("Clip", [0, 1], false), ("Mul", [4], false), ("Round", [], false),
                                  ("Div", [4], false), ("Mul", [2], false)]] as [[(op: String, constants: [Float], first: Bool)]] {
            let path = try Self.model(chain)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let net = try Network.load(path)
            let conv = try #require(net.graph.layers.first { $0.name == "conv" })
            #expect(conv.ceiling == 2 && conv.levels == 4 && conv.neuron?.initialFraction == 0.5, "\(conv)")
            // Balancing keeps the trained λ, with no calibration data: threshold 1, ceiling 1.
            let balanced = try BalanceThresholds().run(net.graph, calibration: [])
            let after = try #require(balanced.graph.layers.first { $0.name == "conv" })
            #expect(after.ceiling == 1 && after.neuron?.threshold == 1)
            #expect(balanced.log.contains { $0.hasPrefix("conv: lambda = 2 (trained") }, "\(balanced.log)")
        }
    }

    /// Bad chains exit 1 and name their nodes: a Floor with no Clip, a negative slope, a Clip
    /// whose bounds change sign, a product of two activations.
    @Test(arguments: [
        ("floor-no-clip", "no Clip below"), ("negative-slope", "made the slope negative"),
        ("clip-signs", "negative values"), ("two-activations", "multiplies two activations"),
    ])
    func badChainsAreRefused(_ name: String, _ reason: String) throws {
        let chains: [String: [(op: String, constants: [Float], first: Bool)]] = [
            "floor-no-clip": [("Mul", [4], false), ("Add", [0.5], false), ("Floor", [], false), ("Div", [4], false)],
            "negative-slope": [("Sub", [0], true), ("Clip", [0, 1], false)],
            "clip-signs": [("Div", [2], false), ("Clip", [-1, 1], false), ("Mul", [4], false), ("Add", [0.5], false),
                           ("Floor", [], false), ("Div", [4], false), ("Mul", [2], false)],
            "two-activations": [("Relu", [], false)],
        ]
        let path = try Self.model(try #require(chains[name]), square: name == "two-activations")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try TestSupport.tessera(["check", path])
        #expect(run.status == 1)
        #expect(run.stderr.contains(reason), "\(run.stderr)")
        #expect(run.stderr.contains("node '"), "\(run.stderr)")
    }

    // MARK: - The trained fixture

    /// The float reading of the QCFS CNN PyTorch trained gives onnxruntime's scores on all
    /// 360 test images (largest difference at most 1e-4 of the largest score) and so
    /// PyTorch's accuracy (summary.json).
    @Test func floatReadingEqualsOnnxruntime() throws {
        let net = try Network.load(TrainedFixtures.path("qcfs-cnn.onnx"))
        #expect(net.graph.layers.filter { $0.levels == 4 }.count == 2)
        let r = try TrainedFixtures.floatReading("qcfs-cnn")
        #expect(r.worst <= 1e-4 * r.largest, "largest difference \(r.worst) against scores up to \(r.largest)")
        #expect(r.correct == Int((r.torch * Double(r.count)).rounded()))
    }

    /// `tessera import` writes the levels to YAML (`ceiling`, `levels`, the neuron's
    /// `initial`), and the file reads as the model.
    @Test func importedYAMLKeepsTheLevels() throws {
        let r = try TrainedFixtures.importedDifference("qcfs-cnn")
        #expect(r.written?.graph.layers.map(\.levels) == r.direct.graph.layers.map(\.levels))
        #expect((r.difference ?? 1) <= 1e-9)
    }
}
