import SpikeIR

/// One input channel's window in a kernel layer: the kernel rows and columns some weight
/// reaches (``LocalOp/liveTaps(_:kernelHeight:kernelWidth:)``), each a crossbar row per
/// lane. A split fan-in's part holds at least one input channel's whole window, so a layer
/// whose window needs more axons than a core has does not map at all.
///
///     let window = ChannelWindow(weights: w)   // a 2 x 2 sum pool composed into a 3 x 3 kernel at dilation 2
///     window?.taps                             // 36 of its 10 x 10
///     window?.widestFitting(axons: 256, bits: 8)   // 5: 36 taps x 7 lanes = 252 axons
public struct ChannelWindow: Sendable, Equatable {
    public let taps: Int

    /// The window of a [outputs, inputs, kernel height, kernel width] weight tensor; nil for
    /// any other shape.
    public init?(weights: Tensor) {
        guard weights.shape.count == 4 else { return nil }
        let (rows, cols) = LocalOp.liveTaps(weights.values, kernelHeight: weights.shape[2], kernelWidth: weights.shape[3])
        taps = rows.filter { $0 }.count * cols.filter { $0 }.count
    }

    /// Axons the window takes with symmetric k-bit weights, at the most lanes an input
    /// takes (``WeightEncoding/mostLanes(bits:)``).
    public func axons(bits: Int) -> Int { taps * WeightEncoding.mostLanes(bits: bits) }

    /// The widest weights, at most `bits`, at which the window fits `axons` axons; nil when
    /// even 2-bit weights do not.
    public func widestFitting(axons: Int, bits: Int) -> Int? {
        stride(from: bits, through: 2, by: -1).first { self.axons(bits: $0) <= axons }
    }
}
