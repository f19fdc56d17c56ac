import Testing
@testable import Tessera
@testable import Emulator

/// The emulator's C kernels (synaptic integration, the common neuron update) in every
/// version this CPU has, baseline, AVX2 and AVX-512, against the scalar reference emulator:
/// spike for spike and counter for counter on random maps, with shared and per-neuron
/// parameters, uniform and per-neuron weights, and core sizes whose neuron count is not a
/// multiple of 16 (the AVX-512 version's masked last vector).
@Suite struct KernelVersionTests {
    /// Cores of `neurons` x `axons` on the tiny target: 24 neurons are three 8-neuron lanes
    /// (an odd count, and not a power of two), 264 are one full block of 256 plus a half
    /// vector, and 70 axons take two pending words.
    static func cores(neurons: Int, axons: Int) -> Target {
        var t = NeuronModeTests.tiny
        t.name = "tiny-\(neurons)x\(axons)"
        t.core.neurons = neurons
        t.core.axons = axons
        return t
    }

    @Test(arguments: [NeuronModeTests.tiny, cores(neurons: 24, axons: 20), cores(neurons: 264, axons: 70)])
    func everyVersionMatchesTheScalarReference(target: Target) throws {
        let versions = EmulatorKernels.available
        #expect(versions.first == .baseline)
        var linearCores = 0
        for seed in 0..<60 {
            var options = SyntheticCoreMap.Options()
            options.stochastic = false
            options.uniformCores = seed % 2 == 0
            options.cores = 1...6
            let map = SyntheticCoreMap.random(target: target, seed: UInt64(seed) &+ 900, options: options)
            guard CoreMapValidator.validate(map, target: target).isEmpty else { continue }
            let input = SyntheticCoreMap.randomInput(for: map, ticks: 24, rate: 0.4, seed: UInt64(seed))
            let reference = ScalarEmulator(map: map, target: target).run(input, ticks: 30, traceCore: 0)
            let emulator = try Emulator(map: map, target: target)
            linearCores += emulator.layout.isLinear.filter { $0 }.count
            for version in versions {
                emulator.kernels = version
                for workers in [1, 2] {
                    emulator.workers = workers
                    let result = emulator.run(input, ticks: 30, traceCore: 0)
                    #expect(result.outputs == reference.outputs && result.stats == reference.stats && result.trace == reference.trace,
                            "seed \(seed): the \(version) kernels on \(workers) workers differ from the scalar reference")
                }
            }
        }
        // Guard: the fused step of the common mode ran, not only the general path.
        #expect(linearCores > 10)
    }

    /// The versions the CPU's own report of its features says it runs, read independently of
    /// the kernels' detection (`__builtin_cpu_supports`): on Linux the `flags` line of
    /// /proc/cpuinfo; AVX2 needs `avx2`, the AVX-512 kernels `avx512f`, `avx512bw` and
    /// `avx512vl`. Nil where the CPU's features cannot be read this way.
    static func versionsTheCPUReports() throws -> [EmulatorKernels]? {
        #if os(Linux) && arch(x86_64)
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") }, "/proc/cpuinfo has no flags line")
        let flags = Set(line.split(separator: ":").dropFirst().joined().split(separator: " ").map(String.init))
        var versions: [EmulatorKernels] = [.baseline]
        if flags.contains("avx2") { versions.append(.avx2) }
        if ["avx512f", "avx512bw", "avx512vl"].allSatisfy(flags.contains) { versions.append(.avx512) }
        return versions
        #elseif arch(x86_64)
        return nil
        #else
        return [.baseline]  // the vector versions are x86-64 only
        #endif
    }

    /// Every version the CPU has is among those compared above (and in
    /// EmulatorPropertyTests), so none drops out unrecorded: the kernels' detection must
    /// agree with the CPU's report. A CPU that has AVX2 or AVX-512 and a detection that
    /// misses it fails here; which versions ran is in the test's output.
    @Test func theVersionsComparedAreTheOnesTheCPUHas() throws {
        print("emulator kernel versions compared on this CPU: \(EmulatorKernels.available.map(\.description).joined(separator: ", "))")
        guard let reported = try Self.versionsTheCPUReports() else {
            Issue.record("cannot read this CPU's features to check the kernel versions \(EmulatorKernels.available) against")
            return
        }
        #expect(EmulatorKernels.available == reported, "the kernels detect \(EmulatorKernels.available), the CPU reports \(reported)")
    }

    /// The widest version the CPU reports is the one a new emulator uses (so on a CPU with
    /// AVX2 or AVX-512 this does not compare the baseline with itself).
    @Test func theWidestVersionIsTheDefault() throws {
        let map = SyntheticCoreMap.random(target: NeuronModeTests.tiny, seed: 1)
        let widest = try #require((try Self.versionsTheCPUReports() ?? EmulatorKernels.available).last)
        #expect(try Emulator(map: map, target: NeuronModeTests.tiny).kernels == widest)
    }
}
