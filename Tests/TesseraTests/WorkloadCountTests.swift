import Testing
@testable import Tessera

/// Neuron and synapse counts of the reference workloads, checked against closed-form
/// formulas derived by hand rather than against the per-axis tap counting the code uses.
@Suite struct WorkloadCountTests {
    /// Each layer's (neurons, synapses) as expected, and the network's totals as their sums
    /// (every layer with neurons is listed).
    static func expectCounts(_ expected: [String: (Int, Int)], in net: Network) {
        let rows = Dictionary(uniqueKeysWithValues: net.summary.rows.map { ($0.layer.name, $0.cost) })
        for (layer, (n, s)) in expected {
            #expect(rows[layer]?.neurons == n, "\(layer) neurons")
            #expect(rows[layer]?.synapses == s, "\(layer) synapses")
        }
        #expect(net.summary.total.neurons == expected.values.reduce(0) { $0 + $1.0 })
        #expect(net.summary.total.synapses == expected.values.reduce(0) { $0 + $1.1 })
    }

    /// SiamSNN has no padding, so a conv layer of `cout` k x k filters over `cin` channels
    /// with an `h x h` output has `cout*h*h` neurons and `cout*cin*k*k*h*h` synapses; a pool
    /// has `c*k*k*h*h`; the xcorr head has one neuron per response position, each reading
    /// every element of the 256x6x6 template window.
    @Test func siamsnnCounts() throws {
        let net = try Network.load(TestSupport.example("siamsnn/siamsnn.yaml"))
        func conv(_ cout: Int, _ cin: Int, _ k: Int, _ h: Int) -> (Int, Int) { (cout * h * h, cout * cin * k * k * h * h) }
        func pool(_ c: Int, _ k: Int, _ h: Int) -> (Int, Int) { (c * h * h, c * k * k * h * h) }
        let expected: [String: (Int, Int)] = [
            "z/conv1": conv(96, 3, 11, 59), "z/pool1": pool(96, 3, 29), "z/conv2": conv(256, 96, 5, 25),
            "z/pool2": pool(256, 3, 12), "z/conv3": conv(384, 256, 3, 10), "z/conv4": conv(384, 384, 3, 8),
            "z/conv5": conv(256, 384, 3, 6),
            "x/conv1": conv(96, 3, 11, 123), "x/pool1": pool(96, 3, 61), "x/conv2": conv(256, 96, 5, 57),
            "x/pool2": pool(256, 3, 28), "x/conv3": conv(384, 256, 3, 26), "x/conv4": conv(384, 384, 3, 24),
            "x/conv5": conv(256, 384, 3, 22),
            "score": (17 * 17, 17 * 17 * 256 * 6 * 6),
        ]
        Self.expectCounts(expected, in: net)
        // Shared backbone: each conv's weights exist once for both branches.
        let backbone = 96 * 3 * 121 + 96 + 256 * 96 * 25 + 256 + 384 * 256 * 9 + 384 + 384 * 384 * 9 + 384 + 256 * 384 * 9 + 256
        // The head's bound template is the exemplar's conv5 features: 256 x 6 x 6.
        let template = 256 * 6 * 6
        #expect(net.summary.uniqueParameters == backbone + template)
        #expect(net.summary.total.parameters == 2 * backbone + template)
    }

    /// DeepLab pads to keep sizes. For a 3x3 convolution with dilation d and padding d at
    /// stride 1 on an h-wide map, the centre tap reaches every output and each side tap
    /// misses d border outputs, so one axis has `3h - 2d` connections; a 1x1 conv has h; a
    /// 2x2 stride-2 pool reads each input once (h per axis for an h-wide input). Bilinear x f
    /// upsampling (align_corners = false) gives each output two taps except the f/2 outputs
    /// at each border that clamp to one: `2hf - f` per axis.
    @Test func deeplabCounts() throws {
        let net = try Network.load(TestSupport.example("deeplab/deeplab.yaml"))
        func same3(_ cout: Int, _ cin: Int, _ h: Int, d: Int = 1) -> (Int, Int) {
            (cout * h * h, cout * cin * (3 * h - 2 * d) * (3 * h - 2 * d))
        }
        let expected: [String: (Int, Int)] = [
            "conv1_1": same3(64, 3, 224), "conv1_2": same3(64, 64, 224), "pool1": (64 * 112 * 112, 64 * 224 * 224),
            "conv2_1": same3(128, 64, 112), "conv2_2": same3(128, 128, 112), "pool2": (128 * 56 * 56, 128 * 112 * 112),
            "conv3_1": same3(256, 128, 56), "conv3_2": same3(256, 256, 56), "conv3_3": same3(256, 256, 56),
            "pool3": (256 * 28 * 28, 256 * 56 * 56),
            "conv4_1": same3(512, 256, 28), "conv4_2": same3(512, 512, 28), "conv4_3": same3(512, 512, 28),
            "pool4": (512 * 28 * 28, 512 * (3 * 28 - 2) * (3 * 28 - 2)),
            "conv5_1": same3(512, 512, 28, d: 2), "conv5_2": same3(512, 512, 28, d: 2), "conv5_3": same3(512, 512, 28, d: 2),
            "pool5": (512 * 28 * 28, 512 * (3 * 28 - 2) * (3 * 28 - 2)),
            "fc6": same3(1024, 512, 28, d: 12),
            "fc7": (1024 * 28 * 28, 1024 * 1024 * 28 * 28), "fc8": (21 * 28 * 28, 21 * 1024 * 28 * 28),
            // Nearest x8: every output reads exactly one input.
            "up": (21 * 224 * 224, 21 * 224 * 224),
        ]
        Self.expectCounts(expected, in: net)
    }

