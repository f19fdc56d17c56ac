import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// The binary-activation network trained by tools/train_digits.py, compiled to binary
/// mode (one tick per layer, membrane cleared every tick), runs one test image per tick as
/// a pipeline and matches the network's own integer forward pass (computed by the script
/// in NumPy, `binary_expected.npz`) bit for bit on all 360 test images.
@Suite struct DigitsBinaryTests {
    static func fixture(_ name: String) -> String { TestSupport.packageRoot.appendingPathComponent("Tests/TesseraTests/Fixtures/digits/\(name)").path }

    /// `binary-scaled.yaml` is the same network with trained scales (a weight scale per
    /// hidden channel, one for the outputs, an activation scale of 0.5 for the hidden
    /// spikes; tools/make_scaled_binary.py checks that its own forward pass gives the same
    /// bits): folded by fold-scales and binarise-activations, it must match too.
    @Test(arguments: ["binary.yaml", "binary-scaled.yaml"])
    func binaryNetworkMatchesItsIntegerForwardPass(_ file: String) throws {
        let target = try Target.load(TestSupport.target("truenorth"))
        // Through the conversion pipeline: BinariseActivations rewrites the layers (bias
        // 1 - m, threshold 1), which must not change a single bit.
        let converted = try Network.load(Self.fixture(file)).convert()
        #expect(converted.stages.map(\.pass) == (file == "binary.yaml" ? [] : ["fold-scales"]) + ["binarise-activations"])
        let network = converted.network
        let compiled = try Compiler(try IntegerNetwork.check(network.graph, target: target)).compile()
        let map = compiled.map
        let images = try NPYFile.read(path: Self.fixture("test_images.npy"))
        let expected = try NPZArchive(path: Self.fixture("binary_expected.npz"))
        let hidden = try #require(try expected.tensor("hidden")), output = try #require(try expected.tensor("output"))
        let count = images.shape[0]
        #expect(count == 360 && hidden.shape == [360, 64] && output.shape == [360, 10])
        // Image i is presented in tick i, through the binary input encoding.
        var events: [SpikeInput.Event] = []
        for i in 0..<count {
            let image = ["image": Array(images.values[(i * 64)..<((i + 1) * 64)])]
            let encoded = try InputEncoder.encode(image, ports: map.inputs, encoding: .binary, ticks: 1, seed: 0)
            events += (encoded.spikes["image"] ?? []).map { .init(tick: i + $0.tick, index: $0.index) }
        }
        let result = try map.emulate(SpikeInput(ticks: count, spikes: ["image": events]), ticks: count + 2)
        for port in result.outputs {
            let (width, reference) = port.name == "h1" ? (64, hidden) : (10, output)
            let latency = try #require(map.outputs.first { $0.name == port.name }?.latency)
            var bits = [Double](repeating: 0, count: count * width)
            for e in port.spikes where e.tick - latency < count { bits[(e.tick - latency) * width + e.index] = 1 }
            #expect(latency == (port.name == "h1" ? 0 : 1))
            let wrong = (0..<count).filter { i in bits[(i * width)..<((i + 1) * width)] != reference.values[(i * width)..<((i + 1) * width)] }
            #expect(wrong.isEmpty, "\(port.name): \(wrong.count) of \(count) images differ")
        }
        // Not vacuous: the hidden layer and the outputs fire, and not always.
        let fired = result.outputs.map { $0.spikes.count }
        #expect(fired.allSatisfy { $0 > 1000 } && fired[1] < count * 10 / 2, "\(fired)")
    }
}
