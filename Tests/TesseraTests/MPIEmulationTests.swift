import Foundation
import Testing
@testable import Tessera

/// `mpirun -np N tessera emulate` splits a board over N processes by chip; its output file
/// must be byte for byte the one-process run's, counters, traces and per-layer spike
/// counts included. Run with Open MPI (`make deps` installs it) as the user would, through
/// the built `tessera` binary.
@Suite(.serialized) struct MPIEmulationTests {
    static var mpirun: String? {
        ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `command` with a time limit, so that a job that hangs fails the test instead of
    /// stopping the suite. Open MPI refuses to run as root unless told it may.
    ///
    /// Under `make test-sanitize`, the ranks of an mpirun job run without LeakSanitizer:
    /// Open MPI leaves allocations of its plugins at MPI_Finalize (seen there: 8 KiB from
    /// ompi_op_base_op_select and blocks from plugins it has unloaded, which LeakSanitizer
    /// can only call "unknown module", so no narrow suppression can name them). The
    /// one-process runs keep it.
    static func run(_ command: [String], seconds: Double = 120) throws -> (status: Int32, stderr: String, elapsed: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        if command[0].hasSuffix("mpirun") {
            environment["ASAN_OPTIONS"] = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
        }
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        let clock = ContinuousClock(), start = clock.now
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr, (clock.now - start).seconds)
    }

    /// The one-process output and the N-process one, as bytes.
    static func outputs(map: String, arguments: [String], ranks: Int, in dir: URL) throws -> (Data, Data)? {
        guard let mpirun else { return nil }
        let one = dir.appendingPathComponent("one.json").path, many = dir.appendingPathComponent("many-\(ranks).json").path
        let single = try run([TestSupport.executable, "emulate", map] + arguments + ["-o", one])
        #expect(single.status == 0, "\(single.stderr)")
        let split = try run([mpirun, "--oversubscribe", "-np", "\(ranks)", TestSupport.executable, "emulate", map] + arguments + ["-o", many])
        #expect(split.status == 0, "\(split.stderr)")
        return (try Data(contentsOf: URL(fileURLWithPath: one)), try Data(contentsOf: URL(fileURLWithPath: many)))
    }

    /// The random maps of the emulator property tests (cores on random places of the tiny
    /// target's 2x2 chips, deterministic and stochastic neurons, random delays), on 2 ranks.
    @Test func randomMapsOnTwoRanksEqualOneProcess() throws {
        try #require(Self.mpirun != nil, "mpirun not found: `make deps` installs Open MPI")
        let target = NeuronModeTests.tiny
        let dir = try TestSupport.temporaryDirectory()
        var crossing = 0
        for seed in 0..<10 {
            var options = SyntheticCoreMap.Options()
            options.stochastic = seed % 3 == 2
            options.uniformCores = seed % 2 == 0
            options.cores = 4...16
            let map = SyntheticCoreMap.random(target: target, seed: UInt64(seed) &+ 3000, options: options)
            guard CoreMapValidator.validate(map, target: target).isEmpty else { continue }
            let path = dir.appendingPathComponent("map-\(seed).npz").path
            _ = try CoreMapArchiveWriter.write(PackedCoreMap(map), to: path)
            let spikes = dir.appendingPathComponent("in-\(seed).json").path
            try Data(SpikeFile.json(SyntheticCoreMap.randomInput(for: map, ticks: 24, rate: 0.3, seed: UInt64(seed))).utf8)
                .write(to: URL(fileURLWithPath: spikes))
            // Guard: spikes do cross between the two ranks' chips.
            let partition = BoardPartition(map: PackedCoreMap(map), rank: 0, ranks: 2)
            for (c, core) in map.cores.enumerated() {
                for n in core.neurons {
                    if case .axon(let target, _, _)? = n.destination, partition.rankOf[target] != partition.rankOf[c] { crossing += 1 }
                }
            }
            guard let (one, two) = try Self.outputs(map: path, arguments: ["--spikes", spikes, "--ticks", "32", "--trace-potentials", "0",
                                                                          "--target", TestSupport.target("tiny")], ranks: 2, in: dir) else { return }
            #expect(one == two, "seed \(seed): the 2-rank run's output differs from the one-process run's")
        }
        #expect(crossing > 20, "the random maps hardly send spikes between the ranks' chips")
    }

