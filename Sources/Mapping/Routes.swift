/// Where one hardware neuron sends its spikes: an axon of a core, after a delay.
struct Route: Sendable {
    var core: Int32
    var axon: Int32
    var delay: Int32
}

/// The routes a layer's neurons must feed, gathered from the cores of the layers that read
/// it (which are planned first: the partition runs from the outputs back).
///
/// A neuron has one destination, so neuron j gets one hardware copy per route, plus one
/// for an output port when the layer is a network output.
struct RouteTable: Sendable {
    /// Routes of neuron j: `routes[offsets[j]..<offsets[j + 1]]`, in the order they were asked.
    let offsets: [Int32]
    let routes: [Route]
    let isOutput: Bool

    /// Sorts the requests by neuron (stable), counting-sort style: O(requests + neurons).
    init(requests: [(element: Int32, route: Route)], elements: Int, isOutput: Bool) {
        var offsets = [Int32](repeating: 0, count: elements + 1)
        for r in requests { offsets[Int(r.element) + 1] += 1 }
        for j in 0..<elements { offsets[j + 1] += offsets[j] }
        var next = offsets
        var routes = [Route](repeating: Route(core: 0, axon: 0, delay: 0), count: requests.count)
        for r in requests {
            routes[Int(next[Int(r.element)])] = r.route
            next[Int(r.element)] += 1
        }
        self.offsets = offsets
        self.routes = routes
        self.isOutput = isOutput
    }

    /// Hardware copies of neuron j.
    @inline(__always) func copies(_ j: Int) -> Int {
        Int(offsets[j + 1] - offsets[j]) + (isOutput ? 1 : 0)
    }

    /// The route of copy `r` of neuron j, or nil for the output port's copy.
    @inline(__always) func route(_ j: Int, copy r: Int) -> Route? {
        let index = Int(offsets[j]) + r
        return index < Int(offsets[j + 1]) ? routes[index] : nil
    }
}
