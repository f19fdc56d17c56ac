import Reference
import SpikeIR

/// A layer whose neuron (c, y, x) reads a small window of its input: conv2d (strided,
/// dilated, grouped), convtranspose2d, sum/avg pooling and nearest upsampling. These are
/// tiled structurally (spatial tile x channel block) from this description alone, so
/// compiling them never builds an edge list: cost grows with cores, not synapses.
///
/// Pooling and upsampling are depthwise: one group per channel, weight 1 on every tap.
struct LocalOp: Sendable {
    let input: TensorShape
    let output: TensorShape
    let groups: Int
    let inPerGroup: Int
    let outPerGroup: Int
    let kernelHeight: Int
    let kernelWidth: Int
    /// Per output row (column): the (tap, input row (column)) pairs inside the input.
    let rowTaps: [[(tap: Int, index: Int)]]
    let colTaps: [[(tap: Int, index: Int)]]
    /// Integer weights as [outChannel][inChannel within group][ky][kx].
    let weights: [Int32]
    /// Which of the layer's inputs it reads (xcorr reads its second, the search map).
    let inputIndex: Int
    /// The tile steps worth trying per axis (``TileAxis``): 1, and for a dilated window the
    /// phase step, ``phaseStep(_:)``.
    let rowSteps: [Int]
    let colSteps: [Int]

    init?(_ layer: Layer, inputs: [TensorShape], network: IntegerNetwork) {
        guard let out = layer.shape, var x = inputs.first else { return nil }
        // A residual convolution reads two inputs: it is mapped from its connections.
        if case let .conv2d(conv) = layer.op, conv.shortcut != nil { return nil }
        inputIndex = layer.op == .xcorr ? 1 : 0
        if layer.op == .xcorr {
            guard inputs.count == 2 else { return nil }
            x = inputs[1]
        }
        input = x
        output = out
        func windowTaps(_ w: Window, outputs: Int, inputs: Int) -> [[(tap: Int, index: Int)]] {
            (0..<outputs).map { o in
                (0..<w.kernel).compactMap { k in
                    let i = w.source(output: o, tap: k)
                    return i >= 0 && i < inputs ? (k, i) : nil
                }
            }
        }
        // A transposed convolution's output o gets input n/stride through tap k when
        // n = o + padding - k * dilation is a non-negative multiple of the stride.
        func transposedTaps(_ w: Window, outputs: Int, inputs: Int) -> [[(tap: Int, index: Int)]] {
            (0..<outputs).map { o in
                (0..<w.kernel).compactMap { k in
                    let n = o + w.padding - k * w.dilation
                    return n >= 0 && n % w.stride == 0 && n / w.stride < inputs ? (k, n / w.stride) : nil
                }
            }
        }
        func steps(_ w: Window?, outputs: Int) -> [Int] {
            guard let w else { return [1] }
            let step = Self.phaseStep(w)
            return step > 1 && step < outputs ? [1, step] : [1]
        }
        switch layer.op {
        case let .conv2d(conv):
            rowSteps = steps(conv.vertical, outputs: out.height)
            colSteps = steps(conv.horizontal, outputs: out.width)
        case let .avgpool(pool), let .sumpool(pool):
            rowSteps = steps(pool.vertical, outputs: out.height)
            colSteps = steps(pool.horizontal, outputs: out.width)
        default:
            (rowSteps, colSteps) = ([1], [1])
        }
        switch layer.op {
        case let .conv2d(conv):
            guard let w = network.parameter(layer, "weight") else { return nil }
            groups = conv.groups
            inPerGroup = x.channels / conv.groups
            outPerGroup = conv.outChannels / conv.groups
            (kernelHeight, kernelWidth) = (conv.vertical.kernel, conv.horizontal.kernel)
            rowTaps = windowTaps(conv.vertical, outputs: out.height, inputs: x.height)
            colTaps = windowTaps(conv.horizontal, outputs: out.width, inputs: x.width)
            weights = w.map { Int32($0) }
        case let .convTranspose2d(conv):
            guard let w = network.parameter(layer, "weight") else { return nil }
            let (inPer, outPer) = (x.channels / conv.groups, conv.outChannels / conv.groups)
            let (kh, kw) = (conv.vertical.kernel, conv.horizontal.kernel)
            groups = conv.groups
            inPerGroup = inPer
            outPerGroup = outPer
            (kernelHeight, kernelWidth) = (kh, kw)
            rowTaps = transposedTaps(conv.vertical, outputs: out.height, inputs: x.height)
            colTaps = transposedTaps(conv.horizontal, outputs: out.width, inputs: x.width)
            // PyTorch keeps [in][out/groups][kh][kw]; reorder to [out][in/groups][kh][kw].
            var reordered = [Int32](repeating: 0, count: out.channels * inPer * kh * kw)
            for co in 0..<out.channels {
                let (g, local) = (co / outPer, co % outPer)
                for ci in 0..<inPer {
                    for t in 0..<(kh * kw) {
                        reordered[(co * inPer + ci) * kh * kw + t] = Int32(w[((g * inPer + ci) * outPer + local) * kh * kw + t])
                    }
                }
            }
            weights = reordered
        case let .avgpool(pool), let .sumpool(pool):
            groups = x.channels
            (inPerGroup, outPerGroup) = (1, 1)
            (kernelHeight, kernelWidth) = (pool.vertical.kernel, pool.horizontal.kernel)
            rowTaps = windowTaps(pool.vertical, outputs: out.height, inputs: x.height)
            colTaps = windowTaps(pool.horizontal, outputs: out.width, inputs: x.width)
            weights = Array(repeating: 1, count: x.channels * kernelHeight * kernelWidth)
        case .xcorr:
            // A convolution with one output channel whose kernel is the bound template.
            guard let t = network.parameter(layer, "template") else { return nil }
            let z = inputs[0]
            groups = 1
            (inPerGroup, outPerGroup) = (z.channels, 1)
            (kernelHeight, kernelWidth) = (z.height, z.width)
            rowTaps = (0..<out.height).map { o in (0..<z.height).map { ($0, o + $0) } }
            colTaps = (0..<out.width).map { o in (0..<z.width).map { ($0, o + $0) } }
            weights = t.map { Int32($0) }
        case let .upsample(up) where up.mode == .nearest:
            groups = x.channels
            (inPerGroup, outPerGroup, kernelHeight, kernelWidth) = (1, 1, 1, 1)
            rowTaps = (0..<out.height).map { [(0, $0 / up.factor)] }
            colTaps = (0..<out.width).map { [(0, $0 / up.factor)] }
            weights = Array(repeating: 1, count: x.channels)
        default:
            return nil
        }
    }

