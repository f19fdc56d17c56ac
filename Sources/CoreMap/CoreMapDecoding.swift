import TesseraSupport

/// Turns JSON v1 text straight into a ``CoreMap`` with a ``JSONScanner``, checking types
/// and structure; limits that depend on the target are left to ``CoreMapValidator``.
/// Fields may come in any order; unknown fields are errors (a v1 reader cannot honour them).
struct CoreMapDecoder {
    typealias Failure = JSONScanner.Failure
    var s: JSONScanner

    static let topFields = ["format", "version", "target", "core", "board", "cores", "inputs", "outputs", "layers", "rates"]
    static let coreFields = ["id", "chip", "xy", "seed", "layer", "role", "axonTypes", "crossbar", "neurons"]
    static let neuronKeys: [StaticString] = ["index", "weights", "leak", "threshold", "negThreshold", "reset", "resetPotential",
                                             "negative", "thresholdMask", "stochasticSynapse", "stochasticLeak", "leakReversal",
                                             "initialPotential", "destination"]
    static let neuronFields = ["index", "weights", "leak", "threshold", "negThreshold", "reset", "resetPotential",
                               "negative", "thresholdMask", "stochasticSynapse", "stochasticLeak", "leakReversal",
                               "initialPotential", "destination"]

    mutating func unknown(_ key: String, in what: String, among fields: [String]) -> Failure {
        s.fail("\(what): unknown field '\(key)'\(Suggestion.hint(for: key, among: fields)); a v1 reader cannot honour it")
    }

    mutating func ints(_ what: @autoclosure () -> String) throws(Failure) -> [Int] {
        try s.beginArray(what())
        var values: [Int] = []
        var first = true
        while try s.nextElement(first: first) {
            first = false
            values.append(try s.int(what()))
        }
        return values
    }

    mutating func pair(_ what: @autoclosure () -> String) throws(Failure) -> [Int] {
        let start = s.position
        let values = try ints(what())
        guard values.count == 2 else { throw s.fail("\(what()): expected 2 integers, got \(values.count)", at: start) }
        return values
    }

