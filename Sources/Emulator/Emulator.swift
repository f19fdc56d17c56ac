import CKernels
import CoreMap
import Dispatch
import Foundation
import Hardware
import TesseraSupport

/// The cycle-accurate, event-driven emulator of a core map.
///
/// Each tick, every core with work integrates the spikes on its axons, leaks, and fires,
/// exactly as `shared/spec/neurosynaptic-core.md` says (the choices the spec leaves open
/// are in `docs/emulator.md`). Deterministic neurons are updated eight at a time with SIMD
/// over contiguous buffers; stochastic ones one by one in the documented draw order; cores
/// are spread over all CPUs. A core with no input, no leak and no neuron at a threshold is
/// skipped. The result equals ``ScalarEmulator``'s, tick for tick.
///
/// ```swift
/// let emulator = try Emulator(map: map, target: target)
/// let result = emulator.run(SpikeInput(ticks: 4, spikes: ["image": [.init(tick: 0, index: 3)]]), ticks: 16)
/// print(result.outputs[0].counts, result.stats.synapticEvents)
/// ```
public final class Emulator: @unchecked Sendable {
    /// Target, geometry, ports and layer labels of the map being run (its `cores` is empty).
    public let header: CoreMap
    public let target: Target
    /// Cores in the map.
    public let coreCount: Int
    let layout: BoardLayout
    let ring: Int
    let outputIndex: [String: Int]
    let inputPorts: [String: InputPort]
    let buckets: (names: [String], ofCore: [Int])
    /// Worker threads per tick; 1 for small maps, where threads cost more than they save.
    public var workers: Int
    /// The version of the C kernels the runs use: the widest this CPU has, unless set (a
    /// version the CPU lacks runs as ``EmulatorKernels/baseline``).
    public var kernels: EmulatorKernels = .best

    /// Prepares a map for emulation; throws if it breaks the target's limits or if the
    /// target's widths exceed the emulator's 32-bit lanes.
    public convenience init(map: CoreMap, target: Target) throws(DiagnosticError) {
        let problems = CoreMapValidator.validate(map, target: target)
        guard problems.isEmpty else { throw DiagnosticError(problems.map { .error($0) }) }
        try self.init(checked: PackedCoreMap(map), target: target)
    }

    /// Prepares a packed (v2) map for emulation: memory is the per-neuron state plus the
    /// shared tables, so a full-size map runs without a copy of every crossbar.
    public convenience init(packed: PackedCoreMap, target: Target) throws(DiagnosticError) {
        try self.init(validated: try ValidatedCoreMap(packed, target: target))
    }

    /// Prepares a map that was validated already (as loading a file does), without a
    /// second pass over it.
    public convenience init(validated: ValidatedCoreMap) throws(DiagnosticError) {
        try self.init(checked: validated.map, target: validated.target)
    }

