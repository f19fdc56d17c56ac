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

    /// What NumPy writes unasked (tools/make_npy_fixtures.py): Fortran order for a transposed
    /// array comes back in C order; float16, bool, wider unsigned types and 0-d scalars read.
    @Test func readsWhatNumPyWritesUnasked() throws {
        let dir = TestSupport.npyFixtures
        let fortran = try NPYFile.read(path: "\(dir)/fortran.npy")
        #expect(fortran.shape == [3, 4] && fortran.values == Self.base.map { $0 * 0.5 })
        // arange(24).reshape(2, 3, 4) - 5, saved column-major: C order is 0 - 5 ... 23 - 5.
        let cube = try NPYFile.read(path: "\(dir)/fortran-3d.npy")
        #expect(cube.shape == [2, 3, 4] && cube.values == (0..<24).map { Double($0 - 5) })
        // Halves of integers from -5 to 6 are exact in float16.
        #expect(try NPYFile.read(path: "\(dir)/f2.npy").values == Self.base.map { $0 * 0.5 })
        #expect(try NPYFile.read(path: "\(dir)/float16.npy").values == [0, 0, 0, 0])
        // 1/3 rounds to mantissa 0x155: (1 + 341/1024) / 4 = 1365/4096; 2^-24 is the least
        // subnormal; -65504 the most negative finite half; -0 stays -0.
        let special = try NPYFile.read(path: "\(dir)/f2-special.npy").values
        #expect(special == [1365.0 / 4096, 0x1p-24, -65504, 0] && special[3].sign == .minus)
        let flags = try NPYFile.read(path: "\(dir)/b1.npy")
        #expect(flags.shape == [2, 3] && flags.values == [1, 0, 1, 0, 0, 1])
        let scalar = try NPYFile.read(path: "\(dir)/zero-d.npy")
        #expect(scalar.shape == [] && scalar.values == [2.5])
        #expect(try NPYFile.read(path: "\(dir)/u2.npy").values == (0..<12).map { Double($0 * 1000) })
        #expect(try NPYFile.read(path: "\(dir)/u8.npy").values == (0..<12).map { Double($0) * 1e12 })
    }

    @Test func halfPrecisionBitsByHand() {
        // sign, 5 exponent bits (bias 15), 10 mantissa bits.
        #expect(NPYFile.half(0x3C00) == 1 && NPYFile.half(0xC000) == -2 && NPYFile.half(0x7BFF) == 65504)
        #expect(NPYFile.half(0x0400) == 0x1p-14 && NPYFile.half(0x0001) == 0x1p-24 && NPYFile.half(0x3E00) == 1.5)
        #expect(NPYFile.half(0x7C00) == .infinity && NPYFile.half(0xFC00) == -.infinity && NPYFile.half(0x7E00).isNaN)
    }

    /// A scikit-learn MLP saved as `numpy.savez(path, **{"h.weight": coefs_[0].T, ...})`:
    /// the transposed array is stored in Fortran order, and loads as the dense layer's
    /// (out, in) weight. coefs[i][j] = (3 i + j - 5) / 8, so weight[j][i] is that.
    @Test func scikitLearnWeightsLoad() throws {
        let net = try Network.load(yaml: """
            network: t
            inputs: { x: { shape: [4] } }
            weights: \(TestSupport.npyFixtures)/sklearn-mlp.npz
            layers: [{ name: h, op: dense, out: 3 }]
            outputs: [h]
            """)
        let weight = try #require(net.graph.parameters.tensor("h.weight"))
        #expect(weight.shape == [3, 4])
        var expected: [Double] = []
        for j in 0..<3 {
            for i in 0..<4 { expected.append(Double(3 * i + j - 5) / 8) }
        }
        #expect(weight.values == expected)
    }

    @Test(arguments: [("object.npy", "unsupported dtype '|O': an object array"), ("complex.npy", "unsupported dtype '<c8': complex numbers"),
                      ("truncated.npy", "truncated data"),
                      ("fuzz-empty-huge-shape.npy", "shape (0, 4294967296, 4294967296) has more elements than can be addressed"),
                      ("not-npy.npy", "not a NumPy .npy file"), ("nan.npy", "is nan; weights and samples must be finite"),
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
