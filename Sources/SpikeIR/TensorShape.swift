/// The static shape of a feature map, channels x height x width.
///
/// Every IR value has one; a vector (the output of `dense` or `flatten`) is `N x 1 x 1`.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(_ channels: Int, _ height: Int, _ width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A vector of `count` elements.
    public init(vector count: Int) { self.init(count, 1, 1) }

    /// Number of elements (and of neurons, for a layer that has one neuron per element).
    public var count: Int { channels * height * width }

    public var isVector: Bool { height == 1 && width == 1 }

    public var description: String { "\(channels)x\(height)x\(width)" }
}
