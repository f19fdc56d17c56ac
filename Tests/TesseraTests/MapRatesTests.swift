import Foundation
import Testing
@testable import Tessera

/// A compiled map keeps the firing rates compile weighed placement by, with their source,
/// in both core map formats, so that `tessera report MAP` counts at them without a rate
/// option; rates outside 0...1 in a map are refused, naming the field.
@Suite struct MapRatesTests {
    @Test func compiledMapsKeepTheRatesPlacementUsed() throws {
        let network = try PlacementTests.chain()
        let compiled = try Compiler(network).compile()
        // The rates compile measured (64 ticks of its seeded stimulus, seed 1), counted here by
        // hand from that stimulus and the neuron semantics, not by the measuring call:
        // `a` (identity weights, threshold 1) fires in every tick its input spikes, so its
        // count is the input's; `b` (threshold 2, reset by subtraction) sees in tick t what `a`
        // fired in t - 1, so over 64 ticks it fires floor(c / 2) times for the c spikes its
        // input element had in ticks 0...62 (as PlacementTests.measuredRatesMatchAHandCount).
        let events = FiringRates.randomStimulus(network.graph, ticks: 64, seed: 1).spikes["x"] ?? []
        let early = (0..<3).map { i in events.filter { $0.index == i && $0.tick < 63 }.count }
        let byHand: [String: Double] = ["a": Double(events.count) / Double(3 * 64),
                                        "b": Double(early.map { $0 / 2 }.reduce(0, +)) / Double(3 * 64)]
        #expect(events.count > 0)
        let dir = try TestSupport.temporaryDirectory()
        for name in ["m.json", "m.npz"] {
            let path = dir.appendingPathComponent(name).path
            try CoreMapFile.save(compiled.map, to: path)
            let map = try CoreMapFile.load(path: path)
            #expect(map.layers.map(\.name) == ["a", "b"])
            for layer in map.layers { #expect(layer.rate == byHand[layer.name], "\(name): \(layer.name): \(layer.rate ?? -1), by hand \(byHand[layer.name] ?? -1)") }
            #expect(map.rateSource == "reference run, 64 ticks of random rate-coded input (seed 1)" && map.inputRate == 0.5, "\(map.rateSource ?? "none")")
            // Layer a copies its input (identity weights, threshold 1) and b halves a's
            // spikes (threshold 2): by hand, b's rate is at most half of a's.
            let (a, b) = (try #require(map.layers[0].rate), try #require(map.layers[1].rate))
            #expect(a > 0.3 && b <= a / 2 + 1e-12)
            // Counting at the kept rates equals counting at the hand-counted ones.
            let kept = Activity.analytic(map, rates: { n in map.layers.first { $0.name == n }?.rate ?? -1 }, inputRate: 0.5, ticks: 64, source: "kept")
            let direct = Activity.analytic(map, rates: { byHand[$0] ?? -1 }, inputRate: 0.5, ticks: 64, source: "kept")
            #expect(kept == direct)
        }
    }

    @Test func ratesOutsideZeroToOneAreRefused() throws {
        let network = try PlacementTests.chain()
        let json = try Compiler(network).compile().map.json
        let cases = [
            (json.replacing(#/"rate": [0-9.e-]+/#, with: "\"rate\": 1.5", maxReplacements: 1), "layers[0].rate"),
            (json.replacing(#/"input": 0\.5/#, with: "\"input\": -0.25", maxReplacements: 1), "rates.input"),
            (json.replacing(#/"rate": [0-9.e-]+/#, with: "\"rate\": \"fast\"", maxReplacements: 1), "layers[0].rate"),
        ]
        for (text, field) in cases {
            #expect(text != json)
            let path = try TestSupport.write(text, named: "bad-rate.json")
            do {
                _ = try CoreMapFile.load(path: path)
                Issue.record("accepted a map with a bad \(field)")
            } catch {
                // `load` throws only diagnostics (typed throws).
                #expect(error.description.contains(field) && error.description.contains("bad-rate.json"), "\(error.description)")
            }
        }
    }

    /// The v2 archive's header holds the same fields, checked alike: each bad value, put
    /// into the header of a real compiled map, is refused naming its field.
    @Test func ratesOutsideZeroToOneAreRefusedInV2() throws {
        let network = try PlacementTests.chain()
        let saved = try TestSupport.temporaryDirectory().appendingPathComponent("rates.npz").path
        try Compiler(network).compile().map.save(to: saved)
        var members = try CoreMapArchiveReader.members(path: saved)
        let headerMember = try #require(members["header.npy"])
        // The header member is a .npy (version 1.0) of bytes: its JSON text follows the
        // 10-byte preamble and the .npy header, whose length is the preamble's last two bytes.
        let bytes = [UInt8](headerMember)
        try #require(bytes.count > 10 && bytes[6] == 1)
        let start = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
        let json = String(decoding: bytes[start...], as: UTF8.self)
        #expect(json.contains("\"rate\""), "the compiled map keeps rates: \(json.prefix(200))")
        let cases = [
            (json.replacing(#/"rate": ?[0-9.e-]+/#, with: "\"rate\": 1.5", maxReplacements: 1), "layers[0].rate"),
            (json.replacing(#/"input": ?0\.5/#, with: "\"input\": -0.25", maxReplacements: 1), "rates.input"),
        ]
        for (text, field) in cases {
            #expect(text != json, "\(field) was not found to change")
            members["header.npy"] = CoreMapArchiveTests.npy(Array(text.utf8), descr: "|u1")
            let path = try CoreMapArchiveTests.archive(members)
            do {
                _ = try CoreMapFile.load(path: path)
                Issue.record("accepted a v2 map with a bad \(field)")
            } catch {
                let message = error.diagnostics.map(\.message).joined(separator: "\n")
                #expect(message.contains(field), "\(message)")
            }
        }
    }
}
