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
    /// For weight element i, its output channel, from the op's PyTorch layout: conv2d and
    /// dense lead with the output channel; convtranspose2d is `[in, out/groups, kh, kw]`.
    func outputChannel(weightShape s: [Int]) -> (Int) -> Int {
        switch self {
        case let .convTranspose2d(c) where s.count == 4:
            let taps = s[2] * s[3], outPerGroup = s[1], inPerGroup = max(s[0] / max(c.groups, 1), 1)
            return { i in (i / (outPerGroup * taps)) / inPerGroup * outPerGroup + (i / taps) % outPerGroup }
        default:
            let per = s.dropFirst().reduce(1, *)
            return { i in i / max(per, 1) }
        }
    }

    /// The weight elements of each output channel (`channels` of them).
    func channelMembers(weightShape: [Int], count: Int, channels: Int) -> [[Int]] {
        let channelOf = outputChannel(weightShape: weightShape)
        var members = [[Int]](repeating: [], count: max(channels, 1))
        for i in 0..<count { members[min(channelOf(i), members.count - 1)].append(i) }
        return members
    }

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
