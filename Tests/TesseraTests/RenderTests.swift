import CCairo
import Foundation
import Testing
@testable import Tessera

/// The chip picture's content, worked out from its layout rules (Sources/Render/
/// ChipPicture.swift, docs/estimates.md): cells per core at their mesh position, colours by
/// layer, shades by use, chip boundaries, the legend, blocks, routes; the PNG's size from
/// its IHDR chunk and its pixels read back through Cairo.
@Suite struct RenderTests {
    /// A 2x2 board of 4x4-core chips with three cores: mesh (0,0) layer a fully used, (5,2)
    /// layer b half used, (6,7) unlabelled a quarter used. Routes 0 -> 1 (4 neurons) and
    /// 1 -> 2 (2 neurons).
    static let usage = BoardUsage(chips: [2, 2], coresPerChip: [4, 4],
                                  layers: [LayerLabel(name: "a", op: "dense", neurons: 4), LayerLabel(name: "b", op: "dense", neurons: 2)],
                                  cores: [BoardUsage.Core(x: 0, y: 0, layer: 0, role: .whole, utilisation: 1),
                                          BoardUsage.Core(x: 5, y: 2, layer: 1, role: .whole, utilisation: 0.5),
                                          BoardUsage.Core(x: 6, y: 7, layer: nil, role: .relay, utilisation: 0.25)],
                                  traffic: [(from: 0, to: 1, routes: 4), (from: 1, to: 2, routes: 2)])

