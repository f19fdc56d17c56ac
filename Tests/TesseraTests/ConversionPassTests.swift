import Foundation
import Testing
@testable import Passes
@testable import Tessera

/// Each conversion pass on a network small enough to work out by hand; the expected figures
/// are derived in the comments.
@Suite struct ConversionPassTests {
    /// The README's Swift path on a bundled float example: `convert(target:)` with the file's
    /// settings (none) quantises the float weights by default, 8-bit per output channel on
    /// TrueNorth (9-bit signed weights) and 4-bit on a target with 5-bit weights, saying so
    /// in the quantise pass's log; the result passes the integer check. A network whose
    /// weights already fit is left alone.
    @Test func floatWeightsAreQuantisedByDefault() throws {
        let net = try Network.load(TestSupport.example("digits-mlp.yaml"))
        #expect(net.conversion.quantise == nil)
        for (bits, target) in [(8, try Target.load(TestSupport.target("truenorth"))), (4, try Self.narrow(weightBits: 5))] {
            let conversion = try net.convert(target: target)
            let log = try #require(conversion.stages.first { $0.pass == "quantise-weights" }?.result.log)
            #expect(log.first?.contains("h1.weight is not integers in \(target.core.weightRange.lowerBound)..\(target.core.weightRange.upperBound): \(bits)-bit weights per output channel, the default") == true, "\(log)")
            #expect(log.contains { $0.hasPrefix("h1: \(bits)-bit") && $0.contains("per channel") }, "\(log)")
            _ = try IntegerNetwork.check(conversion.network.graph, target: target)
        }
        let integer = try Network.load(TestSupport.example("tiny-int.yaml"))
        #expect(try integer.convert(target: try Target.load(TestSupport.target("truenorth"))).stages.allSatisfy { $0.pass != "quantise-weights" })
    }

    static func narrow(weightBits: Int) throws -> Target {
        var target = try Target.load(TestSupport.target("truenorth"))
        target.core.weightBits = weightBits
        return target
    }

    static func graph(_ layers: [Layer], outputs: [String], tensors: [String: Tensor]) throws -> SpikeGraph {
        var store = ParameterStore()
        for (key, tensor) in tensors { store[key] = .loaded(tensor, origin: "test") }
        return try Verifier.verify(SpikeGraph(name: "t", layers: layers, outputs: outputs, parameters: store)).graph
    }

    static func tensor(_ shape: [Int], _ values: [Double]) -> Tensor {
        Tensor(shape: shape, values: values) ?? Tensor(repeating: 0, shape: shape)
    }

    static func values(_ graph: SpikeGraph, _ key: String) -> [Double] { graph.parameters.tensor(key)?.values ?? [] }

