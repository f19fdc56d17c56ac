import Testing
@testable import Tessera

/// The emulator's C kernels (synaptic integration, the common neuron update) in both
/// versions, baseline and AVX2, against the scalar reference emulator: spike for spike and
/// counter for counter on random maps, with shared and per-neuron parameters, uniform and
/// per-neuron weights.
@Suite(.serialized) struct KernelVersionTests {
    @Test func bothVersionsMatchTheScalarReference() throws {
        let target = NeuronModeTests.tiny
        let original = EmulatorKernels.version
        defer { EmulatorKernels.select(original) }
        let versions = ["baseline", "avx2"].filter { EmulatorKernels.select($0) }
        #expect(versions.contains("baseline"))
        for seed in 0..<60 {
            var options = SyntheticCoreMap.Options()
            options.stochastic = false
            options.uniformCores = seed % 2 == 0
            options.cores = 1...6
            let map = SyntheticCoreMap.random(target: target, seed: UInt64(seed) &+ 900, options: options)
            guard CoreMapValidator.validate(map, target: target).isEmpty else { continue }
            let input = SyntheticCoreMap.randomInput(for: map, ticks: 24, rate: 0.4, seed: UInt64(seed))
            let reference = ScalarEmulator(map: map, target: target).run(input, ticks: 30, traceCore: 0)
            for version in versions {
                #expect(EmulatorKernels.select(version))
                let result = try Emulator(map: map, target: target).run(input, ticks: 30, traceCore: 0)
                #expect(result.outputs == reference.outputs && result.stats == reference.stats && result.trace == reference.trace,
                        "seed \(seed): the \(version) kernels differ from the scalar reference")
            }
        }
    }
}
