import Reference
import SpikeIR

/// The fewest cores a layer whose fan-in is split into partial sums can take, under the
/// scheme any such mapping on these cores follows: each element's inputs are cut into
/// parts, each part on one core with one partial-sum neuron per sign (a neuron only spikes
/// for a positive potential, so a signed partial sum needs two), and a merge neuron adds
/// every part of every sign.
///
/// A core has `A` axons, so element j, whose nonzero weights need `F_j` distinct (input,
/// axon type) pairs, needs at least ceil(F_j / A) parts: signs x ceil(F_j / A) partial
/// neurons, which its merge neurons read on as many axons (copies of one element can share
/// them on one core, never fewer). With `N` neurons per core:
///
///     partial cores >= max(ceil(sum_j signs ceil(F_j / A) / N), ceil(distinct axons / A))
///     merge cores   >= max(ceil(hardware neurons / N), ceil(sum_j signs ceil(F_j / A) / A))
///
/// The sum over j counts only elements something reads. Today's bound (``LayerReport/lowerBound``)
/// is the larger of the two first terms alone; this one is their sum plus the merges, so the
/// ratio of cores to it says how far the layer is from what its split can reach.
struct SplitBound {
    /// Signs x the least parts, summed over the read elements.
    let partialNeurons: Int

    /// From per-element fan-ins in axons (0 for an element nothing reads).
    init(fanIns: [Int], signs: Int, axonsPerCore: Int) {
        partialNeurons = fanIns.reduce(0) { $0 + signs * (($1 + axonsPerCore - 1) / axonsPerCore) }
    }

    func cores(hardwareNeurons: Int, neededAxons: Int, axonsPerCore a: Int, neuronsPerCore n: Int) -> Int {
        let partial = max((partialNeurons + n - 1) / n, (neededAxons + a - 1) / a)
        let merge = max((hardwareNeurons + n - 1) / n, (partialNeurons + a - 1) / a)
        return partial + merge
    }

    /// Per element of a structured layer, the (input, axon type) pairs its nonzero weights
    /// need: per output channel and tap, the lanes its weights take over the input channels,
    /// summed over the taps inside the input at the element's row and column. It costs the
    /// weights once plus taps per element, never the synapses.
    static func fanIns(_ op: LocalOp, _ analysis: LayerAnalysis, isRead: (Int) -> Bool) -> [Int] {
        let (kh, kw) = (op.kernelHeight, op.kernelWidth)
        let (h, w) = (op.output.height, op.output.width)
        var result = [Int](repeating: 0, count: op.output.count)
        var perTap = [Int](repeating: 0, count: kh * kw)
        for co in 0..<op.output.channels {
            let table = analysis.tables[co]
            for t in perTap.indices {
                perTap[t] = (0..<op.inPerGroup).reduce(0) { $0 + analysis.encoding.laneMask(op.weight(co, $1, t / kw, t % kw), table: table).nonzeroBitCount }
            }
            for y in 0..<h {
                for x in 0..<w where isRead((co * h + y) * w + x) {
                    var f = 0
                    for (ky, _) in op.rowTaps[y] { for (kx, _) in op.colTaps[x] { f += perTap[ky * kw + kx] } }
                    result[(co * h + y) * w + x] = f
                }
            }
        }
        return result
    }
}
