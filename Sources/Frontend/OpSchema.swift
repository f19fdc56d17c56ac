/// The keys each op accepts in a network file, beyond the keys every layer may have.
/// One table, so the reader, the "did you mean" hints and docs/network-format.md agree.
enum OpSchema {
    /// Keys any layer may carry.
    static let common = ["name", "op", "input", "inputs", "neuron", "weights", "init", "ceiling", "levels"]

    static let opKeys: [String: [String]] = [
        "conv2d": ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "shortcut"],
        "convtranspose2d": ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "output_padding"],
        "dense": ["out", "bias"],
        "avgpool": ["kernel", "stride", "padding"],
        "sumpool": ["kernel", "stride", "padding"],
        "upsample": ["factor", "mode"],
        "add": [],
        "concat": [],
        "flatten": [],
        "batchnorm": ["eps"],
        "xcorr": ["template", "search"],
    ]

    static var ops: [String] { opKeys.keys.sorted() }

    /// Keys of a block instance `{ name, block, input }`.
    static let instanceKeys = ["name", "block", "input", "inputs"]

    /// Ops that do not accept `neuron:` because they have no neurons of their own.
    static let neuronless: Set<String> = ["flatten", "concat", "batchnorm"]
}