    /// The used part of the board is whole chips up to the largest x and y: (6 / 4 + 1) x 4
    /// = 8 cores each way, 64 cells, so one cell per core; a cell is min(24, 900 / 8) = 24
    /// units. Grid 192 wide; the picture is 10 + 192 + 10 + 260 = 472 wide and
    /// max(40 + 192 + 10, 40 + (2 layers + 3) x 16) = 242 high.
    /// Each core's cell is at (10 + 24 x, 40 + 24 y), coloured by its layer (palette 0, 1,
    /// grey #444444 unlabelled) at opacity 0.25 + 0.75 x use: 1, 0.625, 0.4375 (written
    /// with two decimals: none, 0.63, 0.44), with a white gap (cells of 6 units or more).
    @Test func oneCellPerCoreWhereTheMeshPutsIt() {
        let picture = ChipPicture(Self.usage, title: "three cores", routes: 1)
        #expect(picture.blockSide == 1)
        let svg = picture.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"472\" height=\"242\" viewBox=\"0 0 472 242\""))
        let cells = svg.split(separator: "\n").filter { $0.hasPrefix("<rect") && $0.contains("stroke=\"#ffffff\"") }
        #expect(cells == [
            "<rect x=\"10\" y=\"40\" width=\"24\" height=\"24\" fill=\"#1f77b4\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
            "<rect x=\"130\" y=\"88\" width=\"24\" height=\"24\" fill=\"#ff7f0e\" fill-opacity=\"0.63\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
            "<rect x=\"154\" y=\"208\" width=\"24\" height=\"24\" fill=\"#444444\" fill-opacity=\"0.44\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
        ])
        // The grid's background, and one boundary per chip: 4 x 4 cores x 24 = 96 units.
        #expect(svg.contains("<rect x=\"10\" y=\"40\" width=\"192\" height=\"192\" fill=\"#f4f4f4\"/>"))
        let chips = svg.split(separator: "\n").filter { $0.contains("stroke=\"#222222\"") }.map(String.init)
        #expect(chips == [(10, 40), (106, 40), (10, 136), (106, 136)].map { x, y in
            "<rect x=\"\(x)\" y=\"\(y)\" width=\"96\" height=\"96\" fill=\"none\" stroke=\"#222222\" stroke-width=\"1.5\"/>"
        })
        // The heaviest route only: centre of (0,0) = (22, 52) to centre of (5,2) = (142, 100),
        // width 0.5 + 2.5 x 4 / 4 = 3.
        let lines = svg.split(separator: "\n").filter { $0.hasPrefix("<line") }
        #expect(lines == ["<line x1=\"22\" y1=\"52\" x2=\"142\" y2=\"100\" stroke=\"#000000\" stroke-width=\"3\" stroke-opacity=\"0.6\" shape-rendering=\"auto\"/>"])
        // Legend at x = 10 + 192 + 10 = 212, one row per layer with cores, then unlabelled.
        #expect(svg.contains(">a (1)</text>") && svg.contains(">b (1)</text>") && svg.contains(">unlabelled (1)</text>"))
        #expect(svg.contains("<rect x=\"212\" y=\"74\" width=\"12\" height=\"12\" fill=\"#ff7f0e\"/>"))  // b's swatch: y = 40 + 12 + 2 x 16 - 10
        #expect(svg.contains(">3 cores on 2x2 chips of 4x4; one cell per core; shade = neurons used</text>"))
        // Both routes drawn when asked for 5: the lighter one 0.5 + 2.5 x 2 / 4 = 1.75 wide.
        let both = ChipPicture(Self.usage, title: "t", routes: 5).svg()
        #expect(both.split(separator: "\n").filter { $0.hasPrefix("<line") }.map { $0.contains("stroke-width=\"1.75\"") } == [false, true])
    }

    /// With at most 16 cells the 8x8 mesh is drawn in 2x2 blocks (2 divides a chip's 4),
    /// 4 x 4 cells of min(24, 900 / 4) = 24 units. Block (0,0) holds cores of a (use 1) and
    /// b (use 1, 0.5): b, the most common, at 0.25 + 0.75 x 2.5 / 3 = 0.875 (0.88). Block
    /// (3,3) holds one core of each layer: a tie goes to the lower layer, a, at use 1.
    @Test func largeBoardsAreDrawnInBlocks() {
        let cores = [BoardUsage.Core(x: 0, y: 0, layer: 0, role: .whole, utilisation: 1),
                     BoardUsage.Core(x: 1, y: 0, layer: 1, role: .whole, utilisation: 1),
                     BoardUsage.Core(x: 0, y: 1, layer: 1, role: .whole, utilisation: 0.5),
                     BoardUsage.Core(x: 6, y: 6, layer: 1, role: .whole, utilisation: 1),
                     BoardUsage.Core(x: 7, y: 7, layer: 0, role: .whole, utilisation: 1)]
        let usage = BoardUsage(chips: [2, 2], coresPerChip: [4, 4], layers: Self.usage.layers, cores: cores)
        let picture = ChipPicture(usage, title: "blocks", maxCells: 16)
        #expect(picture.blockSide == 2)
        #expect(ChipPicture(usage, title: "blocks", maxCells: 63).blockSide == 2)
        #expect(ChipPicture(usage, title: "blocks", maxCells: 64).blockSide == 1)
        // At most 3 cells: blocks of 4 (2 x 2 cells) are the largest that divide a 4-core
        // chip, so the grid stops there with 4 cells.
        #expect(ChipPicture(usage, title: "blocks", maxCells: 3).blockSide == 4)
        let svg = picture.svg()
        let cells = svg.split(separator: "\n").filter { $0.hasPrefix("<rect") && $0.contains("stroke=\"#ffffff\"") }
        #expect(cells == [
            "<rect x=\"10\" y=\"40\" width=\"24\" height=\"24\" fill=\"#ff7f0e\" fill-opacity=\"0.88\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
            "<rect x=\"82\" y=\"112\" width=\"24\" height=\"24\" fill=\"#1f77b4\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
        ])
        // Chips are 2 blocks of 24 = 48 units a side; the legend still counts cores.
        #expect(svg.contains("<rect x=\"58\" y=\"88\" width=\"48\" height=\"48\" fill=\"none\" stroke=\"#222222\" stroke-width=\"1.5\"/>"))
        #expect(svg.contains(">a (2)</text>") && svg.contains(">b (3)</text>") && !svg.contains("unlabelled"))
        #expect(svg.contains("; one cell per 2x2 block of cores;"))
    }

    /// Layer names are text in the SVG, escaped for XML.
    @Test func namesAreEscaped() {
        var usage = Self.usage
        usage.layers[0].name = "a<b&c>"
        let svg = ChipPicture(usage, title: "x & y").svg()
        #expect(svg.contains(">a&lt;b&amp;c&gt; (1)</text>") && svg.contains(">x &amp; y</text>"))
        #expect(!svg.contains("a<b"))
    }

    /// The pixels of a picture read back from its PNG with Cairo, as 0xRRGGBB rows.
    static func pixels(_ path: String) throws -> (width: Int, height: Int, at: (Int, Int) -> UInt32) {
        let surface = try #require(cairo_image_surface_create_from_png(path))
        defer { cairo_surface_destroy(surface) }
        #expect(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS)
        cairo_surface_flush(surface)
        let (w, h, stride) = (Int(cairo_image_surface_get_width(surface)), Int(cairo_image_surface_get_height(surface)), Int(cairo_image_surface_get_stride(surface)))
        let data = try #require(cairo_image_surface_get_data(surface))
        var rows = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                rows[y * w + x] = UnsafeRawPointer(data + y * stride + 4 * x).loadUnaligned(as: UInt32.self) & 0xFFFFFF
            }
        }
        return (w, h, { x, y in rows[y * w + x] })
    }

    /// Whether two colours are within `tolerance` per channel (Cairo rounds blends).
    static func close(_ a: UInt32, _ b: UInt32, tolerance: Int = 2) -> Bool {
        [16, 8, 0].allSatisfy { abs(Int((a >> UInt32($0)) & 0xFF) - Int((b >> UInt32($0)) & 0xFF)) <= tolerance }
    }

    /// The PNG of the three-core picture at scale 2: IHDR 944 x 484 (472 x 242 units), and at
    /// pixel = 2 x unit: core a's cell (its inside, 6 units from the corner) exactly #1f77b4;
    /// core b's cell #ff7f0e at opacity 0.625 over the grid's #f4f4f4, per channel
    /// f4 + 0.625 (c - f4): (250.9, 170.9, 100.3); an empty cell #f4f4f4; b's legend swatch
    /// #ff7f0e; the margin white.
    @Test func pngSizeAndPixels() throws {
        let picture = ChipPicture(Self.usage, title: "three cores")
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("chip.png").path
        try PNGWriter.write(picture.drawing(), to: path, scale: 2)
        #expect(try TestSupport.pngSize(path) == (944, 484))

        let image = try Self.pixels(path)
        #expect((image.width, image.height) == (944, 484))
        func at(_ x: Double, _ y: Double) -> UInt32 { image.at(Int(x * 2), Int(y * 2)) }
        #expect(at(10 + 6, 40 + 6) == 0x1f77b4)
        let blended = at(130 + 6, 88 + 6)
        #expect(Self.close(blended, 0xFBAB64), "\(String(blended, radix: 16))")  // (251, 171, 100)
        #expect(at(10 + 3 * 24 + 12, 40 + 3 * 24 + 12) == 0xf4f4f4)       // mesh (3,3): no core
        #expect(at(212 + 6, 74 + 6) == 0xff7f0e)
        #expect(at(5, 300 / 2) == 0xffffff)
    }

    /// A picture Cairo cannot hold and a path it cannot write are refused with the file named.
    @Test func pngErrorsNameTheFile() throws {
        let drawing = ChipPicture(Self.usage, title: "t").drawing()
        do {
            try PNGWriter.write(drawing, to: "big.png", scale: 100)
            Issue.record("a 47200-pixel-wide PNG was written")
        } catch {
            // 472 x 100 by 242 x 100.
            #expect(error.description == "error: cannot write 'big.png': a 47200x24200 PNG is larger than Cairo's 32767-pixel limit; lower --scale")
        }
        let missing = "/nonexistent-\(UUID().uuidString)/chip.png"
        do {
            try PNGWriter.write(drawing, to: missing, scale: 1)
            Issue.record("a PNG was written into a missing folder")
        } catch {
            #expect(error.description.hasPrefix("error: cannot write '\(missing)': "))
        }
    }
}
