import CoreMap
import Foundation

/// The board as a picture (a ``Drawing``, written as SVG or PNG): a grid of cores coloured by layer, shaded by neuron
/// utilisation (pale = few neurons used), chip boundaries, a legend with each layer's
/// cores, and optionally the heaviest core-to-core routes. Boards of more cores than a
/// picture can show one by one are drawn in square blocks of cores (a power of two that
/// divides a chip), each coloured by its most common layer and shaded by its mean use.
///
///     let svg = ChipPicture(BoardUsage(map), title: "digits MLP on truenorth").svg()
public struct ChipPicture: Sendable {
    public let usage: BoardUsage
    public let title: String
    /// Heaviest routes to draw (0: none).
    public let routes: Int
    /// Most cells (blocks) the grid may have before blocks grow.
    public let maxCells: Int

    public init(_ usage: BoardUsage, title: String, routes: Int = 0, maxCells: Int = 20_000) {
        self.usage = usage
        self.title = title
        self.routes = routes
        self.maxCells = maxCells
    }

    /// Cores per block side: the smallest power of two dividing a chip's sides whose grid
    /// of the used chips has at most `maxCells` cells.
    public var blockSide: Int {
        let (w, h) = (meshWidth, meshHeight)
        var b = 1
        while (w / b) * (h / b) > maxCells, b * 2 <= min(usage.coresPerChip[0], usage.coresPerChip[1]),
              usage.coresPerChip[0] % (b * 2) == 0, usage.coresPerChip[1] % (b * 2) == 0 {
            b *= 2
        }
        return b
    }

    /// The used part of the board, whole chips.
    var meshWidth: Int { ((usage.cores.map(\.x).max() ?? 0) / usage.coresPerChip[0] + 1) * usage.coresPerChip[0] }
    var meshHeight: Int { ((usage.cores.map(\.y).max() ?? 0) / usage.coresPerChip[1] + 1) * usage.coresPerChip[1] }

    /// A categorical palette (Tableau 20 order): layer k takes colour k mod 20.
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                          "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]

    public static func colour(_ layer: Int?) -> Drawing.Colour {
        layer.flatMap { Drawing.Colour(hex: palette[$0 % palette.count]) } ?? Drawing.Colour(0x44, 0x44, 0x44)
    }

    public static let grey = Drawing.Colour(0x55, 0x55, 0x55)

    /// The picture as SVG text.
    public func svg() -> String { SVGWriter.svg(drawing()) }

    public func drawing() -> Drawing {
        let b = blockSide
        let (cols, rows) = (meshWidth / b, meshHeight / b)
        // Cell size in pixels: the grid fits about 900 px on its longer side.
        let cell = max(1.0, min(24.0, 900.0 / Double(max(cols, rows))))
        let (gridW, gridH) = (Double(cols) * cell, Double(rows) * cell)
        let legendW = 260.0, top = 40.0, margin = 10.0
        // Blocks: the most common layer (ties: lowest index) and the mean use over its cores.
        struct Block { var counts: [Int: Int] = [:]; var use = 0.0; var n = 0 }
        var blocks: [Int: Block] = [:]
        var layerCores = [Int](repeating: 0, count: usage.layers.count + 1)
        for core in usage.cores {
            let key = (core.y / b) * cols + core.x / b
            blocks[key, default: Block()].counts[core.layer ?? -1, default: 0] += 1
            blocks[key, default: Block()].use += core.utilisation
            blocks[key, default: Block()].n += 1
            layerCores[core.layer.map { min($0, usage.layers.count) } ?? usage.layers.count] += 1
        }
        var d = Drawing(width: margin + gridW + margin + legendW, height: max(top + gridH + margin, top + Double(min(usage.layers.count, 40) + 3) * 16))
        d.rect(x: 0, y: 0, width: d.width, height: d.height, fill: .white)
        d.text(title, x: margin, y: 18, size: 14)
        let blockNote = b == 1 ? "one cell per core" : "one cell per \(b)x\(b) block of cores"
        d.text("\(usage.cores.count) cores on \(meshWidth / usage.coresPerChip[0])x\(meshHeight / usage.coresPerChip[1]) chips of \(usage.coresPerChip[0])x\(usage.coresPerChip[1]); \(blockNote); shade = neurons used",
               x: margin, y: 33, size: 11, colour: Self.grey)
        d.rect(x: margin, y: top, width: gridW, height: gridH, fill: Drawing.Colour(0xf4, 0xf4, 0xf4))
        let gap: Drawing.Colour? = cell >= 6 ? .white : nil
        for key in blocks.keys.sorted() {
            guard let block = blocks[key] else { continue }
            let layer = block.counts.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }.first?.key ?? -1
            let opacity = 0.25 + 0.75 * min(1, block.use / Double(max(block.n, 1)))
            d.rect(x: margin + Double(key % cols) * cell, y: top + Double(key / cols) * cell, width: cell, height: cell,
                   fill: Self.colour(layer < 0 ? nil : layer), opacity: opacity, stroke: gap, strokeWidth: 0.5)
        }
        // Chip boundaries.
        let (chipCols, chipRows) = (meshWidth / usage.coresPerChip[0], meshHeight / usage.coresPerChip[1])
        let (chipW, chipH) = (Double(usage.coresPerChip[0] / b) * cell, Double(usage.coresPerChip[1] / b) * cell)
        for cy in 0..<chipRows {
            for cx in 0..<chipCols {
                d.rect(x: margin + Double(cx) * chipW, y: top + Double(cy) * chipH, width: chipW, height: chipH, fill: nil,
                       stroke: Drawing.Colour(0x22, 0x22, 0x22), strokeWidth: chipCols > 16 ? 0.5 : 1.5)
            }
        }
        if routes > 0 {
            let shown = usage.traffic.prefix(routes)
            let heaviest = Double(shown.first?.routes ?? 1)
            for route in shown {
                let (p, q) = (usage.cores[route.from], usage.cores[route.to])
                func centre(_ c: BoardUsage.Core) -> (Double, Double) {
                    (margin + (Double(c.x / b) + 0.5) * cell, top + (Double(c.y / b) + 0.5) * cell)
                }
                let (a, z) = (centre(p), centre(q))
                d.line(x1: a.0, y1: a.1, x2: z.0, y2: z.1, width: 0.5 + 2.5 * Double(route.routes) / heaviest, opacity: 0.6)
            }
        }
        // Legend: layers in order with their cores; past 40 layers the rest are summed.
        var y = top + 12
        let x = margin + gridW + margin
        d.text("layer (cores)", x: x, y: y, size: 12, bold: true)
        let listed = usage.layers.indices.filter { layerCores[$0] > 0 }
        for k in listed.prefix(40) {
            y += 16
            d.rect(x: x, y: y - 10, width: 12, height: 12, fill: Self.colour(k))
            d.text("\(usage.layers[k].name) (\(layerCores[k]))", x: x + 18, y: y, size: 11)
        }
        if listed.count > 40 {
            y += 16
            d.text("\(listed.count - 40) more layers (\(listed.dropFirst(40).reduce(0) { $0 + layerCores[$1] }) cores)", x: x, y: y, size: 11)
        }
        if layerCores[usage.layers.count] > 0 {
            y += 16
            d.rect(x: x, y: y - 10, width: 12, height: 12, fill: Self.colour(nil))
            d.text("unlabelled (\(layerCores[usage.layers.count]))", x: x + 18, y: y, size: 11)
        }
        return d
    }
}

