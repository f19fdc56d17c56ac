import Foundation
import TesseraSupport
import Yams

/// Reads hardware targets from YAML (see `docs/targets.md`), checking every field.
///
/// A target may start from another with `base: other.yaml` (a path relative to the file);
/// each top-level section it writes (`core`, `timing`, `chip`, `board`, `energy`) then
/// replaces the base's section whole, so a board of 4x4 TrueNorth chips only restates
/// `board`. Errors name the file, line and column of the offending value.
public enum TargetLoader {
    static let sections = ["core", "timing", "chip", "board", "energy"]
    static let topKeys = ["name", "description", "base"] + sections

    /// Loads a target given as a path to a YAML file or as the name of a bundled target
    /// (looked up by ``TargetLocator``).
    public static func load(_ nameOrPath: String) throws(DiagnosticError) -> Target {
        try load(path: TargetLocator.resolve(nameOrPath))
    }

    public static func load(path: String) throws(DiagnosticError) -> Target {
        var sources: [String: (node: Node, file: String)] = [:]
        var diagnostics = Diagnostics()
        var name: String?
        var summary = ""
        var file = path
        var chain: [String] = []
        // Walk from the file to its bases; the first file to write a section wins.
        while true {
            let canonical = URL(fileURLWithPath: file).standardizedFileURL.path
            if chain.contains(canonical) {
                throw DiagnosticError("target '\(path)' has a cycle of bases: \((chain + [canonical]).joined(separator: " -> "))")
            }
            chain.append(canonical)
            let document: YAMLDocument
            if let text = TargetLocator.bundledText(file) {
                document = try YAMLDocument.parse(text, file: file)
            } else {
                document = try YAMLDocument.load(path: file)
            }
            var reader = YAMLReader(file: file)
            guard let top = reader.mapping(document.root, what: "a target file", allowed: topKeys) else {
                throw DiagnosticError(reader.diagnostics.all)
            }
            if name == nil, let node = top["name"] { name = reader.string(node, what: "target name") }
            if summary.isEmpty, let node = top["description"] { summary = reader.string(node, what: "description") ?? "" }
            for section in sections where sources[section] == nil {
                if let node = top[section] { sources[section] = (node, file) }
            }
            let baseNode = top["base"]
            let base = baseNode.flatMap { reader.string($0, what: "base target") }
            diagnostics.append(contentsOf: reader.diagnostics)
            guard let baseNode, let base else { break }
            // A relative base is read beside the file that names it; an absolute one as it is.
            file = base.hasPrefix("/") ? base : URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(base).path
            guard FileManager.default.fileExists(atPath: file) || TargetLocator.bundledText(file) != nil else {
                diagnostics.error("base target '\(base)' not found (looked for \(file))", at: reader.location(of: baseNode))
                break
            }
        }
        try diagnostics.throwIfErrors()

        func section<T>(_ key: String, _ read: (inout YAMLReader, YAMLMapping) -> T?, allowed: [String]) -> T? {
            guard let (node, file) = sources[key] else {
                diagnostics.error("target has no '\(key)' section", at: SourceLocation(file: path, line: 1, column: 1))
                return nil
            }
            var reader = YAMLReader(file: file)
            defer { diagnostics.append(contentsOf: reader.diagnostics) }
            guard let mapping = reader.mapping(node, what: "'\(key)'", allowed: allowed) else { return nil }
            for required in allowed where !mapping.has(required) && !optionalKeys.contains(required) {
                reader.error("'\(key)' is missing '\(required)'", at: node)
            }
            return read(&reader, mapping)
        }

        let core = section("core", readCore, allowed: coreKeys)
        let timing = section("timing", readTiming, allowed: ["tickHz", "delay"])
        let chip = section("chip", readChip, allowed: ["cores", "link"])
        let chips = section("board", { r, m in m["chips"].flatMap { r.ints($0, what: "board chips [columns, rows]", count: 2, atLeast: 1) } }, allowed: ["chips"])
        let energy = section("energy", readEnergy, allowed: EnergyModel.knownFigures.map(\.key))
        if name == nil { diagnostics.error("target has no 'name'", at: SourceLocation(file: path, line: 1, column: 1)) }
        try diagnostics.throwIfErrors()
        guard let name, let core, let timing, let chip, let chips, let energy else {
            throw DiagnosticError("target '\(path)' is incomplete")
        }
        return Target(name: name, summary: summary, core: core, timing: timing,
                      board: Board(coresPerChip: chip.0, chips: chips, link: chip.1), energy: energy, file: path)
    }

    static let optionalKeys: Set<String> = Set(EnergyModel.knownFigures.map(\.key) + ["link"])

