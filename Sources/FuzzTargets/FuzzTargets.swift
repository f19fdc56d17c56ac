import Foundation
import Tessera

/// The readers that take files from outside, each as one libFuzzer target: an input may be
/// refused with an error, but must never crash, trap or hang. `make fuzz READER=yaml` runs
/// one (docs/reliability.md); without the fuzzer, each `fuzz-*` executable replays the files it
/// is given, which the tests do over the committed malformed inputs.
public enum FuzzTargets {
    /// Reader name -> the function that feeds it one input.
    public static let readers: [String: @Sendable (Data) -> Void] = [
        "yaml": yaml, "npy": npy, "npz": npz, "coremap-v1": coreMapV1, "coremap-v2": coreMapV2, "nir": nir, "onnx": onnx,
    ]

    /// A network file: YAML text through the whole loader (parse, shapes, weights).
    public static func yaml(_ data: Data) {
        _ = try? NetworkLoader.load(yaml: String(decoding: data, as: UTF8.self), file: "fuzz.yaml")
    }

    public static func npy(_ data: Data) {
        _ = try? NPYFile.parse(data)
    }

    /// A `.npz` archive: every member read (CRC-32 and .npy header checked).
    public static func npz(_ data: Data) {
        let path = scratch("npz", data)
        guard let archive = try? NPZArchive(path: path) else { return }
        for key in archive.keys { _ = try? archive.tensor(key) }
    }

    public static func coreMapV1(_ data: Data) {
        _ = try? CoreMapReader.parse(data, file: "fuzz.json")
    }

    /// A v2 archive, loaded and validated (every table checked against the others).
    public static func coreMapV2(_ data: Data) {
        _ = try? CoreMapArchiveReader.loadValidated(path: scratch("npz", data))
    }

    /// A NIR file through libhdf5 and the lowering.
    public static func nir(_ data: Data) {
        _ = try? NetworkLoader.load(path: scratch("nir", data))
    }

    /// An ONNX model through swift-protobuf and the lowering.
    public static func onnx(_ data: Data) {
        _ = try? NetworkLoader.load(path: scratch("onnx", data))
    }

    /// Readers that take a path get the input as this process's scratch file.
    static func scratch(_ ext: String, _ data: Data) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fuzz-\(ProcessInfo.processInfo.processIdentifier).\(ext)").path
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    /// A `fuzz-READER` executable's main: libFuzzer's driver on `name`'s reader when built
    /// with -DFUZZING (SwiftPM names each executable's entry point itself, so the driver is
    /// called from here rather than from libFuzzer's own main), else a replay of the files
    /// given.
    public static func main(_ name: String) {
        #if FUZZING
        current = readers[name]
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv) { bytes, count in
            FuzzTargets.current?(bytes.map { Data(bytes: $0, count: count) } ?? Data())
            return 0
        })
        #else
        replay(name)
        #endif
    }

    #if FUZZING
    /// The reader libFuzzer's C callback feeds (it cannot capture one); set once by `main`,
    /// before the driver starts, and only read after.
    nonisolated(unsafe) static var current: (@Sendable (Data) -> Void)?
    #endif

    /// Without the fuzzer: feeds `reader` each file named on the command line (a corpus
    /// replay) and prints how many it read.
    public static func replay(_ name: String) {
        guard let reader = readers[name] else { return }
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                continue
            }
            reader(data)
            count += 1
        }
        print("fuzz-\(name): \(count) inputs read without a crash")
    }
}

#if FUZZING
/// libFuzzer's driver, in the runtime -sanitize=fuzzer links.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif
