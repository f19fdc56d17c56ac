import Foundation
import TesseraSupport

/// Writes a core map as JSON v1 (`docs/coremap-format.md`), deterministically: fields in
/// the order of the spec, fields equal to their defaults omitted, trailing empty crossbar
/// rows and type-0 axons dropped, one neuron per line. Writing a loaded map again gives
/// the same bytes.
public enum CoreMapWriter {
    public static func json(_ map: CoreMap) -> String {
        var out = ""
        stream(map, coreCount: map.cores.count, core: { map.cores[$0] }) { out += $0 }
        return out
    }

    /// Writes the map in pieces through `emit`, taking its cores one at a time from `core`
    /// (the cores of `map` itself are ignored), so a map too large to hold in memory can be
    /// written as it is built. Gives the same text as ``json(_:)``.
    public static func stream<E: Error>(_ map: CoreMap, coreCount: Int, core: (Int) -> CoreConfig,
                                        emit: (String) throws(E) -> Void) throws(E) {
        var out = "{\n"
        out += "  \"format\": \"\(CoreMap.format)\",\n  \"version\": \(CoreMap.version),\n"
        out += "  \"target\": \(quote(map.target)),\n"
        out += "  \"core\": { \"axons\": \(map.geometry.axons), \"neurons\": \(map.geometry.neurons), \"axonTypes\": \(map.geometry.axonTypes) },\n"
        out += "  \"board\": { \"chips\": \(list(map.chips)), \"coresPerChip\": \(list(map.coresPerChip)) },\n"
        out += "  \"cores\": ["
        for i in 0..<coreCount {
            out += i == 0 ? "\n" : ",\n"
            write(core(i), to: &out)
            if out.utf8.count > 1 << 20 {
                try emit(out)
                out = ""
            }
        }
        out += coreCount == 0 ? "],\n" : "\n  ],\n"
        out += "  \"inputs\": ["
        for (i, port) in map.inputs.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            let targets = port.targets.map { "[" + $0.map { "[\($0.core), \($0.axon)]" }.joined(separator: ", ") + "]" }
            out += "    { \"name\": \(quote(port.name)), \"shape\": \(list(port.shape)),\n      \"targets\": [" + targets.joined(separator: ", ") + "] }"
        }
        out += map.inputs.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"outputs\": ["
        for (i, port) in map.outputs.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    { \"name\": \(quote(port.name)), \"shape\": \(list(port.shape)), \"latency\": \(port.latency) }"
        }
        out += map.outputs.isEmpty ? "]" : "\n  ]"
        if !map.layers.isEmpty {
            out += ",\n  \"layers\": ["
            for (i, layer) in map.layers.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += "    { \"name\": \(quote(layer.name)), \"op\": \(quote(layer.op)), \"neurons\": \(layer.neurons)"
                    + (layer.rate.map { ", \"rate\": \($0)" } ?? "") + " }"
            }
            out += "\n  ]"
        }
        if let source = map.rateSource, let input = map.inputRate {
            out += ",\n  \"rates\": { \"source\": \(quote(source)), \"input\": \(input) }"
        }
        out += "\n}\n"
        try emit(out)
    }

    /// ``stream(_:coreCount:core:emit:)`` into a new file at `path`.
    public static func write(_ map: CoreMap, coreCount: Int, core: (Int) -> CoreConfig, to path: String) throws(DiagnosticError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw DiagnosticError("cannot write core map '\(path)': cannot create the file")
        }
        defer { try? handle.close() }
        try stream(map, coreCount: coreCount, core: core) { (text: String) throws(DiagnosticError) in
            do { try handle.write(contentsOf: Data(text.utf8)) } catch {
                throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
            }
        }
    }

    static func write(_ core: CoreConfig, to out: inout String) {
        out += "    {\n      \"id\": \(core.id), \"chip\": \(list(core.chip)), \"xy\": \(list(core.place)), \"seed\": \(core.seed)"
        if let layer = core.layer { out += ", \"layer\": \(layer)" }
        if core.role != .whole { out += ", \"role\": \"\(core.role.rawValue)\"" }
        out += ",\n"
        let lastType = core.axonTypes.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0
        out += "      \"axonTypes\": \(list(core.axonTypes.prefix(lastType).map { Int($0) })),\n"
        let lastRow = (0..<core.crossbar.axons).last { !core.crossbar.isEmptyRow($0) }.map { $0 + 1 } ?? 0
        out += "      \"crossbar\": ["
        for axon in 0..<lastRow {
            out += axon == 0 ? "\n        \"" : ",\n        \""
            out += hexRow(core.crossbar, axon: axon)
            out += "\""
        }
        out += lastRow == 0 ? "],\n" : "\n      ],\n"
        out += "      \"neurons\": ["
        for (i, n) in core.neurons.enumerated() {
            out += i == 0 ? "\n        " : ",\n        "
            out += neuron(n)
        }
        out += core.neurons.isEmpty ? "]\n    }" : "\n      ]\n    }"
    }

    /// One neuron on one line, defaults omitted.
    static func neuron(_ n: NeuronConfig) -> String {
        var fields = ["\"index\": \(n.index)"]
        if n.weights != [0, 0, 0, 0] { fields.append("\"weights\": \(list(n.weights))") }
        if n.leak != 0 { fields.append("\"leak\": \(n.leak)") }
        if n.threshold != 1 { fields.append("\"threshold\": \(n.threshold)") }
        if n.negThreshold != 0 { fields.append("\"negThreshold\": \(n.negThreshold)") }
        if n.reset != .normal { fields.append("\"reset\": \"\(n.reset.rawValue)\"") }
        if n.resetPotential != 0 { fields.append("\"resetPotential\": \(n.resetPotential)") }
        if n.negative != .saturate { fields.append("\"negative\": \"\(n.negative.rawValue)\"") }
        if n.thresholdMask != 0 { fields.append("\"thresholdMask\": \(n.thresholdMask)") }
        if n.stochasticSynapse != [false, false, false, false] { fields.append("\"stochasticSynapse\": [\(n.stochasticSynapse.map(String.init).joined(separator: ", "))]") }
        if n.stochasticLeak { fields.append("\"stochasticLeak\": true") }
        if n.leakReversal { fields.append("\"leakReversal\": true") }
        if n.initialPotential != 0 { fields.append("\"initialPotential\": \(n.initialPotential)") }
        switch n.destination {
        case let .axon(core, axon, delay)?: fields.append("\"destination\": { \"core\": \(core), \"axon\": \(axon), \"delay\": \(delay) }")
        case let .output(port, index)?: fields.append("\"destination\": { \"output\": \(quote(port)), \"index\": \(index) }")
        case nil: break
        }
        return "{ " + fields.joined(separator: ", ") + " }"
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// neurons/4 hex digits; digit k covers neurons 4k..4k+3 with neuron 4k as its MSB.
    static func hexRow(_ crossbar: Crossbar, axon: Int) -> String {
        let row = crossbar.row(axon)
        let base = row.startIndex
        var bytes = [UInt8](repeating: 0, count: crossbar.neurons / 4)
        for k in 0..<bytes.count {
            var nibble = 0
            for b in 0..<4 {
                let neuron = 4 * k + b
                if row[base + neuron / 64] >> UInt64(neuron % 64) & 1 == 1 { nibble |= 8 >> b }
            }
            bytes[k] = hexDigits[nibble]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func list(_ values: some Sequence<Int>) -> String {
        "[" + values.map(String.init).joined(separator: ", ") + "]"
    }

    /// A JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