    /// `chip: { cores: [columns, rows], link: { spikesPerTick: N, source: "..." } }`; the
    /// link is optional, and a capacity of zero or less is an error (no spike could leave
    /// the chip).
    static func readChip(_ r: inout YAMLReader, _ m: YAMLMapping) -> ([Int], LinkCapacity?)? {
        guard let cores = m["cores"].flatMap({ r.ints($0, what: "chip cores [columns, rows]", count: 2, atLeast: 1) }) else { return nil }
        guard let node = m["link"] else { return (cores, nil) }
        guard let f = r.mapping(node, what: "chip link", allowed: ["spikesPerTick", "source"]) else { return nil }
        guard let valueNode = f["spikesPerTick"], let sourceNode = f["source"] else {
            r.error("chip link needs 'spikesPerTick' (spikes per tick one chip edge carries in one direction) and its 'source'", at: node)
            return nil
        }
        guard let value = r.double(valueNode, what: "chip link spikesPerTick", atLeast: 0), let source = r.string(sourceNode, what: "chip link source") else { return nil }
        guard value > 0 else {
            r.error("chip link spikesPerTick must be greater than 0, got \(value): a link that carries no spike could not join two chips", at: valueNode)
            return nil
        }
        return (cores, LinkCapacity(spikesPerTick: value, source: source))
    }

    static let coreKeys = ["axons", "neurons", "axonTypes", "weightBits", "leakBits", "thresholdBits",
                           "negThresholdBits", "resetBits", "membraneBits", "thresholdMaskBits", "randomBits"]

    static func readCore(_ r: inout YAMLReader, _ m: YAMLMapping) -> CoreSpec? {
        func count(_ key: String, max: Int = 1 << 20) -> Int? { m[key].flatMap { r.int($0, what: "core \(key)", atLeast: 1, atMost: max) } }
        // Field widths above 32 bits could not be held by the emulator's 32/64-bit state.
        func bits(_ key: String) -> Int? { m[key].flatMap { r.int($0, what: "core \(key)", atLeast: 1, atMost: 32) } }
        let axons = count("axons"), neurons = count("neurons"), types = count("axonTypes", max: 4)  // a neuron has four weights, s_j[0..3]
        let weight = bits("weightBits"), leak = bits("leakBits"), threshold = bits("thresholdBits")
        let negThreshold = bits("negThresholdBits"), reset = bits("resetBits"), membrane = bits("membraneBits")
        let mask = m["thresholdMaskBits"].flatMap { r.int($0, what: "core thresholdMaskBits", atLeast: 0, atMost: 32) }
        let random = bits("randomBits")
        guard let axons, let neurons, let types, let weight, let leak, let threshold, let negThreshold,
              let reset, let membrane, let mask, let random else { return nil }
        if let node = m["neurons"], neurons % 4 != 0 {
            // The core map stores a crossbar row as neurons/4 hex digits.
            r.error("core neurons must be a multiple of 4, got \(neurons)", at: node)
            return nil
        }
        if let node = m["membraneBits"], membrane <= max(weight, threshold - 1) {
            r.error("membraneBits (\(membrane)) must exceed weightBits and hold a threshold of \(threshold) bits", at: node)
            return nil
        }
        return CoreSpec(axons: axons, neurons: neurons, axonTypes: types, weightBits: weight, leakBits: leak,
                        thresholdBits: threshold, negThresholdBits: negThreshold, resetBits: reset,
                        membraneBits: membrane, thresholdMaskBits: mask, randomBits: random)
    }

    static func readTiming(_ r: inout YAMLReader, _ m: YAMLMapping) -> Timing? {
        let tick = m["tickHz"].flatMap { r.double($0, what: "tickHz", atLeast: 1e-9) }
        guard let delayNode = m["delay"], let delays = r.ints(delayNode, what: "delay [min, max]", count: 2, atLeast: 1) else { return nil }
        guard delays[0] <= delays[1] else {
            r.error("delay range [\(delays[0]), \(delays[1])] is empty: min must not exceed max", at: delayNode)
            return nil
        }
        guard let tick else { return nil }
        return Timing(tickHz: tick, delays: delays[0]...delays[1])
    }

    static func readEnergy(_ r: inout YAMLReader, _ m: YAMLMapping) -> EnergyModel? {
        var figures: [(key: String, figure: EnergyFigure)] = []
        var ok = true
        for entry in m.entries {
            guard let unit = EnergyModel.knownFigures.first(where: { $0.key == entry.key })?.unit,
                  let f = r.mapping(entry.value, what: "energy figure '\(entry.key)'", allowed: ["value", "unit", "source"]),
                  let valueNode = f["value"], let value = r.double(valueNode, what: "\(entry.key) value", atLeast: 0),
                  let unitNode = f["unit"], let given = r.string(unitNode, what: "\(entry.key) unit"),
                  let sourceNode = f["source"], let source = r.string(sourceNode, what: "\(entry.key) source")
            else {
                if case .mapping = entry.value {
                    for key in ["value", "unit", "source"] where entry.value[key] == nil {
                        r.error("energy figure '\(entry.key)' is missing '\(key)' (every figure needs a value, a unit and its source)", at: entry.value)
                    }
                }
                ok = false
                continue
            }
            guard given == unit else {
                r.error("energy figure '\(entry.key)' must be in \(unit), got '\(given)'", at: unitNode)
                ok = false
                continue
            }
            figures.append((entry.key, EnergyFigure(value: value, unit: unit, source: source)))
        }
        return ok ? EnergyModel(figures: figures) : nil
    }
}
