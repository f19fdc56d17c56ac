import Foundation
import Testing
@testable import Hardware
@testable import Mapping
@testable import Tessera

/// The chip-to-chip link loads: by hand on a 3x3 board, recomputed from written maps by
/// walking each route link by link, and the target's link capacity read and checked.
@Suite struct ChipLinkTests {
    /// Route (0,0) -> (2,1) at 2 spikes per tick goes east over (0,0)->(1,0) and
    /// (1,0)->(2,0), then south over (2,0)->(2,1); route (2,2) -> (0,2) at 1 goes west over
    /// (2,2)->(1,2) and (1,2)->(0,2). Five links carry 2, 2, 2, 1, 1: largest 2, mean 1.6.
    /// A 3x3 board has 2 links per row and column, each in two directions: 24.
    @Test func loadsByHand() {
        var loads = ChipLinkLoads(chips: [3, 3])
        loads.add(from: (0, 0), to: (2, 1), spikes: 2)
        loads.add(from: (2, 2), to: (0, 2), spikes: 1)
        let all = Dictionary(uniqueKeysWithValues: loads.loads().map { ($0.link.description, $0.spikes) })
        #expect(all["(0, 0) -> (1, 0)"] == 2)
        #expect(all["(1, 0) -> (2, 0)"] == 2)
        #expect(all["(2, 0) -> (2, 1)"] == 2)
        #expect(all["(2, 2) -> (1, 2)"] == 1)
        #expect(all["(1, 2) -> (0, 2)"] == 1)
        #expect(all["(1, 0) -> (0, 0)"] == 0 && all["(2, 1) -> (2, 2)"] == 0)
        let s = loads.summary()
        #expect(s.largest == 2 && s.used == 5 && s.links == 24)
        #expect(abs(s.mean - 1.6) < 1e-12)
        #expect(s.busiest == ChipLinkLoads.Link(from: [0, 0], to: [1, 0]))
    }

    /// Each route walked one link at a time, x first then y, as the routers forward it.
    static func walk(_ map: CoreMap, rate: (Int) -> Double) -> [String: Double] {
        var loads: [String: Double] = [:]
        for (c, core) in map.cores.enumerated() {
            for n in core.neurons {
                guard case let .axon(target, _, _)? = n.destination else { continue }
                var at = core.chip
                let to = map.cores[target].chip
                while at != to {
                    var next = at
                    if at[0] != to[0] { next[0] += at[0] < to[0] ? 1 : -1 } else { next[1] += at[1] < to[1] ? 1 : -1 }
                    loads["(\(at[0]), \(at[1])) -> (\(next[0]), \(next[1]))", default: 0] += rate(c)
                    at = next
                }
            }
        }
        return loads
    }

