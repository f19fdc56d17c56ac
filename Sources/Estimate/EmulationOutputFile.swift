import Foundation
import TesseraSupport

/// The output file of `tessera emulate`, read as JSON: its ticks and its results (one, or
/// the samples of a batch). What ``Activity/loadCounters(path:)`` and
/// ``ActivityRecord/load(path:sample:)`` read their fields from.
struct EmulationOutputFile {
    var ticks: Int
    var results: [[String: Any]]

    static func load(path: String) throws(DiagnosticError) -> EmulationOutputFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw DiagnosticError("cannot read activity file '\(path)'") }
        let top: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw DiagnosticError("activity file '\(path)': expected a JSON object, the output of `tessera emulate`")
            }
            top = object
        } catch let error as DiagnosticError {
            throw error
        } catch {
            throw DiagnosticError("activity file '\(path)': not valid JSON (\(error.localizedDescription))")
        }
        guard let ticks = (top["ticks"] as? NSNumber)?.intValue, ticks >= 0 else {
            throw DiagnosticError("activity file '\(path)': needs 'ticks', a non-negative integer")
        }
        return EmulationOutputFile(ticks: ticks, results: (top["samples"] as? [[String: Any]]) ?? [top])
    }
}
