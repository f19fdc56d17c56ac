import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// NIR graphs lowered to Tessera's IR. Expected values are derived by hand from NIR's
/// equations (docs/nir.md) and from the fields the `nir` package wrote (read back with the
/// reader), and compositions are checked against a direct evaluation of the chain.
@Suite struct NIRLoweringTests {
    static func fixture(_ name: String) -> String { NIRReaderTests.fixture(name) }

    static func lowered(_ name: String, _ semantics: NIRSemantics) throws -> SpikeGraph {
        try Network.load(fixture(name), nir: semantics).graph
    }

    /// conv-if-lif.nir: input 2x6x6 -> Conv2d -> IF (threshold 2) -> SumPool2d 2 -> Flatten ->
    /// Affine 36 -> 3 -> LIF (tau 0.02, r 1, threshold 1). The IF layer keeps the file's
    /// convolution; pool, flatten and affine compose into one dense layer over the IF layer,
    /// whose weight from (c, y, x) is the affine's from pooled (c, y / 2, x / 2), since each
    /// position lies in exactly one 2x2 window and Flatten is channel-major.
    @Test func poolFlattenAffineComposeIntoOneDenseLayer() throws {
        let file = try NIRReader.read(path: Self.fixture("conv-if-lif.nir"))
        let graph = try Self.lowered("conv-if-lif.nir", NIRSemantics(writer: .nir, dt: 1e-3))
        #expect(graph.layers.map(\.name) == ["input", "if1", "lif"])
        #expect(graph.layers.map(\.op.name) == ["input", "conv2d", "dense"])
        guard case let .numbers(_, conv)? = file.node("conv")?.fields["weight"], case let .numbers(_, fc)? = file.node("fc")?.fields["weight"] else {
            Issue.record("fixture fields missing")
            return
        }
        #expect(graph.parameters.tensor("if1.weight")?.values == conv)
        var expected: [Double] = []
        for o in 0..<3 {
            for c in 0..<4 { for y in 0..<6 { for x in 0..<6 { expected.append(fc[o * 36 + c * 9 + (y / 2) * 3 + x / 2]) } } }
        }
        #expect(graph.parameters.tensor("lif.weight")?.values == expected)
        #expect(graph.parameters.tensor("lif.weight")?.shape == [3, 144])
        #expect(graph.parameters.tensor("lif.bias")?.values == [0, 0.5, -0.5])
        // IF: integer weights, no bias, reset to v_reset = 0, so NIR's v > 2 is v >= 3.
        let ifNeuron = try #require(graph.layer(named: "if1")?.neuron)
        #expect(ifNeuron.kind == .integrateAndFire && ifNeuron.threshold == 3 && ifNeuron.reset == .zero)
        // LIF by forward Euler at dt 1e-3: v <- (1 - dt / tau) v + (r dt / tau) I, so decay
        // 0.95 and gain 0.05, taken into the threshold: 1 / 0.05 = 20.
        let lif = try #require(graph.layer(named: "lif")?.neuron)
        #expect(lif.kind == .leakyIntegrateAndFire && abs((lif.decay ?? 0) - 0.95) < 1e-12 && abs(lif.threshold - 20) < 1e-9 && lif.reset == .zero)
    }

    /// The same LIF node (tau 0.02, r 1, threshold 1) under each writer's reading.
    @Test(arguments: [
        // snnTorch: dt 1e-4, beta = 1 - dt / tau = 0.995, gain r dt / tau = 0.005, subtract.
        (NIRSemantics.Writer.snntorch, 0.995, 200.0, NeuronModel.Reset.subtract),
        // Norse 1.1 writes tau = dt / tau_mem_inv: a step is dt^2 / tau = 1e-6 / 0.02 = 5e-5,
        // so decay 0.99995 and gain 5e-5 (r unused): threshold 20,000; reset to v_reset 0.
        (.norse, 0.99995, 20000.0, .zero),
        // Sinabs: tau in steps, decay alpha = exp(-1 / 0.02), gain 1 - alpha (norm_input), subtract.
        (.sinabs, exp(-1 / 0.02), 1.0, .subtract),
    ])
    func eachWriterReadsTheLIFItsOwnWay(writer: NIRSemantics.Writer, decay: Double, threshold: Double, reset: NeuronModel.Reset) throws {
        let lif = try #require(try Self.lowered("conv-if-lif.nir", NIRSemantics(writer: writer)).layer(named: "lif")?.neuron)
        #expect(abs((lif.decay ?? 1) - decay) < 1e-12 && abs(lif.threshold - threshold) < 1e-6 * threshold && lif.reset == reset, "\(lif)")
    }

