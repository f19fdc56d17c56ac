import Hardware
import SpikeIR
import TesseraSupport

/// The fewest cores a network can occupy on a target, before any mapping: each layer
/// needs at least `ceil(neurons / neuronsPerCore)` cores, since a neuron sits on exactly one
/// core. It tells a user early, and cheaply, that a network cannot fit a board.
public struct CoreLowerBound: Sendable {
    public struct Row: Sendable {
        public var layer: String
        public var neurons: Int
        public var cores: Int
    }

    public var rows: [Row]
    public var cores: Int
    /// Chips needed at least: `ceil(cores / coresPerChip)`.
    public var chips: Int
    public var target: Target

    public init(_ graph: SpikeGraph, target: Target) {
        let perCore = target.core.neurons
        rows = GraphSummary(graph).rows.filter { $0.cost.neurons > 0 }.map {
            Row(layer: $0.layer.name, neurons: $0.cost.neurons, cores: ($0.cost.neurons + perCore - 1) / perCore)
        }
        cores = rows.reduce(0) { $0 + $1.cores }
        chips = (cores + target.board.coresPerChipTotal - 1) / target.board.coresPerChipTotal
        self.target = target
    }

    /// An error if the bound already exceeds the board, naming the limit.
    public var capacityError: Diagnostic? {
        let board = target.board
        guard cores > board.coresTotal else { return nil }
        let biggest = rows.max { $0.cores < $1.cores }.map { "; the largest layer, '\($0.layer)', alone needs \($0.cores)" } ?? ""
        return .error("the network needs at least \(cores) cores (\(chips) chips of \(board.coresPerChip[0])x\(board.coresPerChip[1])), but target '\(target.name)' has \(board.coresTotal) cores on \(board.chips[0])x\(board.chips[1]) chips\(biggest); choose a larger board target")
    }
}
