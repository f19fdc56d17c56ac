import SpikeIR

/// A residual convolution's shortcut as a ``LocalOp`` reads it: a second window, on the
/// layer's second input, whose taps add to the main window's in the same neuron. An
/// identity shortcut is a 1x1 window with the identity matrix as weights; a projection is
/// a 1x1 (often strided) convolution. Tiling it beside the main window keeps a split to
/// the channels a tile reads, where mapping from connections splits over whole maps.
struct ShortcutWindow: Sendable {
    let input: TensorShape
    /// Which of the layer's inputs it reads: the second.
    let inputIndex = 1
    let kernelHeight: Int
    let kernelWidth: Int
    /// Per output row (column): the (tap, input row (column)) pairs inside the input.
    let rowTaps: [[(tap: Int, index: Int)]]
    let colTaps: [[(tap: Int, index: Int)]]
    /// Integer weights as [outChannel][shortcut channel][ky][kx].
    let weights: [Int32]

    init(_ window: Shortcut, input: TensorShape, output: TensorShape, weights: [Int]) {
        self.input = input
        (kernelHeight, kernelWidth) = (window.vertical.kernel, window.horizontal.kernel)
        rowTaps = LocalOp.windowTaps(window.vertical, outputs: output.height, inputs: input.height)
        colTaps = LocalOp.windowTaps(window.horizontal, outputs: output.width, inputs: input.width)
        self.weights = weights.map { Int32($0) }
    }

    var taps: Int { kernelHeight * kernelWidth }

    /// Weight of output channel `co` on shortcut channel `c` at tap (ky, kx).
    @inline(__always) func weight(_ co: Int, _ c: Int, _ ky: Int, _ kx: Int) -> Int {
        Int(weights[((co * input.channels + c) * kernelHeight + ky) * kernelWidth + kx])
    }

    /// The weights of output channel `co`, all taps.
    func channelWeights(_ co: Int) -> ArraySlice<Int32> {
        let n = input.channels * taps
        return weights[(co * n)..<((co + 1) * n)]
    }
}
