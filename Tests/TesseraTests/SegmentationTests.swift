import Foundation
import Testing
@testable import Tessera

/// The small DeepLab and FCN trained by tools/train_segmentation.py to segment digits
/// pasted on a 32x32 canvas (11 classes), converted by their compile: sections, compiled
/// for TrueNorth and emulated on the core map, through the library API a user's tests call.
@Suite struct SegmentationTests {
    static func fixture(_ name: String) -> String { TestSupport.fixtures + "/segmentation/" + name }
    static let classes = 11
    /// Test canvases emulated per network (of the 100 the script wrote), and the first few
    /// of them also run through the reference simulator, spike for spike.
    static let emulated = 10, simulated = 2
    static let ticks = [16, 32, 64]

    struct Fixture {
        var network: Network
        var samples: [[String: [Double]]]
        var masks: [[Int]]
        var float: [[Int]]
        var summary: [String: Double]
    }

    /// The network, the test canvases and masks, and the float network's maps of the first
    /// `count` canvases (the ANN reading runs slowly in a debug build).
    static func load(_ name: String, count: Int = 100) throws -> Fixture {
        let network = try Network.load(fixture("\(name).yaml"))
        let samples = try SampleSet.load(["image": fixture("test_images.npy")], for: network.graph).samples
        let tensor = try NPYFile.read(path: fixture("test_masks.npy"))
        #expect(tensor.shape == [samples.count, 32, 32])
        let masks = samples.indices.map { i in tensor.values[i * 1024..<(i + 1) * 1024].map { Int($0) } }
        let float = try #require(AnalogForward(network.graph).segmentation(Array(samples.prefix(count))))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture("summary.json")))) as? [String: Any]
        let summary = try #require(json?[name] as? [String: Double])
        return Fixture(network: network, samples: samples, masks: masks, float: float, summary: summary)
    }

    static func score(_ predicted: [[Int]], _ truth: [[Int]]) -> SegmentationScore {
        SegmentationScore(classes: classes, predicted: predicted, truth: truth)
    }

    /// The fixture converted by its compile: section and compiled for `target`.
    static func compile(_ f: Fixture, for target: Target) throws -> (integer: IntegerNetwork, compiled: Compiled) {
        let conversion = try f.network.convert(f.network.conversion, target: target)
        let integer = try IntegerNetwork.check(conversion.network.graph, target: target)
        return (integer, try Compiler(integer).compile())
    }

    /// The float network as Tessera reads it (ReLU layers, linear scores, the same per-pixel
    /// rule) scores exactly what the training script measured with its own NumPy forward.
    @Test(arguments: ["deeplab", "fcn"])
    func floatNetworkScoresAsTrained(_ name: String) throws {
        let f = try Self.load(name)
        let score = Self.score(f.float, f.masks)
        #expect(abs(score.meanIoU - (f.summary["mean_iou"] ?? -1)) < 1e-9, "\(name): mean IoU \(score.meanIoU), script \(f.summary)")
        #expect(abs(score.pixelAccuracy - (f.summary["pixel_accuracy"] ?? -1)) < 1e-9)
        // A trained network, not a constant map: it beats labelling every pixel background.
        let background = Self.score(f.masks.map { Array(repeating: 0, count: $0.count) }, f.masks)
        #expect(score.meanIoU > 3 * background.meanIoU)
    }

