import TesseraSupport

/// Checks a spiking graph and infers its shapes.
///
/// Reports, each at the location of the layer concerned: duplicate names, references to
/// undefined layers (with a suggestion), wrong numbers of inputs, cycles, shape and channel
/// mismatches, parameter tensors of the wrong shape, and unknown outputs. Layers that do
/// not lead to any output are warnings. All problems are reported together.
public enum Verifier {
    /// A verified graph: in topological order with shapes set, plus the warnings found.
    public struct Verified: Sendable {
        public var graph: SpikeGraph
        public var warnings: [Diagnostic]
    }

    /// Verifies `graph`; throws every diagnostic found (errors and warnings) if any is an error.
    ///
    /// `checkParameters: false` skips the parameter tensors (for a frontend that binds them
    /// once shapes are known); `checkInterface: false` skips the checks that the graph has
    /// inputs and outputs and that outputs name layers (for a frontend that reports those
    /// at their own place in the file).
    public static func verify(_ graph: SpikeGraph, checkParameters: Bool = true, checkInterface: Bool = true) throws(DiagnosticError) -> Verified {
        var diagnostics = Diagnostics()
        var index: [String: Int] = [:]
        for (i, layer) in graph.layers.enumerated() {
            if let first = index[layer.name] {
                let previous = graph.layers[first].location.map { " (first defined at \($0))" } ?? ""
                diagnostics.error("duplicate layer name '\(layer.name)'\(previous)", at: layer.location)
            } else {
                index[layer.name] = i
            }
        }
        let names = graph.layers.map(\.name)

        // References and arity.
        var valid = Array(repeating: true, count: graph.layers.count)
        for (i, layer) in graph.layers.enumerated() {
            for input in layer.inputs where index[input] == nil {
                diagnostics.error("layer '\(layer.name)' reads '\(input)', which is not a layer or input of this network\(Suggestion.hint(for: input, among: names))", at: layer.location)
                valid[i] = false
            }
            let count = layer.inputs.count
            switch layer.op.arity {
            case let arity? where arity != count:
                diagnostics.error("\(layer.op.name) '\(layer.name)' takes \(arity) input\(arity == 1 ? "" : "s"), got \(count)", at: layer.location)
                valid[i] = false
            case nil where count < 2:
                diagnostics.error("\(layer.op.name) '\(layer.name)' takes two or more inputs, got \(count)", at: layer.location)
                valid[i] = false
            default: break
            }
        }

        let order = topologicalOrder(graph, index: index, diagnostics: &diagnostics)

        // Shapes, in dependency order; a layer after a failed one is skipped silently.
        var layers = graph.layers
        for i in order where valid[i] {
            let inputIndices = layers[i].inputs.compactMap { index[$0] }
            let inputShapes = inputIndices.compactMap { layers[$0].shape }
            guard inputShapes.count == layers[i].inputs.count else { continue }
            do {
                layers[i].shape = try layers[i].op.outputShape(inputs: inputShapes)
            } catch {
                diagnostics.error("\(layers[i].op.name) '\(layers[i].name)': \(error.message)", at: layers[i].location)
                continue
            }
            if checkParameters, !inputShapes.isEmpty {
                checkLayerParameters(of: layers[i], inputs: inputShapes, store: graph.parameters, diagnostics: &diagnostics)
            }
        }

        if checkInterface { checkOutputs(graph, index: index, names: names, diagnostics: &diagnostics) }
        try diagnostics.throwIfErrors()
        warnUnused(graph, index: index, diagnostics: &diagnostics)

        var verified = graph
        verified.layers = order.map { layers[$0] }
        return Verified(graph: verified, warnings: diagnostics.warnings)
    }

