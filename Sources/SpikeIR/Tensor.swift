/// A dense, row-major (C order) array of numbers with its shape.
///
/// Values are stored as Double so that every integer weight up to 32 bits and every
/// float32 weight is held exactly.
public struct Tensor: Hashable, Sendable {
    /// Each value times its leading index's factor: a weight tensor whose first dimension is
    /// the output channel (conv2d, dense), scaled per output channel.
    public func scaledPerChannel(_ factors: [Double]) -> Tensor {
        guard !factors.isEmpty else { return self }
        var t = self
        let per = max(values.count / factors.count, 1)
        t.values = values.indices.map { values[$0] * factors[min($0 / per, factors.count - 1)] }
        return t
    }

    public var shape: [Int]
    public var values: [Double]

    /// Creates a tensor; returns nil when the element count does not match the shape.
    public init?(shape: [Int], values: [Double]) {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else { return nil }
        self.shape = shape
        self.values = values
    }

    public init(repeating value: Double, shape: [Int]) {
        self.shape = shape
        self.values = Array(repeating: value, count: shape.reduce(1, *))
    }

    public var count: Int { values.count }
}

/// Renders a shape the way NumPy prints it: `(96, 3, 11, 11)`.
public func describeShape(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
