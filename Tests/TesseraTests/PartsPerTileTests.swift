import Testing
@testable import CoreMap
@testable import Emulator
@testable import Mapping
@testable import Tessera

/// A split tiled layer cuts each tile by its own window (docs/mapping.md, "Parts per
/// tile"): a border tile reads fewer input rows and columns, so each of its parts holds
/// more input channels and it needs fewer parts, and its merges read fewer axons.
@Suite struct PartsPerTileTests {
    /// Random padded layers on tiny (4 x 6 x 6, a 2 x 2 kernel with padding 1 to 3 x 7 x 7,
    /// signed weights): the corner and edge tiles read fewer inputs than the interior ones,
    /// so the layer's elements have different part counts. Offset-coded, every merge has
    /// received the true current of ticks 0..<τ (computed from the weights and the input
    /// alone) to within its own parts x half a step after every tick τ up to 1,000, under
    /// each kind of input train (``OffsetCodingTests/input(count:ticks:pattern:seed:)``). The
    /// net scheme's map of the same layer stays within the split tests' stated bound.
    @Test(arguments: 0..<2, 0..<3)
    func eachMergeIsWithinItsOwnPartsBound(seed: Int, pattern: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 101)
        func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        var values: [Double] = []
        for _ in 0..<3 {
            let (p, n) = (int(1...3), int(1...3))
            values += (0..<16).map { _ in Double([0, p, p, -n][int(0...3)]) }
        }
        let threshold = int(2...4)
        let graph = try TestSupport.convolution(input: TensorShape(4, 6, 6), out: 3, window: Window(kernel: 2, padding: 1),
                                                weights: try #require(Tensor(shape: [3, 4, 2, 2], values: values)), threshold: Double(threshold))
        let network = try IntegerNetwork.check(graph, target: FanInSplitTests.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .offset)).compile()
        let layout = compiled.layouts[1]
        try #require(layout.offset && layout.partCounts.count > 1, "parts \(layout.partCounts)")
        #expect(CoreMapValidator.validate(compiled.map, target: FanInSplitTests.tiny).isEmpty)
        let codes = try #require(compiled.offsetCodes[1])

        let ticks = 1_000
        let input = OffsetCodingTests.input(count: 144, ticks: ticks, pattern: pattern, seed: UInt64(seed))
        // The true current of every element in every tick: output (y, x) reads input
        // (y - 1 + ky, x - 1 + kx) where it lies inside the 6 x 6 map.
        var frames = [[Bool]](repeating: [Bool](repeating: false, count: 144), count: ticks)
        for e in input.spikes["x"] ?? [] where e.tick < ticks { frames[e.tick][e.index] = true }
        let w = values.map { Int($0) }
        let truth: [[Int]] = frames.map { frame in
            (0..<3).flatMap { o in
                (0..<49).map { p in
                    var sum = 0
                    for c in 0..<4 {
                        for ky in 0..<2 {
                            for kx in 0..<2 {
                                let (iy, ix) = (p / 7 - 1 + ky, p % 7 - 1 + kx)
                                if (0..<6).contains(iy), (0..<6).contains(ix), frame[(c * 6 + iy) * 6 + ix] { sum += w[((o * 4 + c) * 2 + ky) * 2 + kx] }
                            }
                        }
                    }
                    return sum
                }
            }
        }
        let received = try OffsetCodingTests.received(compiled, input, ticks: ticks) { _ in threshold }
        #expect(received.count == 147)
        let widest = OffsetCodingTests.widestError(received, truth: truth, ticks: ticks) { j in
            let parts = layout.parts(of: j, positions: 49)
            let code = codes[j / 49 * layout.partCounts.count + (layout.partCounts.firstIndex(of: parts) ?? 0)]
            #expect(code.bounded)
            return parts * (code.step / 2)
        }
        #expect(widest > 0)

        // The net scheme cuts the same tiles: its map stays within the split tests' stated
        // bound (FanInSplitTests, 0.1 spikes per tick) against the reference.
        let net = try Compiler(network, options: Compiler.Options(partialSums: .net)).compile()
        #expect(net.layouts[1].partCounts.count > 1)
        #expect(CoreMapValidator.validate(net.map, target: FanInSplitTests.tiny).isEmpty)
        let error = try #require(try ApproximationError.measure(net, ticks: 64, seed: UInt64(seed)))
        #expect(error.neurons == 147 && error.meanRateError < 0.1, "\(error)")
    }
}
