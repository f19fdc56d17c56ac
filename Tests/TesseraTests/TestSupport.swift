import Foundation
import Testing
@testable import Tessera

/// Paths and helpers shared by the tests. Fixtures are read in place from the source tree.
enum TestSupport {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures").path
    static let npyFixtures = fixtures + "/npy"

    /// A network of one convolution `c` (zero bias, the given neuron threshold and subtract
    /// reset) reading a rate-coded input `x` of `input`'s shape, verified.
    static func convolution(input: TensorShape, out: Int, window: Window, weights: Tensor, threshold: Double) throws -> SpikeGraph {
        var store = ParameterStore()
        store["c.weight"] = .loaded(weights, origin: "test")
        store["c.bias"] = .loaded(Tensor(repeating: 0, shape: [out]), origin: "test")
        return try Verifier.verify(SpikeGraph(name: "conv", layers: [
            Layer(name: "x", op: .input(shape: input, encoding: .rate)),
            Layer(name: "c", op: .conv2d(Convolution(outChannels: out, vertical: window, horizontal: window)), inputs: ["x"],
                  neuron: NeuronModel(threshold: threshold, reset: .subtract), parameterKey: "c"),
        ], outputs: ["c"], parameters: store)).graph
    }

    static func example(_ name: String) -> String { packageRoot.appendingPathComponent("examples/\(name)").path }
    static func target(_ name: String) -> String { packageRoot.appendingPathComponent("targets/\(name).yaml").path }

    /// A fresh temporary directory for files a test writes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to `name` in a new temporary directory and returns the path.
    static func write(_ text: String, named name: String = "net.yaml") throws -> String {
        let path = try temporaryDirectory().appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A one-layer network with integer weights, dense-weight.npy = [[-3, -2, -1, 0],
    /// [1, 2, 3, 4]] (4 inputs x, 2 outputs fc, no bias, threshold 1), written to a new
    /// folder beside the spike file `spikes`. Returns the network's and spike file's paths.
    static func integerDenseNetwork(spikes: String) throws -> (network: String, spikes: String) {
        let yaml = """
        network: ints
        inputs: { x: { shape: [4] } }
        layers:
          - { name: fc, op: dense, out: 2, bias: false, weights: \(npyFixtures)/dense-weight.npy }
        outputs: [fc]
        """
        let path = try write(yaml)
        let spikePath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("in.json").path
        try Data(spikes.utf8).write(to: URL(fileURLWithPath: spikePath))
        return (path, spikePath)
    }

    /// The `tessera` executable built next to the test bundle, by the same build (`swift
    /// build --build-tests` builds both). There is no fallback: an executable found elsewhere
    /// (say `.build/debug`) may be older than the sources under test, so a missing one is a
    /// recorded failure that says where it was looked for.
    static var executable: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tessera").path
        if !FileManager.default.isExecutableFile(atPath: beside) {
            Issue.record("no tessera executable beside the test bundle at \(beside): build it with the tests (swift build --build-tests, same scratch path and configuration)")
        }
        return beside
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian), after checking
    /// the file opens with PNG's 8-byte signature and an IHDR chunk.
    static func pngSize(_ path: String) throws -> (Int, Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count > 24 && Array(bytes.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "\(path) is not a PNG")
        try #require(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR", "\(path) has no IHDR chunk first")
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `tessera` with arguments and returns its exit status and output.
    static func tessera(_ arguments: [String], executable path: String? = nil, in directory: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path ?? executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Loads a network that must fail and returns its diagnostics.
    static func failures(_ path: String) -> [Diagnostic] {
        do {
            let net = try Network.load(path)
            Issue.record("expected \(path) to be rejected, it loaded with \(net.graph.layers.count) layers")
            return []
        } catch {
            return error.diagnostics
        }
    }
}
