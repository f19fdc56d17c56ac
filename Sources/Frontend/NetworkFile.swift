import SpikeIR
import TesseraSupport
import Yams

/// A network file as read, before blocks are expanded and names resolved.
struct NetworkFile {
    struct Block {
        var name: String
        /// The name under which a block's layers see the instance's input.
        var inputName: String
        var entries: [LayerEntry]
        var failed: Set<String> = []
        var output: String?
        var node: Node
    }

    var name: String
    var inputs: [Layer] = []
    var archive: (path: String, node: Node)?
    var synthetic: SyntheticInit?
    var defaults = LayerDefaults()
    var blocks: [String: Block] = [:]
    var layers: [LayerEntry] = []
    var outputs: [(name: String, node: Node)] = []
    var root: Node
    var conversion: ConversionSettings?
    /// Names of layers that could not be read; layers reading them are dropped quietly
    /// instead of piling a second error on the first.
    var failed: Set<String> = []

    static let topKeys = ["network", "inputs", "weights", "init", "defaults", "blocks", "layers", "outputs", "compile"]

    /// Reads the whole file, collecting every diagnostic; returns nil if the file is
    /// too broken to continue (the reader's diagnostics say why).
    static func read(_ document: YAMLDocument, reader: inout YAMLReader) -> NetworkFile? {
        guard let top = reader.mapping(document.root, what: "a network file", allowed: topKeys) else { return nil }
        var file = NetworkFile(name: "network", root: document.root)
        if let n = top["network"] { file.name = reader.string(n, what: "network name") ?? file.name } else {
            reader.error("a network file needs 'network: <name>'", at: document.root)
        }
        if let n = top["inputs"] { file.inputs = readInputs(n, reader: &reader) } else {
            reader.error("a network file needs 'inputs:' (for example image: { shape: [1, 8, 8], encoding: rate })", at: document.root)
        }
        if let n = top["weights"], let path = reader.string(n, what: "weights archive (.npz)") { file.archive = (path, n) }
        if let n = top["compile"] { file.conversion = ConversionReader.read(n, inputs: file.inputs.map(\.name), reader: &reader) }
        if let n = top["init"] { file.synthetic = reader.initSpec(n) }
        if let n = top["defaults"] { file.defaults = readDefaults(n, reader: &reader) }
        if let n = top["blocks"] { file.blocks = readBlocks(n, defaults: file.defaults, reader: &reader) }
        if let n = top["layers"], let items = reader.sequence(n, what: "layers") {
            file.layers = readEntries(items, defaults: file.defaults, reader: &reader, failed: &file.failed)
            if items.isEmpty { reader.error("'layers' is empty", at: n) }
        } else if top["layers"] == nil {
            reader.error("a network file needs 'layers:'", at: document.root)
        }
        if let n = top["outputs"] {
            if case .scalar = n {
                if let name = reader.string(n, what: "output") { file.outputs = [(name, n)] }
            } else if let items = reader.sequence(n, what: "outputs") {
                file.outputs = items.compactMap { item in reader.string(item, what: "output").map { ($0, item) } }
                if items.isEmpty { reader.error("'outputs' is empty; name the layers whose spikes leave the chip", at: n) }
            }
        } else {
            reader.error("a network file needs 'outputs:' (the layers whose spikes leave the chip)", at: document.root)
        }
        return file
    }

    static func readInputs(_ node: Node, reader: inout YAMLReader) -> [Layer] {
        guard let table = reader.table(node, what: "inputs") else { return [] }
        if table.isEmpty { reader.error("'inputs' is empty; a network needs at least one input", at: node) }
        return table.compactMap { entry in
            guard let m = reader.mapping(entry.value, what: "input '\(entry.key)'", allowed: ["shape", "encoding"]) else { return nil }
            guard let shapeNode = m["shape"] else {
                reader.error("input '\(entry.key)' needs 'shape: [C, H, W]' (or [N] for a vector)", at: entry.value)
                return nil
            }
            let encoding = m["encoding"].map {
                reader.choice($0, what: "encoding", among: InputEncoding.allCases.map(\.rawValue)).flatMap(InputEncoding.init)
            } ?? .rate
            guard let dims = reader.intList(shapeNode, what: "input shape", atLeast: 1), let encoding else { return nil }
            let shape: TensorShape
            switch dims.count {
            case 3: shape = TensorShape(dims[0], dims[1], dims[2])
            case 1: shape = TensorShape(vector: dims[0])
            default:
                reader.error("input shape must be [C, H, W] or [N], got \(dims.count) dimensions", at: shapeNode)
                return nil
            }
            return Layer(name: entry.key, op: .input(shape: shape, encoding: encoding), location: reader.location(of: entry.keyNode))
        }
    }

    static func readDefaults(_ node: Node, reader: inout YAMLReader) -> LayerDefaults {
        var defaults = LayerDefaults()
        guard let m = reader.mapping(node, what: "defaults", allowed: ["neuron"] + OpSchema.ops) else { return defaults }
        if let n = m["neuron"], let neuron = reader.neuron(n, base: NeuronModel()) { defaults.neuron = neuron }
        for entry in m.entries where entry.key != "neuron" {
            let allowed = OpSchema.opKeys[entry.key] ?? []
            if let opDefaults = reader.mapping(entry.value, what: "defaults for \(entry.key)", allowed: allowed) {
                defaults.ops[entry.key] = opDefaults
            }
        }
        return defaults
    }

    static func readBlocks(_ node: Node, defaults: LayerDefaults, reader: inout YAMLReader) -> [String: Block] {
        guard let table = reader.table(node, what: "blocks") else { return [:] }
        var blocks: [String: Block] = [:]
        for entry in table {
            var block = Block(name: entry.key, inputName: "input", entries: [], node: entry.value)
            var items: [Node]?
            if case .sequence = entry.value {
                items = reader.sequence(entry.value, what: "block '\(entry.key)'")
            } else if let m = reader.mapping(entry.value, what: "block '\(entry.key)'", allowed: ["input", "layers", "output"]) {
                if let n = m["input"], let name = reader.string(n, what: "block input name") { block.inputName = name }
                if let n = m["output"] { block.output = reader.string(n, what: "block output") }
                if let n = m["layers"] { items = reader.sequence(n, what: "layers of block '\(entry.key)'") } else {
                    reader.error("block '\(entry.key)' needs 'layers:'", at: entry.value)
                }
            }
            guard let items else { continue }
            if items.isEmpty { reader.error("block '\(entry.key)' has no layers", at: entry.value) }
            var failed: Set<String> = []
            block.entries = readEntries(items, defaults: defaults, reader: &reader, failed: &failed)
            block.failed = failed
            blocks[entry.key] = block
        }
        return blocks
    }

    static func readEntries(_ items: [Node], defaults: LayerDefaults, reader: inout YAMLReader, failed: inout Set<String>) -> [LayerEntry] {
        var layerReader = LayerReader(reader: reader, defaults: defaults)
        var entries: [LayerEntry] = []
        for item in items {
            if let entry = layerReader.read(item) {
                entries.append(entry)
            } else if let name = item["name"]?.string {
                failed.insert(name)
                // Keep the chain: the next layer's default input is this (failed) name.
                entries.append(.failed(name: name, node: item))
            }
        }
        reader = layerReader.reader
        return entries
    }
}
