import Foundation
import Testing
@testable import Tessera

@Suite struct TargetTests {
    @Test func truenorthMatchesThePublishedChip() throws {
        let tn = try Target.load(TestSupport.target("truenorth"))
        #expect(tn.core.axons == 256 && tn.core.neurons == 256 && tn.core.axonTypes == 4)
        #expect(tn.core.weightRange == -256...255)        // 9-bit signed
        #expect(tn.core.membraneRange == -524_288...524_287)  // 20-bit signed
        #expect(tn.timing.delays == 1...15)
        #expect(tn.timing.tickHz == 1000)
        #expect(tn.board.coresTotal == 4096)
        #expect(tn.board.coresTotal * tn.core.neurons == 1_048_576)  // "1 million neurons"
        #expect(tn.energy["synapticEvent"]?.value == 26)
        #expect(tn.energy["synapticEvent"]?.source.contains("Merolla") == true || tn.energy["synapticEvent"]?.source.contains("M14") == true)
        for (_, figure) in tn.energy.figures { #expect(!figure.source.isEmpty) }
    }

    @Test func boardAndTinyTargetsInheritFromTrueNorth() throws {
        let tn = try Target.load(TestSupport.target("truenorth"))
        let board = try Target.load(TestSupport.target("truenorth-4x4"))
        #expect(board.name == "truenorth-4x4")
        #expect(board.board.chips == [4, 4])
        #expect(board.board.coresTotal == 16 * 4096)
        #expect(board.core == tn.core)
        #expect(board.energy == tn.energy)
        let tiny = try Target.load(TestSupport.target("tiny"))
        #expect(tiny.core.axons == 16 && tiny.core.neurons == 16)
        #expect(tiny.board.coresPerChip == [4, 4] && tiny.board.chips == [2, 2])
    }

    @Test func bundledTargetsAreFoundByName() throws {
        let run = try TestSupport.tessera(["check", "examples/digits-mlp.yaml", "--target", "tiny"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("target tiny:"))
        let unknown = try TestSupport.tessera(["check", "examples/digits-mlp.yaml", "--target", "truenort"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown target 'truenort'; did you mean 'truenorth'?"))
    }

    /// A network whose lower bound of cores exceeds the board is rejected when the target is
    /// given: SiamSNN needs more than one chip's 4096 cores but fits a 4x4 board.
    @Test func capacityIsCheckedAgainstTheBoard() throws {
        let single = try TestSupport.tessera(["check", "examples/siamsnn/siamsnn.yaml", "--target", "truenorth"])
        #expect(single.status == 1)
        #expect(single.stderr.contains("but target 'truenorth' has 4096 cores"))
        let board = try TestSupport.tessera(["check", "examples/siamsnn/siamsnn.yaml", "--target", "truenorth-4x4"])
        #expect(board.status == 0, "\(board.stderr)")
    }

    static let good = """
    name: t
    core: { axons: 16, neurons: 16, axonTypes: 4, weightBits: 9, leakBits: 9, thresholdBits: 18, negThresholdBits: 18, resetBits: 18, membraneBits: 20, thresholdMaskBits: 17, randomBits: 8 }
    timing: { tickHz: 1000, delay: [1, 15] }
    chip: { cores: [4, 4] }
    board: { chips: [1, 1] }
    energy:
      synapticEvent: { value: 26, unit: pJ, source: "M14" }
    """

    /// Broken targets, each with the line and column (hand-counted) of the offending value.
    @Test(arguments: [
        ("axons: 16", "axons: 0", 2, 16, "core axons must be at least 1, got 0"),
        ("neurons: 16", "neurons: 18", 2, 29, "core neurons must be a multiple of 4, got 18"),
        ("weightBits: 9", "weightBits: 40", 2, 59, "core weightBits must be at most 32, got 40"),
        ("delay: [1, 15]", "delay: [9, 3]", 3, 32, "delay range [9, 3] is empty"),
        ("tickHz: 1000", "tickHz: fast", 3, 19, "expected a finite number for tickHz, got 'fast'"),
        ("cores: [4, 4]", "cores: [4]", 4, 16, "expected an integer or a list of 2 integers for chip cores"),
        ("unit: pJ", "unit: nJ", 7, 37, "energy figure 'synapticEvent' must be in pJ, got 'nJ'"),
        ("synapticEvent:", "synapticEvnt:", 7, 3, "unknown key 'synapticEvnt' in 'energy'; did you mean 'synapticEvent'?"),
        (", source: \"M14\"", "", 7, 18, "energy figure 'synapticEvent' is missing 'source'"),
        ("board: { chips: [1, 1] }", "bord: { chips: [1, 1] }", 5, 1, "unknown key 'bord' in a target file; did you mean 'board'?"),
    ])
    func badTargetsAreRejected(find: String, replace: String, line: Int, column: Int, message: String) throws {
        let path = try TestSupport.write(Self.good.replacingOccurrences(of: find, with: replace), named: "t.yaml")
        do {
            _ = try Target.load(path)
            Issue.record("accepted a broken target")
        } catch {
            let first = try #require(error.diagnostics.first)
            #expect(first.location == SourceLocation(file: path, line: line, column: column), "\(first)")
            #expect(first.message.contains(message), "\(first)")
        }
    }

    @Test func goodTestTargetLoads() throws {
        let path = try TestSupport.write(Self.good, named: "t.yaml")
        let target = try Target.load(path)
        #expect(target.core.axons == 16)
        #expect(target.energy["synapticEvent"]?.unit == "pJ")
    }
}
