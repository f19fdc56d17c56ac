import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// The .npy/.npz reader against files written by NumPy itself (tools/make_npy_fixtures.py).
/// Each fixture holds `(arange(12).reshape(3, 4) - 5) * scale` in its dtype.
@Suite struct NumPyTests {
    static let base = (0..<12).map { Double($0 - 5) }

    @Test(arguments: [("f4.npy", 0.5), ("f8.npy", 0.25), ("i1.npy", 1.0), ("i2.npy", 1000.0),
                      ("i4.npy", 100000.0), ("f4-big-endian.npy", 0.5), ("v2.npy", 0.5)])
    func readsEachDtype(file: String, scale: Double) throws {
        let tensor = try NPYFile.read(path: "\(TestSupport.npyFixtures)/\(file)")
        #expect(tensor.shape == [3, 4])
        #expect(tensor.values == Self.base.map { $0 * scale })
    }

    @Test func readsUnsignedBytesAndVectors() throws {
        let bytes = try NPYFile.read(path: "\(TestSupport.npyFixtures)/u1.npy")
        #expect(bytes.values == (0..<12).map(Double.init))
        let vector = try NPYFile.read(path: "\(TestSupport.npyFixtures)/scalar-shape.npy")
        #expect(vector.shape == [5])
        #expect(vector.values == [0, 1, 2, 3, 4])
    }

    @Test(arguments: [("fortran.npy", "Fortran order"), ("complex.npy", "unsupported dtype '<c8'"),
                      ("float16.npy", "unsupported dtype '<f2'"), ("truncated.npy", "truncated data"),
                      ("not-npy.npy", "not a NumPy .npy file"), ("nan.npy", "weights must be finite"),
                      ("does-not-exist.npy", "no such file")])
    func rejectsBadFiles(file: String, message: String) {
        do {
            let tensor = try NPYFile.read(path: "\(TestSupport.npyFixtures)/\(file)")
            Issue.record("\(file) was accepted with shape \(tensor.shape)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test(arguments: ["dense.npz", "dense-compressed.npz"])
    func readsArchives(file: String) throws {
        let archive = try NPZArchive(path: "\(TestSupport.npyFixtures)/\(file)")
        #expect(archive.keys.contains("fc.weight"))
        let weight = try #require(try archive.tensor("fc.weight"))
        #expect(weight.shape == [2, 4])
        #expect(weight.values == (0..<8).map { Double($0 - 3) })
        #expect(try archive.tensor("fc.bias")?.values == [0.5, -0.5])
        #expect(try archive.tensor("missing") == nil)
    }

    /// Weights reach the IR from an archive and from per-layer files alike, and archive
    /// arrays no layer uses are reported as a warning.
    @Test func networkWeightsFromArchiveAndFiles() throws {
        let dir = TestSupport.npyFixtures
        let fromArchive = try Network.load(yaml: """
            network: t
            inputs: { x: { shape: [4] } }
            weights: \(dir)/dense-compressed.npz
            layers: [{ name: fc, op: dense, out: 2 }]
            outputs: [fc]
            """, file: "t.yaml")
        let fromFiles = try Network.load(yaml: """
            network: t
            inputs: { x: { shape: [4] } }
            layers: [{ name: fc, op: dense, out: 2, weights: { weight: \(dir)/dense-weight.npy, bias: \(dir)/dense-bias.npy } }]
            outputs: [fc]
            """, file: "t.yaml")
        for net in [fromArchive, fromFiles] {
            #expect(net.graph.parameters.tensor("fc.weight")?.values == (0..<8).map { Double($0 - 3) })
            #expect(net.graph.parameters.tensor("fc.bias")?.values == [0.5, -0.5])
        }
        #expect(fromArchive.warnings.contains { $0.message.contains("used by no layer: extra") })
        #expect(fromFiles.warnings.isEmpty)
    }
}
