import Foundation
import Testing
@testable import Tessera

/// One malformed network file and what its first error must say: the line and column
/// (1-based, counted by hand: the first character of the offending value or key, or the
/// '{' of the layer for errors about a whole layer) and a fragment of the message.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var line: Int
    var column: Int
    var message: String
    var testDescription: String { name }
}

/// A valid network the cases below break one way each:
///
/// ```
/// 1 network: t
/// 2 inputs:
/// 3   image: { shape: [1, 8, 8] }
/// 4 init: { seed: 1 }
/// 5 layers:
/// 6   - { name: c1, op: conv2d, out: 4, kernel: 3, padding: 1 }
/// 7   - { name: f, op: flatten }
/// 8   - { name: out, op: dense, out: 10 }
/// 9 outputs: [out]
/// ```
private func net(_ line6: String = "  - { name: c1, op: conv2d, out: 4, kernel: 3, padding: 1 }",
                 line7: String = "  - { name: f, op: flatten }",
                 line8: String = "  - { name: out, op: dense, out: 10 }",
                 inputs line3: String = "  image: { shape: [1, 8, 8] }",
                 top line4: String = "init: { seed: 1 }",
                 outputs line9: String = "outputs: [out]") -> String {
    ["network: t", "inputs:", line3, line4, "layers:", line6, line7, line8, line9].joined(separator: "\n") + "\n"
}

let fixtureDir = TestSupport.npyFixtures

