import Foundation

/// The JSON v1 fields of a core map, converted to the model. Types and structure are
/// checked here; limits that depend on the target are left to ``CoreMapValidator``.
extension JSONReader {
    static let topFields: Set<String> = ["format", "version", "target", "core", "board", "cores", "inputs", "outputs"]
    static let coreFields: Set<String> = ["id", "chip", "xy", "seed", "axonTypes", "crossbar", "neurons"]
    static let neuronFields: Set<String> = ["index", "weights", "leak", "threshold", "negThreshold", "reset", "resetPotential",
                                            "negative", "thresholdMask", "stochasticSynapse", "stochasticLeak", "leakReversal",
                                            "initialPotential", "destination"]

    mutating func coreMap(_ json: Any) -> CoreMap? {
        guard let top = object(json, "top level", allowed: Self.topFields) else { return nil }
        guard let format = string(top["format"], "format"), format == CoreMap.format else {
            fail("format", "expected \"\(CoreMap.format)\"; this is not a Tessera core map")
            return nil
        }
        guard let version = int(top["version"], "version") else { return nil }
        guard version == CoreMap.version else {
            fail("version", "unsupported core map version \(version); this reader handles version \(CoreMap.version)")
            return nil
        }
        let target = string(top["target"], "target")
        let core = object(top["core"], "core", allowed: ["axons", "neurons", "axonTypes"])
        let axons = core.flatMap { int($0["axons"], "core.axons") }
        let neurons = core.flatMap { int($0["neurons"], "core.neurons") }
        let types = core.flatMap { int($0["axonTypes"], "core.axonTypes") }
        let board = object(top["board"], "board", allowed: ["chips", "coresPerChip"])
        let chips = board.flatMap { ints($0["chips"], "board.chips", count: 2) }
        let perChip = board.flatMap { ints($0["coresPerChip"], "board.coresPerChip", count: 2) }
        guard let target, let axons, let neurons, let types, let chips, let perChip else { return nil }
        guard axons > 0, neurons > 0, neurons % 4 == 0, axons <= 1 << 16, neurons <= 1 << 16, types > 0 else {
            fail("core", "needs positive axons and neurons (neurons a multiple of 4, both at most 65536), got \(axons) x \(neurons)")
            return nil
        }
        let geometry = CoreGeometry(axons: axons, neurons: neurons, axonTypes: types)
        var map = CoreMap(target: target, geometry: geometry, chips: chips, coresPerChip: perChip)
        if let cores = array(top["cores"], "cores") {
            map.cores.reserveCapacity(cores.count)
            for (i, value) in cores.enumerated() {
                if let core = self.core(value, position: i, geometry: geometry) { map.cores.append(core) }
                if errors.count >= Self.limit { break }
            }
        }
        if let inputs = array(top["inputs"], "inputs") {
            map.inputs = inputs.enumerated().compactMap { inputPort($0.element, "inputs[\($0.offset)]") }
        }
        if let outputs = array(top["outputs"], "outputs") {
            map.outputs = outputs.enumerated().compactMap { outputPort($0.element, "outputs[\($0.offset)]") }
        }
        return errors.isEmpty ? map : nil
    }

