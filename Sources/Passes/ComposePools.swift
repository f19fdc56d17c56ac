import SpikeIR
import TesseraSupport

/// Composes an average or sum pool into the convolution that reads it: in the ANN a pool
/// is linear, so `conv(pool(x))` is one convolution of `x` whose kernel is the conv's,
/// spread by the pool's stride, with each tap widened to the pool's window.
///
///     // 2 x 2 average pool, then a 3 x 3 conv: one 6 x 6 conv of stride 2, weights / 4
///     let composed = try ComposePools().run(graph)
///
/// Why: as a layer of its own a pool is a spiking stage that re-quantises what it passes
/// on. A QCFS layer's spikes count its L levels exactly in L ticks, but the average of four
/// such counts has 4L levels, and a pooling neuron rounds it back to L, a tick late; the
/// composed convolution reads the four counts itself. The cost is fan-in: a 2 x 2 pool makes
/// a 3 x 3 kernel 6 x 6 (36 taps per input channel), one at dilation 2 a 10 x 10 kernel
/// with 36 live taps, which on 256-axon cores split into many parts (docs/workloads.md,
/// "The conversion route: QCFS"), so it is asked for (`--compose-pools`), not default.
///
/// A pool is composed only where that is exact: no padding of its own, every reader an
/// ungrouped conv2d (no shortcut, weights of its own) reading only it, not an output, and a
/// conv's padding falling wholly on the pool's missing border (windows that do not overlap,
/// and the pooled map covering the whole input). Other pools stay, and the log says why.
public struct ComposePools: Sendable {
    public init() {}

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        var out = graph
        var log: [String] = []
        var removed: Set<String> = []
        let byName = graph.layersByName
        for pool in graph.layers {
            let window: Pooling, average: Bool
            switch pool.op {
            case let .avgpool(w): (window, average) = (w, true)
            case let .sumpool(w): (window, average) = (w, false)
            default: continue
            }
            let readers = graph.layers.filter { $0.inputs.contains(pool.name) }
            if let why = Self.refusal(pool, window: window, readers: readers, in: graph, byName: byName) {
                log.append("\(pool.name): kept as a layer (\(why))")
                continue
            }
            let composed = readers.compactMap { Self.compose($0, after: pool, window: window, average: average, in: graph) }
            guard composed.count == readers.count else {
                log.append("\(pool.name): kept as a layer (composed, a reader's output would change shape)")
                continue
            }
            for (reader, c) in zip(readers, composed) {
                guard let k = out.layers.firstIndex(where: { $0.name == reader.name }) else { continue }
                out.layers[k] = c.layer
                out.set(c.layer, "weight", c.weight, origin: "\(reader.name)'s weights composed with \(pool.name)")
                log.append("\(pool.name) composed into \(reader.name): \(c.summary)")
            }
            removed.insert(pool.name)
        }
        out.layers.removeAll { removed.contains($0.name) }
        return PassResult(graph: out, log: log)
    }

    /// Why `pool` cannot be composed into its readers, or nil when it can.
    static func refusal(_ pool: Layer, window: Pooling, readers: [Layer], in graph: SpikeGraph, byName: [String: Layer]) -> String? {
        if graph.outputs.contains(pool.name) { return "it is an output" }
        if window.vertical.padding != 0 || window.horizontal.padding != 0 { return "it pads its input" }
        if window.vertical.dilation != 1 || window.horizontal.dilation != 1 { return "it is dilated" }
        guard pool.inputs.count == 1, let input = byName[pool.inputs[0]]?.shape, let pooled = pool.shape else { return "its input has no shape" }
        if readers.isEmpty { return "nothing reads it" }
        for reader in readers {
            guard case let .conv2d(conv) = reader.op, conv.groups == 1, conv.shortcut == nil, reader.inputs == [pool.name] else {
                return "\(reader.name) is not a plain convolution of it alone"
            }
            guard let key = reader.parameterKey, graph.layers.filter({ $0.parameterKey == key }).count == 1 else {
                return "\(reader.name) shares its weights with another layer"
            }
            for (a, b, n, m) in [(window.vertical, conv.vertical, input.height, pooled.height), (window.horizontal, conv.horizontal, input.width, pooled.width)]
            where b.padding > 0 {
                // The conv's padding reads pooled positions -1 and m: each must cover input
                // positions outside the input only, where the composed kernel reads zeros too.
                if a.kernel > a.stride { return "its windows overlap and \(reader.name) pads" }
                if m * a.stride < n { return "its windows miss the input's last \(n - m * a.stride) rows or columns and \(reader.name) pads" }
            }
        }
        return nil
    }

    /// `conv` reading `pool`'s input through one kernel; nil if its output shape would differ.
    static func compose(_ conv: Layer, after pool: Layer, window: Pooling, average: Bool, in graph: SpikeGraph)
        -> (layer: Layer, weight: Tensor, summary: String)? {
        guard case let .conv2d(c) = conv.op, let w = graph.tensor(conv, "weight"), w.shape.count == 4,
              let input = graph.layer(named: pool.inputs[0])?.shape, let output = conv.shape else { return nil }
        func axis(_ a: Window, _ b: Window) -> Window {
            Window(kernel: (b.kernel - 1) * b.dilation * a.stride + a.kernel, stride: a.stride * b.stride, padding: b.padding * a.stride)
        }
        let (v, h) = (axis(window.vertical, c.vertical), axis(window.horizontal, c.horizontal))
        guard v.convolvedSize(input.height) == output.height, h.convolvedSize(input.width) == output.width else { return nil }
        let (outC, inC, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let gain = average ? 1 / Double(window.vertical.kernel * window.horizontal.kernel) : 1
        var values = [Double](repeating: 0, count: outC * inC * v.kernel * h.kernel)
        for o in 0..<outC {
            for i in 0..<inC {
                for ty in 0..<kh {
                    for tx in 0..<kw {
                        let x = w.values[((o * inC + i) * kh + ty) * kw + tx]
                        guard x != 0 else { continue }
                        for py in 0..<window.vertical.kernel {
                            for px in 0..<window.horizontal.kernel {
                                let uy = ty * c.vertical.dilation * window.vertical.stride + py
                                let ux = tx * c.horizontal.dilation * window.horizontal.stride + px
                                values[((o * inC + i) * v.kernel + uy) * h.kernel + ux] += x * gain
                            }
                        }
                    }
                }
            }
        }
        guard let weight = Tensor(shape: [outC, inC, v.kernel, h.kernel], values: values) else { return nil }
        var composed = conv
        var op = c
        (op.vertical, op.horizontal) = (v, h)
        composed.op = .conv2d(op)
        composed.inputs = pool.inputs
        // Live taps: the distinct kernel rows times columns some conv tap reaches (overlapping
        // pool windows share rows).
        func reached(_ taps: Int, _ b: Window, _ a: Window) -> Int {
            Set((0..<taps).flatMap { t in (0..<a.kernel).map { t * b.dilation * a.stride + $0 } }).count
        }
        let live = reached(kh, c.vertical, window.vertical) * reached(kw, c.horizontal, window.horizontal)
        let summary = "\(kh)x\(kw) at dilation \(c.vertical.dilation) after a \(window.vertical.kernel)x\(window.horizontal.kernel) window of stride \(window.vertical.stride) "
            + "is \(v.kernel)x\(h.kernel) of stride \(v.stride), \(live) live taps per input channel"
        return (composed, weight, summary)
    }
}
