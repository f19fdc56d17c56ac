import Hardware

/// Checks a core map against the limits of a target: every index in range, one place per
/// core, bit widths of every neuron parameter, delays, destinations, and that every output
/// element is driven. Each problem names the core, neuron or axon and the limit.
///
/// The compiler runs it on what it writes and the loader on what it reads, so a map that
/// passes can be emulated without further checks. Packed (v2) maps are held to the same
/// ``CoreMapRules`` by ``PackedCoreMapValidator``.
public enum CoreMapValidator {
    public static let limit = 50

    public static func validate(_ map: CoreMap, target: Target) -> [String] {
        var problems = CoreMapRules.header(map, target: target)
        guard problems.isEmpty else { return problems }
        func fail(_ message: String) { if problems.count < limit { problems.append(message) } }
        let rules = CoreMapRules(header: map, coreCount: map.cores.count, target: target)
        var portIndex: [String: Int] = [:]
        for (k, port) in map.outputs.enumerated() where portIndex[port.name] == nil { portIndex[port.name] = k }
        var driven = rules.undriven()
        var places = PlaceSet(chips: map.chips, coresPerChip: map.coresPerChip)

        for (position, core) in map.cores.enumerated() {
            if problems.count >= limit { break }
            rules.core(position, id: core.id, chip: (core.chip[0], core.chip[1]), place: (core.place[0], core.place[1]), seed: core.seed,
                       layer: core.layer, places: &places, fail: fail)
            var previous = -1
            for n in core.neurons {
                let at = "core \(position), neuron \(n.index)"
                guard rules.neuron(n, previous: previous, at: at, fail: fail) else { continue }
                previous = n.index
                switch n.destination {
                case let .axon(core, axon, delay)?:
                    rules.axonDestination(core: core, axon: axon, delay: delay, at: at, fail: fail)
                case let .output(port, index)?:
                    rules.outputDestination(port: portIndex[port] ?? -1, name: port, index: index, driven: &driven, at: at, fail: fail)
                case nil:
                    break
                }
            }
        }
        rules.inputs(map.inputs, fail: fail)
        rules.outputs(map.outputs, driven: driven, fail: fail)
        return problems
    }
}