    /// Outputs this far apart along an axis read inputs that line up with each other's
    /// (output y + t reads stride (y + t) + k dilation, which is one of output y's inputs
    /// when stride t is a multiple of the dilation): dilation / gcd(stride, dilation). A tile
    /// of such outputs reads (kernel - 1) + its length inputs along the axis, where a
    /// contiguous one reads up to dilation (kernel - 1) + its length. Strided and transposed
    /// layers get no phases: their neighbouring outputs share inputs, which a phase splits.
    static func phaseStep(_ w: Window) -> Int {
        var (a, b) = (w.stride, w.dilation)
        while b != 0 { (a, b) = (b, a % b) }
        return w.dilation / max(a, 1)
    }

    /// Weight of output channel `co` on input channel `ci` (within its group) at tap (ky, kx).
    @inline(__always) func weight(_ co: Int, _ ci: Int, _ ky: Int, _ kx: Int) -> Int {
        Int(weights[((co * inPerGroup + ci) * kernelHeight + ky) * kernelWidth + kx])
    }

    /// The weights of output channel `co`, all taps (the neuron's weights are a subset).
    func channelWeights(_ co: Int) -> ArraySlice<Int32> {
        let n = inPerGroup * kernelHeight * kernelWidth
        return weights[(co * n)..<((co + 1) * n)]
    }

    /// Sorted distinct input indices read along one axis by the outputs in `outputs`.
    static func union(_ taps: [[(tap: Int, index: Int)]], _ outputs: some Sequence<Int>) -> [Int] {
        var seen = Set<Int>()
        for o in outputs { for t in taps[o] { seen.insert(t.index) } }
        return seen.sorted()
    }
}
