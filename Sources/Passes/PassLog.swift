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

    /// For weight element i of this op (weights `weightShape`, reading `input`, writing
    /// `output`), the index into its input of the element it reads (dense) or of the first
    /// element of the input channel it reads (conv2d `[out, in/groups, kh, kw]`, with its
    /// groups; convtranspose2d `[in, out/groups, kh, kw]`), clamped to `count` elements.
    func inputElement(weight i: Int, weightShape w: [Int], input: TensorShape, output: TensorShape, count: Int) -> Int {
        let plane = input.height * input.width
        let index: Int
        switch self {
        case .dense: index = i % max(input.count, 1)
        case .convTranspose2d: index = i / max(w[1] * w[2] * w[3], 1) * plane
        default:
            let inPerGroup = w[1], taps = w[2] * w[3]
            let co = i / max(inPerGroup * taps, 1), ci = (i / max(taps, 1)) % max(inPerGroup, 1)
            let outPerGroup = output.channels / max(input.channels / max(inPerGroup, 1), 1)
            index = (co / max(outPerGroup, 1) * inPerGroup + ci) * plane
        }
        return min(index, max(count - 1, 0))
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

/// Figures of a layer's channels for a pass's log: one figure when they agree, else their
/// range "low..high per channel".
func fmtRange(_ values: [Double]) -> String {
    let (low, high) = (values.min() ?? 0, values.max() ?? 0)
    return low == high ? fmt(low) : "\(fmt(low))..\(fmt(high)) per channel"
}
