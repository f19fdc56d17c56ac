import Foundation
import Testing
@testable import Passes
@testable import Tessera
import SpikeIR

/// Pools composed into the convolutions after them (``ComposePools``), and a layer's bias
/// led to begin with its input (``NeuronModel/startingPotential(threshold:leak:late:beta:)``);
/// the expected figures are derived in the comments.
@Suite struct PoolCompositionTests {
    static func pool(_ k: Int, stride: Int) -> SpikeIR.Operation {
        .avgpool(Pooling(vertical: Window(kernel: k, stride: stride), horizontal: Window(kernel: k, stride: stride)))
    }

    static func conv(_ k: Int, padding: Int = 0, dilation: Int = 1) -> SpikeIR.Operation {
        .conv2d(Convolution(outChannels: 1, vertical: Window(kernel: k, padding: padding, dilation: dilation),
                            horizontal: Window(kernel: k, padding: padding, dilation: dilation), bias: false))
    }

    /// x (1 x size x size) -> p (`pool`) -> c (`conv`, weights `w`), with quantised ReLUs
    /// (`levels` 4) when `qcfs`.
    static func network(size: Int, pool: SpikeIR.Operation, conv: SpikeIR.Operation, w: [Double], kernel: Int, qcfs: Bool = false, readers: Int = 1) throws -> SpikeGraph {
        var c = Layer(name: "c", op: conv, inputs: ["p"], neuron: NeuronModel(), parameterKey: "c")
        if qcfs { (c.ceiling, c.levels) = (1, 4) }
        var layers = [Layer(name: "x", op: .input(shape: TensorShape(1, size, size), encoding: .rate)),
                      Layer(name: "p", op: pool, inputs: ["x"], neuron: NeuronModel()), c]
        var tensors = ["c.weight": ConversionPassTests.tensor([1, 1, kernel, kernel], w)]
        if readers == 2 {
            layers.append(Layer(name: "d", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["p"], neuron: NeuronModel(), parameterKey: "d"))
            tensors["d.weight"] = ConversionPassTests.tensor([1, (size / 2) * (size / 2)], Array(repeating: 1, count: (size / 2) * (size / 2)))
        }
        return try ConversionPassTests.graph(layers, outputs: readers == 2 ? ["c", "d"] : ["c"], tensors: tensors)
    }

    /// A 2 x 2 average pool of stride 2, then a 2 x 2 conv [[1, 2], [3, 4]] on a 4 x 4 input:
    /// conv tap (ty, tx) reads pooled (ty, tx), the mean of input rows 2 ty + {0, 1} and
    /// columns 2 tx + {0, 1}. One 4 x 4 kernel of stride 2: w'[uy][ux] = w[uy / 2][ux / 2] / 4.
    /// On x = 1...16 (row-major) both graphs give (1+2+5+6)/4 + 2 (3+4+7+8)/4 +
    /// 3 (9+10+13+14)/4 + 4 (11+12+15+16)/4 = 3.5 + 11 + 34.5 + 54 = 103.
    @Test func averagePoolComposesByHand() throws {
        let graph = try Self.network(size: 4, pool: Self.pool(2, stride: 2), conv: Self.conv(2), w: [1, 2, 3, 4], kernel: 2)
        let result = try ComposePools().run(graph)
        #expect(result.graph.layers.map(\.name) == ["x", "c"])
        let c = try #require(result.graph.layer(named: "c"))
        #expect(c.inputs == ["x"])
        guard case let .conv2d(op) = c.op else { Issue.record("c is \(c.op.name)"); return }
        #expect(op.vertical == Window(kernel: 4, stride: 2) && op.horizontal == Window(kernel: 4, stride: 2))
        let quarter = [0.25, 0.25, 0.5, 0.5], rest = [0.75, 0.75, 1, 1]
        #expect(ConversionPassTests.values(result.graph, "c.weight") == quarter + quarter + rest + rest)
        #expect(result.log == ["p composed into c: 2x2 at dilation 1 after a 2x2 window of stride 2 is 4x4 of stride 2, 16 live taps per input channel"])
        let x = ["x": (1...16).map(Double.init)]
        #expect(AnalogForward(graph).run(x, linear: ["c"]).last == [103])
        #expect(AnalogForward(result.graph).run(x, linear: ["c"]).last == [103])
    }

    /// The seed paper's chain on 8 x 8: a 2 x 2 pool, then a 3 x 3 conv at dilation 2 with
    /// padding 2. Tap t of the conv reads pooled 2t - 2, input rows 4t - 4 + {0, 1}: a 10 x 10
    /// kernel (2 x 2 x 2 + 2) of stride 2 and padding 4, output (8 + 8 - 10) / 2 + 1 = 4 as
    /// before, with 3 x 3 x 4 = 36 live taps. Weight 9 (tap 2, 2) lands at rows and columns 8
    /// and 9 as 9 / 4.
    @Test func dilatedConvolutionComposesWithPadding() throws {
        let w = (1...9).map(Double.init)
        let graph = try Self.network(size: 8, pool: Self.pool(2, stride: 2), conv: Self.conv(3, padding: 2, dilation: 2), w: w, kernel: 3)
        let result = try ComposePools().run(graph)
        guard case let .conv2d(op) = result.graph.layer(named: "c")?.op else { Issue.record("no conv"); return }
        #expect(op.vertical == Window(kernel: 10, stride: 2, padding: 4))
        let composed = ConversionPassTests.values(result.graph, "c.weight")
        #expect(composed.filter { $0 != 0 }.count == 36)
        #expect([88, 89, 98, 99].map { composed[$0] } == [2.25, 2.25, 2.25, 2.25])
        // Equal on any input: both sums read the same input elements, zeros in the padding.
        let x = ["x": (0..<64).map { Double(($0 * 37) % 11) / 10 }]
        let (a, b) = (AnalogForward(graph).run(x, linear: ["c"]).last ?? [], AnalogForward(result.graph).run(x, linear: ["c"]).last ?? [])
        #expect(a.count == 16 && ConversionPassTests.close(a, b))
    }

