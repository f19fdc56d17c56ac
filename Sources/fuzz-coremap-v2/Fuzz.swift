import Foundation
import FuzzTargets

#if FUZZING
/// libFuzzer's driver (in the runtime -sanitize=fuzzer links), run from this main because
/// SwiftPM names each executable's entry point itself.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

/// The coremap-v2 reader under libFuzzer (built with -DFUZZING), else a replay of the files given.
@main struct Fuzz {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv) { bytes, count in
            FuzzTargets.readers["coremap-v2"]?(bytes.map { Data(bytes: $0, count: count) } ?? Data())
            return 0
        })
        #else
        FuzzTargets.replay("coremap-v2")
        #endif
    }
}
