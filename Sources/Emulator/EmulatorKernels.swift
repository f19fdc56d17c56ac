import CKernels

/// Which version of the emulator's inner loops (`Sources/CKernels`) a run uses: synaptic
/// integration and the common neuron update, in baseline x86-64 code, AVX2 or AVX-512.
/// All give the same results bit for bit; the package is built for baseline x86-64 so that
/// the binary runs on any x86-64, and the wider versions are chosen at run time where the
/// CPU has them. Tests and benchmarks pick one per ``Emulator`` to compare them.
///
///     let emulator = try Emulator(map: map, target: target)
///     print(emulator.kernels)              // avx512 on this machine
///     emulator.kernels = .baseline         // the fallback, for a side-by-side run
public enum EmulatorKernels: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Eight neurons per vector, in the instructions every x86-64 (or other) CPU has.
    case baseline
    /// Eight neurons per 256-bit vector.
    case avx2
    /// Sixteen neurons per 512-bit vector, the crossbar bits used as lane masks directly.
    case avx512

    /// The widest version this CPU runs.
    public static var best: EmulatorKernels {
        switch tessera_kernels_best() {
        case Int32(TESSERA_KERNELS_AVX512): return .avx512
        case Int32(TESSERA_KERNELS_AVX2): return .avx2
        default: return .baseline
        }
    }

    /// The versions this CPU runs, narrowest first.
    public static var available: [EmulatorKernels] { allCases.filter(\.isAvailable) }

    /// Whether this CPU has the instructions of this version.
    public var isAvailable: Bool { tessera_kernels_available(code) == 1 }

    public var description: String { rawValue }

    /// The version's number in the C interface.
    var code: Int32 {
        switch self {
        case .baseline: return Int32(TESSERA_KERNELS_BASELINE)
        case .avx2: return Int32(TESSERA_KERNELS_AVX2)
        case .avx512: return Int32(TESSERA_KERNELS_AVX512)
        }
    }
}