    /// Pools stay where composing would not be exact, and the log says why: windows that
    /// overlap (3 x 3 of stride 2) under a padded conv, a pool read by a dense layer too,
    /// and a pool that misses the input's last row (2 x 2 on 5 x 5) under a padded conv.
    @Test func inexactCompositionsKeepThePool() throws {
        let cases: [(SpikeGraph, String)] = [
            (try Self.network(size: 9, pool: Self.pool(3, stride: 2), conv: Self.conv(3, padding: 1), w: Array(repeating: 1, count: 9), kernel: 3),
             "p: kept as a layer (its windows overlap and c pads)"),
            (try Self.network(size: 4, pool: Self.pool(2, stride: 2), conv: Self.conv(2), w: [1, 2, 3, 4], kernel: 2, readers: 2),
             "p: kept as a layer (d is not a plain convolution of it alone)"),
            (try Self.network(size: 5, pool: Self.pool(2, stride: 2), conv: Self.conv(3, padding: 1), w: Array(repeating: 1, count: 9), kernel: 3),
             "p: kept as a layer (its windows miss the input's last 1 rows or columns and c pads)"),
        ]
        for (graph, why) in cases {
            let result = try ComposePools().run(graph)
            #expect(result.log == [why])
            #expect(result.graph.layer(named: "p") != nil && result.graph.layer(named: "c")?.inputs == ["p"])
        }
    }

    /// The pipeline composes pools when asked, before balancing (which then scales the
    /// composed convolution by its new input's clip), and not otherwise.
    @Test func composedWhenAsked() throws {
        let qcfs = try Self.network(size: 4, pool: Self.pool(2, stride: 2), conv: Self.conv(2), w: [1, 2, 3, 4], kernel: 2, qcfs: true)
        func passes(_ compose: Bool) throws -> [String] {
            try ConversionPipeline(ConversionSettings(composePools: compose, signedReadout: false)).run(qcfs).map(\.pass)
        }
        #expect(try passes(true) == ["compose-pools", "balance-thresholds"])
        #expect(try passes(false) == ["balance-thresholds"])
    }

    /// A neuron whose input arrives `late` ticks into the run starts that many ticks of its
    /// leak away: threshold 10, bias +3, 2 ticks late: 0 - 2 x 3 = -6. A negative leak of 3,
    /// 5 ticks late, would start at 15 and fire on its leak alone (15 - 3 >= 10): the lead
    /// stops at 4 ticks, 12 (12 - 3 = 9 < 10). A positive leak of 3 over a floor of -4 stops
    /// at 2 ticks, -6 (-6 + 3 = -3 >= -4). Binary neurons start every tick at 0.
    @Test func biasLeadsByHand() {
        let neuron = NeuronModel()
        #expect(neuron.startingPotential(threshold: 10, leak: 3, late: 2, beta: 255) == -6)
        #expect(neuron.startingPotential(threshold: 10, leak: -3, late: 5, beta: 255) == 12)
        #expect(neuron.startingPotential(threshold: 10, leak: 3, late: 5, beta: 4) == -6)
        #expect(neuron.startingPotential(threshold: 10, leak: 3, late: 0, beta: 255) == 0)
        #expect(NeuronModel(initialFraction: 0.5).startingPotential(threshold: 10, leak: 2, late: 3, beta: 255) == -1)
        #expect(NeuronModel(kind: .binary).startingPotential(threshold: 10, leak: 3, late: 2, beta: 255) == 0)
    }

    /// A biased layer behind another fires as it would first in line: d2 (depth 2, bias +1,
    /// threshold 3, no weights) integrates its bias from tick 1, where its input begins. It
    /// starts at -1 and fires at ticks 3 and 6: ticks 2 and 5 after its latency of 1, as a
    /// first layer of bias 1 and threshold 3 does (V = 1, 2, 3).
    @Test func biasBeginsWithTheInput() throws {
        let sim = try ReferenceSimulatorTests.simulator([
            Layer(name: "x", op: .input(shape: TensorShape(vector: 1), encoding: .rate)),
            Layer(name: "d1", op: .dense(Dense(outFeatures: 1, bias: false)), inputs: ["x"], neuron: NeuronModel(threshold: 1), parameterKey: "d1"),
            Layer(name: "d2", op: .dense(Dense(outFeatures: 1)), inputs: ["d1"], neuron: NeuronModel(threshold: 3), parameterKey: "d2"),
        ], outputs: ["d2"], tensors: ["d1.weight": ReferenceSimulatorTests.tensor([1, 1], [1]), "d2.weight": ReferenceSimulatorTests.tensor([1, 1], [0]),
                                     "d2.bias": ReferenceSimulatorTests.tensor([1], [1])])
        let result = sim.run(SpikeInput(ticks: 8, spikes: [:]), ticks: 8)
        #expect(result.outputs[0].spikes.map(\.tick) == [3, 6])
        #expect(sim.latency(of: "d2") == 1)
    }
}
