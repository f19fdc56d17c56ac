import Foundation
import Tessera

/// Writes a picture as PNG when `path` ends in .png, else as SVG; for render and plot.
func writePicture(_ drawing: Drawing, to path: String, scale: Double) throws(DiagnosticError) {
    guard scale > 0, scale <= 16 else { throw DiagnosticError("--scale must be in (0, 16], got \(scale)") }
    if path.lowercased().hasSuffix(".png") {
        try PNGWriter.write(drawing, to: path, scale: scale)
        return
    }
    do {
        try Data(SVGWriter.svg(drawing).utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw DiagnosticError("cannot write '\(path)': \(error.localizedDescription)")
    }
}