let malformedCases: [MalformedCase] = [
    // YAML syntax
    // libyaml notices the missing '}' at the next flow indicator, the '{' of line 7, and names
    // the start of the open mapping (6:5) in the message.
    MalformedCase(name: "unclosed flow mapping", yaml: net("  - { name: c1, op: conv2d, out: 4"), line: 7, column: 5,
                  message: "YAML syntax error"),
    MalformedCase(name: "tab indentation", yaml: "network: t\ninputs:\n\timage: { shape: [1, 8, 8] }\n", line: 3, column: 1,
                  message: "YAML syntax error"),
    MalformedCase(name: "bad indentation of a key", yaml: "network: t\n  inputs: 3\n", line: 2, column: 9,
                  message: "YAML syntax error"),
    MalformedCase(name: "empty file", yaml: "", line: 1, column: 1, message: "the file is empty"),
    MalformedCase(name: "top level is a list", yaml: "- a\n- b\n", line: 1, column: 1, message: "expected a mapping for a network file"),
    // Unknown ops and keys, with suggestions
    MalformedCase(name: "unknown op", yaml: net("  - { name: c1, op: conv3d, out: 4, kernel: 3, padding: 1 }"), line: 6, column: 21,
                  message: "unknown op 'conv3d'; did you mean 'conv2d'?"),
    MalformedCase(name: "unknown layer key", yaml: net("  - { name: c1, op: conv2d, out: 4, kernal: 3, padding: 1 }"), line: 6, column: 37,
                  message: "unknown key 'kernal' in conv2d layer 'c1'; did you mean 'kernel'?"),
    MalformedCase(name: "unknown top-level key", yaml: net() + "layer: []\n", line: 10, column: 1,
                  message: "unknown key 'layer' in a network file; did you mean 'layers'?"),
    MalformedCase(name: "unknown neuron key", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { treshold: 2 } }"), line: 8, column: 48,
                  message: "unknown key 'treshold' in neuron; did you mean 'threshold'?"),
    MalformedCase(name: "layer without op", yaml: net(line7: "  - { name: f }"), line: 7, column: 5,
                  message: "layer 'f' needs 'op'"),
    MalformedCase(name: "layer without name", yaml: net(line7: "  - { op: flatten }"), line: 7, column: 5,
                  message: "layer needs a 'name'"),
    // Wrong types
    MalformedCase(name: "kernel beyond any image's", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 1111111111111111111, padding: 1 }"), line: 6, column: 45,
                  message: "kernel must be at most 65536, got 1111111111111111111"),
    MalformedCase(name: "string for integer", yaml: net("  - { name: c1, op: conv2d, out: four, kernel: 3, padding: 1 }"), line: 6, column: 34,
                  message: "expected an integer for out (output channels), got 'four'"),
    MalformedCase(name: "bool for integer", yaml: net(line8: "  - { name: out, op: dense, out: true }"), line: 8, column: 34,
                  message: "expected an integer for out (output features), got 'true'"),
    MalformedCase(name: "kernel with three sizes", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: [3, 3, 3], padding: 1 }"), line: 6, column: 45,
                  message: "expected an integer or a list of 2 integers for kernel, got 3 items"),
    MalformedCase(name: "mapping for a name", yaml: net(line7: "  - { name: { a: 1 }, op: flatten }"), line: 7, column: 13,
                  message: "expected a name or text for layer name, got a mapping"),
    MalformedCase(name: "text for threshold", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { threshold: high } }"), line: 8, column: 59,
                  message: "expected a finite number for threshold, got 'high'"),
    MalformedCase(name: "layers not a list", yaml: "network: t\ninputs:\n  image: { shape: [4] }\nlayers: { a: 1 }\noutputs: [a]\n", line: 4, column: 9,
                  message: "expected a list for layers, got a mapping"),
    // Negative or zero sizes
    MalformedCase(name: "negative out", yaml: net("  - { name: c1, op: conv2d, out: -4, kernel: 3, padding: 1 }"), line: 6, column: 34,
                  message: "out (output channels) must be at least 1, got -4"),
    MalformedCase(name: "zero kernel", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 0, padding: 1 }"), line: 6, column: 45,
                  message: "kernel must be at least 1, got 0"),
    MalformedCase(name: "zero stride", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 3, stride: 0 }"), line: 6, column: 56,
                  message: "stride must be at least 1, got 0"),
    MalformedCase(name: "negative padding", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 3, padding: -1 }"), line: 6, column: 57,
                  message: "padding must be at least 0, got -1"),
    MalformedCase(name: "zero input size", yaml: net(inputs: "  image: { shape: [1, 0, 8] }"), line: 3, column: 23,
                  message: "input shape must be at least 1, got 0"),
    MalformedCase(name: "two-dimensional input", yaml: net(inputs: "  image: { shape: [8, 8] }"), line: 3, column: 19,
                  message: "input shape must be [C, H, W] or [N], got 2 dimensions"),
    MalformedCase(name: "window larger than input", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 9 }"), line: 6, column: 5,
                  message: "does not fit the input 1x8x8"),
    MalformedCase(name: "negative decay", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { model: lif, decay: -0.5 } }"), line: 8, column: 67,
                  message: "decay must be in (0, 1]"),
    MalformedCase(name: "initial potential beyond the threshold", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { initial: 1.5 } }"), line: 8, column: 57,
                  message: "initial is the starting potential as a fraction of the threshold, in -1...1; got 1.5"),
    MalformedCase(name: "zero threshold", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { threshold: 0 } }"), line: 8, column: 59,
                  message: "threshold of a spiking (if) neuron must be positive"),
    // Shape and channel mismatches
    MalformedCase(name: "add shape mismatch", yaml: net(line7: "  - { name: p, op: avgpool, kernel: 2 }", line8: "  - { name: out, op: add, inputs: [c1, p] }"), line: 8, column: 5,
                  message: "add needs inputs of one shape, got 4x8x8 and 4x4x4"),
    MalformedCase(name: "concat height mismatch", yaml: net(line7: "  - { name: p, op: avgpool, kernel: 2 }", line8: "  - { name: out, op: concat, inputs: [c1, p] }"), line: 8, column: 5,
                  message: "concat joins channels and needs one height x width"),
    MalformedCase(name: "xcorr channel mismatch", yaml: net(line8: "  - { name: out, op: xcorr, template: image, search: c1 }"), line: 8, column: 5,
                  message: "xcorr needs template and search with the same channels, got 1"),
    MalformedCase(name: "groups do not divide channels", yaml: net("  - { name: c1, op: conv2d, out: 4, kernel: 3, groups: 3 }"), line: 6, column: 5,
                  message: "groups = 3 must divide both the input channels (1) and the output channels (4)"),
    MalformedCase(name: "xcorr without search", yaml: net(line8: "  - { name: out, op: xcorr, template: c1 }"), line: 8, column: 5,
                  message: "xcorr 'out' needs 'search:'"),
    // Graph structure
    MalformedCase(name: "cycle", yaml: net("  - { name: c1, op: conv2d, input: c2, out: 1, kernel: 3, padding: 1 }",
                                          line7: "  - { name: c2, op: conv2d, input: c1, out: 1, kernel: 3, padding: 1 }"), line: 6, column: 5,
                  message: "layers form a cycle: c1 -> c2 -> c1"),
    MalformedCase(name: "dangling input with suggestion", yaml: net(line7: "  - { name: f, op: flatten, input: cl }"), line: 7, column: 5,
                  message: "layer 'f' reads 'cl', which is not a layer or input of this network; did you mean 'c1'?"),
    MalformedCase(name: "duplicate layer name", yaml: net(line7: "  - { name: c1, op: flatten }"), line: 7, column: 5,
                  message: "duplicate layer name 'c1' (first defined at"),
    MalformedCase(name: "duplicate key", yaml: net("  - { name: c1, op: conv2d, out: 4, out: 5, kernel: 3 }"), line: 6, column: 29,
                  message: "duplicate key 'out' in a mapping"),
    MalformedCase(name: "unknown block", yaml: net(line7: "  - { name: f, block: backbon }") , line: 7, column: 23,
                  message: "unknown block 'backbon'"),
    MalformedCase(name: "unknown output", yaml: net(outputs: "outputs: [ot]"), line: 9, column: 11,
                  message: "output 'ot' is not a layer of this network; did you mean 'out'?"),
    MalformedCase(name: "neuron on flatten", yaml: net(line7: "  - { name: f, op: flatten, neuron: { threshold: 2 } }"), line: 7, column: 37,
                  message: "flatten 'f' has no neurons of its own"),
    MalformedCase(name: "decay on an if neuron", yaml: net(line8: "  - { name: out, op: dense, out: 10, neuron: { decay: 0.9 } }"), line: 8, column: 55,
                  message: "'decay' is the multiplicative leak of model lif"),
    MalformedCase(name: "unknown encoding", yaml: net(inputs: "  image: { shape: [1, 8, 8], encoding: spikes }"), line: 3, column: 40,
                  message: "unknown encoding 'spikes'"),
    MalformedCase(name: "unknown upsample mode", yaml: net(line7: "  - { name: f, op: upsample, factor: 2, mode: bicubic }"), line: 7, column: 47,
                  message: "unknown upsample mode 'bicubic'"),
    // Weights
    MalformedCase(name: "missing weight archive", yaml: net(top: "weights: nothing.npz"), line: 4, column: 10,
                  message: "cannot open weights archive"),
    MalformedCase(name: "missing per-layer weight file", yaml: net(line8: "  - { name: out, op: dense, out: 10, weights: missing.npy }"), line: 8, column: 47,
                  message: "cannot load 'missing.npy' for weight"),
    MalformedCase(name: "truncated npy", yaml: net(line8: "  - { name: out, op: dense, out: 10, weights: \(fixtureDir)/truncated.npy }"), line: 8, column: 47,
                  message: "truncated data: shape (3, 4) of float32 needs 48 bytes, the file has 42"),
    MalformedCase(name: "not an npy file", yaml: net(line8: "  - { name: out, op: dense, out: 10, weights: \(fixtureDir)/not-npy.npy }"), line: 8, column: 47,
                  message: "not a NumPy .npy file"),
    MalformedCase(name: "object array npy", yaml: net(line8: "  - { name: out, op: dense, out: 10, weights: \(fixtureDir)/object.npy }"), line: 8, column: 47,
                  message: "unsupported dtype '|O': an object array (Python objects, saved with allow_pickle), not numbers"),
    MalformedCase(name: "unsupported dtype", yaml: net(line8: "  - { name: out, op: dense, out: 10, weights: \(fixtureDir)/complex.npy }"), line: 8, column: 47,
                  message: "unsupported dtype '<c8'"),
    MalformedCase(name: "wrong weight shape", yaml: "network: t\ninputs:\n  x: { shape: [4] }\nweights: \(fixtureDir)/dense-wrong-shape.npz\nlayers:\n  - { name: fc, op: dense, out: 2 }\noutputs: [fc]\n",
                  line: 6, column: 5, message: "has shape (4, 2), expected (2, 4)"),
    MalformedCase(name: "bias missing from archive", yaml: "network: t\ninputs:\n  x: { shape: [4] }\nweights: \(fixtureDir)/dense-no-bias.npz\nlayers:\n  - { name: fc, op: dense, out: 2 }\noutputs: [fc]\n",
                  line: 6, column: 5, message: "needs tensor 'fc.bias' of shape (2,)"),
    MalformedCase(name: "corrupt npz", yaml: "network: t\ninputs:\n  x: { shape: [4] }\nweights: \(fixtureDir)/corrupt.npz\nlayers:\n  - { name: fc, op: dense, out: 2 }\noutputs: [fc]\n",
                  line: 4, column: 10, message: "is not a readable .npz (zip) archive"),
    MalformedCase(name: "npz member with a bad CRC-32", yaml: "network: t\ninputs:\n  x: { shape: [4] }\nweights: \(fixtureDir)/bad-crc.npz\nlayers:\n  - { name: fc, op: dense, out: 2 }\noutputs: [fc]\n",
                  line: 6, column: 5, message: "CRC-32 mismatch"),
    MalformedCase(name: "no weights and no seed", yaml: net(top: "# no init"), line: 6, column: 5,
                  message: "needs tensor 'c1.weight' of shape (4, 1, 3, 3): the network has no 'weights:' archive"),
]

