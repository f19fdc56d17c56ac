import CoreMap
import Emulator
import Foundation
import Frontend
import Hardware
import TesseraSupport

extension CoreMap {
    /// Loads a core map file of either version (JSON v1, or a v2 `.npz` with every core
    /// rebuilt), validating it against `target` or, if nil, against the bundled target the
    /// map names. For full-size maps use ``PackedCoreMap/load(_:target:)``.
    public static func load(_ path: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        try CoreMapFile.load(path: path, target: target)
    }

    /// The map as JSON v1 text; writing a loaded map gives back the same bytes.
    public var json: String { CoreMapWriter.json(self) }

    /// Writes v2 (an `.npz` archive) if `path` ends in `.npz`, else JSON v1.
    public func save(to path: String) throws(DiagnosticError) {
        try CoreMapFile.save(self, to: path)
    }

    /// Emulates the map for `ticks` ticks from reset (see ``Emulator``).
    public func emulate(_ input: SpikeInput, ticks: Int, target: Target? = nil, traceCore: Int? = nil) throws(DiagnosticError) -> EmulationResult {
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(self.target) }
        return try Emulator(map: self, target: resolved).run(input, ticks: ticks, traceCore: traceCore)
    }
}

extension PackedCoreMap {
    /// Loads a core map file of either version in packed form (a v1 map is packed after it
    /// is validated), validating it against `target` or the bundled target the map names.
    ///
    ///     let map = try PackedCoreMap.load("siamsnn.npz")
    ///     let result = try map.emulate(input, ticks: 77)
    public static func load(_ path: String, target: Target? = nil) throws(DiagnosticError) -> PackedCoreMap {
        try CoreMapFile.loadPacked(path: path, target: target)
    }

    /// Writes v2 if `path` ends in `.npz`, else JSON v1 (core by core).
    public func save(to path: String) throws(DiagnosticError) {
        try CoreMapFile.save(self, to: path)
    }

    /// Emulates the map for `ticks` ticks from reset, from the shared tables (see ``Emulator``).
    public func emulate(_ input: SpikeInput, ticks: Int, target: Target? = nil, traceCore: Int? = nil) throws(DiagnosticError) -> EmulationResult {
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(header.target) }
        return try Emulator(packed: self, target: resolved).run(input, ticks: ticks, traceCore: traceCore)
    }
}

extension SampleSet {
    /// Reads `files[port] = path.npy` for the ports of a core map.
    public static func load(_ files: [String: String], ports: [InputPort]) throws(DiagnosticError) -> SampleSet {
        if let stray = files.keys.sorted().first(where: { name in !ports.contains { $0.name == name } }) {
            throw DiagnosticError("input '\(stray)' is not a port of the core map\(Suggestion.hint(for: stray, among: ports.map(\.name))); ports: \(ports.map(\.name).joined(separator: ", "))")
        }
        return try load(files, shapes: Dictionary(ports.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }))
    }
}
