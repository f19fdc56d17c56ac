import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// The float MLP trained by tools/train_digits.py, converted (threshold balancing on 200
/// training images, 4-bit weights), compiled for TrueNorth and emulated on the core map with
/// rate-coded test images, classifies the 360 held-out digits within 1 percentage point of
/// the float network at <= 64 ticks.
@Suite struct DigitsConversionTests {
    static func fixture(_ name: String) -> String { DigitsBinaryTests.fixture(name) }

    static func samples(_ file: String) throws -> [[String: [Double]]] {
        let images = try NPYFile.read(path: fixture(file))
        return (0..<images.shape[0]).map { i in ["image": Array(images.values[(i * 64)..<((i + 1) * 64)])] }
    }

    /// Accuracy of the converted network per number of ticks, from one emulation per image.
    static func accuracyCurve(_ map: CoreMap, images: [[String: [Double]]], labels: [Int], ticks: [Int]) throws -> [Int: Double] {
        let port = try #require(map.outputs.first)
        let longest = ticks.max() ?? 1
        var correct = [Int: Int]()
        for (i, image) in images.enumerated() {
            let input = try InputEncoder.encode(image, ports: map.inputs, encoding: .rate, ticks: longest, seed: 1)
            let result = try map.emulate(input, ticks: longest + port.latency)
            let spikes = result.outputs[0].spikes
            for t in ticks {
                var counts = [Int](repeating: 0, count: port.shape.reduce(1, *))
                for e in spikes where e.tick < t + port.latency { counts[e.index] += 1 }
                let best = counts.max() ?? 0
                if best > 0, counts.firstIndex(of: best) == labels[i] { correct[t, default: 0] += 1 }
            }
        }
        return correct.mapValues { Double($0) / Double(images.count) }
    }

    @Test func convertedMLPMatchesTheFloatNetwork() throws {
        let network = try Network.load(Self.fixture("mlp.yaml"))
        let images = try Self.samples("test_images.npy"), calibration = try Self.samples("calibration.npy")
        let labels = try NPYFile.read(path: Self.fixture("test_labels.npy")).values.map { Int($0) }
        // Float accuracy from our own evaluator, checked against what scikit-learn measured.
        let forward = AnalogForward(network.graph)
        let floatCorrect = images.indices.filter { i in
            let scores = forward.run(images[i], linear: ["out"]).last ?? []
            return scores.firstIndex(of: scores.max() ?? 0) == labels[i]
        }.count
        let floatAccuracy = Double(floatCorrect) / Double(images.count)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixture("summary.json")))) as? [String: Any]
        #expect(abs(floatAccuracy - (summary?["mlp_accuracy"] as? Double ?? -1)) < 1e-9)

        let balanced = try BalanceThresholds(percentile: 99.9).run(network.graph, calibration: calibration)
        let quantised = try QuantiseWeights(.bits(4)).run(balanced.graph)
        let target = try Target.load(TestSupport.target("truenorth"))
        let compiled = try Compiler(try IntegerNetwork.check(quantised.graph, target: target)).compile()
        #expect(compiled.approximations.isEmpty)
        let ticks = [1, 2, 4, 8, 16, 32, 64, 128]
        let curve = try Self.accuracyCurve(compiled.map, images: images, labels: labels, ticks: ticks)
        print("float \(floatAccuracy); cores \(compiled.coreCount); " + ticks.map { "T=\($0): \(curve[$0] ?? 0)" }.joined(separator: ", "))
        print(balanced.log.joined(separator: "\n") + "\n" + quantised.log.joined(separator: "\n"))
        let best = ticks.filter { $0 <= 64 }.compactMap { curve[$0] }.max() ?? 0
        #expect(best >= floatAccuracy - 0.01, "best SNN accuracy at <= 64 ticks \(best), float \(floatAccuracy)")
    }
}
