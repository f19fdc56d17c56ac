import Hardware

/// The limits a core map must keep on a target, one check per kind of entry, shared by the
/// validator of JSON v1 maps (``CoreMapValidator``) and of packed v2 maps
/// (``PackedCoreMapValidator``), so that both formats are held to exactly the same rules.
/// Each check reports through `fail` with the core, neuron or axon it is about.
struct CoreMapRules {
    let target: Target
    let geometry: CoreGeometry
    let chips: [Int]
    let coresPerChip: [Int]
    let coreCount: Int
    let layerCount: Int
    let outputSizes: [Int]
    let weights: ClosedRange<Int>
    let leaks: ClosedRange<Int>
    let thresholds: ClosedRange<Int>
    let negThresholds: ClosedRange<Int>
    let resets: ClosedRange<Int>
    let masks: ClosedRange<Int>
    let membrane: ClosedRange<Int>

    init(header: CoreMap, coreCount: Int, target: Target) {
        let spec = target.core
        self.target = target
        geometry = header.geometry
        chips = header.chips
        coresPerChip = header.coresPerChip
        self.coreCount = coreCount
        layerCount = header.layers.count
        outputSizes = header.outputs.map(\.count)
        weights = spec.weightRange
        leaks = CoreSpec.signedRange(bits: spec.leakBits)
        thresholds = CoreSpec.unsignedRange(bits: spec.thresholdBits)
        negThresholds = CoreSpec.unsignedRange(bits: spec.negThresholdBits)
        resets = CoreSpec.signedRange(bits: spec.resetBits)
        masks = CoreSpec.unsignedRange(bits: spec.thresholdMaskBits)
        membrane = spec.membraneRange
    }

    /// Geometry and board against the target; the other checks assume these hold.
    static func header(_ map: CoreMap, target: Target) -> [String] {
        var problems: [String] = []
        let spec = target.core
        let g = map.geometry
        if g.axons != spec.axons || g.neurons != spec.neurons || g.axonTypes != spec.axonTypes {
            return ["core geometry \(g.axons) axons x \(g.neurons) neurons, \(g.axonTypes) axon types does not match target '\(target.name)' (\(spec.axons) x \(spec.neurons), \(spec.axonTypes) types)"]
        }
        if map.coresPerChip != target.board.coresPerChip {
            problems.append("board.coresPerChip \(map.coresPerChip) does not match target '\(target.name)' (\(target.board.coresPerChip))")
        }
        if map.chips.count != 2 || map.chips.contains(where: { $0 < 1 }) || map.chips[0] > target.board.chips[0] || map.chips[1] > target.board.chips[1] {
            problems.append("board.chips \(map.chips) must be at least 1x1 and fit target '\(target.name)' (\(target.board.chips[0])x\(target.board.chips[1]) chips)")
        }
        return problems
    }

    /// One core's id, seed, layer label, chip and place; `places` records the places taken.
    func core(_ position: Int, id: Int, chip: (Int, Int), place: (Int, Int), seed: UInt64, layer: Int?,
              places: inout PlaceSet, fail: (String) -> Void) {
        let at = "core \(position)"
        if let layer, !(0..<layerCount).contains(layer) {
            fail("\(at): layer \(layer) is out of range: the map lists \(layerCount) layers")
        }
        if seed >= 1 << 53 { fail("\(at): seed \(seed) must be below 2^53 (so every JSON reader holds it exactly)") }
        if id != position { fail("\(at): id \(id) must equal its position \(position) (ids are dense 0..n-1 in array order)") }
        let chipInside = (0..<chips[0]).contains(chip.0) && (0..<chips[1]).contains(chip.1)
        let placeInside = (0..<coresPerChip[0]).contains(place.0) && (0..<coresPerChip[1]).contains(place.1)
        if !chipInside { fail("\(at): chip [\(chip.0), \(chip.1)] is outside the board of \(chips[0])x\(chips[1]) chips") }
        if !placeInside { fail("\(at): xy [\(place.0), \(place.1)] is outside the chip of \(coresPerChip[0])x\(coresPerChip[1]) cores") }
        if chipInside && placeInside && !places.insert(chip: chip, place: place) {
            fail("\(at): chip [\(chip.0), \(chip.1)] xy [\(place.0), \(place.1)] is already used by another core")
        }
    }

