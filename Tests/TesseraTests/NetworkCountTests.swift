import Foundation
import Testing

/// `tessera report` and `tessera render` given a network count the cores of the map
/// `tessera compile` builds before its error measurement: split layers offset-coded, as
/// compile's default. examples/deeplab/deeplab-small.yaml splits conv2, conv3 and fc6, and
/// its offset and net layouts differ in cores, so a count taken with the wrong scheme shows.
@Suite struct NetworkCountTests {
    static let net = TestSupport.example("deeplab/deeplab-small.yaml")

    /// The "N cores on" line of `tessera compile` with the measurement off.
    static func compiledCores(_ extra: [String]) throws -> Int {
        let run = try TestSupport.tessera(["compile", net, "--target", "truenorth-32x32", "--measure-ticks", "0"] + extra)
        try #require(run.status == 0, "\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").last { $0.contains(" cores on 1 chip(s) of target truenorth-32x32") })
        return try #require(Int(line.prefix { $0.isNumber }))
    }

    @Test func reportAndRenderCountCompilesLayout() throws {
        let offset = try Self.compiledCores([])
        let netCoded = try Self.compiledCores(["--partial-sums", "net"])
        // The test tells the schemes apart only if their counts differ.
        try #require(offset != netCoded, "offset and net give \(offset) cores each")
        #expect(try Self.compiledCores(["--partial-sums", "offset"]) == offset)

        let report = try TestSupport.tessera(["report", Self.net, "--target", "truenorth-32x32", "--rate", "0.05"])
        try #require(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("resources on truenorth-32x32: \(offset) cores on 1 chip(s);"), "\(report.stdout)")
        #expect(report.stderr.contains("note: split layers counted with offset partial sums, as `tessera compile` lays them out before its error measurement"), "\(report.stderr)")

        let svg = try TestSupport.temporaryDirectory().appendingPathComponent("net.svg").path
        let render = try TestSupport.tessera(["render", Self.net, "--target", "truenorth-32x32", "-o", svg])
        try #require(render.status == 0, "\(render.stderr)")
        #expect(render.stdout == "wrote \(svg): \(offset) cores, one cell per core\n")
    }
}
