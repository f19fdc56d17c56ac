import CoreMap
import Foundation
import TesseraSupport

extension Compiled {
    /// Writes the core map to `path`, core by core: the bytes equal `map.json`, but no more
    /// than one core is materialised at a time.
    public func write(to path: String) throws(DiagnosticError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw DiagnosticError("cannot write core map '\(path)': cannot create the file")
        }
        defer { try? handle.close() }
        do {
            try CoreMapWriter.stream(header, coreCount: recipes.count, core: core) { (text: String) throws(DiagnosticError) in
                do { try handle.write(contentsOf: Data(text.utf8)) } catch {
                    throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
                }
            }
        }
    }
}
