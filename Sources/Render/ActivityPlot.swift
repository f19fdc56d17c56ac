import CoreMap
import Emulator
import Estimate

/// A picture of one emulation: per-layer firing rates (spikes per hardware neuron per tick),
/// each layer's population activity tick by tick, and a raster of every output port's spikes.
/// Drawn from an activity file (``ActivityRecord``) and the map that produced it, whose
/// cores give each layer's neuron count.
///
///     let record = try ActivityRecord.load(path: "out.json")
///     let svg = SVGWriter.svg(ActivityPlot(record, map: map, title: "digits MLP").drawing())
public struct ActivityPlot: Sendable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// Hardware neurons of the layer's cores (copies for fan-out included).
        public var neurons: Int
        public var perTick: [Int]
        /// Spikes per neuron per tick over the run.
        public var rate: Double {
            neurons == 0 || perTick.isEmpty ? 0 : Double(perTick.reduce(0, +)) / Double(neurons * perTick.count)
        }
    }

    public let title: String
    public let ticks: Int
    public let layers: [Layer]
    public let outputs: [ActivityRecord.Port]

    /// Layers with neurons on the map, in the map's order.
    public init(_ record: ActivityRecord, map: CoreMap, title: String) { self.init(record, map: PackedCoreMap(map), title: title) }

    /// The same for a packed map of any size.
    public init(_ record: ActivityRecord, map: PackedCoreMap, title: String) {
        let (names, ofCore) = LayerSpikes.buckets(layers: map.header.layers, coreLayer: map.coreLayer.map { Int($0) })
        var neurons = [Int](repeating: 0, count: names.count)
        for c in 0..<map.coreCount { neurons[ofCore[c]] += map.coreNeuronStart[c + 1] - map.coreNeuronStart[c] }
        layers = names.indices.compactMap { k in
            guard neurons[k] > 0 else { return nil }
            let column = record.layerNames.firstIndex(of: names[k])
            return Layer(name: names[k], neurons: neurons[k], perTick: record.layerSpikes.map { row in column.map { row[$0] } ?? 0 })
        }
        self.title = title
        ticks = record.ticks
        outputs = record.outputs
    }

    public func drawing() -> Drawing {
        let margin = 10.0, labelW = 150.0, panelW = 520.0, row = 16.0, rasterH = 160.0
        let x0 = margin + labelW
        let height = 50 + Double(layers.count) * row * 2 + 90 + Double(outputs.count) * (rasterH + 40)
        var d = Drawing(width: x0 + panelW + 90, height: height)
        d.rect(x: 0, y: 0, width: d.width, height: d.height, fill: .white)
        d.text(title, x: margin, y: 18, size: 14)
        d.text("\(ticks) ticks; rate = spikes per hardware neuron per tick", x: margin, y: 33, size: 11, colour: ChipPicture.grey)

        // Firing rate per layer: bars scaled to the highest rate.
        var y = 56.0
        d.text("firing rate per layer", x: margin, y: y, size: 12, bold: true)
        let top = max(layers.map(\.rate).max() ?? 0, 1e-9)
        for (k, layer) in layers.enumerated() {
            y += row
            d.text(layer.name, x: x0 - 6, y: y, size: 11, anchorEnd: true)
            d.rect(x: x0, y: y - 10, width: panelW * layer.rate / top, height: 12, fill: ChipPicture.colour(k))
            d.text(Self.number(layer.rate), x: x0 + panelW * layer.rate / top + 4, y: y, size: 10, colour: ChipPicture.grey)
        }

        // Population activity: per layer, the fraction of its neurons firing each tick
        // (darker = more; each row scaled to its own busiest tick, printed on the right).
        y += 30
        d.text("population activity per tick (row-scaled)", x: margin, y: y, size: 12, bold: true)
        let cell = panelW / Double(max(ticks, 1))
        for (k, layer) in layers.enumerated() {
            y += row
            d.text(layer.name, x: x0 - 6, y: y, size: 11, anchorEnd: true)
            let peak = max(layer.perTick.max() ?? 0, 1)
            d.rect(x: x0, y: y - 11, width: panelW, height: 14, fill: Drawing.Colour(0xf4, 0xf4, 0xf4))
            for (t, n) in layer.perTick.enumerated() where n > 0 {
                d.rect(x: x0 + Double(t) * cell, y: y - 11, width: cell, height: 14, fill: ChipPicture.colour(k), opacity: Double(n) / Double(peak))
            }
            d.text("max \(Self.number(Double(peak) / Double(max(layer.neurons, 1))))", x: x0 + panelW + 4, y: y, size: 10, colour: ChipPicture.grey)
        }
        y += 6
        axis(&d, x: x0, y: y, width: panelW)

        // Output rasters: tick across, element down (elements binned when there are more
        // rows than pixels).
        for port in outputs {
            y += 40
            d.text("output '\(port.name)': \(port.spikes.count) spikes from \(port.count) elements", x: margin, y: y, size: 12, bold: true)
            let top = y + 8
            d.rect(x: x0, y: top, width: panelW, height: rasterH, fill: nil, stroke: Drawing.Colour(0xbb, 0xbb, 0xbb), strokeWidth: 0.5)
            let rows = min(port.count, Int(rasterH))
            let dot = rasterH / Double(max(rows, 1))
            for pair in port.spikes {
                let r = pair[1] * rows / max(port.count, 1)
                d.rect(x: x0 + Double(pair[0]) * cell, y: top + Double(r) * dot, width: max(cell, 1), height: max(dot, 1), fill: .black)
            }
            d.text("element 0", x: x0 - 6, y: top + 10, size: 10, colour: ChipPicture.grey, anchorEnd: true)
            d.text("\(port.count - 1)", x: x0 - 6, y: top + rasterH, size: 10, colour: ChipPicture.grey, anchorEnd: true)
            y = top + rasterH
            axis(&d, x: x0, y: y + 2, width: panelW)
        }
        return d
    }

    /// Tick marks under a panel: 0, the middle and the last tick.
    private func axis(_ d: inout Drawing, x: Double, y: Double, width: Double) {
        let cell = width / Double(max(ticks, 1))
        for t in Set([0, ticks / 2, max(ticks - 1, 0)]).sorted() {
            d.line(x1: x + (Double(t) + 0.5) * cell, y1: y, x2: x + (Double(t) + 0.5) * cell, y2: y + 4, colour: ChipPicture.grey, width: 0.5)
            d.text("\(t)", x: x + (Double(t) + 0.5) * cell - 3, y: y + 14, size: 9, colour: ChipPicture.grey)
        }
        d.text("tick", x: x + width + 16, y: y + 14, size: 9, colour: ChipPicture.grey)
    }

    /// A rate as text: three decimals, or scientific below 0.01.
    public static func number(_ x: Double) -> String {
        x == 0 ? "0" : x >= 0.01 ? String(format: "%.3f", x) : String(format: "%.2e", x)
    }
}
