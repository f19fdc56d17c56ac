import CKernels

/// The emulator's inner loops in C (`Sources/CKernels`): synaptic integration and the
/// common neuron update, in a baseline version and an AVX2 one chosen at load time where
/// the CPU has AVX2. Both give the same results; `select` lets tests and benchmarks
/// compare them.
///
///     print(EmulatorKernels.version)      // "avx2" on this machine
public enum EmulatorKernels {
    /// The version in use: "avx2" or "baseline".
    public static var version: String { String(cString: tessera_integrate_version()) }

    /// Switches to `name` ("avx2" or "baseline"); false if the CPU lacks it. Global to the
    /// process.
    @discardableResult
    public static func select(_ name: String) -> Bool { tessera_kernels_select(name) == 1 }
}