    /// NIR has no time step: a LIF node under NIR's own reading needs --dt.
    @Test func aLIFWithoutATimeStepIsAnError() throws {
        // The message, not only the error type: a missing or unreadable fixture would throw a
        // DiagnosticError too. It names the LIF node and the option that supplies the step.
        let error = #expect(throws: DiagnosticError.self) { try Self.lowered("conv-if-lif.nir", NIRSemantics(writer: .nir)) }
        let text = error?.description ?? ""
        #expect(text.contains("lif") && text.contains("NIR stores no time step") && text.contains("give --dt"), "\(text)")
    }

    /// A convolution evaluated directly from its definition (PyTorch's), for checking
    /// compositions: input [c][y][x] flattened.
    static func apply(_ k: NIRConvolution, _ input: [Double], _ shape: (c: Int, h: Int, w: Int)) -> [Double] {
        let out = k.outputShape(shape)
        var y = [Double](repeating: 0, count: out.c * out.h * out.w)
        for co in 0..<out.c {
            for oy in 0..<out.h {
                for ox in 0..<out.w {
                    var sum = k.bias[co]
                    for ci in 0..<shape.c {
                        for ty in 0..<k.kernel.0 {
                            for tx in 0..<k.kernel.1 {
                                let (iy, ix) = (oy * k.stride.0 - k.padding.0 + ty * k.dilation.0, ox * k.stride.1 - k.padding.1 + tx * k.dilation.1)
                                guard iy >= 0, iy < shape.h, ix >= 0, ix < shape.w else { continue }
                                sum += k.full(co, ci, ty, tx) * input[(ci * shape.h + iy) * shape.w + ix]
                            }
                        }
                    }
                    y[(co * out.h + oy) * out.w + ox] = sum
                }
            }
        }
        return y
    }

