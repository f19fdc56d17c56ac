/// The configuration of one core: its place on the board, the type of each axon, the
/// binary crossbar, and the neurons in use.
public struct CoreConfig: Sendable, Equatable {
    /// Dense index, equal to the core's position in ``CoreMap/cores``.
    public var id: Int
    /// Chip coordinates on the board (column, row).
    public var chip: [Int]
    /// Core coordinates within the chip (column, row).
    public var place: [Int]
    /// Seed of the core's pseudo-random generator (stochastic synapses, leaks, thresholds),
    /// in 0..2^53-1 so that every JSON reader holds it exactly.
    public var seed: UInt64
    /// One type per axon, `0..<axonTypes`; always `axons` long in memory.
    public var axonTypes: [UInt8]
    public var crossbar: Crossbar
    /// Neurons in use, in ascending index order; the others are off.
    public var neurons: [NeuronConfig]
    /// Index into ``CoreMap/layers`` of the layer the core computes, and its role there
    /// (labels for reports; the emulator ignores them).
    public var layer: Int?
    public var role: CoreRole = .whole

    public init(id: Int, chip: [Int], place: [Int], seed: UInt64 = 0, axonTypes: [UInt8], crossbar: Crossbar, neurons: [NeuronConfig]) {
        self.id = id
        self.chip = chip
        self.place = place
        self.seed = seed
        self.axonTypes = axonTypes
        self.crossbar = crossbar
        self.neurons = neurons
    }
}

/// A binary axons x neurons matrix stored as bits, one row of 64-bit words per axon;
/// bit `j % 64` of word `j / 64` is neuron j. Rows are what the emulator reads when an
/// axon spikes, so they are contiguous.
public struct Crossbar: Sendable, Equatable {
    public let axons: Int
    public let neurons: Int
    public let wordsPerRow: Int
    public private(set) var words: [UInt64]

    public init(axons: Int, neurons: Int) {
        self.axons = axons
        self.neurons = neurons
        self.wordsPerRow = (neurons + 63) / 64
        self.words = Array(repeating: 0, count: axons * wordsPerRow)
    }

    public subscript(axon: Int, neuron: Int) -> Bool {
        get { words[axon * wordsPerRow + neuron / 64] >> UInt64(neuron % 64) & 1 == 1 }
        set {
            let index = axon * wordsPerRow + neuron / 64
            let bit = UInt64(1) << UInt64(neuron % 64)
            if newValue { words[index] |= bit } else { words[index] &= ~bit }
        }
    }

    /// The words of one axon's row.
    public func row(_ axon: Int) -> ArraySlice<UInt64> {
        words[(axon * wordsPerRow)..<((axon + 1) * wordsPerRow)]
    }

    /// Number of neurons connected to `axon`.
    public func fanOut(of axon: Int) -> Int {
        row(axon).reduce(0) { $0 + $1.nonzeroBitCount }
    }

    public func isEmptyRow(_ axon: Int) -> Bool { row(axon).allSatisfy { $0 == 0 } }

    /// Lets `body` fill one row's words in place; returns what `body` returns.
    public mutating func withRow<T>(_ axon: Int, _ body: (UnsafeMutableBufferPointer<UInt64>) -> T) -> T {
        let start = axon * wordsPerRow, count = wordsPerRow
        return words.withUnsafeMutableBufferPointer { all in
            body(UnsafeMutableBufferPointer(rebasing: all[start..<(start + count)]))
        }
    }

    /// Sets a whole row from raw words (used by readers and generators).
    public mutating func setRow(_ axon: Int, words row: [UInt64]) {
        precondition(row.count == wordsPerRow, "row has \(row.count) words, expected \(wordsPerRow)")
        for (k, word) in row.enumerated() { words[axon * wordsPerRow + k] = word }
    }
}
