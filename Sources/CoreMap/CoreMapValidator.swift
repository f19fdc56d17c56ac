import Hardware

/// Checks a core map against the limits of a target: every index in range, one place per
/// core, bit widths of every neuron parameter, delays, destinations, and that every output
/// element is driven. Each problem names the core, neuron or axon and the limit.
///
/// The compiler runs it on what it writes and the loader on what it reads, so a map that
/// passes can be emulated without further checks.
public enum CoreMapValidator {
    public static let limit = 50

    public static func validate(_ map: CoreMap, target: Target) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { if problems.count < limit { problems.append(message) } }
        let spec = target.core
        let g = map.geometry
        if g.axons != spec.axons || g.neurons != spec.neurons || g.axonTypes != spec.axonTypes {
            fail("core geometry \(g.axons) axons x \(g.neurons) neurons, \(g.axonTypes) axon types does not match target '\(target.name)' (\(spec.axons) x \(spec.neurons), \(spec.axonTypes) types)")
            return problems
        }
        if map.coresPerChip != target.board.coresPerChip {
            fail("board.coresPerChip \(map.coresPerChip) does not match target '\(target.name)' (\(target.board.coresPerChip))")
        }
        if map.chips.count != 2 || map.chips.contains(where: { $0 < 1 }) || map.chips[0] > target.board.chips[0] || map.chips[1] > target.board.chips[1] {
            fail("board.chips \(map.chips) must be at least 1x1 and fit target '\(target.name)' (\(target.board.chips[0])x\(target.board.chips[1]) chips)")
        }
        guard problems.isEmpty else { return problems }

        let weights = spec.weightRange
        let leaks = CoreSpec.signedRange(bits: spec.leakBits)
        let thresholds = CoreSpec.unsignedRange(bits: spec.thresholdBits)
        let negThresholds = CoreSpec.unsignedRange(bits: spec.negThresholdBits)
        let resets = CoreSpec.signedRange(bits: spec.resetBits)
        let masks = CoreSpec.unsignedRange(bits: spec.thresholdMaskBits)
        let membrane = spec.membraneRange
        let outputs = Dictionary(map.outputs.map { ($0.name, $0.count) }, uniquingKeysWith: { a, _ in a })
        var driven: [String: [Bool]] = outputs.mapValues { Array(repeating: false, count: $0) }
        var places = Set<[Int]>()

