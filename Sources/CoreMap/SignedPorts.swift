/// A signed readout on the chip: an output read as the difference of two ports of one
/// shape, `<name>` counting how far each element's running score rises and
/// `<name>.negative` how far it falls. A neuron fires only upwards, so a single neuron per
/// class reads nothing of a score that stays below zero (the `signed-readout` pass in Passes
/// builds the pair). Any tool that reads the map sees two ordinary ports.
///
///     map.outputs.map(\.name)              // ["logits", "logits.negative"]
///     map.readablePorts.map(\.name)        // ["logits"]
///     map.negativeHalf(of: "logits")?.name // "logits.negative"
extension OutputPort {
    /// What names a port as the negative half of the port named without it.
    public static let negativeSuffix = ".negative"

    /// The name of the port holding the negative half of the port `name`.
    public static func negativeName(of name: String) -> String { name + negativeSuffix }

    /// The port whose negative half `name` would be: `name` without the suffix, or nil.
    public static func positiveName(ofNegative name: String) -> String? {
        name.hasSuffix(negativeSuffix) ? String(name.dropLast(negativeSuffix.count)) : nil
    }
}

extension CoreMap {
    /// The ports a user reads: every port but the negative halves of signed readouts.
    public var readablePorts: [OutputPort] {
        let names = Set(outputs.map(\.name))
        return outputs.filter { port in !(OutputPort.positiveName(ofNegative: port.name).map(names.contains) ?? false) }
    }

    /// The negative half of the port `name`, when it is read signed (same shape).
    public func negativeHalf(of name: String) -> OutputPort? {
        guard let positive = outputs.first(where: { $0.name == name }) else { return nil }
        return outputs.first { $0.name == OutputPort.negativeName(of: name) && $0.shape == positive.shape }
    }
}
