import Reference
import SpikeIR

/// The fewest cores a layer whose fan-in is split into partial sums can take, under the
/// scheme the layer uses (``PartialSums``): each element's inputs are cut into parts, each
/// part on one core, and a merge neuron adds every partial neuron of every part.
///
/// - `net`: a part carries every lane of its inputs and has one partial neuron per sign
///   (a neuron only spikes for a positive potential, so a signed sum needs two). Element j,
///   whose nonzero weights need `F_j` distinct (input, axon type) pairs, needs at least
///   ceil(F_j / A) parts on cores of `A` axons: signs x ceil(F_j / A) partial neurons.
/// - `bySign`: a part carries one sign's lane and has one partial neuron. With `F_j+` and
///   `F_j-` the pairs of each sign, element j needs ceil(F_j+ / A) + ceil(F_j- / A).
///
/// Its merge neurons read those partial neurons on as many axons (copies of one element
/// can share them on one core, never fewer). With `P` the partial neurons summed over the
/// read elements and `N` neurons per core:
///
///     partial cores >= max(ceil(P / N), ceil(distinct axons / A))
///     merge cores   >= max(ceil(hardware neurons / N), ceil(P / A))
///
/// Today's bound (``LayerReport/lowerBound``) is the larger of the two first terms alone;
/// this one is their sum plus the merges, so the ratio of cores to it says how far the
/// layer is from what its split can reach.
struct SplitBound {
    /// Partial neurons of the least parts, summed over the read elements.
    let partialNeurons: Int

    /// From per-element fan-ins in axons, one per lane group (``SplitLayout``: every lane,
    /// or each sign's), with `neuronsPerPart` partial neurons per part; an element nothing
    /// reads has fan-ins 0.
    init(fanIns: [[Int]], neuronsPerPart: Int, axonsPerCore: Int) {
        partialNeurons = fanIns.reduce(0) { total, groups in
            total + groups.reduce(0) { $0 + neuronsPerPart * (($1 + axonsPerCore - 1) / axonsPerCore) }
        }
    }

    func cores(hardwareNeurons: Int, neededAxons: Int, axonsPerCore a: Int, neuronsPerCore n: Int) -> Int {
        let partial = max((partialNeurons + n - 1) / n, (neededAxons + a - 1) / a)
        let merge = max((hardwareNeurons + n - 1) / n, (partialNeurons + a - 1) / a)
        return partial + merge
    }

    /// Per element of a structured layer, the (input, axon type) pairs its nonzero weights
    /// need in each lane group (one group of every lane, or by sign one per sign's lane):
    /// per output channel and tap, the lanes its weights take over the input channels,
    /// summed over the taps inside the input at the element's row and column. It costs the
    /// weights once plus taps per element, never the synapses.
    static func fanIns(_ op: LocalOp, _ analysis: LayerAnalysis, isRead: (Int) -> Bool) -> [[Int]] {
        let (kh, kw) = (op.kernelHeight, op.kernelWidth)
        let (h, w) = (op.output.height, op.output.width)
        let masks = analysis.laneGroupMasks
        var result = [[Int]](repeating: Array(repeating: 0, count: masks.count), count: op.output.count)
        var perTap = [[Int]](repeating: Array(repeating: 0, count: masks.count), count: kh * kw)
        let skip = op.shortcut
        var perSkipTap = [[Int]](repeating: Array(repeating: 0, count: masks.count), count: skip?.taps ?? 0)
        for co in 0..<op.output.channels {
            let table = analysis.tables[co]
            /// Per tap of a window, the lanes its weights take over its input channels.
            func lanes(_ taps: inout [[Int]], width: Int, channels: Int, weight: (Int, Int, Int) -> Int) {
                for t in taps.indices {
                    for (g, m) in masks.enumerated() {
                        taps[t][g] = (0..<channels).reduce(0) {
                            $0 + (analysis.encoding.laneMask(weight($1, t / width, t % width), table: table) & m).nonzeroBitCount
                        }
                    }
                }
            }
            lanes(&perTap, width: kw, channels: op.inPerGroup) { op.weight(co, $0, $1, $2) }
            if let skip { lanes(&perSkipTap, width: skip.kernelWidth, channels: skip.input.channels) { skip.weight(co, $0, $1, $2) } }
            for y in 0..<h {
                for x in 0..<w where isRead((co * h + y) * w + x) {
                    var f = [Int](repeating: 0, count: masks.count)
                    for (ky, _) in op.rowTaps[y] {
                        for (kx, _) in op.colTaps[x] { for g in f.indices { f[g] += perTap[ky * kw + kx][g] } }
                    }
                    if let skip {
                        for (ky, _) in skip.rowTaps[y] {
                            for (kx, _) in skip.colTaps[x] { for g in f.indices { f[g] += perSkipTap[ky * skip.kernelWidth + kx][g] } }
                        }
                    }
                    result[(co * h + y) * w + x] = f
                }
            }
        }
        return result
    }
}
