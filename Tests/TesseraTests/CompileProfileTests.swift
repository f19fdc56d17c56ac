import Foundation
import Testing
@testable import Mapping
@testable import Tessera
import TesseraSupport

/// What `tessera compile --profile` prints (``StageProfile``), and that the parallel parts
/// of a compile do not change its map: the archive is the same bytes with one thread and
/// with two, and the same again from a second compile.
@Suite struct CompileProfileTests {
    /// Laps name the stages in order; details (steps that overlapped in time, such as the
    /// two placement candidates refined at once) are listed under their stage but not added
    /// to the total, which is the sum of the other stages' seconds. Peak memory only grows.
    @Test func lapsDetailsAndTotal() {
        var inner = StageProfile()
        inner.lap("by halves")
        inner.lap("at once")
        var profile = StageProfile()
        profile.lap("analysis")
        profile.lap("refinement")
        profile.append(inner, prefix: "placement: ", asDetails: true)
        profile.lap("writing")
        #expect(profile.stages.map(\.name) == ["analysis", "refinement", "placement: by halves", "placement: at once", "writing"])
        #expect(profile.stages.map(\.detail) == [false, false, true, true, false])
        let topLevel = profile.stages.filter { !$0.detail }.reduce(0) { $0 + $1.seconds }
        #expect(profile.seconds == topLevel)
        let peaks = profile.stages.map(\.peakBytes)
        #expect(peaks.allSatisfy { $0 > 0 } && zip(peaks, peaks.dropFirst()).allSatisfy { $0 <= $1 })
        // Header, one line per stage (details indented by two spaces), total.
        let table = profile.table
        #expect(table.count == 7 && table[0].hasPrefix("stage") && table[6].hasPrefix("total"))
        #expect(table[3].hasPrefix("  placement: by halves") && table[2].hasPrefix("refinement "))
    }

    /// A compile's own profile names its stages in the order they run.
    @Test func compileNamesItsStages() throws {
        let network = try IntegerNetwork.check(try Verifier.verify(FanInSplitTests.network(seed: 2)).graph, target: FanInSplitTests.tiny)
        let names = try Compiler(network).compile().profile.stages.map(\.name)
        #expect(Array(names.prefix(3)) == ["analysis", "partition (tile search, recipes, routes)", "firing rates"])
        #expect(names.dropFirst(3).allSatisfy { $0.hasPrefix("placement: ") } && names.last == "placement: figures")
    }

    /// deeplab-small on truenorth (split layers, merge cores, several layers' tiles): the
    /// archive written by one thread, by two, and from a second compile are the same bytes.
    @Test func archivesAreTheSameBytesWithOneThreadAndTwo() throws {
        let net = try Network.load(TestSupport.example("deeplab/deeplab-small.yaml"))
        let target = try Target.load(TestSupport.target("truenorth"))
        let integer = try IntegerNetwork.check(try net.convert(target: target).network.graph, target: target)
        let dir = try TestSupport.temporaryDirectory()
        var bytes: [Data] = []
        for (run, threads) in [(0, 1), (0, 2), (1, 2)] {
            let compiled = try Compiler(integer).compile()
            let path = dir.appendingPathComponent("map-\(run)-\(threads).npz").path
            let summary = try #require(try compiled.write(to: path, threads: threads))
            #expect(summary.cores == compiled.coreCount && compiled.coreCount > 500)
            bytes.append(try #require(FileManager.default.contents(atPath: path)))
        }
        #expect(bytes[0] == bytes[1], "one thread and two wrote different archives")
        #expect(bytes[1] == bytes[2], "a second compile wrote a different archive")
    }
}