    /// A compiled network (the digits MLP, 13 TrueNorth cores on 4 chips of 2x2 cores) on
    /// 2 and on 4 ranks, one chip each.
    @Test func aCompiledNetworkOnTwoAndFourRanksEqualsOneProcess() throws {
        try #require(Self.mpirun != nil, "mpirun not found: `make deps` installs Open MPI")
        let dir = try TestSupport.temporaryDirectory()
        let target = dir.appendingPathComponent("small-chips.yaml").path
        try Data("""
            base: \(TestSupport.target("truenorth"))
            name: truenorth-small-chips
            description: TrueNorth cores on chips of 2x2 cores, a 4x4 board
            chip:
              cores: [2, 2]
            board:
              chips: [4, 4]

            """.utf8).write(to: URL(fileURLWithPath: target))
        let map = dir.appendingPathComponent("digits.npz").path
        let compile = try TestSupport.tessera(["compile", TestSupport.example("digits-mlp.yaml"), "--target", target, "--quantise", "8", "-o", map])
        #expect(compile.status == 0, "\(compile.stderr)")
        let packed = try PackedCoreMap.load(map, target: try Target.load(target))
        var chips = Set<[Int32]>()
        for c in 0..<packed.coreCount { chips.insert([packed.coreChip[2 * c], packed.coreChip[2 * c + 1]]) }
        #expect(chips.count >= 3, "the network should span chips")
        let input = dir.appendingPathComponent("in.json").path
        var events: [SpikeInput.Event] = []
        var rng = SeededRandom(seed: 11)
        for t in 0..<30 { for i in 0..<64 where rng.nextUnit() < 0.4 { events.append(.init(tick: t, index: i)) } }
        try Data(SpikeFile.json(SpikeInput(ticks: 30, spikes: ["image": events])).utf8).write(to: URL(fileURLWithPath: input))
        for ranks in [2, 4] {
            guard let (one, many) = try Self.outputs(map: map, arguments: ["--spikes", input, "--ticks", "40", "--target", target], ranks: ranks, in: dir) else { return }
            #expect(one == many, "\(ranks) ranks: the output differs from the one-process run's")
            #expect(String(decoding: one, as: UTF8.self).contains("\"spikes\": ["), "the run should have output spikes")
        }
    }

    /// A rank that cannot start (its map file is missing) stops the whole job with an
    /// error naming it, and a process that never joins stops it too: neither hangs.
    @Test func aRankThatFailsToStartStopsTheJob() throws {
        let mpirun = try #require(Self.mpirun, "mpirun not found: `make deps` installs Open MPI")
        let dir = try TestSupport.temporaryDirectory()
        let map = dir.appendingPathComponent("tiny.npz").path
        let compile = try TestSupport.tessera(["compile", TestSupport.example("tiny-int.yaml"), "--target", "tiny", "-o", map])
        #expect(compile.status == 0, "\(compile.stderr)")
        let args = ["--spikes", TestSupport.example("tiny-int.spikes.json"), "--ticks", "20", "-o", dir.appendingPathComponent("out.json").path]
        let missing = try Self.run([mpirun, "--oversubscribe", "-np", "1", TestSupport.executable, "emulate", map] + args
                                   + [":", "-np", "1", TestSupport.executable, "emulate", dir.appendingPathComponent("missing.npz").path] + args, seconds: 60)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("rank 1 of 2 could not start: cannot read core map"), "\(missing.stderr)")
        #expect(missing.elapsed < 60, "the job hung")
        let absent = try Self.run([mpirun, "--oversubscribe", "-np", "1", TestSupport.executable, "emulate", map] + args + [":", "-np", "1", "/bin/false"],
                                  seconds: 60)
        #expect(absent.status != 0)
        #expect(absent.elapsed < 60, "the job hung")
    }
}