@Suite struct MalformedInputTests {
    @Test(arguments: malformedCases)
    func rejectedWithLocation(_ example: MalformedCase) throws {
        let path = try TestSupport.write(example.yaml)
        let diagnostics = TestSupport.failures(path)
        let errors = diagnostics.filter { $0.severity == .error }
        let first = try #require(errors.first, "no error reported")
        #expect(first.location?.file == path)
        #expect(first.location?.line == example.line, "\(first)")
        #expect(first.location?.column == example.column, "\(first)")
        #expect(first.message.contains(example.message), "\(first)")
    }

    /// The command line reports the same error, at the same place, and exits 1.
    @Test(arguments: malformedCases)
    func commandLineExitsOne(_ example: MalformedCase) throws {
        let path = try TestSupport.write(example.yaml)
        let run = try TestSupport.tessera(["check", path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(path):\(example.line):\(example.column): error: "), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test func everyErrorInAFileIsReported() throws {
        let yaml = net("  - { name: c1, op: conv3d, out: 4, kernel: 3 }",
                       line7: "  - { name: f, op: flatten, frobnicate: 1 }",
                       line8: "  - { name: out, op: dense, out: -2 }")
        let path = try TestSupport.write(yaml)
        let errors = TestSupport.failures(path).filter { $0.severity == .error }
        let places = errors.compactMap { $0.location.map { [$0.line, $0.column] } }
        #expect(places.contains([6, 21]))   // conv3d
        #expect(places.contains([7, 29]))   // frobnicate
        #expect(places.contains([8, 34]))   // -2
        #expect(errors.count == 3, "\(errors)")
    }

    @Test func thereAreAtLeastThirtyDistinctCases() {
        #expect(Set(malformedCases.map(\.name)).count >= 30)
        #expect(Set(malformedCases.map(\.yaml)).count == malformedCases.count)
    }
}
