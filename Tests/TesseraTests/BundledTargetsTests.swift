import Foundation
import Testing
@testable import Hardware
import Tessera

/// The bundled targets are compiled in (`tools/bundle_targets.sh` writes
/// Sources/Hardware/BundledTargets.swift), so a `tessera` copied out of the checkout knows
/// them from any folder.
@Suite struct BundledTargetsTests {
    /// The compiled-in texts are the files of targets/, byte for byte, and none is missing.
    @Test func compiledInTargetsAreTheFiles() throws {
        let folder = TestSupport.packageRoot.appendingPathComponent("targets")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == BundledTargets.files.keys.sorted(), "run tools/bundle_targets.sh")
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(BundledTargets.files[file] == text, "\(file) differs from its compiled-in copy: run tools/bundle_targets.sh")
        }
    }

    /// A compiled-in target loads as its file does, its base included.
    @Test func aBundledTargetLoadsAsItsFile() throws {
        let bundled = try TargetLoader.load(path: TargetLocator.bundledFolder + "/truenorth-32x32.yaml")
        let file = try TargetLoader.load(path: TestSupport.target("truenorth-32x32"))
        #expect(bundled.core == file.core && bundled.board.chips == file.board.chips && bundled.board.coresPerChipTotal == file.board.coresPerChipTotal)
        #expect(bundled.energy == file.energy && bundled.timing == file.timing)
    }

    /// The binary copied to an empty folder and run there finds `--target truenorth-32x32`.
    @Test func aCopiedBinaryKnowsTheBundledTargets() throws {
        let dir = try TestSupport.temporaryDirectory()
        let copy = dir.appendingPathComponent("tessera").path
        try FileManager.default.copyItem(atPath: TestSupport.executable, toPath: copy)
        let net = TestSupport.packageRoot.appendingPathComponent("examples/digits-mlp.yaml").path
        let run = try TestSupport.tessera(["check", net, "--target", "truenorth-32x32"], executable: copy, in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("truenorth-32x32"), "\(run.stdout)")
        let unknown = try TestSupport.tessera(["check", net, "--target", "truenorth-64"], executable: copy, in: dir)
        #expect(unknown.status != 0 && unknown.stderr.contains("truenorth-32x32"), "\(unknown.stderr)")
    }

    /// A network too large for the chosen target is told the smallest bundled target with
    /// the same cores that holds it: 4,097 cores of 256 neurons (a dense layer of 4,096 x 256
    /// + 1 neurons) need 2 of truenorth-4x4's 16 chips.
    @Test func tooLargeANetworkIsToldWhichTargetHoldsIt() throws {
        let yaml = """
        network: big
        inputs:
          x: { shape: [1] }
        init: { seed: 1 }
        layers:
          - { name: d, op: dense, out: 1048577, neuron: { model: if, threshold: 1 } }
        outputs: [d]
        compile: { quantise: { weights: 4 } }
        """
        let path = try TestSupport.write(yaml)
        let run = try TestSupport.tessera(["compile", path, "--target", "truenorth"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("needs 4097 cores but target 'truenorth' has 4096"), "\(run.stderr)")
        #expect(run.stderr.contains("the smallest bundled target that holds it is 'truenorth-4x4' (4x4 chips), on 2 of its chips: --target truenorth-4x4"), "\(run.stderr)")
    }
}

/// `tessera --version` names the core map formats it reads and writes.
@Suite struct VersionTests {
    @Test func versionNamesTheCoreMapFormats() throws {
        let run = try TestSupport.tessera(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("tessera "), "\(run.stdout)")
        #expect(run.stdout.contains("\(CoreMap.format) v\(CoreMap.version) (JSON) and v\(PackedCoreMap.version) (.npz archive)"), "\(run.stdout)")
    }
}
