// `make bench`: the emulator and the core map loader on a full synthetic TrueNorth chip,
// each against a simple baseline measured in the same run. Figures go to docs/performance.md.
//
//   tessera-bench [TICKS] [emulator|load|parse]
//   tessera-bench 0 map PATH      load + validate a core map file (v1 or v2), e.g. a full-size one
//   tessera-bench TICKS peer DIR CORES [TARGET]   the benchmark network of CORES cores (on
//                                 TARGET, default truenorth) for a peer simulator
//                                 (tools/bench/brian2_peer.py) or an MPI run: map, timing, spikes
import Dispatch
import Foundation
import Tessera

func elapsed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return (clock.now - start).seconds
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

/// The fast emulator on a full chip, against itself on one thread and the scalar reference.
func benchEmulator(_ target: Target, ticks: Int) throws {
    let referenceTicks = 20
    print("== emulator: full synthetic TrueNorth chip (4096 cores x 256 neurons, crossbars half full)")
    let chip = SyntheticCoreMap.benchmarkChip(target: target, seed: 1)
    let synapses = chip.cores.reduce(0) { total, core in total + (0..<core.crossbar.axons).reduce(0) { $0 + core.crossbar.fanOut(of: $1) } }
    let neurons = chip.cores.count * target.core.neurons
    print("cores \(chip.cores.count), neurons \(neurons), synapses \(synapses) (\(fmt(Double(synapses) / Double(neurons), 1)) per neuron)")
    let emulator = try Emulator(map: chip, target: target)
    let empty = SpikeInput(ticks: 0, spikes: [:])

    // Five runs: this machine is shared, so one run can be a quarter off.
    var result: EmulationResult?
    var times: [Double] = []
    for _ in 0..<5 { times.append(elapsed { result = emulator.run(empty, ticks: ticks) }) }
    guard let fast = result else { return }
    times.sort()
    let fastTime = times[2]
    let rate = Double(fast.stats.spikes) / Double(neurons) / Double(ticks) * target.timing.tickHz
    let ticksPerSecond = Double(ticks) / fastTime
    let realTime = { (time: Double) in Double(ticks) / time / target.timing.tickHz }
    print("fast emulator (\(emulator.workers) threads, \(emulator.kernels) kernels), 5 runs of \(ticks) ticks: median \(fmt(fastTime, 3)) s = \(fmt(ticksPerSecond, 1)) ticks/s, "
          + "\(fmt(Double(fast.stats.synapticEvents) / fastTime / 1e9, 3)) G synaptic events/s, "
          + "\(fmt(realTime(fastTime), 3)) x real time (\(Int(target.timing.tickHz)) ticks/s); "
          + "fastest \(fmt(realTime(times[0]), 3)) x, slowest \(fmt(realTime(times[4]), 3)) x")
    print("activity: mean rate \(fmt(rate, 1)) Hz, \(fast.stats.spikes) spikes, \(fast.stats.synapticEvents) synaptic events "
          + "(\(fmt(Double(fast.stats.synapticEvents) / Double(ticks), 0)) per tick), \(fast.stats.hops) hops")

    // The machine's limit: every neuron's potential is read and written each tick (the
    // network is leak-driven), plus a cache line per active axon's crossbar row and four
    // per spike's destination entry (kind, core, axon, delay). Against the bandwidth of a
    // read-and-write pass over as many bytes as the emulator's state.
    let spikesPerTick = Double(fast.stats.spikes) / Double(ticks)
    let bytesPerTick = Double(neurons) * 4 * 2 + spikesPerTick * 64 * (1 + 4)
    let working = Int(Double(neurons) * 4 + Double(chip.cores.count * target.core.axons) * 64 + Double(neurons) * 10)
    let bandwidth = streamBandwidth(bytes: working, threads: emulator.workers)
    print("machine limit: \(fmt(bytesPerTick / 1e6, 1)) MB per tick at least; a read-and-write pass over \(fmt(Double(working) / 1e6, 0)) MB "
          + "(the state's size) on \(emulator.workers) threads runs at \(fmt(bandwidth / 1e9, 1)) GB/s, so at most \(fmt(bandwidth / bytesPerTick, 0)) ticks/s; "
          + "the emulator reaches \(fmt(ticksPerSecond / (bandwidth / bytesPerTick) * 100, 0))% of it")

    // Each version of the C kernels, 2 threads, one run each.
    var versions: [String] = []
    for version in EmulatorKernels.available {
        emulator.kernels = version
        var run: EmulationResult?
        let time = elapsed { run = emulator.run(empty, ticks: ticks) }
        guard run == fast else { throw DiagnosticError("the \(version) kernels differ") }
        versions.append("\(version) \(fmt(Double(ticks) / time, 1)) ticks/s")
    }
    emulator.kernels = .best
    print("kernel versions (\(emulator.workers) threads, identical results): " + versions.joined(separator: ", "))

    let threads = emulator.workers
    emulator.workers = 1
    var single: EmulationResult?
    let singleTime = elapsed { single = emulator.run(empty, ticks: ticks) }
    emulator.workers = threads
    print("fast emulator (1 thread): \(fmt(Double(ticks) / singleTime, 1)) ticks/s; \(threads) threads = \(fmt(singleTime / fastTime)) x one")
    guard single == fast else { throw DiagnosticError("single- and multi-threaded runs differ") }

    var reference: EmulationResult?
    let scalarTime = elapsed { reference = ScalarEmulator(map: chip, target: target).run(empty, ticks: referenceTicks) }
    guard reference == emulator.run(empty, ticks: referenceTicks) else { throw DiagnosticError("fast and scalar emulators differ") }
    let scalarTicksPerSecond = Double(referenceTicks) / scalarTime
    print("scalar reference: \(referenceTicks) ticks in \(fmt(scalarTime, 3)) s = \(fmt(scalarTicksPerSecond, 2)) ticks/s; "
          + "fast / scalar = \(fmt(ticksPerSecond / scalarTicksPerSecond, 1)) x (identical results)")
}

