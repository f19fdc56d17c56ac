/// The textual form of the IR: one line per layer with its inputs, output shape, neuron,
/// synapse and parameter counts, op parameters and neuron model, then the totals.
///
/// ```
/// layer   op      inputs  shape     neurons  synapses  params  details
/// h1      dense   f       64x1x1         64     4,096   4,160  if th=1 reset=subtract
/// ```
public enum GraphPrinter {
    public static func render(_ graph: SpikeGraph) -> String {
        let summary = GraphSummary(graph)
        var table: [[String]] = [["layer", "op", "inputs", "shape", "neurons", "synapses", "params", "details"]]
        for row in summary.rows {
            let layer = row.layer
            table.append([
                layer.name, layer.op.name,
                layer.inputs.isEmpty ? "-" : layer.inputs.joined(separator: ","),
                layer.shape?.description ?? "?",
                grouped(row.cost.neurons), grouped(row.cost.synapses), grouped(row.cost.parameters),
                details(of: layer) + (layer.ceiling.map { " ceiling=\(formatNumber($0))" } ?? "") + (layer.levels.map { " levels=\($0)" } ?? ""),
            ])
        }
        var lines = align(table, rightAligned: [4, 5, 6])
        let shared = summary.total.parameters - summary.uniqueParameters
        lines.append("")
        lines.append("network \(graph.name): \(graph.layers.count) layers, \(graph.inputLayers.count) input\(graph.inputLayers.count == 1 ? "" : "s"), outputs \(graph.outputs.joined(separator: ", "))")
        lines.append("total: \(grouped(summary.total.neurons)) neurons, \(grouped(summary.total.synapses)) synapses, \(grouped(summary.uniqueParameters)) parameters" + (shared > 0 ? " (\(grouped(shared)) more reused by shared blocks)" : ""))
        return lines.joined(separator: "\n")
    }

    /// Op parameters and neuron model in a compact form: `k11 s2 p0 d1 g1 | if th=1 ...`.
    public static func details(of layer: Layer) -> String {
        var parts: [String] = []
        func window(_ v: Window, _ h: Window) -> String {
            func pair(_ a: Int, _ b: Int) -> String { a == b ? "\(a)" : "\(a)x\(b)" }
            return "k\(pair(v.kernel, h.kernel)) s\(pair(v.stride, h.stride)) p\(pair(v.padding, h.padding)) d\(pair(v.dilation, h.dilation))"
        }
        switch layer.op {
        case let .input(_, encoding): parts.append("encoding=\(encoding.rawValue)")
        case let .conv2d(c):
            parts.append(window(c.vertical, c.horizontal) + " g\(c.groups)" + (c.bias ? "" : " nobias"))
            if let s = c.shortcut { parts.append("+ shortcut " + (s.identity ? "identity" : window(s.vertical, s.horizontal))) }
        case let .convTranspose2d(c): parts.append(window(c.vertical, c.horizontal) + " op\(c.outputPadding[0])x\(c.outputPadding[1]) g\(c.groups)")
        case let .avgpool(p), let .sumpool(p): parts.append(window(p.vertical, p.horizontal))
        case let .upsample(u): parts.append("x\(u.factor) \(u.mode.rawValue)")
        case let .batchnorm(b): parts.append("eps=\(b.epsilon)")
        case let .dense(d): if !d.bias { parts.append("nobias") }
        default: break
        }
        if let key = layer.parameterKey, key != layer.name { parts.append("weights=\(key)") }
        if let neuron = layer.neuron { parts.append("| \(neuron)") }
        return parts.joined(separator: " ")
    }

    /// An integer with thousands separators: 1,048,576.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    /// Pads columns to a common width; the last column is left ragged.
    public static func align(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                if c == columns - 1 { return cell }
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return rightAligned.contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
