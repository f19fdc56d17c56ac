import Foundation
import Testing
@testable import Passes
@testable import Frontend
@testable import Tessera

/// Residual elimination, bias calibration and the folding of trained scales on networks small enough to work out by hand;
/// the expected spike counts and biases are derived in the comments.
@Suite struct CalibrationPassTests {
    static let truenorth = ReferenceSimulatorTests.truenorth
    static let tensor = ConversionPassTests.tensor

    /// One input element driving one IF neuron through weight `w` (threshold `threshold`,
    /// bias `bias`, reset by subtraction).
    static func single(weight w: Double, threshold: Double, bias: Double = 0) throws -> SpikeGraph {
        try ConversionPassTests.graph([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate)),
            Layer(name: "d", op: .dense(Dense(outFeatures: 1)), inputs: ["x"], neuron: NeuronModel(threshold: threshold), parameterKey: "d"),
        ], outputs: ["d"], tensors: ["d.weight": tensor([1, 1], [w]), "d.bias": tensor([1], [bias])])
    }

    static func spikes(_ result: EmulationResult) -> [Int] { result.outputs.first?.spikes.map(\.tick) ?? [] }

    // MARK: EliminateResidual

    /// Weight 1, threshold 4, the input firing every tick: a current of 1 per tick. From 0,
    /// V reaches 4 after the 4th tick (t = 3) and again at t = 7: floor(6 / 4) = 1 spike in
    /// 6 ticks. From half the threshold, 2, it reaches 4 at t = 1 and t = 5: 2 spikes, which
    /// is round(6 / 4) = round(1.5). The core map holds the start (2) in the neuron's
    /// initial potential and the chip fires on the same ticks as the reference simulator.
    @Test func eliminateResidualStartsAtHalfTheThreshold() throws {
        let net = try Self.single(weight: 1, threshold: 4)
        let started = try EliminateResidual(fraction: 0.5).run(net)
        #expect(started.graph.layer(named: "d")?.neuron?.initialFraction == 0.5)
        #expect(started.log == ["d: starts at 0.5 of its threshold (2)"])
        let input = SpikeInput(ticks: 6, spikes: ["x": (0..<6).map { SpikeInput.Event(tick: $0, index: 0) }])
        let before = ReferenceSimulator(try IntegerNetwork.check(net, target: Self.truenorth)).run(input, ticks: 6)
        let network = try IntegerNetwork.check(started.graph, target: Self.truenorth)
        let after = ReferenceSimulator(network).run(input, ticks: 6)
        #expect(Self.spikes(before) == [3])
        #expect(Self.spikes(after) == [1, 5])
        let compiled = try Compiler(network).compile()
        let map = try CoreMapReader.parse(Data(compiled.map.json.utf8), file: "compiled.json", target: Self.truenorth)
        #expect(map.cores.flatMap(\.neurons).map(\.initialPotential).contains(2))
        let emulated = try Emulator(map: map, target: Self.truenorth).run(input, ticks: 6)
        #expect(Self.spikes(emulated) == [1, 5])
        // An odd threshold starts rounded down: 0.5 x 5 = 2.5 -> 2 on the chip.
        let odd = try EliminateResidual(fraction: 0.5).run(try Self.single(weight: 1, threshold: 5))
        #expect(odd.log == ["d: starts at 0.5 of its threshold (2)"])
        // A start outside -1...1 of the threshold is refused, the value and the range named.
        let outside = #expect(throws: DiagnosticError.self) { try EliminateResidual(fraction: 1.5).run(net) }
        #expect(outside?.description.contains("1.5") == true && outside?.description.contains("-1...1") == true, "\(outside?.description ?? "")")
    }

    /// The start is part of the neuron in the network file (`initial:`), so a network the
    /// writer saves after residual elimination loads back with it.
    @Test func initialPotentialRoundTripsThroughTheNetworkFile() throws {
        let started = try EliminateResidual(fraction: 0.5).run(try Self.single(weight: 1, threshold: 4)).graph
        let dir = try TestSupport.temporaryDirectory()
        let (yaml, tensors) = try NetworkWriter.write(started, weights: "w.npz")
        #expect(yaml.contains("initial: 0.5"))
        try NPZWriter.write(tensors, to: dir.appendingPathComponent("w.npz").path)
        let path = dir.appendingPathComponent("net.yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try Network.load(path).graph.layer(named: "d")?.neuron?.initialFraction == 0.5)
    }

    // MARK: CalibrateBias

    /// The ANN (reference): weight 1, threshold 1, so the rate equals the input, x = 0.5.
    /// The quantised network lost a quarter of its gain: weight 6, threshold 8. Rate-coded,
    /// x = 0.5 spikes at t = 0, 2, 4, 6 of 8 ticks (floor((t + 1) x + 1/2) > floor(t x + 1/2));
    /// V goes 6, 12 -> fire (4), 10 -> fire (2), 8 -> fire (0): 3 spikes, rate 0.375. The bias
    /// moves by (0.5 - 0.375) x 8 = 1 per tick. Then V is 7, 8 -> fire (0), 7, 8, 7, 8, 7, 8:
    /// a spike at t = 1, 3, 5, 7, rate 0.5, the ANN's.
    @Test func calibrateBiasMatchesTheANNsMeanRate() throws {
        let reference = try Self.single(weight: 1, threshold: 1)
        let quantised = try Self.single(weight: 6, threshold: 8)
        let result = try CalibrateBias(samples: 1, ticks: 8).run(quantised, reference: reference, calibration: [["x": [0.5]]])
        #expect(ConversionPassTests.values(result.graph, "d.bias") == [1])
        #expect(result.log == ["d: mean rate 0.375 -> 0.5 (ANN 0.5), bias moved by 1..1 per channel"])
        // Asking for more samples than the set holds is an error naming both counts.
        let tooMany = #expect(throws: DiagnosticError.self) { try CalibrateBias(samples: 2, ticks: 8).run(quantised, reference: reference, calibration: [["x": [0.5]]]) }
        #expect(tooMany?.description.contains("2 samples") == true && tooMany?.description.contains("has 1") == true, "\(tooMany?.description ?? "")")
        // Samples outside [0, 1] cannot be rate-coded: the sample, the input and the range named.
        let outside = #expect(throws: DiagnosticError.self) { try CalibrateBias(samples: 1, ticks: 8).run(quantised, reference: reference, calibration: [["x": [2]]]) }
        let text = outside?.description ?? ""
        #expect(text.contains("sample 0") && text.contains("'x'") && text.contains("[0, 1]"), "\(text)")
    }

    /// The advanced form on the same network: the measured rate 0.375 against the ANN's 0.5
    /// is a slope g = (0.5 x 0.375) / 0.375^2 = 4/3, so the threshold becomes 8 / (4/3) = 6.
    /// Then every input spike (6) fires it: rate 0.5, and the bias has nothing left to do.
    @Test func calibrateGainFitsTheSlope() throws {
        let reference = try Self.single(weight: 1, threshold: 1)
        let quantised = try Self.single(weight: 6, threshold: 8)
        let result = try CalibrateBias(samples: 1, ticks: 8, calibratesGain: true).run(quantised, reference: reference, calibration: [["x": [0.5]]])
        #expect(result.graph.layer(named: "d")?.neuron?.threshold == 6)
        #expect(ConversionPassTests.values(result.graph, "d.bias") == [0])
        #expect(result.log == ["d: mean rate 0.375 -> 0.5 (ANN 0.5), gain x 1.333 (threshold 8..8 -> 6..6)"])
    }

    /// Two classes, weights -0.5 and -0.25 on an input of 1 in the reference (threshold 1):
    /// both scores are negative, so neither class fires and the sample is a miss. The winner
    /// scores -0.25; with 4 calibration ticks the least shift that gives it one spike is
    /// 1/4 - (-0.25) = 0.5 of a threshold, 0.5 x 4 = 2 per tick on the quantised network
    /// (weights -2 and -1, threshold 4). Then class 0's current is 0 and class 1's is 1 per
    /// tick: rates 0 and 0.25, the shifted reference's clip(-0.5 + 0.5) = 0 and -0.25 + 0.5,
    /// so bias calibration has nothing left to move.
    @Test func shiftedReadoutLetsTheWinnerFire() throws {
        func net(_ w: [Double], _ theta: Double) throws -> SpikeGraph {
            try ConversionPassTests.graph([
                Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate)),
                Layer(name: "out", op: .dense(Dense(outFeatures: 2, bias: false)), inputs: ["x"], neuron: NeuronModel(threshold: theta), parameterKey: "out"),
            ], outputs: ["out"], tensors: ["out.weight": Self.tensor([2, 1], w)])
        }
        let pass = CalibrateBias(samples: 1, ticks: 4, shiftsReadout: true)
        let result = try pass.run(try net([-2, -1], 4), reference: try net([-0.5, -0.25], 1), calibration: [["x": [1]]])
        #expect(ConversionPassTests.values(result.graph, "out.bias") == [2, 2])
        #expect(result.log.count == 1)
        #expect(result.log.first?.hasPrefix("out: every class's score raised by 0.5 of a threshold") == true)
        let network = try IntegerNetwork.check(result.graph, target: Self.truenorth)
        let counts = ReferenceSimulator(network).run(SpikeInput(ticks: 4, spikes: ["x": (0..<4).map { .init(tick: $0, index: 0) }]), ticks: 4).outputs.first?.counts
        #expect(counts == [0, 1])
    }

    // MARK: Bad calibration input

    /// A calibration set of the wrong shape, one with fewer samples than asked and one
    /// holding a NaN: each an error naming the file, and exit status 1.
    @Test(arguments: ["shape", "count", "nan"])
    func badCalibrationSetsAreRefused(_ fault: String) throws {
        let digits = TestSupport.fixtures + "/digits/"
        let dir = try TestSupport.temporaryDirectory()
        var arguments = ["compile", digits + "cnn.yaml", "-o", dir.appendingPathComponent("m.json").path]
        let expected: String
        switch fault {
        case "shape":
            arguments += ["--calibration", digits + "test_labels.npy"]
            expected = "test_labels.npy: shape (360,) matches neither input 'image'"
        case "count":
            arguments += ["--calibrate", "500"]
            expected = "calibration.npy: calibration asks for 500 samples, but it holds 200"
        default:
            var values = [Double](repeating: 0.5, count: 2 * 64)
            values[64 + 9] = .nan
            var data = Data(NPYHeader(descr: "<f8", shape: [2, 1, 8, 8]).encoded())
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            let path = dir.appendingPathComponent("nan.npy").path
            try data.write(to: URL(fileURLWithPath: path))
            arguments += ["--calibration", path, "--calibrate", "2"]
            expected = "nan.npy: element [1, 0, 1, 1] is nan; weights and samples must be finite"
        }
        let run = try TestSupport.tessera(arguments)
        #expect(run.status == 1)
        #expect(run.stderr.contains(expected), "\(run.stderr)")
    }

    // MARK: FoldScales

    /// a: dense 1 -> 2 whose spikes stand for 2 (channel 0) and 0.5 (channel 1); b reads
    /// them with weights [[1, -1], [1, 1]] and a weight scale of 3 for the layer, so its
    /// weights become w x 3 x beta_i: [[6, -1.5], [6, 1.5]]. p pools a 1-channel conv whose
    /// spikes stand for 4: fire iff 4 x sum >= 2, so its threshold becomes 2 / 4 = 0.5.
    @Test func foldScalesByHand() throws {
        let binary = NeuronModel(kind: .binary, threshold: 1)
        let graph = try ConversionPassTests.graph([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .binary)),
            Layer(name: "a", op: .dense(Dense(outFeatures: 2, bias: false)), inputs: ["x"], neuron: binary, parameterKey: "a"),
            Layer(name: "b", op: .dense(Dense(outFeatures: 2, bias: false)), inputs: ["a"], neuron: binary, parameterKey: "b"),
        ], outputs: ["b"], tensors: [
            "a.weight": Self.tensor([2, 1], [1, 1]), "a.activation_scale": Self.tensor([2], [2, 0.5]),
            "b.weight": Self.tensor([2, 2], [1, -1, 1, 1]), "b.weight_scale": Self.tensor([1], [3]),
        ])
        let folded = try FoldScales().run(graph)
        #expect(ConversionPassTests.values(folded.graph, "b.weight") == [6, -1.5, 6, 1.5])
        #expect(ConversionPassTests.values(folded.graph, "a.weight") == [1, 1])
        #expect(folded.graph.parameters.tensor("a.activation_scale") == nil && folded.graph.parameters.tensor("b.weight_scale") == nil)
        #expect(folded.log == ["b: weights x 3 (its weight scale), weights x 0.5..2 per channel (its inputs' activation scales)"])
        // Unfolded, a trained scale is refused by the integer check, naming the layer and the scale.
        let unfolded = #expect(throws: DiagnosticError.self) { try IntegerNetwork.check(graph, target: Self.truenorth) }
        let messages = unfolded?.diagnostics.map(\.message) ?? []
        #expect(messages.contains { $0.contains("'a'") && $0.contains("a.activation_scale") } && messages.contains { $0.contains("'b'") && $0.contains("b.weight_scale") },
                "\(messages)")

        let pooled = try ConversionPassTests.graph([
            Layer(name: "img", op: .input(shape: TensorShape(1, 2, 2), encoding: .binary)),
            Layer(name: "c", op: .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: 1), horizontal: Window(kernel: 1), bias: false)), inputs: ["img"], neuron: binary, parameterKey: "c"),
            Layer(name: "p", op: .avgpool(Pooling(vertical: Window(kernel: 2, stride: 2), horizontal: Window(kernel: 2, stride: 2))), inputs: ["c"], neuron: NeuronModel(kind: .binary, threshold: 2)),
        ], outputs: ["p"], tensors: ["c.weight": Self.tensor([1, 1, 1, 1], [1]), "c.activation_scale": Self.tensor([1], [4])])
        #expect(try FoldScales().run(pooled).graph.layer(named: "p")?.neuron?.threshold == 0.5)
        // A scale must be positive: the layer, the scale and its value named.
        var negative = graph
        negative.parameters["b.weight_scale"] = .loaded(Self.tensor([1], [-3]), origin: "test")
        let refused = #expect(throws: DiagnosticError.self) { try FoldScales().run(negative) }
        let refusal = refused?.description ?? ""
        #expect(refusal.contains("'b'") && refusal.contains("b.weight_scale") && refusal.contains("-3") && refusal.contains("positive"), "\(refusal)")
    }

    // MARK: evaluate --compare-passes

    /// One row per combination, each converted and compiled anew; the first (balancing and
    /// quantisation, as the MLP's file asks) is the plain curve the same run prints above it;
    /// calibration, which the file does not ask for, takes its defaults.
    @Test func comparePassesPrintsEachCombination() throws {
        let d = TestSupport.fixtures + "/digits/"
        let run = try TestSupport.tessera(["evaluate", d + "mlp.yaml", "--images", d + "test_images.npy", "--labels", d + "test_labels.npy",
                                           "--ticks", "4,8", "--compare-passes"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "accuracy per pass combination:"))
        let rows = lines[(start + 2)...].map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { $0.first ?? "" } == ["balancing", "+", "+", "+"])
        #expect(lines[start + 2].hasPrefix("balancing and quantisation") && lines[start + 4].contains("calibration (64 samples, 32 ticks)"))
        // The plain curve's rows: "4  5  90.56%" and "8  9  96.94%".
        let plain = lines.filter { $0.range(of: #"^ +[48] +[59] +"#, options: .regularExpression) != nil }.compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(plain.count == 2 && Array(rows[0].suffix(2)) == plain, "\(plain) vs \(rows[0])")
        // Those figures worked out independently of evaluate and of the core map: the network
        // converted as its file asks, run on the reference simulator (the IR, not the chip;
        // the MLP's map is exact, so they must agree) on each rate-coded test image, the class
        // the output neuron with the most spikes in T ticks after the latency (ties to the
        // lower index, none a miss).
        let expected = try Self.referenceAccuracy(ticks: [4, 8]).map { String(format: "%.2f%%", 100 * $0) }
        #expect(plain == expected && Array(rows[0].suffix(2)) == expected, "evaluate printed \(plain), the reference simulator gives \(expected)")
    }

    /// The digits MLP's accuracy on the 360 test images after each of `ticks`, on the
    /// reference simulator.
    static func referenceAccuracy(ticks: [Int]) throws -> [Double] {
        let target = try Target.load(TestSupport.target("truenorth"))
        let network = try Network.load(DigitsConversionTests.fixture("mlp.yaml"))
        let (images, labels) = try DigitsConversionTests.testSet(network)
        let converted = try network.convert(network.conversion, target: target).network
        let integer = try IntegerNetwork.check(converted.graph, target: target)
        let simulator = ReferenceSimulator(integer)
        let output = try #require(integer.graph.outputs.first)
        let latency = simulator.latency(of: output)
        let ports = integer.graph.inputLayers.compactMap { l in l.shape.map { InputPort(name: l.name, shape: [$0.channels, $0.height, $0.width], targets: []) } }
        let longest = try #require(ticks.max())
        var correct = [Int](repeating: 0, count: ticks.count)
        for (i, image) in images.enumerated() {
            let input = try InputEncoder.encode(image, ports: ports, encoding: .rate, ticks: longest, seed: 1, sample: i)
            let spikes = simulator.run(input, ticks: longest + latency).outputs[0].spikes
            for (k, t) in ticks.enumerated() {
                var counts = [Int](repeating: 0, count: 10)
                for e in spikes where e.tick >= latency && e.tick < latency + t { counts[e.index] += 1 }
                if let best = counts.max(), best > 0, counts.firstIndex(of: best) == labels[i] { correct[k] += 1 }
            }
        }
        #expect(images.count == 360)
        return correct.map { Double($0) / Double(images.count) }
    }
}