    /// A neuron's index and parameter widths; `previous` is the index listed before it.
    func neuron(_ n: NeuronConfig, previous: Int, at: String, fail: (String) -> Void) -> Bool {
        guard (0..<geometry.neurons).contains(n.index) else {
            fail("\(at): neuron index out of range 0..\(geometry.neurons - 1)")
            return false
        }
        let spec = target.core
        if n.index <= previous { fail("\(at): neurons must be listed once each, in ascending index order") }
        for (type, w) in n.weights.enumerated() where !weights.contains(w) {
            fail("\(at): weight \(w) for axon type \(type) exceeds the \(spec.weightBits)-bit signed range \(weights.lowerBound)..\(weights.upperBound)")
        }
        if !leaks.contains(n.leak) { fail("\(at): leak \(n.leak) exceeds the \(spec.leakBits)-bit signed range \(leaks.lowerBound)..\(leaks.upperBound)") }
        if !thresholds.contains(n.threshold) { fail("\(at): threshold \(n.threshold) exceeds the \(spec.thresholdBits)-bit unsigned range 0..\(thresholds.upperBound)") }
        if !negThresholds.contains(n.negThreshold) { fail("\(at): negThreshold \(n.negThreshold) exceeds the \(spec.negThresholdBits)-bit unsigned range 0..\(negThresholds.upperBound)") }
        if !resets.contains(n.resetPotential) { fail("\(at): resetPotential \(n.resetPotential) exceeds the \(spec.resetBits)-bit signed range \(resets.lowerBound)..\(resets.upperBound)") }
        if !masks.contains(n.thresholdMask) { fail("\(at): thresholdMask \(n.thresholdMask) exceeds the \(spec.thresholdMaskBits)-bit range 0..\(masks.upperBound)") }
        if !membrane.contains(n.initialPotential) { fail("\(at): initialPotential \(n.initialPotential) exceeds the \(spec.membraneBits)-bit membrane range \(membrane.lowerBound)..\(membrane.upperBound)") }
        return true
    }

    /// An axon destination: the core exists, the axon is on a core, the delay is the target's.
    @inline(__always)
    func axonDestination(core: Int, axon: Int, delay: Int, at: @autoclosure () -> String, fail: (String) -> Void) {
        if !(0..<coreCount).contains(core) { fail("\(at()): destination core \(core) does not exist (the map has \(coreCount) cores)") }
        if !(0..<geometry.axons).contains(axon) { fail("\(at()): destination axon \(axon) is out of range 0..\(geometry.axons - 1)") }
        if !target.timing.delays.contains(delay) { fail("\(at()): delay \(delay) is outside the target's range \(target.timing.delays.lowerBound)..\(target.timing.delays.upperBound)") }
    }

    /// An output destination, port given by its index in `outputs`; marks the element driven.
    @inline(__always)
    func outputDestination(port: Int, name: String, index: Int, driven: inout [[Bool]], at: @autoclosure () -> String, fail: (String) -> Void) {
        guard outputSizes.indices.contains(port) else {
            fail("\(at()): output port '\(name)' is not declared in outputs")
            return
        }
        if (0..<outputSizes[port]).contains(index) { driven[port][index] = true } else {
            fail("\(at()): output index \(index) is out of range for port '\(name)' of \(outputSizes[port]) elements")
        }
    }

    /// Input ports: unique names, positive shapes, a target list per element within the board.
    func inputs(_ ports: [InputPort], fail: (String) -> Void) {
        var names = Set<String>()
        for port in ports {
            if !names.insert(port.name).inserted { fail("input '\(port.name)' is declared twice") }
            if port.shape.isEmpty || port.shape.contains(where: { $0 < 1 }) { fail("input '\(port.name)': shape \(port.shape) must have positive sizes") }
            if port.targets.count != port.count { fail("input '\(port.name)': \(port.targets.count) target lists for \(port.count) elements of shape \(port.shape)") }
            for (element, list) in port.targets.enumerated() {
                for address in list {
                    if !(0..<coreCount).contains(address.core) { fail("input '\(port.name)' element \(element): core \(address.core) does not exist") }
                    else if !(0..<geometry.axons).contains(address.axon) { fail("input '\(port.name)' element \(element): axon \(address.axon) is out of range 0..\(geometry.axons - 1)") }
                }
            }
        }
    }

    /// Output ports: unique names, positive shapes, every element driven by some neuron.
    func outputs(_ ports: [OutputPort], driven: [[Bool]], fail: (String) -> Void) {
        var names = Set<String>()
        for (k, port) in ports.enumerated() {
            if !names.insert(port.name).inserted { fail("output '\(port.name)' is declared twice") }
            if port.shape.isEmpty || port.shape.contains(where: { $0 < 1 }) { fail("output '\(port.name)': shape \(port.shape) must have positive sizes") }
            if port.latency < 0 { fail("output '\(port.name)': latency \(port.latency) must not be negative") }
            if let missing = driven[k].firstIndex(of: false) {
                fail("output '\(port.name)' element \(missing) is driven by no neuron")
            }
        }
    }

    /// For each output port (by index), whether each element is driven; a later port of a
    /// name declared twice shares the first's (v1 destinations name ports, not indices).
    func undriven() -> [[Bool]] { outputSizes.map { Array(repeating: false, count: max($0, 0)) } }
}

/// The places on a board already taken, one bit per core position.
struct PlaceSet {
    let chips: [Int]
    let coresPerChip: [Int]
    var taken: [Bool]

    init(chips: [Int], coresPerChip: [Int]) {
        self.chips = chips
        self.coresPerChip = coresPerChip
        taken = Array(repeating: false, count: max(chips.reduce(1, *) * coresPerChip.reduce(1, *), 0))
    }

    /// Takes a place inside the board; false if it was taken already.
    mutating func insert(chip: (Int, Int), place: (Int, Int)) -> Bool {
        let k = ((chip.1 * chips[0] + chip.0) * coresPerChip[1] + place.1) * coresPerChip[0] + place.0
        if taken[k] { return false }
        taken[k] = true
        return true
    }
}
