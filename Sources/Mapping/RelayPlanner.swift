import Hardware

/// A relay neuron: it reads one axon of its relay core (weight 1, threshold 1, reset to 0)
/// and so re-emits each spike it receives in the same tick, to its own destination.
struct RelayNeuron: Sendable {
    var axon: Int32
    var route: Route
}

extension Compiler {
    /// Builds relay cores for the routes of layer L (an input or a neuron layer) whose
    /// delays the hardware cannot give directly: a delay beyond the target's longest axonal
    /// delay (a branch that skips many layers), or any delay from a network input (input
    /// spikes are integrated in the tick they are injected, so only a neuron can wait).
    ///
    /// A route of total delay D becomes a chain of hops whose delays add up to D, each
    /// within the target's range; a relay fires in the tick it receives, so relays add no
    /// latency. Routes of one source and delay share each stage: one axon of a relay core
    /// feeds up to a core's neurons through the crossbar (a splitter core), each relay
    /// neuron with its own destination. Called after every reader of L is planned.
    func planRelays(_ L: Int, state: inout PlanState) {
        let pending = state.delayed[L]
        guard !pending.isEmpty else { return }
        state.delayed[L] = []
        let isInput = layers[L].op.isInput
        let longest = target.timing.delays.upperBound
        var open: Int?  // the relay core being filled
        /// Puts one relay neuron per route on relay cores, `N` per axon, and returns the
        /// (core, axon) routes that feed them, with the delay `incoming`.
        func stage(_ routes: [Route], incoming: Int32) -> [Route] {
            var feeds: [Route] = []
            var rest = routes[...]
            while !rest.isEmpty {
                let c: Int
                if let current = open, state.relayRoom(current, target: target) {
                    c = current
                } else {
                    c = state.recipes.count
                    state.recipes.append(CoreRecipe(layer: L, stage: .relay, body: .relay(neurons: [], axons: 0)))
                    open = c
                }
                guard case .relay(var neurons, let axons) = state.recipes[c].body else { break }
                let take = min(rest.count, target.core.neurons - neurons.count)
                neurons += rest.prefix(take).map { RelayNeuron(axon: Int32(axons), route: $0) }
                state.addTraffic(from: c, to: rest.prefix(take).map(\.core))
                rest = rest.dropFirst(take)
                state.recipes[c].body = .relay(neurons: neurons, axons: axons + 1)
                feeds.append(Route(core: Int32(c), axon: Int32(axons), delay: incoming))
            }
            return feeds
        }
        // Group by (element, delay); groups in key order, routes within one in the order
        // asked, so the result is deterministic.
        let groups = Dictionary(grouping: pending.indices) { Int(pending[$0].element) << 24 | Int(pending[$0].route.delay) }
        for key in groups.keys.sorted() {
            guard let indices = groups[key], let first = indices.first else { continue }
            let (element, total) = (pending[first].element, Int(pending[first].route.delay))
            // Hops: the source's own (none for an input) and one per relay, as even as can be.
            let hops = (total + longest - 1) / longest
            // Fewer hops cannot reach D and more only shorten each, so D must hold `hops`
            // hops of the target's shortest delay (always true when that is 1).
            guard total >= hops * target.timing.delays.lowerBound else {
                state.diagnostics.error("routes from \(layers[L].op.name) '\(layers[L].name)' need a delay of \(total) ticks, which no chain of hops within the target's delays \(target.timing.delays.lowerBound)...\(longest) adds up to", at: layers[L].location)
                continue
            }
            let relays = isInput ? hops : hops - 1
            let delays = (0..<hops).map { Int32(total / hops + ($0 < total % hops ? 1 : 0)) }
            // The last relays send to the destinations; earlier stages feed the next.
            var current = indices.map { i -> Route in
                var r = pending[i].route
                r.delay = delays[hops - 1]
                return r
            }
            state.relayedRoutes += indices.count
            for s in stride(from: relays - 1, through: 0, by: -1) {
                // Relay s is reached after hop (s - 1) for an input, hop s for a neuron.
                let incoming: Int32 = isInput ? (s == 0 ? 0 : delays[s - 1]) : delays[s]
                current = stage(current, incoming: incoming)
            }
            for route in current { state.requests[L].append((element, route)) }
        }
    }
}

extension PlanState {
    /// Whether relay core `c` can take one more axon and at least one more neuron.
    func relayRoom(_ c: Int, target: Target) -> Bool {
        guard case let .relay(neurons, axons) = recipes[c].body else { return false }
        return axons < target.core.axons && neurons.count < target.core.neurons
    }
}