    mutating func core(_ value: Any, position: Int, geometry: CoreGeometry) -> CoreConfig? {
        let path = "core \(position)"
        guard let o = object(value, path, allowed: Self.coreFields) else { return nil }
        let id = int(o["id"], "\(path).id")
        let chip = ints(o["chip"], "\(path).chip", count: 2)
        let place = ints(o["xy"], "\(path).xy", count: 2)
        var seed: UInt64 = 0
        if let value = o["seed"] {
            guard let s = int(value, "\(path).seed"), s >= 0 else {
                fail("\(path).seed", "must be an integer in 0..2^53-1 (so every JSON reader holds it exactly)")
                return nil
            }
            seed = UInt64(s)
        }
        var types = [UInt8](repeating: 0, count: geometry.axons)
        if let list = o["axonTypes"].flatMap({ ints($0, "\(path).axonTypes") }) {
            guard list.count <= geometry.axons else {
                fail("\(path).axonTypes", "has \(list.count) entries but a core has \(geometry.axons) axons")
                return nil
            }
            for (axon, type) in list.enumerated() {
                guard (0..<geometry.axonTypes).contains(type) else {
                    fail("\(path), axon \(axon)", "axon type \(type) is out of range 0..\(geometry.axonTypes - 1)")
                    return nil
                }
                types[axon] = UInt8(type)
            }
        }
        var crossbar = Crossbar(axons: geometry.axons, neurons: geometry.neurons)
        if let value = o["crossbar"] {
            guard let rows = array(value, "\(path).crossbar") else { return nil }
            guard rows.count <= geometry.axons else {
                fail("\(path).crossbar", "has \(rows.count) rows but a core has \(geometry.axons) axons")
                return nil
            }
            for (axon, row) in rows.enumerated() {
                guard let text = row as? String, let words = Self.parseRow(text, neurons: geometry.neurons) else {
                    fail("\(path), axon \(axon)", "crossbar row must be a string of \(geometry.neurons / 4) hex digits (neurons 0..3 in the first digit, neuron 0 its most significant bit), got \(kind(row))")
                    return nil
                }
                crossbar.setRow(axon, words: words)
            }
        }
        var neurons: [NeuronConfig] = []
        if let list = o["neurons"].flatMap({ array($0, "\(path).neurons") }) {
            neurons.reserveCapacity(list.count)
            for (k, item) in list.enumerated() {
                guard let neuron = neuron(item, core: position, position: k) else { return nil }
                neurons.append(neuron)
            }
        }
        guard let id, let chip, let place else { return nil }
        return CoreConfig(id: id, chip: chip, place: place, seed: seed, axonTypes: types, crossbar: crossbar, neurons: neurons)
    }

    /// Parses `neurons / 4` hex digits; digit k covers neurons 4k..4k+3, MSB first.
    static func parseRow(_ text: String, neurons: Int) -> [UInt64]? {
        let utf8 = text.utf8
        guard utf8.count == neurons / 4 else { return nil }
        var words = [UInt64](repeating: 0, count: (neurons + 63) / 64)
        var k = 0
        for byte in utf8 {
            let nibble: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            if nibble != 0 {
                for b in 0..<4 where nibble & (8 >> UInt64(b)) != 0 {
                    let neuron = 4 * k + b
                    words[neuron / 64] |= 1 << UInt64(neuron % 64)
                }
            }
            k += 1
        }
        return words
    }