/// The benchmark network of `cores` cores written for a peer simulator to run the same
/// network: `DIR/map.npz` (core map v2), `DIR/tessera.json` (the run's figures: ticks,
/// seconds, spikes, threads, kernels, the membrane range) and `DIR/tessera-spikes.i32`
/// (every spike as int32 pairs tick, core * neurons + index, in tick then code order).
/// The timed run records nothing; a second run records the spikes.
func benchPeer(_ target: Target, ticks: Int, directory: String, cores: Int) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let chip = SyntheticCoreMap.benchmarkChip(target: target, seed: 1, cores: cores)
    let packed = PackedCoreMap(chip)
    _ = try CoreMapArchiveWriter.write(packed, to: directory + "/map.npz")
    let emulator = try Emulator(packed: packed, target: target)
    let empty = SpikeInput(ticks: 0, spikes: [:])
    var result: EmulationResult?
    let seconds = elapsed { result = emulator.run(empty, ticks: ticks) }
    guard let timed = result else { return }
    let recorded = emulator.run(empty, ticks: ticks, recordFired: true)
    guard recorded.stats == timed.stats, let fired = recorded.fired else { throw DiagnosticError("the recording run differs from the timed run") }
    var pairs: [Int32] = []
    pairs.reserveCapacity(2 * timed.stats.spikes)
    for (t, codes) in fired.enumerated() {
        for code in codes {
            pairs.append(Int32(t))
            pairs.append(code)
        }
    }
    try pairs.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: directory + "/tessera-spikes.i32")) }
    let figures: [String: Any] = [
        "cores": cores, "neurons": cores * target.core.neurons, "ticks": ticks, "seconds": seconds,
        "spikes": timed.stats.spikes, "synapticEvents": timed.stats.synapticEvents,
        "threads": emulator.workers, "kernels": emulator.kernels.rawValue,
        "membrane": [target.core.membraneRange.lowerBound, target.core.membraneRange.upperBound],
    ]
    try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]).write(to: URL(fileURLWithPath: directory + "/tessera.json"))
    print("tessera: \(cores) cores, \(ticks) ticks in \(fmt(seconds, 3)) s (\(emulator.workers) threads, \(emulator.kernels)), "
          + "\(timed.stats.spikes) spikes, \(timed.stats.synapticEvents) synaptic events; written to \(directory)")
}

/// Bytes per second of a read-and-write pass over a buffer of `bytes`, split over
/// `threads` as the emulator's cores are (the best of 5).
func streamBandwidth(bytes: Int, threads: Int) -> Double {
    let count = max(bytes / 8, threads)
    let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: count)
    let shared = UncheckedPointer(buffer)
    var best = Double.infinity
    for _ in 0..<5 {
        best = min(best, elapsed {
            DispatchQueue.concurrentPerform(iterations: threads) { w in
                let p = shared.pointer
                for k in (count * w / threads)..<(count * (w + 1) / threads) { p[k] = p[k] &* 3 &+ 1 }
            }
        })
    }
    return Double(count * 16) / best
}

