import TesseraSupport

/// Input and output ports, as ``CoreMapDecoder`` reads them.
extension CoreMapDecoder {
    mutating func inputPort(_ k: Int) throws(Failure) -> InputPort {
        var what = "inputs[\(k)]"
        let at = s.position
        var name: String?, shape: [Int]?, targets: [[AxonAddress]]?
        try s.beginObject(what)
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "name":
                name = try s.string("\(what).name")
                what = "input '\(name ?? "")'"
            case "shape": shape = try ints("\(what).shape")
            case "targets":
                try s.beginArray("\(what).targets")
                var lists: [[AxonAddress]] = []
                var firstList = true
                while try s.nextElement(first: firstList) {
                    firstList = false
                    let element = "\(what) element \(lists.count)"
                    try s.beginArray(element)
                    var addresses: [AxonAddress] = []
                    var firstPair = true
                    while try s.nextElement(first: firstPair) {
                        firstPair = false
                        let p = try pair("\(element): [core, axon]")
                        addresses.append(AxonAddress(core: p[0], axon: p[1]))
                    }
                    lists.append(addresses)
                }
                targets = lists
            default: throw unknown(key, in: what, among: ["name", "shape", "targets"])
            }
        }
        guard let name, let shape, let targets else { throw s.fail("\(what): needs name, shape and targets", at: at) }
        return InputPort(name: name, shape: shape, targets: targets)
    }

    mutating func outputPort(_ k: Int) throws(Failure) -> OutputPort {
        let what = "outputs[\(k)]"
        let at = s.position
        var name: String?, shape: [Int]?, latency: Int?
        try s.beginObject(what)
        var first = true
        while let key = try s.nextKey(first: first) {
            first = false
            switch key {
            case "name": name = try s.string("\(what).name")
            case "shape": shape = try ints("\(what).shape")
            case "latency": latency = try s.int("\(what).latency")
            default: throw unknown(key, in: what, among: ["name", "shape", "latency"])
            }
        }
        guard let name, let shape, let latency else { throw s.fail("\(what): needs name, shape and latency", at: at) }
        return OutputPort(name: name, shape: shape, latency: latency)
    }
}