    mutating func neuron(_ value: Any, core: Int, position: Int) -> NeuronConfig? {
        let path = "core \(core), neurons[\(position)]"
        guard let o = object(value, path, allowed: Self.neuronFields) else { return nil }
        guard let index = int(o["index"], "\(path).index") else { return nil }
        let at = "core \(core), neuron \(index)"
        var n = NeuronConfig(index: index)
        var ok = true
        func read(_ key: String, _ apply: (inout JSONReader, Any) -> Bool) {
            if let value = o[key], !apply(&self, value) { ok = false }
        }
        read("weights") { r, v in r.ints(v, "\(at).weights", count: 4).map { n.weights = $0 } != nil }
        read("leak") { r, v in r.int(v, "\(at).leak").map { n.leak = $0 } != nil }
        read("threshold") { r, v in r.int(v, "\(at).threshold").map { n.threshold = $0 } != nil }
        read("negThreshold") { r, v in r.int(v, "\(at).negThreshold").map { n.negThreshold = $0 } != nil }
        read("resetPotential") { r, v in r.int(v, "\(at).resetPotential").map { n.resetPotential = $0 } != nil }
        read("thresholdMask") { r, v in r.int(v, "\(at).thresholdMask").map { n.thresholdMask = $0 } != nil }
        read("initialPotential") { r, v in r.int(v, "\(at).initialPotential").map { n.initialPotential = $0 } != nil }
        read("stochasticLeak") { r, v in r.bool(v, "\(at).stochasticLeak").map { n.stochasticLeak = $0 } != nil }
        read("leakReversal") { r, v in r.bool(v, "\(at).leakReversal").map { n.leakReversal = $0 } != nil }
        read("stochasticSynapse") { r, v in
            guard let items = r.array(v, "\(at).stochasticSynapse"), items.count == 4 else {
                r.fail("\(at).stochasticSynapse", "expected 4 booleans, one per axon type")
                return false
            }
            let flags = items.enumerated().compactMap { r.bool($0.element, "\(at).stochasticSynapse[\($0.offset)]") }
            guard flags.count == 4 else { return false }
            n.stochasticSynapse = flags
            return true
        }
        read("reset") { r, v in
            guard let text = r.string(v, "\(at).reset"), let reset = NeuronConfig.Reset(rawValue: text) else {
                r.fail("\(at).reset", "expected one of normal, linear, none")
                return false
            }
            n.reset = reset
            return true
        }
        read("negative") { r, v in
            guard let text = r.string(v, "\(at).negative"), let negative = NeuronConfig.Negative(rawValue: text) else {
                r.fail("\(at).negative", "expected saturate or reset")
                return false
            }
            n.negative = negative
            return true
        }
        read("destination") { r, v in
            if v is NSNull { return true }
            guard let d = r.destination(v, "\(at).destination") else { return false }
            n.destination = d
            return true
        }
        return ok ? n : nil
    }

    mutating func destination(_ value: Any, _ path: String) -> Destination? {
        guard let o = object(value, path, allowed: ["core", "axon", "delay", "output", "index"]) else { return nil }
        if o["output"] != nil {
            guard o["core"] == nil, o["axon"] == nil, o["delay"] == nil else {
                fail(path, "has both an output and a core/axon/delay; a neuron has exactly one destination")
                return nil
            }
            guard let port = string(o["output"], "\(path).output"), let index = int(o["index"], "\(path).index") else { return nil }
            return .output(port: port, index: index)
        }
        guard let core = int(o["core"], "\(path).core"), let axon = int(o["axon"], "\(path).axon"),
              let delay = int(o["delay"], "\(path).delay") else { return nil }
        return .axon(core: core, axon: axon, delay: delay)
    }

    mutating func inputPort(_ value: Any, _ path: String) -> InputPort? {
        guard let o = object(value, path, allowed: ["name", "shape", "targets"]),
              let name = string(o["name"], "\(path).name"),
              let shape = ints(o["shape"], "\(path).shape"),
              let targets = array(o["targets"], "\(path).targets") else { return nil }
        var lists: [[AxonAddress]] = []
        lists.reserveCapacity(targets.count)
        for (element, list) in targets.enumerated() {
            guard let pairs = list as? [Any] else {
                fail("input '\(name)' element \(element)", "expected a list of [core, axon] pairs")
                return nil
            }
            var addresses: [AxonAddress] = []
            for pair in pairs {
                guard let p = pair as? [Any], p.count == 2,
                      let core = int(p[0], "input '\(name)' element \(element) core"),
                      let axon = int(p[1], "input '\(name)' element \(element) axon") else {
                    fail("input '\(name)' element \(element)", "expected [core, axon] pairs")
                    return nil
                }
                addresses.append(AxonAddress(core: core, axon: axon))
            }
            lists.append(addresses)
        }
        return InputPort(name: name, shape: shape, targets: lists)
    }

    mutating func outputPort(_ value: Any, _ path: String) -> OutputPort? {
        guard let o = object(value, path, allowed: ["name", "shape", "latency"]),
              let name = string(o["name"], "\(path).name"),
              let shape = ints(o["shape"], "\(path).shape"),
              let latency = int(o["latency"], "\(path).latency") else { return nil }
        return OutputPort(name: name, shape: shape, latency: latency)
    }
}
