/// A picture as a list of shapes in pixel coordinates (origin top left), written out by
/// ``SVGWriter`` or ``PNGWriter``. Pictures are built once as a drawing so the SVG and the
/// PNG of a board or an activity plot show the same thing.
///
///     var d = Drawing(width: 100, height: 40)
///     d.rect(x: 0, y: 0, width: 100, height: 40, fill: .white)
///     d.text("conv1", x: 4, y: 20, size: 11)
///     let svg = SVGWriter.svg(d)
public struct Drawing: Sendable, Equatable {
    /// An sRGB colour.
    public struct Colour: Sendable, Equatable {
        public var red: UInt8
        public var green: UInt8
        public var blue: UInt8

        public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
            (self.red, self.green, self.blue) = (red, green, blue)
        }

        /// From "#rrggbb"; nil if the text is not of that form.
        public init?(hex: String) {
            guard hex.count == 7, hex.first == "#", let v = UInt32(hex.dropFirst(), radix: 16) else { return nil }
            self.init(UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff))
        }

        public var hex: String {
            "#" + [red, green, blue].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }

        public static let white = Colour(255, 255, 255)
        public static let black = Colour(0, 0, 0)
    }

    public enum Shape: Sendable, Equatable {
        case rect(x: Double, y: Double, width: Double, height: Double, fill: Colour?, opacity: Double, stroke: Colour?, strokeWidth: Double)
        case line(x1: Double, y1: Double, x2: Double, y2: Double, colour: Colour, width: Double, opacity: Double)
        case text(String, x: Double, y: Double, size: Double, bold: Bool, colour: Colour, anchorEnd: Bool)
    }

    public var width: Double
    public var height: Double
    public var shapes: [Shape] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: Colour?, opacity: Double = 1,
                              stroke: Colour? = nil, strokeWidth: Double = 1) {
        shapes.append(.rect(x: x, y: y, width: width, height: height, fill: fill, opacity: opacity, stroke: stroke, strokeWidth: strokeWidth))
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, colour: Colour = .black, width: Double = 1, opacity: Double = 1) {
        shapes.append(.line(x1: x1, y1: y1, x2: x2, y2: y2, colour: colour, width: width, opacity: opacity))
    }

    /// Text with its baseline at `y`, starting at `x` (or ending there, `anchorEnd`).
    public mutating func text(_ s: String, x: Double, y: Double, size: Double, bold: Bool = false,
                              colour: Colour = .black, anchorEnd: Bool = false) {
        shapes.append(.text(s, x: x, y: y, size: size, bold: bold, colour: colour, anchorEnd: anchorEnd))
    }
}