    private init(checked map: PackedCoreMap, target: Target) throws(DiagnosticError) {
        let spec = target.core
        // Worst case within one tick: a saturated membrane plus every axon at the largest
        // weight, plus threshold and leak terms, must fit in Int32 lanes.
        let worst = (1 << (spec.membraneBits - 1)) + spec.axons * (1 << (spec.weightBits - 1))
            + (1 << spec.thresholdBits) + (1 << spec.thresholdMaskBits) + (1 << (spec.leakBits - 1))
        guard worst < Int(Int32.max) else {
            throw DiagnosticError("target '\(target.name)': membrane \(spec.membraneBits) bits with \(spec.axons) axons of \(spec.weightBits)-bit weights exceeds the emulator's 32-bit arithmetic")
        }
        header = map.header
        self.target = target
        coreCount = map.coreCount
        self.outputIndex = Dictionary(map.header.outputs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.inputPorts = Dictionary(map.header.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.layout = BoardLayout(map: map)
        // Slots of pending spikes: one per tick up to the longest delay the map's neurons
        // use (delays are at least 1), not the target's longest. A full-size DeepLab, whose
        // delays are all 1, holds 2 slots of its 1.95 million cores' axon bits, not 16.
        self.ring = layout.longestDelay + 1
        self.buckets = LayerSpikes.buckets(layers: map.header.layers, coreLayer: map.coreLayer.map { Int($0) })
        self.workers = map.coreCount >= 64 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    }

    /// Gives the heap memory freed so far back to the system. Call it once the loaded map
    /// is dropped (``init(validated:)`` keeps only what it runs on): the map's neuron
    /// blocks are millions of small allocations (1.75 million neurons on a full-size
    /// DeepLab), whose pages glibc would otherwise keep for the whole run.
    public static func releaseFreedMemory() { tessera_release_freed_memory() }

    /// Runs `ticks` ticks from the reset state (initial potentials, fresh PRNGs, no spikes
    /// in flight). `progress` is called with the number of ticks done, now and then.
    /// With `recordFired`, the result lists every neuron that fired in every tick.
    ///
    /// With `exchange` (an ``MPIWorld`` under `mpirun`), this process is one rank of a run
    /// split over several: it steps the cores of its chips (``BoardPartition``), trades the
    /// spikes that cross ranks every tick, and every rank returns the whole run's result,
    /// equal to a one-process run's, counters included.
    public func run(_ input: SpikeInput, ticks: Int, traceCore: Int? = nil, recordFired: Bool = false,
                    exchange: SpikeExchange? = nil, progress: ((Int) -> Void)? = nil) -> EmulationResult {
        let partition = exchange.map {
            BoardPartition(chips: header.chips, coreChip: UnsafePointer(layout.chip), cores: coreCount, rank: $0.rank, ranks: $0.ranks)
        }
        var stats = EmulationStats()
        var outputs = OutputRecorder(header.outputs)
        var trace = traceCore.map { PotentialTrace(core: $0, neurons: layout.used[Int(layout.blockOf[$0])], potentials: []) }
        var injected = Array(repeating: [(Int, Int)](), count: max(ticks, 0))
        let names = Array(inputPorts.keys).sorted()
        for name in names {
            for e in input.spikes[name] ?? [] where e.tick >= 0 && e.tick < ticks {
                injected[e.tick].append((names.firstIndex(of: name) ?? 0, e.index))
            }
        }
        let ports = names.map { inputPorts[$0] }
        let L = layout
        var layerSpikes = LayerSpikes(names: buckets.names, perTick: [])
        var fired: [[Int32]] = []
        let clock = ContinuousClock()
        var lastReport = clock.now

        do {
            // The run's state lives only for the ticks, so the result (a full-size frame's
            // 64 million output spikes) is built after its potentials are freed.
            let state = RunState(layout: layout, ring: ring, workers: workers, kernels: kernels, membrane: target.core.membraneRange,
                                 randomBits: target.core.randomBits, bucketOf: buckets.ofCore, bucketCount: buckets.names.count,
                                 partition: partition, keepsFired: recordFired)
            state.runTicks(ticks, before: { t in
                let slot = t % ring
                for (port, index) in injected[t] {
                    guard let targets = ports[port]?.targets, index >= 0, index < targets.count else { continue }
                    for a in targets[index] where state.steps(core: a.core) { state.schedule(slot: slot, core: a.core, axon: a.axon) }
                }
            }, between: { _ in
                if let exchange { state.exchange(exchange) }
                if recordFired {
                    var codes: [Int32] = []
                    for w in 0..<state.workerCount { codes += UnsafeBufferPointer(start: state.fired[w].base, count: state.tally[w].fired) }
                    // Each worker's codes ascend within each chunk of cores it stepped.
                    fired.append(codes.sorted())
                }
            }, after: { t in
                // What tick t fired: counters, spikes per layer, spikes that left through an
                // output port, the traced core's potentials.
                var perLayer = [Int](repeating: 0, count: buckets.names.count)
                for w in 0..<state.workerCount {
                    for b in perLayer.indices { perLayer[b] += state.bucketSpikes[w][b] }
                    let tally = state.tally[w]
                    stats.spikes += tally.spikes
                    stats.synapticEvents += tally.synapticEvents
                    stats.activeCoreTicks += tally.activeCores
                    stats.hops += tally.hops
                    stats.chipCrossings += tally.chipCrossings
                }
                layerSpikes.perTick.append(perLayer)
                for w in 0..<state.workerCount {
                    for k in 0..<state.tally[w].outputs {
                        let e = Int(state.outputEntries[w][k])
                        outputs.record(port: Int(L.destA[e]), element: Int(L.destB[e]))
                    }
                }
                outputs.endTick()
                if let core = traceCore, state.steps(core: core) { trace?.potentials.append(state.potentials(core: core)) }
                if let progress, clock.now - lastReport > .milliseconds(200) {
                    progress(t + 1)
                    lastReport = clock.now
                }
            })
        }
        var result = EmulationResult(ticks: ticks, outputs: outputs.ports(header.outputs), stats: stats, trace: trace,
                                     layerSpikes: layerSpikes, fired: recordFired ? fired : nil)
        if let exchange, let partition {
            result = Self.combine(result, over: exchange, partition: partition, traceCore: traceCore)
            for p in result.outputs.indices { result.outputs[p].spikes.sort() }
        }
        return result
    }

    /// What each rank of a split run counted, summed and gathered into the whole run's
    /// result, on every rank.
    static func combine(_ mine: EmulationResult, over world: SpikeExchange, partition: BoardPartition, traceCore: Int?) -> EmulationResult {
        var result = mine
        let s = mine.stats
        let total = world.sum([s.spikes, s.synapticEvents, s.hops, s.chipCrossings, s.activeCoreTicks])
        (result.stats.spikes, result.stats.synapticEvents, result.stats.hops, result.stats.chipCrossings, result.stats.activeCoreTicks)
            = (total[0], total[1], total[2], total[3], total[4])
        if let layers = mine.layerSpikes {
            let summed = world.sum(layers.perTick.flatMap { $0 })
            let width = layers.names.count
            result.layerSpikes?.perTick = width == 0 ? layers.perTick : (0..<layers.perTick.count).map { Array(summed[$0 * width..<($0 + 1) * width]) }
        }
        // Output spikes as (port, tick, element) triples from every rank.
        let triples = mine.outputs.enumerated().flatMap { p, port in port.spikes.flatMap { [Int32(p), Int32($0.tick), Int32($0.index)] } }
        for p in result.outputs.indices {
            result.outputs[p].spikes = []
            result.outputs[p].counts = Array(repeating: 0, count: result.outputs[p].counts.count)
        }
        for part in world.gather(triples) {
            for k in stride(from: 0, to: part.count - 2, by: 3) {
                let (p, tick, index) = (Int(part[k]), Int(part[k + 1]), Int(part[k + 2]))
                result.outputs[p].spikes.append(SpikeInput.Event(tick: tick, index: index))
                result.outputs[p].counts[index] += 1
            }
        }
        if let core = traceCore, core < partition.rankOf.count {
            let owner = Int(partition.rankOf[core])
            let flat = mine.trace.map { $0.potentials.flatMap { $0.map(Int32.init) } } ?? []
            let theirs = world.gather(flat)[owner]
            let width = mine.trace?.neurons.count ?? 0
            result.trace?.potentials = width == 0 ? Array(repeating: [], count: mine.ticks)
                : (0..<theirs.count / width).map { t in theirs[t * width..<(t + 1) * width].map(Int.init) }
        }
        if let fired = mine.fired {
            let pairs = fired.enumerated().flatMap { t, codes in codes.flatMap { [Int32(t), $0] } }
            var merged = [[Int32]](repeating: [], count: fired.count)
            for part in world.gather(pairs) {
                for k in stride(from: 0, to: part.count - 1, by: 2) { merged[Int(part[k])].append(part[k + 1]) }
            }
            result.fired = merged.map { $0.sorted() }
        }
        return result
    }
}
