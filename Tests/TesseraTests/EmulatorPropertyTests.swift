import Testing
@testable import Tessera

/// The fast emulator against the plain scalar reference on hundreds of random core maps:
/// random axon types, crossbars, parameters in every deterministic mode (reset normal,
/// linear and none; negative saturate and reset; leak reversal), delays, multi-core
/// routing across chips. Outputs, counters and every core's potentials must be equal, in
/// every version of the emulator's C kernels the CPU has.
@Suite struct EmulatorPropertyTests {
    static let tiny = try! Target.load(TestSupport.target("tiny"))  // bundled file, not user input

    func compare(seed: UInt64, options: SyntheticCoreMap.Options, workers: Int) throws {
        let target = Self.tiny
        let map = SyntheticCoreMap.random(target: target, seed: seed, options: options)
        let input = SyntheticCoreMap.randomInput(for: map, ticks: 24, rate: 0.3, seed: seed &+ 1)
        let fast = try Emulator(map: map, target: target)
        fast.workers = workers
        let reference = ScalarEmulator(map: map, target: target)
        // Every version of the C kernels this CPU has: the baseline fallback, AVX2, AVX-512.
        for version in EmulatorKernels.available {
            fast.kernels = version
            for core in map.cores.indices {
                let a = fast.run(input, ticks: 32, traceCore: core)
                let b = reference.run(input, ticks: 32, traceCore: core)
                #expect(a.trace == b.trace, "seed \(seed), \(version): potentials of core \(core) differ")
                if core == 0 {
                    #expect(a.outputs == b.outputs, "seed \(seed), \(version): output spikes differ")
                    #expect(a.stats == b.stats, "seed \(seed), \(version): counters differ: \(a.stats) vs \(b.stats)")
                }
                if a.trace != b.trace { return }
            }
        }
    }

    @Test(arguments: 0..<300)
    func deterministicMapsMatchTheReference(seed: Int) throws {
        try compare(seed: UInt64(seed), options: SyntheticCoreMap.Options(), workers: seed % 2 == 0 ? 1 : 2)
    }

    /// Stochastic synapses, leaks and thresholds draw in a documented order, so the fast
    /// path must match the reference draw for draw too.
    @Test(arguments: 1000..<1100)
    func stochasticMapsMatchTheReference(seed: Int) throws {
        var options = SyntheticCoreMap.Options()
        options.stochastic = true
        try compare(seed: UInt64(seed), options: options, workers: 2)
    }

    /// Cores whose neurons share parameters (and often weights) take the emulator's
    /// broadcast paths, including the shorter one for linear reset with saturation.
    @Test(arguments: 2000..<2100)
    func uniformCoresMatchTheReference(seed: Int) throws {
        var options = SyntheticCoreMap.Options()
        options.uniformCores = true
        try compare(seed: UInt64(seed), options: options, workers: seed % 2 + 1)
    }

    /// Guard against versions vanishing unrecorded: the versions compared above are all
    /// those the CPU reports having (KernelVersionTests reads its features).
    @Test func everyVersionTheCPUHasIsCompared() throws {
        let reported = try #require(try KernelVersionTests.versionsTheCPUReports(), "this CPU's features cannot be read")
        #expect(EmulatorKernels.available == reported, "compared \(EmulatorKernels.available), the CPU reports \(reported)")
    }

    /// Guard against a vacuous comparison: the random maps do spike, route and emit.
    @Test func randomMapsAreActive() throws {
        var spikes = 0, hops = 0, outputs = 0, crossings = 0
        for seed in 0..<40 {
            let map = SyntheticCoreMap.random(target: Self.tiny, seed: UInt64(seed))
            let input = SyntheticCoreMap.randomInput(for: map, ticks: 24, rate: 0.3, seed: UInt64(seed) &+ 1)
            let r = ScalarEmulator(map: map, target: Self.tiny).run(input, ticks: 32)
            spikes += r.stats.spikes
            hops += r.stats.hops
            crossings += r.stats.chipCrossings
            outputs += r.outputs.reduce(0) { $0 + $1.spikes.count }
        }
        #expect(spikes > 1000 && hops > 1000 && outputs > 100 && crossings > 100, "\(spikes) \(hops) \(outputs) \(crossings)")
    }
}