/// A pointer handed to threads that write disjoint parts of it.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt64>
    init(_ pointer: UnsafeMutablePointer<UInt64>) { self.pointer = pointer }
}

/// Loading (parse + validate) against a bare Foundation JSON parse of the same bytes (the
/// baseline, on the smaller map only: it takes tens of seconds on the larger), and writing.
func benchLoading(_ board: Target) throws {
    print("== core map loading: synthetic fully used TrueNorth cores (target \(board.name))")
    for count in [1000, 10_000] {
        let map = SyntheticCoreMap.benchmarkChip(target: board, seed: 2, cores: count)
        var text = ""
        let writeTime = elapsed { text = CoreMapWriter.json(map) }
        let data = Data(text.utf8)
        var loaded: CoreMap?
        let loadTime = try elapsed { loaded = try CoreMapReader.parse(data, file: "bench.json", target: board) }
        guard loaded == map else { throw DiagnosticError("the round trip changed the map") }
        var line = "\(count) cores, \(fmt(Double(data.count) / 1e6, 1)) MB: load + validate \(fmt(loadTime, 3)) s "
            + "(\(fmt(loadTime / Double(count) * 1000, 3)) s per 1,000 cores), write \(fmt(writeTime, 3)) s"
        // The same map as v2 (an .npz): these random cores share nothing, the worst case for
        // its shared tables, so the figures bound v2 from above.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-\(count).npz").path
        var summary: ArchiveSummary?
        let writeV2 = try elapsed { summary = try CoreMapArchiveWriter.write(PackedCoreMap(map), to: path) }
        var packed: PackedCoreMap?
        let loadV2 = try elapsed { packed = try PackedCoreMap.load(path, target: board) }
        try? FileManager.default.removeItem(atPath: path)
        guard packed?.unpacked() == map, let summary else { throw DiagnosticError("the v2 round trip changed the map") }
        line += "; v2: \(fmt(Double(summary.bytes) / 1e6, 1)) MB (\(fmt(Double(data.count) / Double(summary.bytes), 1)) x smaller), "
            + "load + validate \(fmt(loadV2, 3)) s (\(fmt(loadTime / loadV2, 1)) x faster), write \(fmt(writeV2, 3)) s"
        if count == 1000 {
            let parseTime = try elapsed { _ = try JSONSerialization.jsonObject(with: data) }
            line += "; a bare JSONSerialization parse takes \(fmt(parseTime, 3)) s = \(fmt(parseTime / loadTime, 1)) x the full load"
        }
        print(line)
    }
}

/// Profiling aid: only the reader, three times over one 1,000-core map.
func benchParse(_ target: Target) throws {
    let data = Data(SyntheticCoreMap.benchmarkChip(target: target, seed: 2, cores: 1000).json.utf8)
    for _ in 0..<3 {
        let time = try elapsed { _ = try CoreMapReader.parse(data, file: "bench.json", target: target) }
        print("1000 cores, \(fmt(Double(data.count) / 1e6, 1)) MB: load + validate \(fmt(time, 3)) s")
    }
}

/// Load + validate of a map file, then its report counts, as a user's `tessera report` does.
func benchMapFile(_ path: String) throws {
    var map: PackedCoreMap?
    let loadTime = try elapsed { map = try PackedCoreMap.load(path) }
    guard let map else { return }
    var resources: ResourceEstimate?
    let countTime = elapsed { resources = ResourceEstimate(map) }
    print("\(path): \(map.coreCount) cores, \(map.neuronCount) neurons, tables \(map.crossbars.count) crossbars / \(map.axonTypeTables.count) axon-type vectors / \(map.neuronBlocks.count) neuron blocks; "
          + "load + validate \(fmt(loadTime)) s, resources counted from the tables in \(fmt(countTime)) s (\(resources?.synapses ?? 0) synapses)")
}

let arguments = CommandLine.arguments
let ticks = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
let part = arguments.count > 2 ? arguments[2] : "all"
do {
    let truenorth = try Target.load("truenorth")
    if part == "all" || part == "emulator" { try benchEmulator(truenorth, ticks: ticks) }
    if part == "all" { print("") }
    if part == "all" || part == "load" { try benchLoading(try Target.load("truenorth-4x4")) }
    if part == "parse" { try benchParse(truenorth) }
    if part == "map", arguments.count > 3 { try benchMapFile(arguments[3]) }
    if part == "peer", arguments.count > 4, let cores = Int(arguments[4]), cores > 0 {
        try benchPeer(arguments.count > 5 ? try Target.load(arguments[5]) : truenorth, ticks: ticks, directory: arguments[3], cores: cores)
    }
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
