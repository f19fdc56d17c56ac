import Foundation
import Hardware
import TesseraSupport

/// Core map files of either version, told apart by their first bytes: JSON v1 (text) or
/// v2 (an `.npz`, which is a ZIP archive). Writing picks the version from the name:
/// `NAME.npz` is v2, anything else v1.
///
///     let packed = try CoreMapFile.loadPacked(path: "siamsnn.npz")   // v1 or v2
///     try CoreMapFile.save(map, to: "small.json")
public enum CoreMapFile {
    /// Whether `path` holds a ZIP archive (a v2 map) rather than JSON.
    public static func isArchive(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return path.hasSuffix(".npz") }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return Array(magic) == [0x50, 0x4B, 0x03, 0x04] || Array(magic) == [0x50, 0x4B, 0x05, 0x06]
    }

    /// Whether a map written to `path` is v2.
    public static func writesArchive(path: String) -> Bool { path.lowercased().hasSuffix(".npz") }

    /// Either version, validated, in packed form (a v1 map is packed after validation).
    public static func loadPacked(path: String, target: Target? = nil) throws(DiagnosticError) -> PackedCoreMap {
        try loadValidated(path: path, target: target).map
    }

    /// Either version, validated against `target` or the bundled target the map names, in
    /// packed form with the proof of validation (a v1 map is packed after validation).
    public static func loadValidated(path: String, target: Target? = nil) throws(DiagnosticError) -> ValidatedCoreMap {
        if isArchive(path: path) { return try CoreMapArchiveReader.loadValidated(path: path, target: target) }
        let checked = try CoreMapReader.loadChecked(path: path, target: target)
        return ValidatedCoreMap(packedFromValidated: checked.map, target: checked.target)
    }

    /// Either version, validated, with every core built (for maps small enough for that).
    public static func load(path: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        if isArchive(path: path) { return try CoreMapArchiveReader.load(path: path, target: target).unpacked() }
        return try CoreMapReader.load(path: path, target: target)
    }

    /// Writes `map` as v2 if `path` ends in `.npz`, else as JSON v1.
    public static func save(_ map: CoreMap, to path: String) throws(DiagnosticError) {
        if writesArchive(path: path) {
            try CoreMapArchiveWriter.write(PackedCoreMap(map), to: path)
        } else {
            try save(json: map, to: path)
        }
    }

    /// Writes a packed map as v2 if `path` ends in `.npz`, else as JSON v1 (core by core).
    public static func save(_ map: PackedCoreMap, to path: String) throws(DiagnosticError) {
        if writesArchive(path: path) {
            try CoreMapArchiveWriter.write(map, to: path)
            return
        }
        try CoreMapWriter.write(map.header, coreCount: map.coreCount, core: map.core, to: path)
    }

    static func save(json map: CoreMap, to path: String) throws(DiagnosticError) {
        do {
            try Data(CoreMapWriter.json(map).utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
        }
    }
}
