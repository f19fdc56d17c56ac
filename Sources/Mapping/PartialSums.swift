import SpikeIR

/// How a split layer's partial-sum neurons divide its inputs (docs/mapping.md, fan-in
/// splitting). A neuron only spikes for a positive potential, so a signed sum needs two
/// partial neurons somewhere; the two schemes differ in where the signs part:
///
/// - `net`: a part is a slice of the input channels on every lane, and each element has a
///   positive and a negative partial neuron per part, integrating the part's net current
///   and its negation, each floored at 0.
/// - `bySign`: a part is a slice of input channels on the lanes of one sign only (the "+"
///   lane or the "-" lane of the `signed` encoding), and each element has one partial
///   neuron per part, integrating that sign's current, which is never negative. An input
///   takes one lane instead of two, so a part covers twice the channels and an element
///   needs half the partial neurons and merge axons; nothing is floored away, but a part's
///   current per tick is larger, so the once-a-tick cap bites sooner.
///
/// - `offset`: a part is a slice of the input channels on every lane, as in
///   `net`, and each element has one partial neuron per part, integrating the part's net
///   current plus a constant offset, with a step sized to the part's per-tick range
///   (``OffsetCode``). The merge removes the offsets with its leak. What the merge has
///   received differs from the part's accumulated current by at most half a step, after
///   any number of ticks: the only encoding whose error does not grow with the run.
///   Layers whose neurons reset to zero are `net` (a reset drops what a partial spike
///   brought above the threshold, so the merge is not linear in what it receives).
///
/// `bySign` applies to layers with the `signed` encoding whose weights take both signs;
/// other split layers are `net` whatever is asked.
public enum PartialSums: String, Sendable, CaseIterable, Codable {
    case net
    case bySign = "by-sign"
    case offset
}

/// Where a split layer's parts and partial neurons sit (``PartialSums``): parts are numbered
/// group-major, each group (one sign's lanes under `bySign`, every lane under `net`) cut
/// into the same `slices` of input channels (or inputs, for irregular layers).
///
///     // net, 2 signs, 3 slices: parts 0, 1, 2, each with partial neurons of sign 0 and 1
///     // by sign, 2 signs, 3 slices: parts 0, 1, 2 of sign 0, then 3, 4, 5 of sign 1
struct SplitLayout: Sendable, Equatable {
    /// Input slices per group.
    let slices: Int
    let bySign: Bool
    /// The layer's partial-sum signs (``LayerAnalysis/signs``), as a count.
    let signs: Int
    /// One offset-coded partial neuron per part (``PartialSums/offset``).
    var offset = false
    /// Input channels (tiled layers) or inputs (irregular ones) per slice.
    var sliceSize = 0
    /// A residual convolution's shortcut channels per slice (``TileShape/shortcutSlice``).
    var shortcutSliceSize = 0
    /// Partial neurons per part and sign, started a fraction of the step apart
    /// (``Compiler/Options/partialStagger``).
    var stagger = 1
    /// Per output position of a tiled layer split by its tiles' windows, the input slices
    /// that position's tile is cut into (at most ``slices``); nil when every position has
    /// ``slices``. A tile at the border reads fewer input rows and columns, so a part there
    /// holds more channels and the tile needs fewer parts (docs/mapping.md, "Parts per tile").
    var positionSlices: [UInt16]? {
        didSet { distinctSlices = positionSlices.map { Set($0).sorted() } }
    }
    /// The distinct values of ``positionSlices``, in increasing order: kept with them, since
    /// every core of the layer asks for ``partCounts`` and a layer has thousands of positions.
    private(set) var distinctSlices: [UInt16]?

    /// The parts element `j` (channel-major, of `positions` per channel) is cut into: its
    /// merge neuron reads that many parts.
    ///
    ///     // 3 slices at most; position 1 of 2 takes 2: elements 1, 3, 5, ... have 2 parts
    func parts(of j: Int, positions: Int) -> Int {
        guard let positionSlices, positions > 0 else { return parts }
        return groups * Int(positionSlices[j % positions])
    }

    /// The distinct part counts of the layer's elements, in increasing order.
    var partCounts: [Int] {
        guard let distinctSlices else { return [parts] }
        return distinctSlices.map { groups * Int($0) }
    }

    /// A layer mapped whole: one part.
    static let whole = SplitLayout(slices: 1, bySign: false, signs: 1)

    /// Whether a split layer of `neuron`s can take `stagger` partial neurons per part and
    /// sign: each needs its own start and a whole share of the smallest step (half the
    /// weight), so every threshold must be at least twice the stagger.
    static func canStagger(_ neuron: NeuronModel, by stagger: Int) -> Bool {
        let channels = max(neuron.channelThresholds?.count ?? 1, 1)
        return (0..<channels).allSatisfy { neuron.threshold(channel: $0) >= Double(2 * stagger) }
    }

    var groups: Int { bySign ? signs : 1 }
    var parts: Int { groups * slices }
    /// Partial neurons per element on a core of one part.
    var neuronsPerPart: Int { signsPerPart * stagger }
    /// Partial neurons of distinct signs per part and element: one by sign or offset-coded.
    var signsPerPart: Int { bySign || offset ? 1 : signs }
    /// The scheme, as the compile table reports it.
    var scheme: PartialSums { bySign ? .bySign : offset ? .offset : .net }
    /// Axons an element's merge neuron reads: one per partial neuron.
    var mergeInputs: Int { parts * neuronsPerPart }

    /// The slice of inputs (0..<slices) a part reads.
    func slice(of part: Int) -> Int { part % slices }
    /// The lane group (0..<groups) a part reads.
    func group(of part: Int) -> Int { part / slices }

    /// The sign (index into ``LayerAnalysis/signs``) of partial neuron `sub` of a part.
    func sign(part: Int, sub: Int) -> Int { bySign ? group(of: part) : sub % signsPerPart }
    /// Which of a part's staggered partial neurons of one sign `sub` is (0..<stagger).
    func phase(sub: Int) -> Int { sub / signsPerPart }

    /// The merge axon that partial neuron `sub` of `part` feeds, for an element whose parts
    /// come after `first` parts of the elements before it in its merge core (`local` x
    /// ``parts`` when every element has them all).
    func mergeAxon(first: Int, part: Int, sub: Int) -> Int {
        (first + part) * neuronsPerPart + (neuronsPerPart == 1 ? 0 : sub)
    }
}
