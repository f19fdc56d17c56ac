import TesseraSupport

/// The named tensors of a network (weights, biases, batch-norm statistics), each loaded
/// from a file or synthesised from a seed.
///
/// Synthetic tensors are generated only when asked for, so a full-size network can be
/// checked and costed without materialising millions of random weights. Each key draws
/// from its own seeded stream, so values do not depend on the order of requests.
public struct ParameterStore: Sendable {
    public enum Source: Sendable {
        /// Values read from a file; `origin` names it, e.g. `digits.npz:fc1.weight`.
        case loaded(Tensor, origin: String)
        case synthetic(Synthetic)
    }

    /// A seeded synthetic tensor: uniform in `[-bound, bound]`, uniform over {-1, 0, +1}
    /// (`trinary`), or a constant.
    public struct Synthetic: Hashable, Sendable {
        public var shape: [Int]
        public var seed: UInt64
        public var bound: Double
        public var constant: Double?
        public var trinary: Bool

        public init(shape: [Int], seed: UInt64, bound: Double = 0, constant: Double? = nil, trinary: Bool = false) {
            self.shape = shape
            self.seed = seed
            self.bound = bound
            self.constant = constant
            self.trinary = trinary
        }
    }

    public private(set) var entries: [String: Source] = [:]

    public init() {}

    public subscript(key: String) -> Source? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    public var keys: [String] { entries.keys.sorted() }

    public func shape(of key: String) -> [Int]? {
        switch entries[key] {
        case let .loaded(tensor, _)?: tensor.shape
        case let .synthetic(synthetic)?: synthetic.shape
        case nil: nil
        }
    }

    /// Where a tensor comes from, for messages and reports.
    public func origin(of key: String) -> String? {
        switch entries[key] {
        case let .loaded(_, origin)?: origin
        case let .synthetic(s)?: s.constant.map { "constant \($0)" } ?? "synthetic\(s.trinary ? " trinary" : "") (seed \(s.seed))"
        case nil: nil
        }
    }

    /// The tensor's values, generating synthetic ones deterministically from the seed and key.
    public func tensor(_ key: String) -> Tensor? {
        switch entries[key] {
        case let .loaded(tensor, _)?:
            return tensor
        case let .synthetic(s)?:
            if let constant = s.constant { return Tensor(repeating: constant, shape: s.shape) }
            var random = SeededRandom(seed: s.seed, name: key)
            let count = s.shape.reduce(1, *)
            let values = s.trinary ? (0..<count).map { _ in Double(Int(random.next() % 3) - 1) }
                : (0..<count).map { _ in (random.nextUnit() * 2 - 1) * s.bound }
            return Tensor(shape: s.shape, values: values)
        case nil:
            return nil
        }
    }
}
