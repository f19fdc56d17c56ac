import Reference
import SpikeIR

/// A layer whose neuron (c, y, x) reads a small window of its input: conv2d (strided,
/// dilated, grouped), convtranspose2d, sum/avg pooling and nearest upsampling. These are
/// tiled structurally (spatial tile x channel block) from this description alone, so
/// compiling them never builds an edge list: cost grows with cores, not synapses.
///
/// Pooling and upsampling are depthwise: one group per channel, weight 1 on every tap. A
/// residual convolution (ungrouped) adds its shortcut's window on the second input
/// (``ShortcutWindow``); a part's slice of input channels runs over the main input's
/// channels and then the shortcut's, so a tile reads both windows as one fan-in.
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
    /// A residual convolution's second window, nil for every other layer.
    let shortcut: ShortcutWindow?

    /// The input channels a split's slices run over: the main input's (per group), then
    /// the shortcut's. Channel `inPerGroup + c` of a slice is the shortcut's channel c.
    var sliceChannels: Int { inPerGroup + (shortcut?.input.channels ?? 0) }

    init?(_ layer: Layer, inputs: [TensorShape], network: IntegerNetwork) {
        guard let out = layer.shape, var x = inputs.first else { return nil }
        inputIndex = layer.op == .xcorr ? 1 : 0
        if layer.op == .xcorr {
            guard inputs.count == 2 else { return nil }
            x = inputs[1]
        }
        input = x
        output = out
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
        // A residual convolution's shortcut, read as a second window (ungrouped layers only).
        if case let .conv2d(conv) = layer.op, let window = conv.shortcut {
            guard conv.groups == 1, inputs.count == 2, let weights = network.parameter(layer, "shortcut"),
                  weights.count == out.channels * inputs[1].channels * window.vertical.kernel * window.horizontal.kernel else { return nil }
            shortcut = ShortcutWindow(window, input: inputs[1], output: out, weights: weights)
        } else {
            shortcut = nil
        }
        switch layer.op {
        case let .conv2d(conv):
            guard let w = network.parameter(layer, "weight") else { return nil }
            groups = conv.groups
            inPerGroup = x.channels / conv.groups
            outPerGroup = conv.outChannels / conv.groups
            (kernelHeight, kernelWidth) = (conv.vertical.kernel, conv.horizontal.kernel)
            weights = w.map { Int32($0) }
            let (liveRows, liveCols) = Self.liveTaps(weights, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
            rowTaps = Self.windowTaps(conv.vertical, outputs: out.height, inputs: x.height).map { $0.filter { liveRows[$0.tap] } }
            colTaps = Self.windowTaps(conv.horizontal, outputs: out.width, inputs: x.width).map { $0.filter { liveCols[$0.tap] } }
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
            rowTaps = Self.windowTaps(pool.vertical, outputs: out.height, inputs: x.height)
            colTaps = Self.windowTaps(pool.horizontal, outputs: out.width, inputs: x.width)
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

    /// Per output position along one axis of a window: the (tap, input position) pairs
    /// inside the input.
    static func windowTaps(_ w: Window, outputs: Int, inputs: Int) -> [[(tap: Int, index: Int)]] {
        (0..<outputs).map { o in
            (0..<w.kernel).compactMap { k in
                let i = w.source(output: o, tap: k)
                return i >= 0 && i < inputs ? (k, i) : nil
            }
        }
    }

    /// Which kernel rows and columns hold a nonzero weight for some output and input channel.
    /// A kernel composed from a sum pool and the convolution after it (a 2 x 2 pool, then a
    /// 3 x 3 kernel at dilation 2: 10 x 10, nonzero on rows and columns 0, 1, 4, 5, 8 and 9)
    /// reads only those: a crossbar row for an input no weight reaches is an axon spent for
    /// nothing, so a tile's window counts live taps alone.
    ///
    ///     // 1 x 1 x 3 x 3 kernel [0 0 0; 1 0 2; 0 0 0]: rows [false, true, false], cols [true, false, true]
    static func liveTaps<W: Numeric>(_ weights: [W], kernelHeight: Int, kernelWidth: Int) -> (rows: [Bool], cols: [Bool]) {
        var rows = [Bool](repeating: false, count: kernelHeight), cols = [Bool](repeating: false, count: kernelWidth)
        let taps = kernelHeight * kernelWidth
        for (i, w) in weights.enumerated() where w != 0 {
            let t = i % max(taps, 1)
            rows[t / kernelWidth] = true
            cols[t % kernelWidth] = true
        }
        // An all-zero kernel keeps its window: no tap to save, and no tile left empty.
        guard rows.contains(true) else { return ([Bool](repeating: true, count: kernelHeight), [Bool](repeating: true, count: kernelWidth)) }
        return (rows, cols)
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

    /// The input channels (of ``sliceChannels``) that slice `s` of a split reads: the main
    /// input's cut `size` at a time, then a residual convolution's shortcut's cut
    /// `shortcutSize` at a time (its window is smaller, so a part holds more of them). With
    /// `shortcutSize` 0 the slices run over every channel alike.
    ///
    ///     // 8 main channels, 8 shortcut channels, 1 and 4 a part: slices 0..<1, ..., 7..<8, 8..<12, 12..<16
    func channels(ofSlice s: Int, size: Int, shortcutSize: Int) -> Range<Int> {
        let size = max(size, 1)
        guard shortcutSize > 0 else { return min(s * size, sliceChannels)..<min((s + 1) * size, sliceChannels) }
        let mainSlices = (inPerGroup + size - 1) / size
        if s < mainSlices { return (s * size)..<min((s + 1) * size, inPerGroup) }
        let first = inPerGroup + (s - mainSlices) * shortcutSize
        return min(first, sliceChannels)..<min(first + shortcutSize, sliceChannels)
    }

    /// Input channels per slice when a split cuts ``sliceChannels`` into `slices` slices,
    /// as even as they can be.
    func sliceSize(slices: Int) -> Int { (sliceChannels + slices - 1) / max(slices, 1) }

    /// The most inputs one output neuron's windows read (taps inside the input, over every
    /// input channel of its group and the shortcut's).
    var largestWindow: Int {
        func most(_ taps: [[(tap: Int, index: Int)]]) -> Int { taps.map(\.count).max() ?? 0 }
        return inPerGroup * most(rowTaps) * most(colTaps) + (shortcut.map { $0.input.channels * most($0.rowTaps) * most($0.colTaps) } ?? 0)
    }

    /// The weights of output channel `co`, all taps, the shortcut's after the main
    /// window's (the neuron's weights are a subset).
    func channelWeights(_ co: Int) -> [Int32] {
        let n = inPerGroup * kernelHeight * kernelWidth
        return Array(weights[(co * n)..<((co + 1) * n)]) + (shortcut?.channelWeights(co) ?? [])
    }

    /// The sums of output channel `co`'s positive weights and of its negated negative ones
    /// over the slice `channels` (of ``sliceChannels``), every tap: the part's widest current
    /// in one tick, one way and the other.
    func range(of co: Int, channels: Range<Int>) -> (positive: Int, negative: Int) {
        var (positive, negative) = (0, 0)
        func add(_ w: Int32) { if w > 0 { positive += Int(w) } else { negative -= Int(w) } }
        let taps = kernelHeight * kernelWidth
        for ci in channels.clamped(to: 0..<inPerGroup) {
            for t in 0..<taps { add(weights[(co * inPerGroup + ci) * taps + t]) }
        }
        if let shortcut {
            let own = channels.clamped(to: inPerGroup..<sliceChannels)
            for c in own { for t in 0..<shortcut.taps { add(shortcut.weights[(co * shortcut.input.channels + c - inPerGroup) * shortcut.taps + t]) } }
        }
        return (positive, negative)
    }

    /// Sorted distinct input indices read along one axis by the outputs in `outputs`.
    /// Sorted and deduplicated rather than hashed: every tile core asks, and a tile's
    /// outputs read a few dozen indices at most.
    static func union(_ taps: [[(tap: Int, index: Int)]], _ outputs: some Sequence<Int>) -> [Int] {
        var all: [Int] = []
        for o in outputs { for t in taps[o] { all.append(t.index) } }
        all.sort()
        var distinct: [Int] = []
        distinct.reserveCapacity(all.count)
        for i in all where distinct.last != i { distinct.append(i) }
        return distinct
    }
}
