import CCairo
import TesseraSupport

/// Rasterises a ``Drawing`` to a PNG file with Cairo (which encodes through libpng), at
/// `scale` pixels per drawing unit. Text uses the system's sans-serif face.
public enum PNGWriter {
    public static func write(_ d: Drawing, to path: String, scale: Double = 1) throws(DiagnosticError) {
        let (w, h) = (Int32(max(1, (d.width * scale).rounded(.up))), Int32(max(1, (d.height * scale).rounded(.up))))
        // Cairo keeps image surfaces below 32767 pixels a side.
        guard w < 32_767, h < 32_767 else {
            throw DiagnosticError("cannot write '\(path)': a \(w)x\(h) PNG is larger than Cairo's 32767-pixel limit; lower --scale")
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h) else {
            throw DiagnosticError("cannot write '\(path)': no memory for a \(w)x\(h) image")
        }
        defer { cairo_surface_destroy(surface) }
        guard let cr = cairo_create(surface) else { throw DiagnosticError("cannot write '\(path)': Cairo could not draw") }
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        func source(_ c: Drawing.Colour, _ alpha: Double) {
            cairo_set_source_rgba(cr, Double(c.red) / 255, Double(c.green) / 255, Double(c.blue) / 255, alpha)
        }
        for shape in d.shapes {
            switch shape {
            case let .rect(x, y, rw, rh, fill, opacity, stroke, strokeWidth):
                cairo_rectangle(cr, x, y, rw, rh)
                if let fill {
                    source(fill, opacity)
                    stroke == nil ? cairo_fill(cr) : cairo_fill_preserve(cr)
                }
                if let stroke {
                    source(stroke, 1)
                    cairo_set_line_width(cr, strokeWidth)
                    cairo_stroke(cr)
                }
            case let .line(x1, y1, x2, y2, colour, width, opacity):
                cairo_move_to(cr, x1, y1)
                cairo_line_to(cr, x2, y2)
                source(colour, opacity)
                cairo_set_line_width(cr, width)
                cairo_stroke(cr)
            case let .text(s, x, y, size, bold, colour, anchorEnd):
                cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
                cairo_set_font_size(cr, size)
                var start = x
                if anchorEnd {
                    var extents = cairo_text_extents_t()
                    cairo_text_extents(cr, s, &extents)
                    start -= extents.x_advance
                }
                cairo_move_to(cr, start, y)
                source(colour, 1)
                cairo_show_text(cr, s)
            }
        }
        cairo_surface_flush(surface)
        let status = cairo_surface_write_to_png(surface, path)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw DiagnosticError("cannot write '\(path)': \(String(cString: cairo_status_to_string(status)))")
        }
    }
}
