import Foundation
import Testing
@testable import Tessera

/// A layer of 102,400 cores compiled straight to core map v2: the file stays under a size
/// bound computed from its shared tables, per-core rows and per-neuron destinations (so no
/// core carries its own copy of a crossbar), and it loads back equal to the cores the
/// compiler builds.
@Suite struct LargeMapTests {
    /// A 1x1 convolution from one 64x64 channel to 6,400: 26,214,400 neurons, whose tiles
    /// are one pixel by 256 output channels, so 4,096 x 25 = 102,400 cores, and the 4,096
    /// tiles of one channel block share one crossbar and one neuron block.
    static let yaml = """
    network: wide
    inputs:
      image: { shape: [1, 64, 64], encoding: rate }
    init: { seed: 7, values: trinary }
    defaults:
      neuron: { model: if, threshold: 1.0, reset: subtract }
    layers:
      - { name: conv, op: conv2d, out: 6400, kernel: 1 }
    outputs: [conv]
    """

    @Test func hundredThousandCoresWriteCompactlyAndLoadBackEqual() throws {
        let target = try Target.load("truenorth-32x32")
        let net = try Network.load(yaml: Self.yaml, file: "wide.yaml")
        let converted = try net.convert(net.conversion, calibration: nil, target: target).network
        let compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: target)).compile()
        let cores = compiled.coreCount
        #expect(cores == 102_400)
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("wide.npz").path
        let summary = try #require(try compiled.write(to: path))
        let bytes = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(summary.bytes == bytes && summary.cores == cores && summary.neurons == 26_214_400)
        // One crossbar and one neuron block per 256-channel block (25), one axon-type vector.
        #expect(summary.crossbars <= 25 && summary.neuronBlocks <= 25 && summary.axonTypeTables == 1)

        // The bound: every array stored raw (deflate never grows data by more than 0.1%
        // plus a few bytes per block), plus 1 KiB per member for .npy and ZIP headers.
        let g = target.core
        let tables = summary.crossbars * g.axons * ((g.neurons + 63) / 64) * 8 + summary.axonTypeTables * g.axons
        let blockNeurons = summary.neuronBlocks * g.neurons
        let blockBytes = blockNeurons * (4 + 16 + 6 * 4 + 3) + (summary.neuronBlocks + 1) * 8
        let perCore = cores * (8 + 8 + 8 + 4 + 1 + 4 + 4 + 4 + 8)
        let perNeuron = summary.neurons * (1 + 4 + 4 + 1)
        let inputs = (64 * 64 + 1) * 8 + 2 * 4 * 64 * 64 * 25 * 2
        let raw = tables + blockBytes + perCore + perNeuron + inputs
        let bound = raw + raw / 1000 + 31 * 1024
        #expect(bytes <= bound, "\(bytes) bytes, bound \(bound)")
        // A crossbar per core would alone take cores x 8 KiB, about 3 times the whole bound.
        #expect(bound * 3 < cores * g.axons * g.neurons / 8)

        let loaded = try PackedCoreMap.load(path, target: target)
        var packer = CorePacker(header: compiled.mapHeader)
        for c in 0..<cores { packer.append(compiled.buildCore(c)) }
        #expect(loaded == packer.packed)
    }
}