    /// The busiest link and the mean load that compile reports, and that `report` computes
    /// from the map, equal a link-by-link walk of the written map's routes at the measured
    /// rates. One core per chip, so that every route between cores crosses a link (with two
    /// cores a chip, 7 of seeds 0..<12 had no spike on any link and compared 0 with 0). Seeds 5, 6
    /// and 10 are left out: the senders of their cross-chip routes are silent at the
    /// measured rates (rate 0), which would again compare nothing; each seed here must
    /// put spikes on links.
    @Test(arguments: [0, 1, 2, 3, 4, 7, 8, 9, 11, 12, 13, 14])
    func compiledLinkLoadsMatchTheWrittenMap(seed: Int) throws {
        let graph = try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed), small: true)).graph
        let target = try Target.load(Self.target(link: "{ spikesPerTick: 1000, source: \"test\" }", coresPerChip: "[1, 1]"))
        let network = try IntegerNetwork.check(graph, target: target)
        let compiled = try Compiler(network).compile()
        let rates = try #require(FiringRates.measure(network))
        let map = compiled.map
        let walked = Self.walk(map) { rates.rate(of: network.graph.layers[compiled.recipes[$0].layer].name) }.filter { $0.value > 1e-9 }
        let links = compiled.placement.links
        let largest = walked.values.max() ?? 0
        #expect(!walked.isEmpty && Set(map.cores.map(\.chip)).count == map.cores.count, "seed \(seed): no spikes on links")
        #expect(abs(links.largestSpikesPerTick - largest) < 1e-9 * max(1, largest))
        #expect(links.linksUsed == walked.count)
        let mean = walked.isEmpty ? 0 : walked.values.reduce(0, +) / Double(walked.count)
        #expect(abs(links.meanSpikesPerTick - mean) < 1e-9 * max(1, mean))
        if let busiest = links.busiestLink { #expect(abs((walked[busiest] ?? -1) - largest) < 1e-9 * max(1, largest)) }
        // The report's analytic count of the same map at the same rates.
        let activity = Activity.analytic(map, rates: rates.rate(of:), inputRate: 0.5, ticks: 1, source: "test")
        let report = try #require(activity.links).summary()
        #expect(abs(report.largest - largest) < 1e-9 * max(1, largest))
        #expect(report.used == walked.count)
        // At one spike per neuron per tick every route counts, silent or not.
        let unit = Self.walk(map) { _ in 1 }
        let all = try #require(Activity.analytic(map, rates: { _ in 1 }, inputRate: 0.5, ticks: 1, source: "test").links).summary()
        #expect(all.used == unit.count && abs(all.largest - (unit.values.max() ?? 0)) < 1e-9 && all.used >= walked.count)
    }

    /// A target whose links carry less than the busiest one needs: the warning names the
    /// link and the tick rate it sustains, capacity x tickHz / load (1000 Hz x 0.01 / load).
    @Test func overloadedLinkIsWarnedAbout() throws {
        let path = try Self.target(link: "{ spikesPerTick: 0.01, source: \"test\" }")
        let target = try Target.load(path)
        #expect(target.board.link?.spikesPerTick == 0.01)
        var found = false
        for seed in 0..<12 {
            let graph = try Verifier.verify(CompilerPropertyTests.network(seed: UInt64(seed), small: true)).graph
            let compiled = try Compiler(try IntegerNetwork.check(graph, target: target)).compile()
            let links = compiled.placement.links
            guard links.largestSpikesPerTick > 0.01 else { continue }
            found = true
            #expect(!links.keepsUp)
            let hz = 0.01 * 1000 / links.largestSpikesPerTick
            #expect(abs((links.sustainableTickHz ?? -1) - hz) < 1e-9 * hz)
            let warning = try #require(links.warning)
            #expect(warning.hasPrefix("warning: chip link \(links.busiestLink ?? "?")"))
            #expect(warning.contains(String(format: "%.4g Hz", hz)))
        }
        #expect(found)
    }

    /// A link capacity of zero, or a link without its source, is an error at its line.
    @Test func badLinkCapacityIsAnError() throws {
        let zero = try Self.target(link: "{ spikesPerTick: 0, source: \"none\" }")
        #expect(throws: DiagnosticError.self) { try Target.load(zero) }
        do {
            _ = try Target.load(zero)
        } catch {
            #expect(error.description.contains("target.yaml:6:26") && error.description.contains("greater than 0"))
        }
        let unsourced = try Self.target(link: "{ spikesPerTick: 10 }")
        do {
            _ = try Target.load(unsourced)
            Issue.record("a link without a source loaded")
        } catch {
            #expect(error.description.contains("target.yaml:6") && error.description.contains("'source'"))
        }
    }

    /// The tiny target's cores on chips of two cores each (or `coresPerChip`), 4x4 chips, so
    /// that most routes of a small network cross chips, with a `chip: link:` of its own.
    static func target(link: String, coresPerChip: String = "[2, 1]") throws -> String {
        try TestSupport.write("""
        base: \(TestSupport.target("tiny"))
        name: tiny-links
        description: tiny cores, \(coresPerChip) per chip, with a link capacity
        chip:
          cores: \(coresPerChip)
          link: \(link)
        board:
          chips: [4, 4]
        """, named: "target.yaml")
    }
}
