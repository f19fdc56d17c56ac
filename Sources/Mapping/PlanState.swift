import TesseraSupport

/// What the partition builds as it walks the layers from the outputs back: the cores, the
/// routes each layer's neurons must feed (asked by the cores of the layers that read them),
/// and the traffic between cores for placement.
struct PlanState {
    var recipes: [CoreRecipe] = []
    /// Per layer, its analysis as planned (``LayerAnalysis/bySign`` may be given up).
    var analyses: [LayerAnalysis?] = []
    /// Per layer: routes asked of its neurons, not yet sorted.
    var requests: [[(element: Int32, route: Route)]]
    /// Per layer: its neurons' routes, once the layer is planned.
    var routes: [RouteTable?]
    /// Per layer: the parts of its fan-in (``SplitLayout/whole`` unless split).
    var layouts: [SplitLayout]
    /// Per offset-coded split layer, its ``OffsetCode`` per weight table (and part count, ``Compiler/offsetCodes(_:_:layout:)``).
    var offsetCodes: [Int: [OffsetCode]] = [:]
    /// Per split layer: element -> (merge core, the first of its parts' places in that core:
    /// the parts of the elements before it there; ``SplitLayout/mergeAxon(first:part:sub:)``).
    var mergeHome: [Int: [(core: Int32, first: Int32)]] = [:]
    /// (from core, to core, axons fed), one entry per pair per planned core.
    var traffic: [(from: Int32, to: Int32, weight: Int32)] = []
    /// Per layer: routes whose delay needs relay neurons (``Compiler/planRelays(_:state:)``),
    /// with the total delay in `delay`.
    var delayed: [[(element: Int32, route: Route)]]
    /// Routes served through relays, for the report.
    var relayedRoutes = 0
    var diagnostics = Diagnostics()
    /// Layers whose delay problem was already reported (once per layer is enough).
    var reportedDelay = Set<Int>()

    init(layers: Int) {
        requests = Array(repeating: [], count: layers)
        delayed = Array(repeating: [], count: layers)
        routes = Array(repeating: nil, count: layers)
        layouts = Array(repeating: .whole, count: layers)
    }

    /// Records that core `from` feeds each of `destinations` once per occurrence.
    mutating func addTraffic(from: Int, to destinations: [Int32]) {
        var counts: [Int32: Int32] = [:]
        for d in destinations { counts[d, default: 0] += 1 }
        for (to, w) in counts.sorted(by: { $0.key < $1.key }) { traffic.append((Int32(from), to, w)) }
    }
}