    static func randomConv(_ rng: inout SeededRandom, in c: Int, out: Int, groups: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, bias: Bool) -> NIRConvolution {
        let count = out * (c / groups) * kernel * kernel
        return NIRConvolution(inChannels: c, outChannels: out, groups: groups, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding),
                              dilation: (dilation, dilation), weight: (0..<count).map { _ in Double(Int(rng.next() % 5)) - 2 },
                              bias: (0..<out).map { _ in bias ? Double(Int(rng.next() % 3)) - 1 : 0 })
    }

    /// Pooling then convolution (any padding, stride, dilation, groups), convolution then
    /// pooling, and a convolution folded into the dense layer that reads it: the composed
    /// layer gives what the chain gives on random inputs.
    @Test(arguments: 0..<12)
    func chainsComposeExactly(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 900)
        let shape = (c: 4, h: 8, w: 8)
        let input = (0..<(4 * 64)).map { _ in Double(Int(rng.next() % 7)) - 3 }
        let pool = NIRConvolution.depthwise(channels: 4, scale: Array(repeating: seed % 2 == 0 ? 1 : 0.25, count: 4), kernel: (2, 2), stride: (2, 2), padding: (0, 0))
        let groups = [1, 2, 4][seed % 3]
        let conv = Self.randomConv(&rng, in: 4, out: 4, groups: groups, kernel: 3, stride: 1 + seed % 2, padding: seed % 3 == 0 ? 0 : 1, dilation: 1 + (seed / 6), bias: true)
        // Pool then conv.
        let pooled = Self.apply(pool, input, shape)
        let chained = Self.apply(conv, pooled, pool.outputShape(shape))
        let composed = try conv.composed(after: pool, input: shape).get()
        #expect(Self.apply(composed, input, shape) == chained)
        // Conv (no padding) then pool.
        let first = Self.randomConv(&rng, in: 4, out: 4, groups: groups, kernel: 3, stride: 1, padding: 0, dilation: 1, bias: true)
        let convThenPool = Self.apply(pool, Self.apply(first, input, shape), first.outputShape(shape))
        let merged = try pool.composed(after: first, input: shape).get()
        #expect(Self.apply(merged, input, shape).map { ($0 * 1e9).rounded() } == convThenPool.map { ($0 * 1e9).rounded() })
        // A dense layer reading the conv's output, folded back over the conv's input.
        let out = conv.outputShape(shape)
        let rows = (0..<3).map { _ in (0..<(out.c * out.h * out.w)).map { _ in Double(Int(rng.next() % 5)) - 2 } }
        let (back, bias) = conv.pullBack(rows, input: shape)
        let direct = rows.map { row in zip(row, Self.apply(conv, input, shape)).reduce(0) { $0 + $1.0 * $1.1 } }
        let folded = zip(back, bias).map { row, b in zip(row, input).reduce(b) { $0 + $1.0 * $1.1 } }
        #expect(direct == folded)
    }

    /// Two padded 3x3 convolutions do not compose: the second reads the first's zero padding
    /// at positions that are real input of the whole.
    @Test func paddedConvolutionsDoNotCompose() {
        var rng = SeededRandom(seed: 5)
        let a = Self.randomConv(&rng, in: 2, out: 2, groups: 1, kernel: 3, stride: 1, padding: 1, dilation: 1, bias: false)
        let b = Self.randomConv(&rng, in: 2, out: 2, groups: 1, kernel: 3, stride: 1, padding: 1, dilation: 1, bias: false)
        guard case .failure(.padding) = b.composed(after: a, input: (2, 6, 6)) else {
            Issue.record("padded convolutions composed")
            return
        }
    }

    /// Files that read but cannot be lowered, each named by file, node and field (written by
    /// the real `nir` package, or edited from its file, by tools/nir/make_fixtures.py).
    @Test(arguments: [
        ("not-hdf5.nir", ["not-hdf5.nir", "not an HDF5 file"]),
        ("missing-weight.nir", ["node 'conv' (Conv2d)", "missing field 'weight'"]),
        ("wrong-shape.nir", ["node 'fc' (Affine)", "field 'weight'", "(3, 35)", "36 values"]),
        ("wrong-groups.nir", ["node 'conv' (Conv2d)", "field 'groups'", "is 3"]),
        ("v-reset.nir", ["node 'if1' (IF)", "field 'v_reset'", "0.5"]),
        ("negative-tau.nir", ["node 'lif' (LIF)", "field 'tau'", "positive"]),
        ("threshold-varies.nir", ["node 'if1' (IF)", "field 'v_threshold'", "varies within channel 0"]),
        ("bad-padding.nir", ["node 'conv' (Conv2d)", "field 'padding'", "'full'"]),
        ("cycle.nir", ["cycle.nir", "cycle 'lif' -> 'fc' -> 'lif'", "acyclic"]),
        ("cubalif.nir", ["node 'cuba' (CubaLIF)", "does not lower CubaLIF"]),
        ("linear-output.nir", ["node 'output' (Output)", "through 'fc'", "does not spike"]),
        ("two-inputs.nir", ["node 'lif'", "sums 2 inputs ('a', 'b')"]),
        ("dangling-edge.nir", ["graph 'node/sub'", "node 'lif'", "'lif1'"]),
        ("unknown-primitive.nir", ["node 'conv'", "'Conv3d'"]),
        ("non-finite.nir", ["node 'fc'", "field 'weight'", "element 38"]),
        ("no-version.nir", ["no 'version'"]),
        // Found by `make fuzz READER=nir`: a dataset declaring far more than the file holds
        // once took libhdf5 past the 10 s limit filling it.
        ("fuzz-huge-dataset.nir", ["declares", "more than gzip can expand"]),
        // Also found by it: a string's global heap collection whose free-space object has
        // size 0, on which libhdf5 1.10 loops forever.
        ("fuzz-heap-loop.nir", ["node 'input'", "field 'type'", "heap collection at 2064", "index 0, 0 bytes", "has size 0"]),
        // And a float field whose type's bit fields put its bits outside the element, on
        // which libhdf5's conversion read far outside its buffer.
        ("fuzz-bad-type.nir", ["node '2'", "field 'input_shape'", "0 bits at bit 5120", "not a standard integer or IEEE float"]),
        // And a compact dataset storing none of the 24 bytes its shape declares, which
        // libhdf5 copied from a null buffer.
        ("fuzz-short-compact.nir", ["node 'input'", "field 'shape'", "compact dataset of shape [3]", "declares 24 bytes but stores 0"]),
        // And a group B-tree on which libhdf5 copies into a null buffer: the structure walk
        // in a child process (probe.h) sees the child crash and refuses the file.
        ("fuzz-btree-crash.nir", ["fuzz-btree-crash.nir", "libhdf5 crashed", "reading the file's structure; corrupt HDF5"]),
        // And, in fork mode past those: a chunk wider than its dataset, which libhdf5 copies
        // out of beyond what it filled, and a string type naming another base type, which
        // took libhdf5 22 s and 9 GB to convert.
        ("fuzz-wide-chunk.nir", ["node 'fc'", "field 'weight'", "chunk [3, 3997699] is wider than the dataset"]),
        ("fuzz-string-type.nir", ["node 'output'", "field 'type'", "not a plain variable-length string"]),
        // And a corrupt symbol table on which looking up a name the group does not list
        // crashed libhdf5; only listed names are looked up now.
        ("fuzz-absent-name.nir", ["fuzz-absent-name.nir", "graph 'node' has no 'nodes' group"]),
    ])
    func malformedFilesAreRejectedByName(file: String, phrases: [String]) {
        do {
            _ = try Network.load(Self.fixture(file), nir: NIRSemantics(writer: .nir, dt: 1e-4))
            Issue.record("\(file) was accepted")
        } catch {
            let text = error.description
            #expect(text.contains(file))
            for p in phrases { #expect(text.contains(p), "\(file): '\(p)' not in: \(text)") }
        }
    }
}
