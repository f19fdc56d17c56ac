import Foundation

/// Writes a ``Drawing`` as SVG text: one element per shape, numbers with at most two
/// decimals, so the same drawing always gives the same bytes.
public enum SVGWriter {
    public static func svg(_ d: Drawing) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(d.width))\" height=\"\(fmt(d.height))\" viewBox=\"0 0 \(fmt(d.width)) \(fmt(d.height))\" font-family=\"sans-serif\" shape-rendering=\"crispEdges\">\n"
        for shape in d.shapes {
            switch shape {
            case let .rect(x, y, w, h, fill, opacity, stroke, strokeWidth):
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"\(fmt(h))\" fill=\"\(fill?.hex ?? "none")\""
                if opacity < 1 { out += " fill-opacity=\"\(fmt(opacity))\"" }
                if let stroke { out += " stroke=\"\(stroke.hex)\" stroke-width=\"\(fmt(strokeWidth))\"" }
                out += "/>\n"
            case let .line(x1, y1, x2, y2, colour, width, opacity):
                out += "<line x1=\"\(fmt(x1))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(y2))\" stroke=\"\(colour.hex)\" stroke-width=\"\(fmt(width))\""
                if opacity < 1 { out += " stroke-opacity=\"\(fmt(opacity))\"" }
                out += " shape-rendering=\"auto\"/>\n"
            case let .text(s, x, y, size, bold, colour, anchorEnd):
                out += "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" font-size=\"\(fmt(size))\""
                if bold { out += " font-weight=\"bold\"" }
                if colour != .black { out += " fill=\"\(colour.hex)\"" }
                if anchorEnd { out += " text-anchor=\"end\"" }
                out += ">\(escape(s))</text>\n"
            }
        }
        return out + "</svg>\n"
    }
}

/// Numbers in SVG: at most two decimals, no trailing zeros (deterministic text).
func fmt(_ x: Double) -> String {
    let rounded = (x * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded).replacingOccurrences(of: "0$", with: "", options: .regularExpression)
}

/// Text content escaped for XML.
func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
