import TesseraSupport

/// Reads a NIR file (HDF5, as `nir.write` lays it out: a `version` string and the top graph
/// under `node`, each node a group of datasets) into a ``NIRGraph``, checking what lowering
/// relies on. Errors name the file, the node (its path through nested graphs) and the field.
///
///     let graph = try NIRReader.read(path: "cnn_sinabs.nir")
///     graph.node("0")?.type   // "Conv2d"
public enum NIRReader {
    /// Versions found in published files and written by the `nir` package since 1.0.
    public static func supports(version: String) -> Bool {
        version == "0.1.1" || version == "0.2.0" || version == "1.0" || version.hasPrefix("1.0.")
    }

    public static func read(path: String) throws(DiagnosticError) -> NIRGraph {
        // One file at a time in the process: libhdf5 is called only from here, so while the
        // lock is held no other thread is inside libhdf5 (whose own global lock a forked
        // child would otherwise inherit held, HDF5Reader's structure walk), and every handle
        // of the file is closed when `readLocked` returns, before the lock is released.
        HDF5Reader.lock.lock()
        defer { HDF5Reader.lock.unlock() }
        return try readLocked(path: path)
    }

    private static func readLocked(path: String) throws(DiagnosticError) -> NIRGraph {
        let file = try HDF5Reader(path: path)
        guard let root = file.root else { throw DiagnosticError("\(path): the file has no root group") }
        var errors: [String] = []
        switch file.member("version", of: root) {
        case let .strings(_, values)? where values.count == 1:
            if !supports(version: values[0]) {
                errors.append("\(path): NIR version '\(values[0])' is not one Tessera reads (0.1.1, 0.2.0, 1.0.x)")
            }
        case nil: errors.append("\(path): no 'version' (a NIR file written by nir.write has one)")
        default: errors.append("\(path): 'version' is not a string")
        }
        guard case let .group(top)? = file.member("node", of: root) else {
            throw DiagnosticError((errors + ["\(path): no top graph 'node' (a NIR file written by nir.write has one)"]).map { Diagnostic(.error, $0) })
        }
        let graph = readGraph(file, top, at: "node", errors: &errors)
        if !errors.isEmpty { throw DiagnosticError(errors.map { Diagnostic(.error, $0) }) }
        return graph
    }

    /// The graph in `group` (its `nodes` group and `edges`), checked; `at` names it.
    private static func readGraph(_ file: HDF5Reader, _ group: HDF5Reader.Handle, at where_: String, errors: inout [String]) -> NIRGraph {
        let path = file.path
        var nodes: [NIRGraph.Node] = []
        // A node is named by its path through the nested graphs: 'sub/lif1' (the top graph
        // is 'node', nested ones 'node/sub').
        let prefix = where_ == "node" ? "" : where_.dropFirst("node/".count) + "/"
        if case let .group(nodesGroup)? = file.member("nodes", of: group) {
            for name in file.members(nodesGroup) {
                let label = "\(path): node '\(prefix)\(name)'"
                guard case let .group(g)? = file.member(name, of: nodesGroup) else {
                    errors.append("\(label) is not a group of fields")
                    continue
                }
                var fields: [String: NIRGraph.Field] = [:]
                var type: String?
                for field in file.members(g) where field != "nodes" && field != "edges" {
                    switch file.member(field, of: g) {
                    case let .strings(shape, values)?:
                        if field == "type" { type = values.first } else { fields[field] = .strings(shape: shape, values: values) }
                    case let .numbers(shape, values)?:
                        // A time constant may be +inf: no leak (snnTorch writes beta = 1 as
                        // tau = r = inf).
                        let infinite = ["tau", "r", "tau_mem", "tau_syn"].contains(field)
                        if let bad = values.firstIndex(where: { !($0.isFinite || (infinite && $0 == .infinity)) }) {
                            errors.append("\(label) field '\(field)': element \(bad) is \(values[bad]), not a finite number")
                        }
                        fields[field] = .numbers(shape: shape, values: values)
                    case .group?:
                        if field != "metadata" { errors.append("\(label) field '\(field)' is a group, not a dataset") }
                    case let .other(what)?:
                        errors.append("\(label) field '\(field)' holds \(what)")
                    case nil:
                        errors.append("\(label) field '\(field)' cannot be opened")
                    }
                }
                guard let type else {
                    errors.append("\(label) has no 'type' string")
                    continue
                }
                guard NIRGraph.primitives.contains(type) else {
                    errors.append("\(label) has type '\(type)', which is not a NIR primitive (\(NIRGraph.primitives.sorted().joined(separator: ", ")))")
                    continue
                }
                let nested = type == "NIRGraph" ? readGraph(file, g, at: where_ + "/" + name, errors: &errors) : nil
                nodes.append(NIRGraph.Node(name: name, type: type, fields: fields, graph: nested))
            }
        } else {
            errors.append("\(path): graph '\(where_)' has no 'nodes' group")
        }
        var edges: [(from: String, to: String)] = []
        switch file.member("edges", of: group) {
        case let .strings(shape, values)?:
            if values.isEmpty {
                break
            } else if shape.count == 2, shape[1] == 2 {
                edges = stride(from: 0, to: values.count, by: 2).map { (values[$0], values[$0 + 1]) }
            } else {
                errors.append("\(path): graph '\(where_)' has edges of shape \(shape); NIR writes (E, 2) pairs of node names")
            }
        case .numbers(let shape, _)? where shape.contains(0):
            break  // an empty edge list is written as an empty array
        case nil:
            errors.append("\(path): graph '\(where_)' has no 'edges'")
        default:
            errors.append("\(path): graph '\(where_)' has edges that are not node names")
        }
        // Edges must name nodes that exist: a published file names 'lif' for its node 'lif1'.
        let names = Set(nodes.map(\.name))
        for (from, to) in edges {
            for end in [from, to] where !names.contains(end) {
                let near = Suggestion.closest(to: end, among: names.sorted())
                errors.append("\(path): graph '\(where_)' has an edge '\(from)' -> '\(to)' naming node '\(end)', which the graph does not have"
                              + (near.map { " (did you mean '\($0)'?)" } ?? "") + "; its nodes: \(names.sorted().joined(separator: ", "))")
            }
        }
        return NIRGraph(nodes: nodes, edges: edges)
    }
}
