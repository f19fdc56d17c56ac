import Foundation
import Testing
@testable import Frontend
@testable import Tessera

/// NIR files read through libhdf5. The fixtures were written by the real `nir` package
/// (1.0.8, gzip-chunked datasets) with `tools/nir/make_fixtures.py`; the expected values are
/// what h5py reads from the same file (printed by that script).
@Suite struct NIRReaderTests {
    static func fixture(_ name: String) -> String { TestSupport.fixtures + "/nir/" + name }

    @Test func readsTheNodesFieldsAndEdgesTheNIRPackageWrote() throws {
        let graph = try NIRReader.read(path: Self.fixture("conv-if-lif.nir"))
        #expect(graph.nodes.map(\.name) == ["conv", "fc", "flat", "if1", "input", "lif", "output", "pool"])
        #expect(graph.nodes.map(\.type) == ["Conv2d", "Affine", "Flatten", "IF", "Input", "LIF", "Output", "SumPool2d"])
        #expect(graph.edges.map { "\($0.from)>\($0.to)" } == ["input>conv", "conv>if1", "if1>pool", "pool>flat", "flat>fc", "fc>lif", "lif>output"])
        guard case let .numbers(shape, values)? = graph.node("conv")?.fields["weight"] else {
            Issue.record("conv has no numeric weight")
            return
        }
        #expect(shape == [4, 2, 3, 3] && values.count == 72)
        #expect(Array(values.prefix(3)) == [2, 1, 1])
        guard case let .numbers(fcShape, fc)? = graph.node("fc")?.fields["weight"] else {
            Issue.record("fc has no numeric weight")
            return
        }
        #expect(fcShape == [3, 36] && Array(fc.prefix(6)) == [1, 0, 0, -1, 0, 1])
        // Scalars (int64, shape []) and float64 neuron parameters.
        #expect(graph.node("conv")?.fields["groups"] == .numbers(shape: [], values: [1]))
        #expect(graph.node("lif")?.fields["tau"] == .numbers(shape: [3], values: [0.02, 0.02, 0.02]))
        #expect(graph.node("input")?.fields["shape"] == .numbers(shape: [3], values: [2, 6, 6]))
    }

    /// The published defect: a nested graph's edges name 'lif' while its node is 'lif1'.
    @Test func anEdgeToAMissingNodeNamesBoth() throws {
        do {
            _ = try NIRReader.read(path: Self.fixture("dangling-edge.nir"))
            Issue.record("a dangling edge was accepted")
        } catch {
            let text = error.description
            #expect(text.contains("dangling-edge.nir") && text.contains("graph 'node/sub'") && text.contains("node 'lif'") && text.contains("'lif1'"))
        }
    }

    @Test(arguments: [
        ("unknown-primitive.nir", ["node 'conv'", "type 'Conv3d'", "not a NIR primitive"]),
        ("non-finite.nir", ["node 'fc'", "field 'weight'", "element 38", "not a finite number"]),
        ("no-version.nir", ["no 'version'"]),
    ])
    func malformedFilesAreNamed(file: String, phrases: [String]) throws {
        do {
            _ = try NIRReader.read(path: Self.fixture(file))
            Issue.record("\(file) was accepted")
        } catch {
            for phrase in phrases { #expect(error.description.contains(phrase), "\(error.description)") }
            #expect(error.description.contains(file))
        }
    }

    @Test func aFileThatIsNotHDF5IsNamed() throws {
        let path = try TestSupport.write("network: x\n", named: "fake.nir")
        #expect(throws: DiagnosticError.self) { try NIRReader.read(path: path) }
        do { _ = try NIRReader.read(path: path) } catch { #expect(error.description.contains("fake.nir: not an HDF5 file")) }
        #expect(throws: DiagnosticError.self) { try NIRReader.read(path: "/nonexistent/model.nir") }
    }
}