    /// Converted, compiled and emulated. Both networks' wider convolutions need more than
    /// 256 axons (5-bit weights take 7 lanes per input), so their fan-in is split into
    /// partial sums, which the compiler reports as approximated: the chip's segmentation is
    /// held to the reference simulator's within a bound, and to the float network's.
    @Test(arguments: ["deeplab", "fcn"])
    func emulatedCoreMapSegmentsLikeTheReferenceAndTheFloatNetwork(_ name: String) throws {
        let f = try Self.load(name, count: Self.emulated)
        let target = try Target.load(TestSupport.target("truenorth"))
        let (integer, compiled) = try Self.compile(f, for: target)
        // c1 (9 inputs) fits a core's axons; c2 (72) and c3 (144) do not.
        #expect(compiled.approximations.map(\.layer).sorted() == ["c2", "c3"])
        let map = compiled.map
        let port = try #require(map.outputs.last)
        #expect(port.shape == [Self.classes * 32 * 32])

        // Against the IR reference, over the same 64 ticks of the same encoded input, each
        // read after its own latency (the merges of the split layers add ticks on the chip).
        let emulator = try Emulator(map: map, target: target)
        let reference = ReferenceSimulator(integer)
        let latency = (chip: port.latency, reference: reference.latency(of: port.name))
        #expect(latency.chip > latency.reference)
        var chipVsReference = SegmentationScore(classes: Self.classes)
        var foreground = (pixels: 0, agree: 0)  // pixels the reference labels as a digit
        for i in 0..<Self.simulated {
            let input = try InputEncoder.encode(f.samples[i], ports: map.inputs, encoding: .rate, ticks: 64, seed: 1, sample: i)
            func classes(_ result: EmulationResult, after start: Int) -> [Int] {
                var counts = [Int](repeating: 0, count: Self.classes * 1024)
                for e in result.outputs[0].spikes where e.tick >= start && e.tick < start + 64 { counts[e.index] += 1 }
                return Segmentation.classes(counts, classes: Self.classes)
            }
            let chip = classes(emulator.run(input, ticks: 64 + latency.chip), after: latency.chip)
            let simulated = classes(reference.run(input, ticks: 64 + latency.reference), after: latency.reference)
            chipVsReference.add(predicted: chip, truth: simulated)
            for (c, s) in zip(chip, simulated) where s != 0 { foreground.pixels += 1; foreground.agree += c == s ? 1 : 0 }
        }

        let n = Self.emulated
        let curve = try SegmentationCurve.measure(map, samples: Array(f.samples[..<n]), masks: Array(f.masks[..<n]), ticks: Self.ticks,
                                                  reference: Array(f.float[..<n]), target: target)
        let float = Self.score(Array(f.float[..<n]), Array(f.masks[..<n]))
        print("\(name): \(compiled.coreCount) cores, latency \(latency); chip vs reference: pixels \(chipVsReference.pixelAccuracy), "
              + "mean IoU \(chipVsReference.meanIoU); float mean IoU \(float.meanIoU), pixel accuracy \(float.pixelAccuracy); "
              + curve.ticks.indices.map { k in
                  "T=\(curve.ticks[k]): mean IoU \(curve.scores[k].meanIoU), pixel accuracy \(curve.scores[k].pixelAccuracy), vs float \(curve.agreement[k].meanIoU)"
              }.joined(separator: "; "))
        // The bounds. Everything here is deterministic (the same 10 canvases, the same rate
        // code, seed 1, the same map), so each figure is held to its value measured
        // 2026-12-06, no worse: a regression of one pixel shows. About 81% of the pixels are
        // background, so pixel accuracy alone would pass on background; the digits' own
        // pixels (where the reference labels a digit) and the mean IoU are held too. Measured
        // on all 100 test canvases (`tessera evaluate ... --masks`): DeepLab 52.6% against
        // 53.0% float, FCN 53.3% against 61.7% float (its pooling thresholds are rounded ratios).
        let today = try #require(Self.measured[name])
        #expect(chipVsReference.pixelAccuracy >= today.pixels - 1e-12, "\(name): chip and reference agree on \(chipVsReference.pixelAccuracy) of the pixels")
        #expect(Double(foreground.agree) / Double(max(foreground.pixels, 1)) >= today.foreground - 1e-12 && foreground.pixels > 0,
                "\(name): chip and reference agree on \(foreground.agree) of the \(foreground.pixels) digit pixels")
        #expect(chipVsReference.meanIoU >= today.meanIoU - 1e-12, "\(name): chip vs reference mean IoU \(chipVsReference.meanIoU)")
        let best = try #require(curve.scores.last)
        #expect(float.meanIoU - best.meanIoU <= today.gap + 1e-12, "\(name): emulated mean IoU \(best.meanIoU), float \(float.meanIoU)")
        #expect((curve.agreement.last?.pixelAccuracy ?? 0) >= today.floatPixels - 1e-12 && (curve.agreement.last?.meanIoU ?? 0) >= today.floatMeanIoU - 1e-12,
                "\(name): against the float network, pixels \(curve.agreement.last?.pixelAccuracy ?? -1), mean IoU \(curve.agreement.last?.meanIoU ?? -1)")
        // More ticks, finer rates: 64 ticks agree with the float network better than 16.
        #expect((curve.agreement.last?.meanIoU ?? 0) > (curve.agreement.first?.meanIoU ?? 1))
    }

    /// Figures of `emulatedCoreMapSegmentsLikeTheReferenceAndTheFloatNetwork`, measured
    /// 2026-12-06: chip against reference on 2 canvases (2,048 pixels: all, and the digit
    /// pixels, 288 for DeepLab and 352 for the FCN), the emulated mean IoU's gap below the
    /// float network's on 10 canvases at 64 ticks (10,240 pixels), and agreement with the
    /// float network. Pixel counts are exact; mean IoUs are rounded down and the gap up at
    /// the fourth decimal (the review's complaint: a band of 0.1 on a gap of 0.084-0.091).
    struct Measured { var pixels, foreground, meanIoU, gap, floatPixels, floatMeanIoU: Double }
    static let measured: [String: Measured] = [
        "deeplab": Measured(pixels: 2000.0 / 2048, foreground: 256.0 / 288, meanIoU: 0.8808, gap: 0.0289, floatPixels: 9824.0 / 10240, floatMeanIoU: 0.7366),
        "fcn": Measured(pixels: 1968.0 / 2048, foreground: 280.0 / 352, meanIoU: 0.5126, gap: 0.0912, floatPixels: 9716.0 / 10240, floatMeanIoU: 0.5839),
    ]

    /// Exact where the lowering is exact. On TrueNorth's 256-axon cores both maps split c2
    /// and c3 (above); on a hypothetical core of 1,024 axons every layer's fan-in fits
    /// (c3: 144 inputs x 7 lanes = 1,008), nothing is approximated, and the chip's output
    /// spikes, and so its segmentation, equal the reference simulator's spike for spike.
    @Test(arguments: ["deeplab", "fcn"])
    func onCoresWideEnoughTheSegmentationIsExact(_ name: String) throws {
        let f = try Self.load(name, count: 0)
        let folder = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(atPath: TestSupport.target("truenorth"), toPath: folder.appendingPathComponent("truenorth.yaml").path)
        let wide = folder.appendingPathComponent("wide.yaml").path
        try """
        base: truenorth.yaml
        name: wide
        description: TrueNorth with 1024-axon cores (hypothetical), one chip of 64x64 cores
        core: { axons: 1024, neurons: 256, axonTypes: 4, weightBits: 9, leakBits: 9, membraneBits: 20, thresholdBits: 18, negThresholdBits: 18, resetBits: 18, thresholdMaskBits: 17, randomBits: 8 }
        chip: { cores: [64, 64] }
        board: { chips: [1, 1] }
        """.write(toFile: wide, atomically: true, encoding: .utf8)
        let target = try Target.load(wide)
        let (integer, compiled) = try Self.compile(f, for: target)
        #expect(compiled.approximations.isEmpty)
        let port = try #require(compiled.map.outputs.last)
        let reference = ReferenceSimulator(integer)
        #expect(port.latency == reference.latency(of: port.name))
        let emulator = try Emulator(map: compiled.map, target: target)
        for i in 0..<Self.simulated {
            let input = try InputEncoder.encode(f.samples[i], ports: compiled.map.inputs, encoding: .rate, ticks: 64, seed: 1, sample: i)
            let chip = emulator.run(input, ticks: 64 + port.latency)
            #expect(chip.outputs == reference.run(input, ticks: 64 + port.latency).outputs, "\(name), image \(i)")
            #expect(chip.outputs[0].counts.reduce(0, +) > 0)
        }
    }

    /// A one-pixel "segmentation" read from the dense network of TestSupport: fc = [[-3, -2,
    /// -1, 0], [1, 2, 3, 4]] x, all four inputs at rate 1. Class 0's neuron gets -6 a tick
    /// and never fires, class 1's gets 10 and fires every tick, so the pixel is class 1.
    /// Masks that do not fit the output, or name a class it does not have, are refused.
    @Test func curveOnADenseNetworkAndBadMasks() throws {
        let (path, _) = try TestSupport.integerDenseNetwork(spikes: "{}")
        let target = try Target.load(TestSupport.target("truenorth"))
        let network = try Network.load(path)
        let map = try Compiler(try IntegerNetwork.check(network.graph, target: target)).compile().map
        let sample: [String: [Double]] = ["x": [1, 1, 1, 1]]
        let curve = try SegmentationCurve.measure(map, samples: [sample], masks: [[1]], ticks: [4], target: target)
        #expect(curve.predictions == [[1]])
        #expect(curve.scores[0].perClass == [nil, 1])
        func refused(_ masks: [[Int]], _ message: String) {
            let error = #expect(throws: DiagnosticError.self) {
                try SegmentationCurve.measure(map, samples: [sample], masks: masks, ticks: [4], target: target)
            }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
        refused([[2]], "class 2 is not a class of output 'fc' (0..<2)")
        refused([[0, 0, 0]], "not a whole number of classes for masks of 3 pixels")
        refused([[0], [1]], "1 samples but 2 masks")
        let both = try TestSupport.tessera(["evaluate", path, "--images", "x.npy", "--labels", "l.npy", "--masks", "m.npy"])
        #expect(both.status == 1 && both.stderr.contains("give either --labels (classification) or --masks (segmentation)"))
    }

    /// An output at half the masks' size, read by hand: 2 classes at 2 x 2, masks 4 x 4.
    /// Each output position reads the 2 x 2 mask pixels it covers; sizes that are not a
    /// whole multiple, or not the same one on both axes, match nothing.
    @Test func geometryReadsAHalfSizeOutput() throws {
        let g = try #require(Segmentation.Geometry.matching(elements: 8, output: [2, 2, 2], maskHeight: 4, maskWidth: 4))
        #expect(g == Segmentation.Geometry(classes: 2, height: 2, width: 2, scale: 2) && g.maskPixels == 16)
        // Class 0 counts [0, 5; 1, 0], class 1 [3, 2; 0, 0]: positions read 1, 0, 0 and 0 (silent).
        #expect(g.read([0, 5, 1, 0, 3, 2, 0, 0]) == [1, 1, 0, 0,
                                                     1, 1, 0, 0,
                                                     0, 0, 0, 0,
                                                     0, 0, 0, 0])
        #expect(Segmentation.Geometry.matching(elements: 8, output: [2, 2, 2], maskHeight: 5, maskWidth: 4) == nil)
        #expect(Segmentation.Geometry.matching(elements: 8, output: [2, 2, 2], maskHeight: 4, maskWidth: 6) == nil)
        // Same size: the old reading, classes from the element count.
        #expect(Segmentation.Geometry.matching(elements: 8, output: nil, maskHeight: 2, maskWidth: 2) == Segmentation.Geometry(classes: 2, height: 2, width: 2))
    }

    /// Per-pixel reading and IoU by hand: 2 classes on 4 pixels.
    @Test func scoreByHand() {
        // counts [2 classes, 1 x 4]: pixel 0 silent (background), 1 class 1, 2 a tie (lower
        // index, 0), 3 class 1.
        let predicted = Segmentation.classes([0, 0, 3, 2, 0, 5, 3, 4], classes: 2)
        #expect(predicted == [0, 1, 0, 1])
        var score = SegmentationScore(classes: 2)
        score.add(predicted: predicted, truth: [0, 0, 1, 1])
        // class 0: predicted {0, 2}, truth {0, 1}: 1 / 3; class 1: {1, 3} vs {2, 3}: 1 / 3.
        let third: Double? = 1.0 / 3
        #expect(score.perClass == [third, third])
        #expect(score.meanIoU == third)
        #expect(score.pixelAccuracy == 0.5)
    }
}
