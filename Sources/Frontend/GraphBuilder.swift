import SpikeIR
import TesseraSupport
import Yams

/// Turns a read ``NetworkFile`` into the layers of a ``SpikeGraph``: fills in default
/// inputs (the previous layer), expands block instances with prefixed names (`z/conv1`)
/// and shared parameter keys (`backbone/conv1`), and resolves references to instances.
struct GraphBuilder {
    var reader: YAMLReader
    let file: NetworkFile
    var layers: [Layer] = []
    /// The weight spec of each parameter key; block layers share one entry.
    var weights: [String: (spec: WeightSpec, location: SourceLocation?)] = [:]
    /// Instance name to the layer that is its output.
    var aliases: [String: String] = [:]
    var failed: Set<String>

    init(file: NetworkFile, reader: YAMLReader) {
        self.file = file
        self.reader = reader
        self.failed = file.failed
    }

    mutating func build() -> (layers: [Layer], outputs: [String]) {
        layers = file.inputs
        let initial = file.inputs.count == 1 ? file.inputs.first?.name : nil
        expand(file.layers, prefix: "", previous: initial, scope: nil, blockStack: [])
        // Resolve instance names to their output layers (instances may be referenced before
        // they are defined), then drop layers that read a layer which failed to parse.
        for i in layers.indices {
            layers[i].inputs = layers[i].inputs.map(resolve)
        }
        var changed = true
        while changed {
            changed = false
            layers.removeAll { layer in
                guard layer.inputs.contains(where: failed.contains) else { return false }
                failed.insert(layer.name)
                changed = true
                return true
            }
        }
        // Outputs are checked here, where their place in the file is known. When earlier
        // errors already broke layers, an unknown output is most likely one of those.
        let known = Set(layers.map(\.name))
        let reportUnknown = !reader.diagnostics.hasErrors
        let outputs = file.outputs.compactMap { output -> String? in
            let name = resolve(output.name)
            if failed.contains(name) { return nil }
            if !known.contains(name) {
                if reportUnknown {
                    reader.error("output '\(output.name)' is not a layer of this network\(Suggestion.hint(for: output.name, among: known.union(aliases.keys)))", at: output.node)
                }
                return nil
            }
            return name
        }
        return (layers, outputs)
    }

    private func resolve(_ name: String) -> String {
        var name = name
        var steps = 0
        while let target = aliases[name], steps < 64 {
            name = target
            steps += 1
        }
        return name
    }

    /// What names inside a block refer to: the block's local layers and its input.
    struct Scope {
        var block: NetworkFile.Block
        var prefix: String
        var input: String
    }

    /// Expands `entries` in order; returns the name of the last one (the default output).
    @discardableResult
    private mutating func expand(_ entries: [LayerEntry], prefix: String, previous: String?, scope: Scope?, blockStack: [String]) -> String? {
        var previous = previous
        for entry in entries {
            let name = prefix + entry.name
            switch entry {
            case .failed:
                failed.insert(name)
            case let .layer(layer, inputs, spec, node):
                guard let inputs = inputs.map({ $0.map { local($0, scope: scope, at: node) } }) ?? previous.map({ [$0] }) else {
                    reader.error("layer '\(layer.name)' needs 'input:' (there is no previous layer to default to, and the network has \(file.inputs.count) inputs: \(file.inputs.map(\.name).joined(separator: ", ")))", at: node)
                    previous = name
                    failed.insert(name)
                    continue
                }
                var expanded = layer
                expanded.name = name
                expanded.inputs = inputs
                if let key = layer.parameterKey {
                    let shared = scope.map { "\($0.block.name)/\(key)" } ?? key
                    expanded.parameterKey = shared
                    if weights[shared] == nil { weights[shared] = (spec, layer.location) }
                }
                layers.append(expanded)
            case let .instance(_, blockName, inputs, node):
                guard let block = file.blocks[blockName] else {
                    reader.error("unknown block '\(blockName)'\(Suggestion.hint(for: blockName, among: file.blocks.keys)); defined blocks: \(file.blocks.keys.sorted().joined(separator: ", ").ifEmpty("none"))", at: node["block"] ?? node)
                    failed.insert(name)
                    previous = name
                    continue
                }
                if blockStack.contains(blockName) {
                    reader.error("block '\(blockName)' instantiates itself (\((blockStack + [blockName]).joined(separator: " -> ")))", at: node)
                    failed.insert(name)
                    previous = name
                    continue
                }
                let resolvedInputs = inputs.map { $0.map { local($0, scope: scope, at: node) } } ?? previous.map { [$0] }
                guard let resolvedInputs, resolvedInputs.count == 1, let input = resolvedInputs.first else {
                    reader.error("block instance '\(entry.name)' needs exactly one 'input:'", at: node)
                    failed.insert(name)
                    previous = name
                    continue
                }
                let inner = Scope(block: block, prefix: name + "/", input: input)
                expand(block.entries, prefix: inner.prefix, previous: input, scope: inner, blockStack: blockStack + [blockName])
                let output = block.output ?? block.entries.last?.name
                if let output {
                    if block.entries.contains(where: { $0.name == output }) {
                        aliases[name] = inner.prefix + output
                        if block.failed.contains(output) { failed.insert(name) }
                    } else {
                        reader.error("block '\(block.name)' declares output '\(output)', which is not one of its layers\(Suggestion.hint(for: output, among: block.entries.map(\.name)))", at: block.node)
                        failed.insert(name)
                    }
                }
            }
            previous = name
        }
        return previous
    }

    /// Maps a name written inside a block to the expanded name: a layer of the block gets
    /// the instance prefix, the block's input name becomes the instance's input.
    private mutating func local(_ name: String, scope: Scope?, at node: Node) -> String {
        guard let scope else { return name }
        if name == scope.block.inputName { return scope.input }
        if scope.block.entries.contains(where: { $0.name == name }) { return scope.prefix + name }
        reader.error("a layer of block '\(scope.block.name)' reads '\(name)', which is neither a layer of the block nor its input '\(scope.block.inputName)'\(Suggestion.hint(for: name, among: scope.block.entries.map(\.name) + [scope.block.inputName]))", at: node)
        failed.insert(scope.prefix + "?")
        return scope.prefix + "?"
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
