/// The sliding-window geometry of one spatial axis of a convolution or pooling layer:
/// kernel size, stride, zero padding on both sides and dilation.
///
/// Kept per axis because every count Tessera needs (output size, synapses, and later the
/// tiling of a layer onto cores) factorises over height and width.
public struct Window: Hashable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var dilation: Int

    public init(kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// The span of input covered by one window, `dilation * (kernel - 1) + 1`.
    public var extent: Int { dilation * (kernel - 1) + 1 }

    /// Output length of a convolution or pooling over `input` positions (PyTorch's formula):
    /// `floor((input + 2 * padding - extent) / stride) + 1`; zero or less means no output.
    public func convolvedSize(_ input: Int) -> Int {
        let span = input + 2 * padding - extent
        return span < 0 ? 0 : span / stride + 1
    }

    /// Output length of a transposed convolution:
    /// `(input - 1) * stride - 2 * padding + extent + outputPadding`.
    public func transposedSize(_ input: Int, outputPadding: Int) -> Int {
        (input - 1) * stride - 2 * padding + extent + outputPadding
    }

    /// Input position read by output `o` through kernel tap `k` (may fall in the padding).
    @inline(__always) public func source(output o: Int, tap k: Int) -> Int {
        o * stride - padding + k * dilation
    }

    /// Number of (output, tap) pairs whose input falls inside `0..<input`: the connections
    /// along this axis, padding excluded.
    public func validTaps(input: Int, output: Int) -> Int {
        var total = 0
        for o in 0..<output {
            for k in 0..<kernel {
                let i = source(output: o, tap: k)
                if i >= 0 && i < input { total += 1 }
            }
        }
        return total
    }

    /// For a transposed convolution: number of (input, tap) pairs that land inside `0..<output`.
    public func validTransposedTaps(input: Int, output: Int) -> Int {
        var total = 0
        for i in 0..<input {
            for k in 0..<kernel {
                let o = i * stride - padding + k * dilation
                if o >= 0 && o < output { total += 1 }
            }
        }
        return total
    }
}
