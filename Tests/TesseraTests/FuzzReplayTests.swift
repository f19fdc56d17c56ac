import Foundation
import Testing

/// Each fuzz target, built without the fuzzer, replays the committed inputs of its format,
/// good and malformed: every one is read or refused without a crash (exit 0). `make fuzz`
/// runs the same functions under libFuzzer (docs/reliability.md).
@Suite struct FuzzReplayTests {
    static let seeds: [(reader: String, folders: [String], ext: [String])] = [
        ("yaml", ["examples", "Tests/TesseraTests/Fixtures/digits"], ["yaml"]),
        ("npy", ["Tests/TesseraTests/Fixtures/npy"], ["npy"]),
        ("npz", ["Tests/TesseraTests/Fixtures/npy", "Tests/TesseraTests/Fixtures/digits"], ["npz"]),
        ("coremap-v1", ["examples"], ["json"]),
        ("coremap-v2", ["Tests/TesseraTests/Fixtures/npy"], ["npz"]),
        ("nir", ["Tests/TesseraTests/Fixtures/nir", "Tests/TesseraTests/Fixtures/nir/frameworks"], ["nir"]),
        ("onnx", ["Tests/TesseraTests/Fixtures/onnx", "Tests/TesseraTests/Fixtures/onnx/malformed"], ["onnx"]),
    ]

    @Test(arguments: seeds.map(\.reader))
    func replaysItsFormatsInputs(_ reader: String) throws {
        let seed = try #require(Self.seeds.first { $0.reader == reader })
        let root = TestSupport.packageRoot
        // Every seed folder must exist (a missing one throws here) and give at least one input
        // of the format, so that no folder drops out of the replay unnoticed.
        var files: [String] = []
        for folder in seed.folders {
            let directory = root.appendingPathComponent(folder)
            let found = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { name in seed.ext.contains { name.hasSuffix("." + $0) } }.sorted()
            #expect(!found.isEmpty, "\(reader): no .\(seed.ext.joined(separator: "/.")) inputs in \(folder)")
            files += found.map { directory.appendingPathComponent($0).path }
        }
        let binary = URL(fileURLWithPath: TestSupport.executable).deletingLastPathComponent().appendingPathComponent("fuzz-\(reader)").path
        let run = try TestSupport.tessera(files, executable: binary)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("fuzz-\(reader): \(files.count) inputs read without a crash"), "\(run.stdout)")
    }
}
