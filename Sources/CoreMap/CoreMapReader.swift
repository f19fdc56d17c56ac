import Foundation
import Hardware
import TesseraSupport

/// Reads a core map file (JSON v1) and validates it against its target.
///
/// Syntax, type and structure errors are reported at file:line:column with the core,
/// neuron or axon concerned; a map that parses is then checked by ``CoreMapValidator``
/// against the target's limits, and every problem found is reported.
public enum CoreMapReader {
    /// Loads `path`; the target is `target` if given, else the bundled target the map names.
    public static func load(path: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        try loadChecked(path: path, target: target).map
    }

    /// ``load(path:target:)`` with the target the map was validated against.
    static func loadChecked(path: String, target: Target? = nil) throws(DiagnosticError) -> (map: CoreMap, target: Target) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError("cannot read core map '\(path)': no such file or not readable")
        }
        return try parseChecked(data, file: path, target: target)
    }

    public static func parse(_ data: Data, file: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        try parseChecked(data, file: file, target: target).map
    }

    static func parseChecked(_ data: Data, file: String, target: Target? = nil) throws(DiagnosticError) -> (map: CoreMap, target: Target) {
        // Scan the file's bytes in place: core maps can be hundreds of megabytes.
        let decoded: Result<CoreMap, JSONScanner.Failure> = data.withUnsafeBytes { raw in
            var decoder = CoreMapDecoder(s: JSONScanner(raw.bindMemory(to: UInt8.self)))
            do throws(JSONScanner.Failure) { return .success(try decoder.decode()) } catch { return .failure(error) }
        }
        let map: CoreMap
        switch decoded {
        case let .success(value):
            map = value
        case let .failure(error):
            let (line, column) = data.withUnsafeBytes { JSONScanner($0.bindMemory(to: UInt8.self)).location(of: error.offset) }
            throw DiagnosticError(error.message, at: SourceLocation(file: file, line: line, column: column))
        }
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(map.target) }
        let problems = CoreMapValidator.validate(map, target: resolved)
        guard problems.isEmpty else {
            throw DiagnosticError(problems.map { .error("\(file): \($0)") })
        }
        return (map, resolved)
    }
}
