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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError("cannot read core map '\(path)': no such file or not readable")
        }
        return try parse(data, file: path, target: target)
    }

    public static func parse(_ data: Data, file: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        let bytes = [UInt8](data)
        let map: CoreMap
        do {
            map = try JSONScanner.scan(bytes) { scanner throws(JSONScanner.Failure) in
                var decoder = CoreMapDecoder(s: scanner)
                return try decoder.decode()
            }
        } catch {
            let (line, column) = bytes.withUnsafeBufferPointer { JSONScanner($0).location(of: error.offset) }
            throw DiagnosticError(error.message, at: SourceLocation(file: file, line: line, column: column))
        }
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(map.target) }
        let problems = CoreMapValidator.validate(map, target: resolved)
        guard problems.isEmpty else {
            throw DiagnosticError(problems.map { .error("\(file): \($0)") })
        }
        return map
    }
}
