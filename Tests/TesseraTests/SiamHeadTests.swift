import Foundation
import Testing
@testable import Tessera

/// The SiamSNN head on a chip: the exemplar's features, computed once off-chip, are bound
/// as the cross-correlation head's template; the emulated response map peaks where the
/// float cross-correlation of the same features does, and rebinding a new template leaves
/// the backbone's cores as they were.
@Suite struct SiamHeadTests {
    /// A one-layer backbone (1 -> C channels, 3x3, synthetic trinary weights), a 6x6
    /// exemplar and a 14x14 search image: template Cx4x4, search features Cx12x12, response
    /// 1x9x9. The template is bound as 3-bit weights: with C = 2 the head's 32 inputs fit
    /// one core's axons (exact); with C = 8 its fan-in is split into partial sums
    /// (approximated, and only the peak is checked).
    static func yaml(channels: Int) -> String { """
    network: siam-small
    inputs:
      exemplar: { shape: [1, 6, 6], encoding: rate }
      search: { shape: [1, 14, 14], encoding: rate }
    init: { seed: 7, values: trinary }
    defaults:
      neuron: { model: if, threshold: 1.0, reset: subtract }
    blocks:
      backbone:
        - { name: conv1, op: conv2d, out: \(channels), kernel: 3 }
    layers:
      - { name: z, block: backbone, input: exemplar }
      - { name: x, block: backbone, input: search }
      - { name: score, op: xcorr, template: z, search: x }
    outputs: [score]
    """ }

    static let ticks = 32

    /// A 6x6 exemplar of seeded random intensities, and a search image holding it at
    /// (row, column) on a dark background.
    static func images(seed: UInt64, at place: (Int, Int)) -> (exemplar: [Double], search: [Double]) {
        var random = SeededRandom(seed: seed, name: "siam-head")
        let exemplar = (0..<36).map { _ in random.nextUnit() < 0.5 ? 1.0 : 0.25 * random.nextUnit() }
        var search = [Double](repeating: 0, count: 14 * 14)
        for r in 0..<6 { for c in 0..<6 { search[(place.0 + r) * 14 + place.1 + c] = exemplar[r * 6 + c] } }
        return (exemplar, search)
    }

    static func spikes(_ port: String, _ values: [Double], shape: [Int], ticks: Int) throws -> SpikeInput {
        try InputEncoder.encode([port: values], ports: [InputPort(name: port, shape: shape, targets: [])], encoding: .rate, ticks: ticks, seed: 0)
    }

    /// Float cross-correlation of the template with search features (both spike counts):
    /// the peak position (first of a tie) in the 9x9 response.
    static func floatPeak(template z: [Double], features x: [Int], channels: Int) -> Int {
        var best = (value: -Double.infinity, at: 0)
        for oy in 0..<9 {
            for ox in 0..<9 {
                var sum = 0.0
                for c in 0..<channels { for ky in 0..<4 { for kx in 0..<4 {
                    sum += z[(c * 4 + ky) * 4 + kx] * Double(x[(c * 12 + oy + ky) * 12 + ox + kx])
                } } }
                if sum > best.value { best = (sum, oy * 9 + ox) }
            }
        }
        return best.at
    }