    /// Kahn's algorithm, taking ready layers in file order so the result is deterministic.
    /// Layers left over sit on or behind a cycle; one cycle is reported by name.
    private static func topologicalOrder(_ graph: SpikeGraph, index: [String: Int], diagnostics: inout Diagnostics) -> [Int] {
        let n = graph.layers.count
        var pending = Array(repeating: 0, count: n)
        var readers = Array(repeating: [Int](), count: n)
        for (i, layer) in graph.layers.enumerated() {
            for input in layer.inputs {
                guard let j = index[input] else { continue }
                pending[i] += 1
                readers[j].append(i)
            }
        }
        var ready = (0..<n).filter { pending[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(n)
        var cursor = 0
        while cursor < ready.count {
            let i = ready[cursor]
            cursor += 1
            order.append(i)
            for reader in readers[i] {
                pending[reader] -= 1
                if pending[reader] == 0 { ready.append(reader) }
            }
        }
        if order.count < n, let cycle = findCycle(graph, index: index, stuck: Set((0..<n).filter { pending[$0] > 0 })) {
            let path = (cycle + [cycle[0]]).map { graph.layers[$0].name }.joined(separator: " -> ")
            diagnostics.error("layers form a cycle: \(path); a spiking graph must be acyclic (recurrence is not supported)", at: graph.layers[cycle[0]].location)
        }
        return order
    }

    /// Follows inputs among the stuck layers until a layer repeats: that loop is a cycle.
    private static func findCycle(_ graph: SpikeGraph, index: [String: Int], stuck: Set<Int>) -> [Int]? {
        guard var current = stuck.min() else { return nil }
        var visited: [Int: Int] = [:]
        var path: [Int] = []
        while visited[current] == nil {
            visited[current] = path.count
            path.append(current)
            guard let next = graph.layers[current].inputs.compactMap({ index[$0] }).first(where: { stuck.contains($0) }) else { return nil }
            current = next
        }
        // path[start...] is the loop, walked against the data flow; report it along the flow.
        let loop = Array(path[(visited[current] ?? 0)...])
        let reversed = Array(loop.reversed())
        let start = reversed.firstIndex(of: reversed.min() ?? reversed[0]) ?? 0
        return Array(reversed[start...] + reversed[..<start])
    }

    private static func checkLayerParameters(of layer: Layer, inputs: [TensorShape], store: ParameterStore, diagnostics: inout Diagnostics) {
        guard let key = layer.parameterKey, let input = inputs.first else { return }
        for slot in layer.op.parameterSlots(inputs: inputs) {
            let name = "\(key).\(slot.suffix)"
            guard let shape = store.shape(of: name) else {
                if slot.optional { continue }
                diagnostics.error("\(layer.op.name) '\(layer.name)' has no tensor '\(name)' (expected shape \(describeShape(slot.shape)))", at: layer.location)
                continue
            }
            // A bias may be given as [out] or as PyTorch's broadcastable [out, 1, 1], and
            // one value as a 0-d array (NumPy's scalar) or a 1-element one.
            let broadcast = slot.shape.count == 1 && shape.reduce(1, *) == slot.shape[0] && shape.first == slot.shape[0]
            let single = shape.reduce(1, *) == 1 && (slot.shape.reduce(1, *) == 1 || slot.optional)
            if shape != slot.shape && !broadcast && !single {
                let origin = store.origin(of: name).map { " from \($0)" } ?? ""
                diagnostics.error("\(layer.op.name) '\(layer.name)': tensor '\(name)'\(origin) has shape \(describeShape(shape)), expected \(describeShape(slot.shape)) for input \(input)", at: layer.location)
            }
        }
    }

    private static func checkOutputs(_ graph: SpikeGraph, index: [String: Int], names: [String], diagnostics: inout Diagnostics) {
        if graph.outputs.isEmpty {
            diagnostics.error("the network declares no outputs", at: graph.layers.first?.location)
        }
        for output in graph.outputs where index[output] == nil {
            diagnostics.error("output '\(output)' is not a layer of this network\(Suggestion.hint(for: output, among: names))", at: graph.layers.last?.location)
        }
        if graph.inputLayers.isEmpty {
            diagnostics.error("the network declares no inputs", at: graph.layers.first?.location)
        }
    }

    /// Layers from which no output can be reached compute nothing the user sees.
    private static func warnUnused(_ graph: SpikeGraph, index: [String: Int], diagnostics: inout Diagnostics) {
        var live = Set<Int>()
        var stack = graph.outputs.compactMap { index[$0] }
        while let i = stack.popLast() {
            guard live.insert(i).inserted else { continue }
            stack.append(contentsOf: graph.layers[i].inputs.compactMap { index[$0] })
        }
        for (i, layer) in graph.layers.enumerated() where !live.contains(i) {
            diagnostics.warning("layer '\(layer.name)' does not lead to any output", at: layer.location)
        }
    }
}