        for (position, core) in map.cores.enumerated() {
            if let layer = core.layer, layer >= map.layers.count {
                fail("core \(position): layer \(layer) is out of range: the map lists \(map.layers.count) layers")
            }
            if problems.count >= limit { break }
            let at = "core \(position)"
            if core.seed >= 1 << 53 { fail("\(at): seed \(core.seed) must be below 2^53 (so every JSON reader holds it exactly)") }
            if core.id != position { fail("\(at): id \(core.id) must equal its position \(position) (ids are dense 0..n-1 in array order)") }
            if !(0..<map.chips[0]).contains(core.chip[0]) || !(0..<map.chips[1]).contains(core.chip[1]) {
                fail("\(at): chip \(core.chip) is outside the board of \(map.chips[0])x\(map.chips[1]) chips")
            }
            if !(0..<map.coresPerChip[0]).contains(core.place[0]) || !(0..<map.coresPerChip[1]).contains(core.place[1]) {
                fail("\(at): xy \(core.place) is outside the chip of \(map.coresPerChip[0])x\(map.coresPerChip[1]) cores")
            }
            if !places.insert(core.chip + core.place).inserted {
                fail("\(at): chip \(core.chip) xy \(core.place) is already used by another core")
            }
            var previous = -1
            for n in core.neurons {
                let at = "core \(position), neuron \(n.index)"
                guard (0..<g.neurons).contains(n.index) else {
                    fail("\(at): neuron index out of range 0..\(g.neurons - 1)")
                    continue
                }
                if n.index <= previous { fail("\(at): neurons must be listed once each, in ascending index order") }
                previous = n.index
                for (type, w) in n.weights.enumerated() where !weights.contains(w) {
                    fail("\(at): weight \(w) for axon type \(type) exceeds the \(spec.weightBits)-bit signed range \(weights.lowerBound)..\(weights.upperBound)")
                }
                if !leaks.contains(n.leak) { fail("\(at): leak \(n.leak) exceeds the \(spec.leakBits)-bit signed range \(leaks.lowerBound)..\(leaks.upperBound)") }
                if !thresholds.contains(n.threshold) { fail("\(at): threshold \(n.threshold) exceeds the \(spec.thresholdBits)-bit unsigned range 0..\(thresholds.upperBound)") }
                if !negThresholds.contains(n.negThreshold) { fail("\(at): negThreshold \(n.negThreshold) exceeds the \(spec.negThresholdBits)-bit unsigned range 0..\(negThresholds.upperBound)") }
                if !resets.contains(n.resetPotential) { fail("\(at): resetPotential \(n.resetPotential) exceeds the \(spec.resetBits)-bit signed range \(resets.lowerBound)..\(resets.upperBound)") }
                if !masks.contains(n.thresholdMask) { fail("\(at): thresholdMask \(n.thresholdMask) exceeds the \(spec.thresholdMaskBits)-bit range 0..\(masks.upperBound)") }
                if !membrane.contains(n.initialPotential) { fail("\(at): initialPotential \(n.initialPotential) exceeds the \(spec.membraneBits)-bit membrane range \(membrane.lowerBound)..\(membrane.upperBound)") }
                switch n.destination {
                case let .axon(core, axon, delay)?:
                    if !(0..<map.cores.count).contains(core) { fail("\(at): destination core \(core) does not exist (the map has \(map.cores.count) cores)") }
                    if !(0..<g.axons).contains(axon) { fail("\(at): destination axon \(axon) is out of range 0..\(g.axons - 1)") }
                    if !target.timing.delays.contains(delay) { fail("\(at): delay \(delay) is outside the target's range \(target.timing.delays.lowerBound)..\(target.timing.delays.upperBound)") }
                case let .output(port, index)?:
                    if let size = outputs[port] {
                        if (0..<size).contains(index) { driven[port]?[index] = true } else { fail("\(at): output index \(index) is out of range for port '\(port)' of \(size) elements") }
                    } else {
                        fail("\(at): output port '\(port)' is not declared in outputs")
                    }
                case nil:
                    break
                }
            }
        }
        var names = Set<String>()
        for port in map.inputs {
            if !names.insert(port.name).inserted { fail("input '\(port.name)' is declared twice") }
            if port.shape.isEmpty || port.shape.contains(where: { $0 < 1 }) { fail("input '\(port.name)': shape \(port.shape) must have positive sizes") }
            if port.targets.count != port.count { fail("input '\(port.name)': \(port.targets.count) target lists for \(port.count) elements of shape \(port.shape)") }
            for (element, list) in port.targets.enumerated() {
                for address in list {
                    if !(0..<map.cores.count).contains(address.core) { fail("input '\(port.name)' element \(element): core \(address.core) does not exist") }
                    else if !(0..<g.axons).contains(address.axon) { fail("input '\(port.name)' element \(element): axon \(address.axon) is out of range 0..\(g.axons - 1)") }
                }
            }
        }
        names = []
        for port in map.outputs {
            if !names.insert(port.name).inserted { fail("output '\(port.name)' is declared twice") }
            if port.shape.isEmpty || port.shape.contains(where: { $0 < 1 }) { fail("output '\(port.name)': shape \(port.shape) must have positive sizes") }
            if port.latency < 0 { fail("output '\(port.name)': latency \(port.latency) must not be negative") }
            if let missing = driven[port.name]?.firstIndex(of: false) {
                fail("output '\(port.name)' element \(missing) is driven by no neuron")
            }
        }
        return problems
    }
}
