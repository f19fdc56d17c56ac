import Foundation
import SpikeIR

/// What a pass did, line by line, for `--print-after-each-pass` and the compile output.
public struct PassResult: Sendable {
    public var graph: SpikeGraph
    /// One line per layer the pass changed, with the figures it computed.
    public var log: [String]

    public init(graph: SpikeGraph, log: [String]) {
        self.graph = graph
        self.log = log
    }
}

extension SpikeGraph {
    /// The tensor `<key>.<suffix>` of a layer, if it has one.
    func tensor(_ layer: Layer, _ suffix: String) -> Tensor? {
        layer.parameterKey.flatMap { parameters.tensor("\($0).\(suffix)") }
    }

    mutating func set(_ layer: Layer, _ suffix: String, _ tensor: Tensor, origin: String) {
        guard let key = layer.parameterKey else { return }
        parameters["\(key).\(suffix)"] = .loaded(tensor, origin: origin)
    }
}

extension SpikeIR.Operation {
    /// The op with its bias enabled (conv, transposed conv, dense), for passes that give a
    /// layer a bias it was declared without (folding a batch norm, moving a leak).
    var withBias: SpikeIR.Operation {
        switch self {
        case var .conv2d(c): c.bias = true; return .conv2d(c)
        case var .convTranspose2d(c): c.bias = true; return .convTranspose2d(c)
        case var .dense(d): d.bias = true; return .dense(d)
        default: return self
        }
    }
}

/// A figure for a pass's log: four significant digits.
func fmt(_ value: Double) -> String { String(format: "%.4g", value) }