    mutating func decode() throws(Failure) -> CoreMap {
        var format: String?, version: Int?, target: String?
        var geometry: CoreGeometry?, chips: [Int]?, perChip: [Int]?
        var cores: [CoreConfig] = [], inputs: [InputPort] = [], outputs: [OutputPort] = [], layers: [LayerLabel] = []
        // Crossbars need the geometry; if 'cores' comes before 'core', read it afterwards.
        var deferredCores: Int?
        var rates: (source: String, input: Double)?
        try s.beginObject("the core map")
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "format":
                let at = s.position
                format = try s.string("format")
                guard format == CoreMap.format else { throw s.fail("format: expected \"\(CoreMap.format)\"; this is not a Tessera core map", at: at) }
            case "version":
                let at = s.position
                version = try s.int("version")
                guard version == CoreMap.version else {
                    throw s.fail("version: unsupported core map version \(version ?? 0); this reader handles version \(CoreMap.version)", at: at)
                }
            case "target": target = try s.string("target")
            case "core": geometry = try self.geometry()
            case "board":
                try s.beginObject("board")
                var firstField = true
                while let field = try s.nextKey(first: firstField) {
                    firstField = false
                    switch field {
                    case "chips": chips = try pair("board.chips")
                    case "coresPerChip": perChip = try pair("board.coresPerChip")
                    default: throw unknown(field, in: "board", among: ["chips", "coresPerChip"])
                    }
                }
            case "cores":
                if let geometry {
                    cores = try self.cores(geometry)
                } else {
                    s.skipSpace()
                    deferredCores = s.position
                    try s.skipValue()
                }
            case "inputs":
                try s.beginArray("inputs")
                var firstPort = true
                while try s.nextElement(first: firstPort) {
                    firstPort = false
                    inputs.append(try inputPort(inputs.count))
                }
            case "outputs":
                try s.beginArray("outputs")
                var firstPort = true
                while try s.nextElement(first: firstPort) {
                    firstPort = false
                    outputs.append(try outputPort(outputs.count))
                }
            case "layers":
                try s.beginArray("layers")
                var firstLayer = true
                while try s.nextElement(first: firstLayer) {
                    firstLayer = false
                    layers.append(try layerLabel(layers.count))
                }
            case "rates":
                rates = try rateSource()
            default:
                throw unknown(key, in: "top level", among: Self.topFields)
            }
        }
        guard s.atEnd() else { throw s.fail("unexpected text after the core map") }
        if let deferredCores, let geometry {
            let end = s.position
            s.seek(to: deferredCores)
            cores = try self.cores(geometry)
            s.seek(to: end)
        }
        for (name, value) in [("format", format != nil), ("version", version != nil), ("target", target != nil), ("core", geometry != nil),
                              ("board.chips", chips != nil), ("board.coresPerChip", perChip != nil)] where !value {
            throw s.fail("missing field '\(name)'", at: 0)
        }
        guard let target, let geometry, let chips, let perChip else { throw s.fail("incomplete core map", at: 0) }
        var map = CoreMap(target: target, geometry: geometry, chips: chips, coresPerChip: perChip, cores: cores, inputs: inputs, outputs: outputs,
                          layers: layers)
        (map.rateSource, map.inputRate) = (rates?.source, rates?.input)
        return map
    }

    /// `{ "source": "...", "input": R }`: where the layers' rates came from.
    mutating func rateSource() throws(Failure) -> (source: String, input: Double) {
        let at = s.position
        var source: String?, input: Double?
        try s.beginObject("rates")
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "source": source = try s.string("rates.source")
            case "input": input = try rate("rates.input", per: "element")
            default: throw unknown(key, in: "rates", among: ["source", "input"])
            }
        }
        guard let source, let input else { throw s.fail("rates: needs 'source' and 'input'", at: at) }
        return (source, input)
    }

    /// A firing rate: a number in 0...1, spikes per `per` per tick.
    mutating func rate(_ what: String, per: String) throws(Failure) -> Double {
        let start = s.position
        let value = try s.number(what)
        if let problem = Self.rateProblem(what, value, per: per) { throw s.fail(problem, at: start) }
        return value
    }

    /// What is wrong with `value` as the rate `what` (v1 and v2 maps alike), or nil.
    static func rateProblem(_ what: String, _ value: Double, per: String) -> String? {
        (0...1).contains(value) ? nil : "\(what): \(value) is not a rate in 0...1 (spikes per \(per) per tick)"
    }

    /// `{ "name": ..., "op": ..., "neurons": N, "rate": R }`, the rate optional.
    mutating func layerLabel(_ position: Int) throws(Failure) -> LayerLabel {
        let what = "layers[\(position)]"
        let at = s.position
        var name: String?, op: String?, neurons: Int?, rate: Double?
        try s.beginObject(what)
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "name": name = try s.string("\(what).name")
            case "op": op = try s.string("\(what).op")
            case "neurons":
                let start = s.position
                let value = try s.int("\(what).neurons")
                guard value >= 0 else { throw s.fail("\(what).neurons: must not be negative", at: start) }
                neurons = value
            case "rate": rate = try self.rate("\(what).rate", per: "neuron")
            default: throw unknown(key, in: what, among: ["name", "op", "neurons", "rate"])
            }
        }
        guard let name, let op, let neurons else { throw s.fail("\(what): needs 'name', 'op' and 'neurons'", at: at) }
        return LayerLabel(name: name, op: op, neurons: neurons, rate: rate)
    }

    mutating func cores(_ geometry: CoreGeometry) throws(Failure) -> [CoreConfig] {
        var cores: [CoreConfig] = []
        try s.beginArray("cores")
        var first = true
        while try s.nextElement(first: first) {
            first = false
            cores.append(try core(position: cores.count, geometry: geometry))
        }
        return cores
    }

    mutating func geometry() throws(Failure) -> CoreGeometry {
        let at = s.position
        var axons: Int?, neurons: Int?, types: Int?
        try s.beginObject("core")
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "axons": axons = try s.int("core.axons")
            case "neurons": neurons = try s.int("core.neurons")
            case "axonTypes": types = try s.int("core.axonTypes")
            default: throw unknown(key, in: "core", among: ["axons", "neurons", "axonTypes"])
            }
        }
        guard let axons, let neurons, let types, axons > 0, neurons > 0, neurons % 4 == 0, axons <= 1 << 16, neurons <= 1 << 16, types > 0 else {
            throw s.fail("core: needs axons, neurons and axonTypes, all positive, neurons a multiple of 4, both at most 65536", at: at)
        }
        return CoreGeometry(axons: axons, neurons: neurons, axonTypes: types)
    }

    mutating func core(position: Int, geometry g: CoreGeometry) throws(Failure) -> CoreConfig {
        let what = "core \(position)"
        let at = s.position
        var id: Int?, chip: [Int]?, place: [Int]?, seed: UInt64 = 0, layer: Int?, role = CoreRole.whole
        var types = [UInt8](repeating: 0, count: g.axons)
        var crossbar = Crossbar(axons: g.axons, neurons: g.neurons)
        var neurons: [NeuronConfig] = []
        try s.beginObject(what)
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "id": id = try s.int("\(what).id")
            case "chip": chip = try pair("\(what).chip")
            case "xy": place = try pair("\(what).xy")
            case "seed":
                let start = s.position
                let value = try s.int("\(what).seed")
                guard value >= 0, value < 1 << 53 else { throw s.fail("\(what).seed: must be an integer in 0..2^53-1 (so every JSON reader holds it exactly)", at: start) }
                seed = UInt64(value)
            case "layer":
                let start = s.position
                let value = try s.int("\(what).layer")
                guard value >= 0 else { throw s.fail("\(what).layer: must be an index into 'layers'", at: start) }
                layer = value
            case "role":
                let start = s.position
                let text = try s.string("\(what).role")
                guard let value = CoreRole(rawValue: text) else {
                    throw s.fail("\(what).role: '\(text)' is not one of \(CoreRole.allCases.map(\.rawValue).joined(separator: ", "))", at: start)
                }
                role = value
            case "axonTypes":
                let start = s.position
                let list = try ints("\(what).axonTypes")
                guard list.count <= g.axons else { throw s.fail("\(what).axonTypes: has \(list.count) entries but a core has \(g.axons) axons", at: start) }
                for (axon, type) in list.enumerated() {
                    guard (0..<g.axonTypes).contains(type) else { throw s.fail("\(what), axon \(axon): axon type \(type) is out of range 0..\(g.axonTypes - 1)", at: start) }
                    types[axon] = UInt8(type)
                }
            case "crossbar":
                try s.beginArray("\(what).crossbar")
                var axon = 0
                var firstRow = true
                while try s.nextElement(first: firstRow) {
                    firstRow = false
                    guard axon < g.axons else { throw s.fail("\(what).crossbar: has more than \(g.axons) rows but a core has \(g.axons) axons") }
                    let start = s.position
                    let text = (try? s.rawString("row")) ?? UnsafeBufferPointer(start: nil, count: 0)
                    guard crossbar.withRow(axon, { Self.parseRow(text, neurons: g.neurons, into: $0) }) else {
                        throw s.fail("\(what), axon \(axon): crossbar row must be a string of \(g.neurons / 4) hex digits (neurons 0..3 in the first digit, neuron 0 its most significant bit)", at: start)
                    }
                    axon += 1
                }
            case "neurons":
                try s.beginArray("\(what).neurons")
                var firstNeuron = true
                while try s.nextElement(first: firstNeuron) {
                    firstNeuron = false
                    neurons.append(try neuron(core: position, position: neurons.count))
                }
            default:
                throw unknown(key, in: what, among: Self.coreFields)
            }
        }
        guard let id, let chip, let place else { throw s.fail("\(what): needs 'id', 'chip' and 'xy'", at: at) }
        var config = CoreConfig(id: id, chip: chip, place: place, seed: seed, axonTypes: types, crossbar: crossbar, neurons: neurons)
        config.layer = layer
        config.role = role
        return config
    }

    /// Hex digit to its nibble with the bit order reversed (the digit's MSB is the lowest
    /// neuron, stored as the lowest bit); 0xFF for a byte that is not a hex digit.
    static let reversedNibble: [UInt8] = (0..<256).map { byte -> UInt8 in
        let value: Int
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - Int(UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - Int(UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - Int(UInt8(ascii: "A")) + 10
        default: return 0xFF
        }
        return UInt8((value & 1) << 3 | (value & 2) << 1 | (value & 4) >> 1 | (value & 8) >> 3)
    }

    /// Parses `neurons / 4` hex digits into a row's words; digit k covers neurons
    /// 4k..4k+3, MSB first. False if the text is not that many hex digits.
    static func parseRow(_ text: UnsafeBufferPointer<UInt8>, neurons: Int, into words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        guard text.count == neurons / 4 else { return false }
        var invalid: UInt8 = 0
        reversedNibble.withUnsafeBufferPointer { table in
            for w in 0..<words.count {
                var word: UInt64 = 0
                let base = w * 16
                for k in 0..<min(16, text.count - base) {
                    let nibble = table[Int(text[base + k])]
                    invalid |= nibble & 0xF0
                    word |= UInt64(nibble & 0x0F) << UInt64(4 * k)
                }
                words[w] = word
            }
        }
        return invalid == 0
    }
}
