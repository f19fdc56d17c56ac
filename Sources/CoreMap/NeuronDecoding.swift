import TesseraSupport

/// Neurons and their destinations, as ``CoreMapDecoder`` reads them.
extension CoreMapDecoder {
    mutating func neuron(core: Int, position: Int) throws(Failure) -> NeuronConfig {
        let at = s.position
        var n = NeuronConfig(index: -1)
        var hasIndex = false
        // Names for messages, built only when one is needed.
        func what() -> String { hasIndex ? "core \(core), neuron \(n.index)" : "core \(core), neurons[\(position)]" }
        try s.beginObject(what())
        var first = true
        while let id = try s.nextKey(first: first, among: Self.neuronKeys) {
            first = false
            let key = id < Self.neuronFields.count ? Self.neuronFields[id] : s.lastKey
            func field() -> String { "\(what()).\(key)" }
            switch key {
            case "index":
                n.index = try s.int(field())
                hasIndex = true
            case "weights":
                let start = s.position
                n.weights = try ints(field())
                guard n.weights.count == 4 else { throw s.fail("\(field()): expected 4 integers, one per axon type, got \(n.weights.count)", at: start) }
            case "leak": n.leak = try s.int(field())
            case "threshold": n.threshold = try s.int(field())
            case "negThreshold": n.negThreshold = try s.int(field())
            case "resetPotential": n.resetPotential = try s.int(field())
            case "thresholdMask": n.thresholdMask = try s.int(field())
            case "initialPotential": n.initialPotential = try s.int(field())
            case "stochasticLeak": n.stochasticLeak = try s.bool(field())
            case "leakReversal": n.leakReversal = try s.bool(field())
            case "stochasticSynapse":
                let start = s.position
                try s.beginArray(field())
                var flags: [Bool] = []
                var firstFlag = true
                while try s.nextElement(first: firstFlag) {
                    firstFlag = false
                    flags.append(try s.bool(field()))
                }
                guard flags.count == 4 else { throw s.fail("\(field()): expected 4 booleans, one per axon type", at: start) }
                n.stochasticSynapse = flags
            case "reset":
                let start = s.position
                guard let reset = NeuronConfig.Reset(rawValue: try s.string(field())) else { throw s.fail("\(field()): expected one of normal, linear, none", at: start) }
                n.reset = reset
            case "negative":
                let start = s.position
                guard let negative = NeuronConfig.Negative(rawValue: try s.string(field())) else { throw s.fail("\(field()): expected saturate or reset", at: start) }
                n.negative = negative
            case "destination":
                if s.null() { n.destination = nil } else { n.destination = try destination(field()) }
            default:
                throw unknown(key, in: what(), among: Self.neuronFields)
            }
        }
        guard hasIndex else { throw s.fail("\(what()): needs 'index'", at: at) }
        return n
    }

    mutating func destination(_ what: @autoclosure () -> String) throws(Failure) -> Destination {
        let at = s.position
        var core: Int?, axon: Int?, delay: Int?, output: String?, index: Int?
        try s.beginObject(what())
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "core": core = try s.int("\(what()).core")
            case "axon": axon = try s.int("\(what()).axon")
            case "delay": delay = try s.int("\(what()).delay")
            case "output": output = try s.string("\(what()).output")
            case "index": index = try s.int("\(what()).index")
            default: throw unknown(key, in: what(), among: ["core", "axon", "delay", "output", "index"])
            }
        }
        if let output {
            guard core == nil, axon == nil, delay == nil else {
                throw s.fail("\(what()): has both an output and a core/axon/delay; a neuron has exactly one destination", at: at)
            }
            guard let index else { throw s.fail("\(what()): an output destination needs 'index'", at: at) }
            return .output(port: output, index: index)
        }
        guard let core, let axon, let delay else { throw s.fail("\(what()): needs core, axon and delay (or output and index)", at: at) }
        return .axon(core: core, axon: axon, delay: delay)
    }
}