    static func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-9) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    static let input = Layer(name: "x", op: .input(shape: TensorShape(vector: 2), encoding: .rate))

    // MARK: FoldBatchNorm

    /// d: W = [[1, 2], [3, -1]], b = [0.5, -1]; bn: gamma [4, 3], beta [0.5, 0], mean [1, -2],
    /// var [3, 8], eps 1. s = gamma / sqrt(var + eps) = [4/2, 3/3] = [2, 1];
    /// t = beta - s mean = [0.5 - 2, 0 + 2] = [-1.5, 2]. W' = [[2, 4], [3, -1]];
    /// b' = s b + t = [1 - 1.5, -1 + 2] = [-0.5, 1].
    static func batchNormNetwork(alsoRead: Bool = false) throws -> SpikeGraph {
        var layers = [input,
                      Layer(name: "d", op: .dense(Dense(outFeatures: 2)), inputs: ["x"], neuron: NeuronModel(), parameterKey: "d"),
                      Layer(name: "bn", op: .batchnorm(BatchNorm(epsilon: 1)), inputs: ["d"], parameterKey: "bn"),
                      Layer(name: "o", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["bn"], neuron: NeuronModel(), parameterKey: "o")]
        if alsoRead { layers.append(Layer(name: "side", op: .add, inputs: ["d", "d"], neuron: NeuronModel())) }
        return try graph(layers, outputs: alsoRead ? ["o", "side"] : ["o"], tensors: [
            "d.weight": tensor([2, 2], [1, 2, 3, -1]), "d.bias": tensor([2], [0.5, -1]),
            "bn.weight": tensor([2], [4, 3]), "bn.bias": tensor([2], [0.5, 0]),
            "bn.running_mean": tensor([2], [1, -2]), "bn.running_var": tensor([2], [3, 8]),
            "o.weight": tensor([1, 2], [1, 1]),
        ])
    }

    @Test func foldBatchNormByHand() throws {
        let net = try Self.batchNormNetwork()
        let folded = try FoldBatchNorm().run(net)
        #expect(folded.graph.layers.map(\.name) == ["x", "d", "o"])
        #expect(folded.graph.layer(named: "o")?.inputs == ["d"])
        #expect(Self.close(Self.values(folded.graph, "d.weight"), [2, 4, 3, -1]))
        #expect(Self.close(Self.values(folded.graph, "d.bias"), [-0.5, 1]))
        #expect(folded.log.count == 1 && folded.log[0].contains("bn folded into d"))
        // The ANN reading is unchanged: o = ReLU(BN(d x)) before and ReLU(d' x) after.
        let x = ["x": [0.3, 0.9]]
        let before = AnalogForward(net).run(x).last ?? [], after = AnalogForward(folded.graph).run(x).last ?? []
        #expect(Self.close(before, after, 1e-12) && !before.isEmpty)
    }

    @Test func batchNormThatCannotBeFoldedIsNamed() throws {
        let error = #expect(throws: DiagnosticError.self) { try FoldBatchNorm().run(try Self.batchNormNetwork(alsoRead: true)) }
        #expect(error?.description.contains("batchnorm 'bn' cannot be folded: 'd' is also read elsewhere") == true, "\(error?.description ?? "")")
    }

    @Test func transposedConvolutionOutputChannels() {
        // [in 2, out/groups 3, 1, 1]: groups 1 -> out channel i % 3; groups 2 (6 outputs) ->
        // input channel 1 feeds outputs 3..5.
        let one = Operation.convTranspose2d(ConvolutionTranspose(outChannels: 3, vertical: Window(kernel: 1), horizontal: Window(kernel: 1)))
        let two = Operation.convTranspose2d(ConvolutionTranspose(outChannels: 6, vertical: Window(kernel: 1), horizontal: Window(kernel: 1), groups: 2))
        #expect((0..<6).map(one.outputChannel(weightShape: [2, 3, 1, 1])) == [0, 1, 2, 0, 1, 2])
        #expect((0..<6).map(two.outputChannel(weightShape: [2, 3, 1, 1])) == [0, 1, 2, 3, 4, 5])
    }

    // MARK: BalanceThresholds

    /// h = ReLU(W x + b), W = [[1, 0], [0.5, 0.5]], b = [0, 0.2]; o = ReLU(h0 + h1).
    /// Samples [1, 0], [0, 1], [0.5, 0.5]: h = [1, 0.7], [0, 0.7], [0.5, 0.7]; o = 1.7, 0.7, 1.2.
    static func balanceNetwork() throws -> SpikeGraph {
        try graph([input,
                   Layer(name: "h", op: .dense(Dense(outFeatures: 2)), inputs: ["x"], neuron: NeuronModel(threshold: 5), parameterKey: "h"),
                   Layer(name: "o", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["h"], neuron: NeuronModel(threshold: 5), parameterKey: "o")],
                  outputs: ["o"], tensors: ["h.weight": tensor([2, 2], [1, 0, 0.5, 0.5]), "h.bias": tensor([2], [0, 0.2]), "o.weight": tensor([1, 2], [1, 1])])
    }
    static let calibration: [[String: [Double]]] = [["x": [1, 0]], ["x": [0, 1]], ["x": [0.5, 0.5]]]

    @Test func robustMaximumIsTheNearestRank() {
        // Sorted h activations [0.5, 0.7, 0.7, 0.7, 1]: rank round(p/100 x 4).
        let sorted = [0.5, 0.7, 0.7, 0.7, 1]
        #expect(BalanceThresholds.robustMaximum(sorted, percentile: 100) == 1)
        #expect(BalanceThresholds.robustMaximum(sorted, percentile: 50) == 0.7)
        #expect(BalanceThresholds.robustMaximum(sorted, percentile: 10) == 0.5)
        #expect(BalanceThresholds.robustMaximum([], percentile: 50) == nil)
    }

    @Test func balancePerLayerByHand() throws {
        // lambda_h = 1 (max of h), lambda_o = 1.7: W_h unchanged, W_o = [1, 1] x 1 / 1.7.
        let balanced = try BalanceThresholds(percentile: 100).run(try Self.balanceNetwork(), calibration: Self.calibration)
        #expect(Self.close(Self.values(balanced.graph, "h.weight"), [1, 0, 0.5, 0.5]))
        #expect(Self.close(Self.values(balanced.graph, "h.bias"), [0, 0.2]))
        #expect(Self.close(Self.values(balanced.graph, "o.weight"), [1 / 1.7, 1 / 1.7]))
        #expect(balanced.graph.layers.compactMap(\.neuron).allSatisfy { $0.threshold == 1 && $0.reset == .subtract })
        // The 50th percentile of h is 0.7: W_h / 0.7, b_h / 0.7, W_o x 0.7 / lambda_o, where
        // o's activations are unchanged by h's scale and its median is 1.2.
        let median = try BalanceThresholds(percentile: 50).run(try Self.balanceNetwork(), calibration: Self.calibration)
        #expect(Self.close(Self.values(median.graph, "h.weight"), [1 / 0.7, 0, 0.5 / 0.7, 0.5 / 0.7]))
        #expect(Self.close(Self.values(median.graph, "o.weight"), [0.7 / 1.2, 0.7 / 1.2]))
    }

    @Test func balancePerChannelByHand() throws {
        // lambda_h per channel: max of [1, 0.5] = 1 and of [0.7, 0.7, 0.7] = 0.7.
        // Row 1 of W_h and b_h[1] divide by 0.7; W_o = [1 x 1, 1 x 0.7] / 1.7.
        let balanced = try BalanceThresholds(percentile: 100, granularity: .channel).run(try Self.balanceNetwork(), calibration: Self.calibration)
        #expect(Self.close(Self.values(balanced.graph, "h.weight"), [1, 0, 0.5 / 0.7, 0.5 / 0.7]))
        #expect(Self.close(Self.values(balanced.graph, "h.bias"), [0, 0.2 / 0.7]))
        #expect(Self.close(Self.values(balanced.graph, "o.weight"), [1 / 1.7, 0.7 / 1.7]))
        #expect(balanced.log.first?.contains("lambda per channel 0.7..1") == true)
    }

    /// An add of two branches with different ranges: a = ReLU(4 x), b = ReLU(x), s = a + b,
    /// calibrated on x = 1 (x[1] unused): a = 4, b = 1, s = 5. Alone, lambda_a = 4 and
    /// lambda_b = 1, and a spike of b would stand for a quarter of a spike of a in the add's
    /// unit-weight sum. Tied, both take lambda = 4: W_a = 4 x 1 / 4 = 1, W_b = 1 x 1 / 4 =
    /// 0.25, and s (lambda 5) has threshold 5 / 4 = 1.25: at x = 1, a fires every tick, b
    /// every fourth tick on average, s receives 1 + 0.25 = 1.25 per tick and fires every
    /// tick, which stands for 5 = a + b.
    @Test(arguments: [BalanceThresholds.Granularity.layer, .channel])
    func addInputsShareOneScale(_ granularity: BalanceThresholds.Granularity) throws {
        let graph = try Self.graph([Self.input,
                                    Layer(name: "a", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(), parameterKey: "a"),
                                    Layer(name: "b", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(), parameterKey: "b"),
                                    Layer(name: "s", op: .add, inputs: ["a", "b"], neuron: NeuronModel())],
                                   outputs: ["s"], tensors: ["a.weight": Self.tensor([1, 2], [4, 0]), "b.weight": Self.tensor([1, 2], [1, 0])])
        let balanced = try BalanceThresholds(percentile: 100, granularity: granularity).run(graph, calibration: [["x": [1, 0]]])
        #expect(Self.close(Self.values(balanced.graph, "a.weight"), [1, 0]))
        #expect(Self.close(Self.values(balanced.graph, "b.weight"), [0.25, 0]))
        let s = try #require(balanced.graph.layer(named: "s")?.neuron)
        // Per channel the add keeps its inputs' lambda (4) and its threshold is its window, 1.
        #expect(abs(s.threshold - (granularity == .layer ? 1.25 : 1)) < 1e-12)
        #expect(balanced.log.contains { $0.hasPrefix("b: lambda = 4 (tied with a for their add)") }, "\(balanced.log)")
        #expect(!balanced.log.contains { $0.contains("warning") })
    }

    /// A transposed convolution mixes channels, so it is balanced as a weighted layer:
    /// h = ReLU(diag(1, 0.5) x), t = convtranspose 1x1 from h's 2 channels to 1, weights
    /// [in 2, out 1, 1, 1] = [2, 1]. On x = [1, 1]: h = [1, 0.5], t = 2 + 0.5 = 2.5.
    /// Per channel lambda_h = [1, 0.5], so W_t = [2 x 1, 1 x 0.5] / 2.5 = [0.8, 0.2]; per
    /// layer lambda_h = 1 and W_t = [2, 1] / 2.5 = [0.8, 0.4]. Threshold 1 either way.
    @Test(arguments: [BalanceThresholds.Granularity.layer, .channel])
    func transposedConvolutionIsBalancedByItsWeights(_ granularity: BalanceThresholds.Granularity) throws {
        let transposed = ConvolutionTranspose(outChannels: 1, vertical: Window(kernel: 1), horizontal: Window(kernel: 1), bias: false)
        let graph = try Self.graph([Self.input,
                                    Layer(name: "h", op: .dense(Dense(outFeatures: 2, bias: false)), inputs: ["x"], neuron: NeuronModel(), parameterKey: "h"),
                                    Layer(name: "t", op: .convTranspose2d(transposed), inputs: ["h"], neuron: NeuronModel(threshold: 3), parameterKey: "t")],
                                   outputs: ["t"], tensors: ["h.weight": Self.tensor([2, 2], [1, 0, 0, 0.5]), "t.weight": Self.tensor([2, 1, 1, 1], [2, 1])])
        let balanced = try BalanceThresholds(percentile: 100, granularity: granularity).run(graph, calibration: [["x": [1, 1]]])
        #expect(Self.close(Self.values(balanced.graph, "t.weight"), granularity == .channel ? [0.8, 0.2] : [0.8, 0.4]), "\(Self.values(balanced.graph, "t.weight"))")
        #expect(balanced.graph.layer(named: "t")?.neuron?.threshold == 1)
    }

    // MARK: QuantiseWeights

    /// W = [[0.6, -1], [0.4, 0.45]], b = [0.3, -0.3], threshold 1.
    static func quantiseNetwork(leak: Double = 0) throws -> SpikeGraph {
        try graph([input, Layer(name: "d", op: .dense(Dense(outFeatures: 2)), inputs: ["x"], neuron: NeuronModel(threshold: 1, leak: leak), parameterKey: "d")],
                  outputs: ["d"], tensors: ["d.weight": tensor([2, 2], [0.6, -1, 0.4, 0.45]), "d.bias": tensor([2], [0.3, -0.3])])
    }

    @Test func twoBitPerLayerPicksTheLeastSquaredError() throws {
        // top 1, largest 1: candidate scales 1, 2, 3, 4 (rounded). S = 1: q = [1, -1, 0, 0],
        // noise 0.16 + 0.16 + 0.2025 = 0.5225. S = 2: q = [1, -1, 1, 1] (0.8, 0.9 round up),
        // q/S = +-0.5, noise 0.01 + 0.25 + 0.01 + 0.0025 = 0.2725. S = 3: noise 0.0711 + 0.4444
        // + 0.0044 + 0.0136 = 0.5336. S = 4: larger still. So S = 2, threshold 2, bias
        // round([0.6, -0.6]) = [1, -1]; SQNR 10 log10(1.7225 / 0.2725) = 8.008 dB.
        let q = try QuantiseWeights(.bits(2)).run(try Self.quantiseNetwork())
        #expect(Self.values(q.graph, "d.weight") == [1, -1, 1, 1])
        #expect(Self.values(q.graph, "d.bias") == [1, -1])
        #expect(q.graph.layer(named: "d")?.neuron?.threshold == 2)
        #expect(q.log.first?.contains("SQNR 8.008 dB") == true)
    }

    @Test func twoBitPerChannelGivesEachChannelItsScaleAndThreshold() throws {
        // Channel 0 [0.6, -1]: S = 1 (noise 0.16) beats S = 2 (0.26) -> [1, -1], threshold 1.
        // Channel 1 [0.4, 0.45]: candidates from 1 / 0.45 = 2.22; S = 2 -> [1, 1] (noise
        // 0.0125) beats S = 3 (0.018) -> threshold 2. The leak 0.25 joins the bias:
        // (0.3 + 0.25) x 1 = 0.55 -> 1 and (-0.3 + 0.25) x 2 = -0.1 -> 0; leak 0.
        // SQNR 10 log10(1.7225 / 0.1725) = 9.994 dB.
        let q = try QuantiseWeights(.bits(2), granularity: .channel).run(try Self.quantiseNetwork(leak: 0.25))
        let neuron = try #require(q.graph.layer(named: "d")?.neuron)
        #expect(Self.values(q.graph, "d.weight") == [1, -1, 1, 1])
        #expect(neuron.channelThresholds == [1, 2])
        #expect(Self.values(q.graph, "d.bias") == [1, 0])
        #expect(neuron.leak == 0)
        #expect(q.log.first?.contains("SQNR 9.994 dB") == true)
    }

    @Test func trinaryPerLayerAndItsCap() throws {
        // Row 0 [0.6, -1]: mean |w| 0.8, delta 0.56: both kept, a0 = 0.8. Row 1 [0.4, 0.45]:
        // mean 0.425, delta 0.2975: both kept, a1 = 0.425. S = 127 / 0.8 = 158.75:
        // q = [[127, -127], [67, 67]] (0.425 x 158.75 = 67.47), threshold round(158.75) = 159,
        // bias round(+-47.6) = +-48.
        let q = try QuantiseWeights(.trinary).run(try Self.quantiseNetwork())
        #expect(Self.values(q.graph, "d.weight") == [127, -127, 67, 67])
        #expect(Self.values(q.graph, "d.bias") == [48, -48])
        #expect(q.graph.layer(named: "d")?.neuron?.threshold == 159)
        // A target whose biases stop at 20: S <= 20 / 0.3 = 66.7 -> 66: a0 = round(52.8) = 53,
        // a1 = round(28.05) = 28, bias round(+-19.8) = +-20, threshold 66.
        let capped = try QuantiseWeights(.trinary, limits: .init(bias: 20, threshold: 100)).run(try Self.quantiseNetwork())
        #expect(Self.values(capped.graph, "d.weight") == [53, -53, 28, 28])
        #expect(Self.values(capped.graph, "d.bias") == [20, -20])
        #expect(capped.graph.layer(named: "d")?.neuron?.threshold == 66)
        #expect(capped.log.contains { $0.contains("lowered") })
    }

    @Test func perChannelThresholdsRunOnTheChip() throws {
        // Per-channel thresholds reach the reference and the core map: a channel with
        // threshold 2 fires every other tick on a constant input where threshold 1 fires
        // every tick, on both.
        var net = try Self.graph([Self.input, Layer(name: "d", op: .dense(Dense(outFeatures: 2, bias: false)), inputs: ["x"],
                                                    neuron: NeuronModel(threshold: 1), parameterKey: "d")],
                                 outputs: ["d"], tensors: ["d.weight": Self.tensor([2, 2], [1, 0, 1, 0])])
        net.layers[1].neuron?.channelThresholds = [1, 2]
        let target = try Target.load(TestSupport.target("truenorth"))
        let integer = try IntegerNetwork.check(net, target: target)
        let input = SpikeInput(ticks: 4, spikes: ["x": (0..<4).map { SpikeInput.Event(tick: $0, index: 0) }])
        let simulated = ReferenceSimulator(integer).run(input, ticks: 4)
        #expect(simulated.outputs[0].counts == [4, 2])
        let map = try Compiler(integer).compile().map
        #expect(try map.emulate(input, ticks: 4, target: target).outputs[0].counts == [4, 2])
    }

    // MARK: BinariseActivations

    @Test func binariseIsExactOnEveryInput() throws {
        // Channel 0: W = [0.5, -0.5, 0.5], b = 0.3, theta 1: a = 0.5, s >= ceil(0.7 / 0.5) = 2,
        // bias 1 - 2 = -1. Channel 1: W = [2, 0, -2], b = -1: a = 2, s >= ceil(2 / 2) = 1, bias 0.
        let x3 = Layer(name: "x", op: .input(shape: TensorShape(vector: 3), encoding: .binary))
        let net = try Self.graph([x3, Layer(name: "b", op: .dense(Dense(outFeatures: 2)), inputs: ["x"],
                                            neuron: NeuronModel(kind: .binary, threshold: 1), parameterKey: "b")],
                                 outputs: ["b"], tensors: ["b.weight": Self.tensor([2, 3], [0.5, -0.5, 0.5, 2, 0, -2]), "b.bias": Self.tensor([2], [0.3, -1])])
        let binary = try BinariseActivations().run(net)
        #expect(Self.values(binary.graph, "b.weight") == [1, -1, 1, 1, 0, -1])
        #expect(Self.values(binary.graph, "b.bias") == [-1, 0])
        #expect(binary.graph.layer(named: "b")?.neuron?.threshold == 1)
        // All 8 input patterns: the float rule and the integer rule agree.
        for pattern in 0..<8 {
            let x = (0..<3).map { Double(pattern >> $0 & 1) }
            for c in 0..<2 {
                let w = Self.values(net, "b.weight"), wq = Self.values(binary.graph, "b.weight")
                let real = (0..<3).reduce(Self.values(net, "b.bias")[c]) { $0 + w[c * 3 + $1] * x[$1] } >= 1
                let integer = (0..<3).reduce(Self.values(binary.graph, "b.bias")[c]) { $0 + wq[c * 3 + $1] * x[$1] } >= 1
                #expect(real == integer, "pattern \(pattern) channel \(c)")
            }
        }
    }

    @Test func binaryLayerWithMixedMagnitudesIsRefused() throws {
        let net = try Self.graph([Self.input, Layer(name: "b", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"],
                                                    neuron: NeuronModel(kind: .binary, threshold: 1), parameterKey: "b")],
                                 outputs: ["b"], tensors: ["b.weight": Self.tensor([1, 2], [0.5, 0.25])])
        let error = #expect(throws: DiagnosticError.self) { try BinariseActivations().run(net) }
        #expect(error?.description.contains("binary dense 'b': channel 0 has 2 distinct non-integer weight magnitudes") == true)
    }

    // MARK: ApproximateDecay

    @Test func decayingNeuronRatesByHand() {
        // Constant current 0.6, threshold 1, reset to zero. Decay 0.5: V = 0.6, 0.9, 1.05
        // (fires) -> period 3. Linear leak -0.1: 0.5, 1.0 (fires) -> period 2. Leak -0.25:
        // 0.35, 0.7, 1.05 -> period 3. Over 6 ticks: 2, 3 and 2 spikes.
        let neuron = NeuronModel(kind: .leakyIntegrateAndFire, threshold: 1, reset: .zero)
        let currents = [[Double]](repeating: [0.6], count: 6)
        #expect(ApproximateDecay.rates(currents, constant: [0], neuron: neuron) { v, i in 0.5 * v + i } == [2.0 / 6])
        #expect(ApproximateDecay.rates(currents, constant: [0], neuron: neuron) { v, i in v + i - 0.1 } == [3.0 / 6])
        #expect(ApproximateDecay.rates(currents, constant: [0], neuron: neuron) { v, i in v + i - 0.25 } == [2.0 / 6])
    }

    @Test func decayBecomesTheBestLinearLeak() throws {
        // Zero weights and bias 0.6: the decaying neuron (d = 0.5) fires every 3rd tick. A
        // leak L gives period 3 iff 2 (0.6 + L) < 1 <= 3 (0.6 + L), L in [-0.267, -0.1); of the
        // candidates -0.5 j / 16 the first inside is j = 4, L = -0.125, with no rate error.
        // Ignoring the decay (j = 0) fires every other tick: error 128/256 - 85/256.
        let net = try Self.graph([Self.input, Layer(name: "l", op: .dense(Dense(outFeatures: 1)), inputs: ["x"],
                                                    neuron: NeuronModel(kind: .leakyIntegrateAndFire, threshold: 1, decay: 0.5, reset: .zero), parameterKey: "l")],
                                 outputs: ["l"], tensors: ["l.weight": Self.tensor([1, 2], [0, 0]), "l.bias": Self.tensor([1], [0.6])])
        let linear = try ApproximateDecay(ticks: 256, seed: 3).run(net)
        let neuron = try #require(linear.graph.layer(named: "l")?.neuron)
        #expect(neuron.decay == nil && neuron.leak == -0.125)
        #expect(linear.log.first?.contains("mean 0, max 0 spikes/tick (ignoring the decay: mean \(fmt(43.0 / 256)))") == true)
    }

    /// A convolution too large for the budget is measured on a cut, and a layer of more
    /// neurons than the limit on some of them. Zero weights and a bias of 0.6 with decay
    /// 0.5 make every neuron the dense case above, so any sample gives its leak, -0.125, with
    /// no rate error. 8 channels of 6 x 6 (pad 1, 3 x 3 kernel on 4 channels): the whole
    /// layer costs 8 x 4 x 16 x 16 = 8,192 synapses a tick; a budget of 4,608 a tick admits
    /// the first tile whose window lies inside the input, 4 x 4 outputs from 6 x 6 inputs,
    /// every channel: 16 x 8 x 4 x 9 = 4,608 synapses, 128 neurons.
    @Test func largeLayersAreMeasuredOnASample() throws {
        let conv = Convolution(outChannels: 8, vertical: Window(kernel: 3, padding: 1), horizontal: Window(kernel: 3, padding: 1))
        let net = try Self.graph([Layer(name: "x", op: .input(shape: TensorShape(4, 6, 6), encoding: .rate)),
                                  Layer(name: "c", op: .conv2d(conv), inputs: ["x"],
                                        neuron: NeuronModel(kind: .leakyIntegrateAndFire, threshold: 1, decay: 0.5, reset: .zero), parameterKey: "c")],
                                 outputs: ["c"], tensors: ["c.weight": Self.tensor([8, 4, 3, 3], Array(repeating: 0, count: 288)),
                                                           "c.bias": Self.tensor([8], Array(repeating: 0.6, count: 8))])
        var cut = ApproximateDecay(ticks: 256, seed: 3)
        cut.budget = 4_608 * 256
        let tiled = try cut.run(net)
        #expect(tiled.graph.layer(named: "c")?.neuron?.leak == -0.125)
        #expect(tiled.log.first?.hasSuffix("mean 0, max 0 spikes/tick (ignoring the decay: mean \(fmt(43.0 / 256))); measured on a 4x4 tile of its outputs (128 of the layer's 288 neurons)") == true,
                "\(tiled.log)")
        var few = ApproximateDecay(ticks: 256, seed: 3)
        few.neuronLimit = 5
        let sampled = try few.run(net)
        #expect(sampled.graph.layer(named: "c")?.neuron?.leak == -0.125)
        #expect(sampled.log.first?.hasSuffix("; measured on 5 of 288 neurons, evenly spaced") == true, "\(sampled.log)")
        // Within both limits, the layer runs whole and the log says nothing more.
        let whole = try ApproximateDecay(ticks: 256, seed: 3).run(net)
        #expect(whole.log.first?.hasSuffix("(ignoring the decay: mean \(fmt(43.0 / 256)))") == true)
    }

    // MARK: The compile: section and the pipeline

    /// A one-layer network whose `compile:` section holds `lines` (line 8 onwards).
    static func compileSection(_ lines: String) -> String {
        """
        network: n
        inputs: { x: { shape: [2] } }
        init: { seed: 1 }
        layers:
          - { name: d, op: dense, out: 2, input: x }
        outputs: [d]
        compile:
        \(lines)
        """
    }

    @Test func compileSectionIsRead() throws {
        let yaml = Self.compileSection("""
          fold_batchnorm: false
          balance: { percentile: 99, per: channel, calibration: c.npy }
          quantise: { weights: trinary, per: channel }
        """)
        let net = try Network.load(yaml: yaml, file: "/tmp/somewhere/n.yaml")
        #expect(net.conversion.foldBatchNorm == false)
        #expect(net.conversion.balance == .init(percentile: 99, granularity: .channel, calibration: ["x": "c.npy"]))
        #expect(net.conversion.quantise == .init(format: .trinary, granularity: .channel))
        #expect(net.conversion.baseDirectory == "/tmp/somewhere")
    }

    @Test(arguments: [
        ("quantise: { weights: 9 }", "9:24: error: quantise weights '9': expected 2..8 (bits) or trinary"),
        ("quantise: { bits: 4 }", "9:15: error: unknown key 'bits' in compile.quantise"),
        ("balance: { percentile: 99 }", "9:12: error: balance needs 'calibration:'"),
        ("balance: { per: neuron, calibration: c.npy }", "9:19: error: unknown granularity ('per') 'neuron'"),
        ("initial_potential: 2", "9:22: error: initial_potential (fraction of the threshold) must be at most 1.0, got 2.0"),
        ("calibrate: { ticks: 8 }", "9:14: error: calibrate needs 'samples:'"),
        ("calibrate: { samples: 0 }", "9:25: error: calibrate samples must be at least 1"),
    ])
    func badCompileSectionsAreLocated(line: String, message: String) throws {
        let yaml = Self.compileSection("  fold_batchnorm: true\n  \(line)")
        let error = #expect(throws: DiagnosticError.self) { try Network.load(yaml: yaml, file: "n.yaml") }
        #expect(error?.description.contains("n.yaml:\(message)") == true, "\(error?.description ?? "")")
    }

    @Test func maxPoolingIsRefusedWithASuggestion() throws {
        let yaml = """
        network: n
        inputs: { x: { shape: [1, 4, 4] } }
        layers:
          - { name: p, op: maxpool, kernel: 2, input: x }
        outputs: [p]
        """
        let error = #expect(throws: DiagnosticError.self) { try Network.load(yaml: yaml, file: "n.yaml") }
        #expect(error?.description.contains("n.yaml:4:20: error: max pooling is not supported") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("Use 'avgpool'") == true)
    }

    @Test func pipelinePrintsTheIRAfterEachPass() throws {
        let run = try TestSupport.tessera(["compile", DigitsBinaryTests.fixture("mlp.yaml"), "--print-after-each-pass", "--quantise-per", "channel"])
        #expect(run.status == 0, "\(run.stderr)")
        for stage in ["== after load ==", "== after balance-thresholds ==", "== after quantise-weights =="] {
            #expect(run.stdout.contains(stage), "missing \(stage)")
        }
        #expect(run.stdout.contains("th=per-channel[64]"))
        #expect(run.stdout.contains("4-bit, scales"))
    }
}