    /// FCN-8s pads its 3x3 convolutions (3h - 2 connections per axis, as for DeepLab) and
    /// pools 2x2 by 2 (each input read once). A transposed convolution of kernel k, stride s
    /// and padding p from h inputs: input i reaches outputs s i - p .. s i - p + k - 1, all
    /// inside but at the borders: k4 s2 p1 from 7 loses one output at each end, 4 x 7 - 2 =
    /// 26 per axis (from 14: 54); k16 s8 p4 from 28 loses four at each end, 16 x 28 - 8 =
    /// 440. Every output channel reads every input channel. An add reads two inputs.
    @Test func fcnCounts() throws {
        let net = try Network.load(TestSupport.example("fcn/fcn.yaml"))
        func same3(_ cout: Int, _ cin: Int, _ h: Int) -> (Int, Int) { (cout * h * h, cout * cin * (3 * h - 2) * (3 * h - 2)) }
        func pool(_ c: Int, _ h: Int) -> (Int, Int) { (c * h / 2 * h / 2, c * h * h) }
        func one(_ cout: Int, _ cin: Int, _ h: Int) -> (Int, Int) { (cout * h * h, cout * cin * h * h) }
        func up(_ h: Int, axis: Int) -> (Int, Int) { (21 * h * h, 21 * 21 * axis * axis) }
        let expected: [String: (Int, Int)] = [
            "conv1_1": same3(64, 3, 224), "conv1_2": same3(64, 64, 224), "pool1": pool(64, 224),
            "conv2_1": same3(128, 64, 112), "conv2_2": same3(128, 128, 112), "pool2": pool(128, 112),
            "conv3_1": same3(256, 128, 56), "conv3_2": same3(256, 256, 56), "conv3_3": same3(256, 256, 56), "pool3": pool(256, 56),
            "conv4_1": same3(512, 256, 28), "conv4_2": same3(512, 512, 28), "conv4_3": same3(512, 512, 28), "pool4": pool(512, 28),
            "conv5_1": same3(512, 512, 14), "conv5_2": same3(512, 512, 14), "conv5_3": same3(512, 512, 14), "pool5": pool(512, 14),
            "fc6": same3(1024, 512, 7), "fc7": one(1024, 1024, 7), "score_fr": one(21, 1024, 7),
            "upscore2": up(14, axis: 26), "score_pool4": one(21, 512, 14), "fuse_pool4": (21 * 14 * 14, 2 * 21 * 14 * 14),
            "upscore_pool4": up(28, axis: 54), "score_pool3": one(21, 256, 28), "fuse_pool3": (21 * 28 * 28, 2 * 21 * 28 * 28),
            "upscore8": up(224, axis: 440),
        ]
        Self.expectCounts(expected, in: net)
        #expect(net.shape(of: "upscore8") == TensorShape(21, 224, 224))
    }

    /// Small cases of every op, brute-forced: enumerate (output, input) pairs with a nonzero
    /// connection directly from the definition of each op and count them.
    @Test func synapseCountsMatchBruteForce() throws {
        let net = try Network.load(yaml: ShapeTests.yaml, file: "shapes.yaml")
        let rows = Dictionary(uniqueKeysWithValues: net.summary.rows.map { ($0.layer.name, $0.cost) })
        // conv: out 8, in 3, k5 s2 p1 on 32 -> 15.
        func convAxis(_ input: Int, _ output: Int, k: Int, s: Int, p: Int, d: Int) -> Int {
            var n = 0
            for o in 0..<output { for t in 0..<k where (0..<input).contains(o * s - p + t * d) { n += 1 } }
            return n
        }
        #expect(rows["conv"]?.synapses == 8 * 3 * convAxis(32, 15, k: 5, s: 2, p: 1, d: 1) * convAxis(32, 15, k: 5, s: 2, p: 1, d: 1))
        #expect(rows["dil"]?.synapses == 4 * 3 * 24 * 24 * 9)     // no padding: every tap valid
        #expect(rows["grp"]?.synapses == 8 * 2 * (3 * 15 - 2) * (3 * 15 - 2))  // groups 4: 2 input channels each
        // transposed conv k4 s2 p1, 15 -> 30: input i reaches outputs 2i-1+t, t in 0..<4.
        var tAxis = 0
        for i in 0..<15 { for t in 0..<4 where (0..<30).contains(2 * i - 1 + t) { tAxis += 1 } }
        #expect(rows["tconv"]?.synapses == 8 * 5 * tAxis * tAxis)
        #expect(rows["avg"]?.synapses == 3 * 15 * 15 * 9)
        #expect(rows["sum"]?.synapses == 3 * 32 * 32)
        #expect(rows["up"]?.synapses == 8 * 45 * 45)
        // bilinear x2 on 15: outputs 0 and 29 clamp to one tap, the other 28 have two.
        #expect(rows["bil"]?.synapses == 8 * (2 + 28 * 2) * (2 + 28 * 2))
        #expect(rows["corr"]?.synapses == 10 * 10 * 8 * 6 * 6)
        #expect(rows["sum2"]?.synapses == 2 * 8 * 15 * 15)
        #expect(rows["cat"]?.neurons == 0 && rows["flat"]?.neurons == 0)
        #expect(rows["fc"]?.synapses == 16 * 15 * 15 * 7)
    }
}
