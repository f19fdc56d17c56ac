/// One image beside its segmentations, as `tessera evaluate --picture` draws it: the input
/// (grey, its value or event rate per pixel), then one class map per panel (the true mask,
/// the framework's, the chip's), each class in its own colour, the background white, and
/// a legend of the classes that occur.
///
///     let d = SegmentationPicture.draw(image: rates, height: 32, width: 32,
///                                      panels: [("mask", mask), ("chip", chip)], classes: 11)
public enum SegmentationPicture {
    /// Class c > 0 in colour `palette[(c - 1) % count]` (ColorBrewer's Paired, which keeps
    /// neighbouring classes apart); class 0, the background, white.
    static let palette: [Drawing.Colour] = ["#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
                                            "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99"].compactMap { Drawing.Colour(hex: $0) }

    static func colour(_ c: Int) -> Drawing.Colour { c <= 0 ? .white : palette[(c - 1) % palette.count] }

    /// `image`: height x width values in [0, 1] (row-major); each panel's map the same size.
    public static func draw(image: [Double], height: Int, width: Int, panels: [(title: String, classes: [Int])],
                            classes: Int, cell: Double = 6) -> Drawing {
        let margin = 12.0, title = 18.0, legend = 22.0
        let panelWidth = Double(width) * cell, panelHeight = Double(height) * cell
        let count = panels.count + 1
        var d = Drawing(width: margin + Double(count) * (panelWidth + margin), height: title + panelHeight + legend + 2 * margin)
        d.rect(x: 0, y: 0, width: d.width, height: d.height, fill: .white)
        func origin(_ k: Int) -> Double { margin + Double(k) * (panelWidth + margin) }
        d.text("input", x: origin(0), y: margin + 10, size: 11, bold: true)
        for y in 0..<height {
            for x in 0..<width {
                let v = 255 - UInt8(max(0, min(1, image[y * width + x])) * 255)
                d.rect(x: origin(0) + Double(x) * cell, y: margin + title + Double(y) * cell, width: cell, height: cell, fill: Drawing.Colour(v, v, v))
            }
        }
        var seen = Set<Int>()
        for (k, panel) in panels.enumerated() {
            let left = origin(k + 1)
            d.text(panel.title, x: left, y: margin + 10, size: 11, bold: true)
            for y in 0..<height {
                for x in 0..<width {
                    let c = panel.classes[y * width + x]
                    seen.insert(c)
                    guard c > 0 else { continue }
                    d.rect(x: left + Double(x) * cell, y: margin + title + Double(y) * cell, width: cell, height: cell, fill: colour(c))
                }
            }
        }
        for k in 0..<count {
            d.rect(x: origin(k), y: margin + title, width: panelWidth, height: panelHeight, fill: nil, stroke: Drawing.Colour(160, 160, 160))
        }
        var x = margin
        let y = margin + title + panelHeight + 8
        for c in seen.sorted() where c > 0 && c < classes {
            d.rect(x: x, y: y, width: 10, height: 10, fill: colour(c))
            d.text("\(c)", x: x + 13, y: y + 9, size: 10)
            x += 34
        }
        return d
    }
}