    @Test(arguments: [(seed: UInt64(1), row: 5, column: 3, channels: 2), (seed: 2, row: 1, column: 7, channels: 2),
                      (seed: 3, row: 8, column: 8, channels: 2), (seed: 4, row: 4, column: 2, channels: 8)])
    func responsePeaksWhereTheFloatCorrelationDoes(seed: UInt64, row: Int, column: Int, channels: Int) throws {
        let target = try Target.load("truenorth")
        let net = try Network.load(yaml: Self.yaml(channels: channels))
        let (exemplar, search) = Self.images(seed: seed, at: (row, column))

        // Stage 1, off-chip: the exemplar's features, bound as the head's template.
        let z = try net.templateFeatures(head: "score", exemplar: try Self.spikes("exemplar", exemplar, shape: [1, 6, 6], ticks: Self.ticks),
                                         ticks: Self.ticks, target: target)
        #expect(z.shape == [channels, 4, 4] && z.values.contains { $0 > 0 })
        let bound = try net.bindingTemplate(z, to: "score")

        // Stage 2, on chip: the search branch and the head.
        let compiled = try Compiler(try IntegerNetwork.check(bound.graph, target: target)).compile()
        let map = compiled.map
        let latency = map.outputs[0].latency
        let input = try Self.spikes("search", search, shape: [1, 14, 14], ticks: Self.ticks)
        let emulated = try Emulator(map: map, target: target).run(input, ticks: Self.ticks + latency)

        // The same features on the search side, from the reference simulator of the branch.
        var features = bound.graph
        features.outputs = ["x/conv1"]
        let x = ReferenceSimulator(try IntegerNetwork.check(features, target: target)).run(input, ticks: Self.ticks).outputs[0].counts

        // The search image holds the exemplar at (row, column), so the features there equal
        // the template and the float correlation peaks there (sum of z squared).
        let peak = Self.floatPeak(template: z.values, features: x, channels: channels)
        #expect(peak == row * 9 + column)
        #expect(emulated.outputs[0].argmax == peak)
        // Where the head's lowering is exact the chip's response equals the reference's;
        // where its fan-in is split it is approximated, and only the peak is promised.
        let split = compiled.approximations.contains { $0.layer == "score" }
        #expect(split == (channels == 8))
        if !split {
            let reference = ReferenceSimulator(try IntegerNetwork.check(bound.graph, target: target)).run(input, ticks: Self.ticks + latency)
            #expect(emulated.outputs[0].counts == reference.outputs[0].counts)
        }
    }

    /// Tracking a new object: a second template, bound and compiled with the first
    /// compile's firing rates (so placement weighs the same traffic), changes the head's
    /// cores only; every backbone core is the same, place, crossbar and neurons.
    @Test func rebindingChangesOnlyTheHead() throws {
        let target = try Target.load("truenorth")
        let net = try Network.load(yaml: Self.yaml(channels: 2))
        func bound(seed: UInt64) throws -> IntegerNetwork {
            let exemplar = try Self.spikes("exemplar", Self.images(seed: seed, at: (0, 0)).exemplar, shape: [1, 6, 6], ticks: Self.ticks)
            let z = try net.templateFeatures(head: "score", exemplar: exemplar, ticks: Self.ticks, target: target)
            return try IntegerNetwork.check(try net.bindingTemplate(z, to: "score").graph, target: target)
        }
        let rates = FiringRates.measure(try bound(seed: 1))
        func map(seed: UInt64) throws -> CoreMap {
            try Compiler(try bound(seed: seed), options: .init(rates: rates)).compile().map
        }
        let (a, b) = (try map(seed: 1), try map(seed: 2))
        let head = a.layers.firstIndex { $0.name == "score" }
        #expect(a.cores.count == b.cores.count)
        let backbone = a.cores.indices.filter { a.cores[$0].layer != head }
        #expect(!backbone.isEmpty && backbone.allSatisfy { a.cores[$0] == b.cores[$0] })
        #expect(a.cores.indices.contains { a.cores[$0].layer == head && a.cores[$0] != b.cores[$0] })

        // Bad bindings are refused with the layer named, and what it needs: the template's
        // shape (2 channels of 6 - 3 + 1 = 4 x 4), a nonzero template, an xcorr head.
        func refusal(_ features: Tensor, to head: String) -> String {
            let error = #expect(throws: DiagnosticError.self) { try net.bindingTemplate(features, to: head) }
            return error?.description ?? ""
        }
        let shape = refusal(Tensor(repeating: 1, shape: [2, 3, 3]), to: "score")
        #expect(shape.contains("'score'") && shape.contains("(2, 3, 3)") && shape.contains("2x4x4"), "\(shape)")
        let zero = refusal(Tensor(repeating: 0, shape: [2, 4, 4]), to: "score")
        #expect(zero.contains("'score'") && zero.contains("all zero"), "\(zero)")
        let notHead = refusal(Tensor(repeating: 1, shape: [2, 4, 4]), to: "x/conv1")
        #expect(notHead.contains("'x/conv1'") && notHead.contains("conv2d") && notHead.contains("not an xcorr head"), "\(notHead)")
    }
}
