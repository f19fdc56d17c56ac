import TesseraSupport

/// A NIR graph with its nested graphs inlined: every node by its path ('sub/lif1'), the
/// nested graphs' Input and Output nodes kept as pass-through ports, and the edges between
/// paths. Lowering walks it in topological order.
struct NIRFlatGraph {
    var nodes: [String: NIRGraph.Node] = [:]
    /// Nested graphs' Input and Output nodes: they pass their input on.
    var ports: Set<String> = []
    var edges: [(from: String, to: String)] = []
    /// Paths in the file's order (name order within each graph).
    var order: [String] = []

    init(_ graph: NIRGraph, file: String) throws(DiagnosticError) {
        try add(graph, prefix: "", file: file)
    }

    private mutating func add(_ graph: NIRGraph, prefix: String, file: String) throws(DiagnosticError) {
        // Where an edge to or from a nested graph node goes: its Input, its Output port.
        var entry: [String: String] = [:], exit: [String: String] = [:]
        for node in graph.nodes {
            let path = prefix + node.name
            if node.type == "NIRGraph", let inner = node.graph {
                let inputs = inner.nodes.filter { $0.type == "Input" }, outputs = inner.nodes.filter { $0.type == "Output" }
                guard inputs.count == 1, outputs.count == 1 else {
                    throw DiagnosticError("\(file): nested graph '\(path)' has \(inputs.count) Input and \(outputs.count) Output nodes; Tessera inlines nested graphs with one of each")
                }
                try add(inner, prefix: path + "/", file: file)
                entry[node.name] = path + "/" + inputs[0].name
                exit[node.name] = path + "/" + outputs[0].name
                ports.insert(path + "/" + inputs[0].name)
                ports.insert(path + "/" + outputs[0].name)
            } else {
                nodes[path] = node
                order.append(path)
            }
        }
        for e in graph.edges {
            edges.append((prefix + (exit[e.from] ?? e.from), prefix + (entry[e.to] ?? e.to)))
        }
    }

    /// The predecessors of each path, in edge order.
    var predecessors: [String: [String]] {
        var p: [String: [String]] = [:]
        for e in edges { p[e.to, default: []].append(e.from) }
        return p
    }

    /// Paths in topological order (sources first, ties in file order). A cycle is an error
    /// that names it: Tessera's IR is acyclic.
    func topologicalOrder(file: String) throws(DiagnosticError) -> [String] {
        var indegree: [String: Int] = [:]
        var successors: [String: [String]] = [:]
        for e in edges {
            indegree[e.to, default: 0] += 1
            successors[e.from, default: []].append(e.to)
        }
        let all = order + ports.sorted()
        var ready = all.filter { (indegree[$0] ?? 0) == 0 }
        var result: [String] = []
        var i = 0
        while i < ready.count {
            let v = ready[i]
            i += 1
            result.append(v)
            for w in successors[v] ?? [] {
                indegree[w, default: 0] -= 1
                if indegree[w] == 0 { ready.append(w) }
            }
        }
        if result.count < all.count {
            let done = Set(result)
            // Walk back from a node left over until a path repeats: that is a cycle.
            let preds = predecessors
            var path: [String] = []
            var at = all.first { !done.contains($0) } ?? ""
            while !path.contains(at) {
                path.append(at)
                at = preds[at]?.first { !done.contains($0) } ?? at
            }
            // The walk went against the edges: reversed, it is the cycle in data-flow order.
            let loop = Array(path[(path.firstIndex(of: at) ?? 0)...].reversed())
            let cycle = loop + loop.prefix(1)
            throw DiagnosticError("\(file): recurrent edges: a cycle \(cycle.map { "'\($0)'" }.joined(separator: " -> ")); Tessera's IR is acyclic (TrueNorth runs recurrence natively, since a neuron may target any axon, but the IR, its passes and its reference simulator do not take back edges yet)")
        }
        return result
    }

    /// The node that `path` reads through linear nodes and ports: the nearest neuron or
    /// Input node back along its single chain of predecessors, and the linear nodes passed
    /// on the way, in data-flow order (ports left out).
    func source(of path: String, file: String) throws(DiagnosticError) -> (source: String, through: [String]) {
        let preds = predecessors
        var through: [String] = []
        var at = path
        while true {
            let p = preds[at] ?? []
            guard p.count == 1, let from = p.first else {
                let what = p.isEmpty ? "reads nothing (no edge leads to it)" : "sums \(p.count) inputs (\(p.map { "'\($0)'" }.joined(separator: ", "))); Tessera lowers one chain into each neuron node"
                throw DiagnosticError("\(file): node '\(at)' \(what)")
            }
            if ports.contains(from) {
                at = from
                continue
            }
            guard let node = nodes[from] else { throw DiagnosticError("\(file): edge from '\(from)', which is not a node") }
            if NIRLowering.linear.contains(node.type) {
                through.insert(from, at: 0)
                at = from
                continue
            }
            return (from, through)
        }
    }
}
