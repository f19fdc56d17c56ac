import Foundation
import Testing
@testable import Tessera

/// The spiking DeepLabs that tools/nir/train_segmenter.py trained directly, with surrogate
/// gradients, in Sinabs (IF neurons) and snnTorch (the seed paper's LIF, beta 0.99, subtract
/// reset), exported to NIR with each framework's own exporter (examples/segmentation/). Each
/// is compiled with the defaults a user gets (no option beyond the writer and a target that
/// holds it), emulated on the 100 test canvases' events, and its per-pixel classes compared
/// with the framework's own output counts, which the script recorded.
@Suite(.serialized) struct DirectTrainedSegmentationTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("examples/segmentation").path + "/"
    /// The output is 11 classes at 16 x 16; the masks are 32 x 32.
    static let geometry = Segmentation.Geometry(classes: 11, height: 16, width: 16, scale: 2)
    static let ticks = 20

    /// What the docs report (docs/workloads.md, "Segmentation, end to end"), measured by
    /// `tessera evaluate` on these files: the share of pixels whose class agrees with the
    /// framework's, and the chip's mean IoU less the framework's.
    struct Documented {
        var agreement: Double
        var gap: Double
    }

    static func maps(_ tensor: Tensor, size: Int) -> [[Double]] {
        (0..<(tensor.shape.first ?? 0)).map { i in Array(tensor.values[i * size..<(i + 1) * size]) }
    }

    /// Mean and standard error over the test canvases.
    static func spread(_ values: [Double]) -> (mean: Double, error: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
        return (mean, (variance / n).squareRoot())
    }

    /// Compiled with the defaults for truenorth-4x4 (the map takes 5,632 cores, more than
    /// one chip's 4,096) and emulated on the 100 test canvases' events. Checks, in order:
    /// - guard: both dilated layers (the pooled one, a 2 x 2 pool composed into a 3 x 3
    ///   kernel at dilation 2, 10 x 10 with holes; and the dilation-4 one) need more axons
    ///   than a core has and are split into partial sums, so the split encoding is what the
    ///   agreement measures;
    /// - Tessera's float reading of the file gives the framework's counts spike for spike on
    ///   the first canvases, so every difference below is the chip's;
    /// - the agreement and the IoU gap are the documented figures, within two standard
    ///   errors of the per-canvas figures (the fixture's own spread).
    @Test(arguments: [("sinabs", NIRSemantics.Writer.sinabs, Documented(agreement: 0.9155, gap: -0.0923)),
                      ("snntorch", .snntorch, Documented(agreement: 0.9238, gap: -0.0690))])
    func chipAgainstTheFramework(_ name: String, _ writer: NIRSemantics.Writer, _ documented: Documented) throws {
        let network = try Network.load(Self.folder + "\(name).nir", nir: NIRSemantics(writer: writer))
        let target = try Target.load(TestSupport.target("truenorth-4x4"))
        let graph = try network.convert(target: target).network.graph
        let compiled = try Compiler(try IntegerNetwork.check(graph, target: target)).compile()

        var dilated: [String] = []
        for layer in graph.layers {
            guard case let .conv2d(conv) = layer.op, let key = layer.parameterKey,
                  let w = graph.parameters.tensor("\(key).weight"), let window = ChannelWindow(weights: w) else { continue }
            if conv.vertical.dilation > 1 || window.taps < conv.vertical.kernel * conv.horizontal.kernel { dilated.append(layer.name) }
        }
        #expect(dilated.count == 2, "\(name): dilated layers \(dilated)")
        for layer in dilated {
            let row = try #require(compiled.layers.first { $0.layer == layer })
            #expect(row.parts > 1, "\(name): \(layer) has \(row.parts) part(s)")
        }

        let port = try #require(compiled.map.inputs.first)
        let tensor = try NPYFile.read(path: Self.folder + "test-events.npy")
        #expect(tensor.shape == [100, Self.ticks, 1, 32, 32])
        let events = try EventInput.samples([port.name: (tensor.shape, tensor.values)], ports: compiled.map.inputs, ticks: Self.ticks).inputs
        let masks = Self.maps(try NPYFile.read(path: Self.folder + "test-masks.npy"), size: 1024).map { $0.map { Int($0) } }
        let counts = Self.maps(try NPYFile.read(path: Self.folder + "\(name)-counts.npy"), size: Self.geometry.elements)
        #expect(events.count == 100 && masks.count == 100 && counts.count == 100)

        let simulator = FloatSimulator(network.graph, rules: network.rules)
        let output = try #require(network.graph.outputs.last)
        for i in 0..<4 {
            let run = simulator.run(events[i], ticks: Self.ticks).outputs.first { $0.name == output }
            #expect(run?.counts.map(Double.init) == counts[i], "\(name): canvas \(i)")
        }

        let framework = counts.map(Self.geometry.read)
        let curve = try SegmentationCurve.measure(compiled.map, events: events, masks: masks, ticks: [Self.ticks], reference: framework,
                                                  target: target, geometry: Self.geometry)
        let chip = curve.predictions
        let perCanvas = zip(chip, framework).map { c, f in Double(zip(c, f).filter { $0 == $1 }.count) / Double(c.count) }
        let agree = Self.spread(perCanvas)
        #expect(abs(agree.mean - curve.agreement[0].pixelAccuracy) < 1e-12)
        #expect(abs(agree.mean - documented.agreement) <= 2 * agree.error, "\(name): \(agree.mean) of pixels agree (standard error \(agree.error)); documented \(documented.agreement)")
        let chipIoU = SegmentationScore(classes: 11, predicted: chip, truth: masks).meanIoU
        let frameworkIoU = SegmentationScore(classes: 11, predicted: framework, truth: masks).meanIoU
        let gaps = masks.indices.map { i in
            SegmentationScore(classes: 11, predicted: [chip[i]], truth: [masks[i]]).meanIoU
                - SegmentationScore(classes: 11, predicted: [framework[i]], truth: [masks[i]]).meanIoU
        }
        let gap = Self.spread(gaps)
        #expect(abs(chipIoU - frameworkIoU - documented.gap) <= 2 * gap.error,
                "\(name): chip \(chipIoU), framework \(frameworkIoU) (per-canvas gap standard error \(gap.error)); documented gap \(documented.gap)")
        // A trained network, not a constant map: it beats labelling every pixel background.
        let background = SegmentationScore(classes: 11, predicted: masks.map { Array(repeating: 0, count: $0.count) }, truth: masks).meanIoU
        #expect(frameworkIoU > 3 * background, "\(name): framework \(frameworkIoU), all background \(background)")
    }

    /// Bad input to `tessera evaluate` on event input: a clear error naming what is wrong, exit 1.
    @Test func badEventInputIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["evaluate", Self.folder + "sinabs.nir", "--from", "sinabs", "--encoding", "events"]
        let events = Self.folder + "test-events.npy", masks = Self.folder + "test-masks.npy"
        func refused(_ extra: [String], _ message: String) throws {
            let run = try TestSupport.tessera(base + extra)
            #expect(run.status == 1 && run.stderr.contains(message), "\(extra): \(run.stderr)")
        }
        func file(_ name: String, _ data: Data) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
        // Masks 24 x 24: neither the output's 16 x 16 nor a whole multiple of it.
        let wrongMasks = try file("masks24.npy", CoreMapArchiveTests.npy([Int64](repeating: 0, count: 100 * 576), descr: "<i8", shape: [100, 24, 24]))
        try refused(["--images", events, "--masks", wrongMasks], "masks are 24x24 per image; output")
        // A class index outside the output's 11 channels.
        var classes = try NPYFile.read(path: masks).values.map { Int64($0) }
        classes[5] = 11
        let badClass = try file("class11.npy", CoreMapArchiveTests.npy(classes, descr: "<i8", shape: [100, 32, 32]))
        try refused(["--images", events, "--masks", badClass], "mask 0: class 11 is not a class of output")
        // An event tensor whose frames are not the file's 1 x 32 x 32 input.
        let wrongEvents = try file("events.npy", CoreMapArchiveTests.npy([UInt8](repeating: 0, count: 2 * 20 * 2048), descr: "|u1", shape: [2, 20, 2, 32, 32]))
        try refused(["--images", wrongEvents, "--masks", masks], "event tensor of shape (2, 20, 2, 32, 32) is neither (T, 1, 32, 32) nor (N, T, 1, 32, 32)")
        // Framework counts for another output.
        let wrongCounts = try file("counts.npy", CoreMapArchiveTests.npy([Int16](repeating: 0, count: 100 * 2560), descr: "<i2", shape: [100, 10, 16, 16]))
        try refused(["--images", events, "--masks", masks, "--framework", wrongCounts], "expected [100, 11, 16, 16]")
    }
}
