import CKernels
import CPrefetch
import CoreMap
import Synchronization
import TesseraSupport

/// The mutable state of one emulation run: membrane potentials, pending axon spikes per
/// tick slot, per-core PRNGs, and per-worker output buffers. Workers step cores in chunks
/// they claim and write only those cores' state, their own buffers and their own plane of
/// pending spikes, so no phase needs a lock.
final class RunState: @unchecked Sendable {
    typealias Lane = SIMD8<Int32>
    typealias Mask = SIMD8<Int32>
    let L: BoardLayout
    let ring: Int
    let potential: UnsafeMutablePointer<Lane>
    /// Pending spikes: [plane][slot][core][axon word]. Worker w resolves its spikes into
    /// plane w, so no two threads write one word and no write needs a lock (an atomic OR
    /// per spike cost the full chip a tenth of its time); plane 0 also takes inputs and
    /// spikes from other processes. A core's words are gathered into plane 0 just before
    /// it is stepped, when no one writes its slot any more.
    let pending: UnsafeMutablePointer<UInt64>
    /// Words in one worker's plane.
    let planeWords: Int
    let prng: UnsafeMutablePointer<CorePRNG>
    let unstable: UnsafeMutablePointer<Bool>
    let workerCount: Int
    /// Cores this process steps, the cores of a chunk, and the first not yet claimed in
    /// this tick's step.
    let steppedCount: Int
    let chunk: Int
    let nextChunk = Atomic<Int>(0)
    /// The cores this process steps, ascending, when the board is split over processes
    /// (``BoardPartition``); nil when it steps them all.
    let stepped: UnsafeMutablePointer<Int32>?
    /// Lists per worker: one per process when the board is split, else none.
    let listsPerWorker: Int
    /// When split: per core, the local worker that delivers what other processes send it,
    /// or `workerCount + rank` for another process's core; and per worker the spikes that
    /// came in from other processes this tick.
    let owner: UnsafeMutablePointer<Int32>?
    var incoming: [tessera_spike_list]
    /// Per worker: fired neurons as `core * neurons + index`, and the tick's counters.
    let fired: UnsafeMutablePointer<SpikeBuffer>
    let tally: UnsafeMutablePointer<WorkerTally>
    /// Per [worker w][rank q]: when the board is split over processes, this tick's spikes
    /// fired by w's cores and bound for process q's cores, for the exchange. Spikes to this process's cores set their pending bits (in the
    /// worker's plane) as they are resolved instead, so memory does not grow with a tick's
    /// spikes. Grown as needed.
    let lists: UnsafeMutablePointer<tessera_spike_list>
    /// The routing tables as the C resolver sees them (the destination arrays are set on
    /// each call, as Swift lends their storage only for the call).
    let routes: tessera_routes
    /// Whether the fired codes are kept for the whole tick (the run records them); else
    /// the buffer is emptied each time its spikes are resolved.
    let keepsFired: Bool
    /// Fired codes resolved at a time: enough for the resolver's prefetching to run ahead,
    /// few enough that the buffer stays in cache.
    static let resolveBatch = 4096
    /// Per core: its layer bucket (for the routes).
    let bucketOf: UnsafeMutablePointer<Int>
    /// Per worker: destination entries of its neurons that fired into an output port this
    /// tick, and their count.
    let outputEntries: [UnsafeMutablePointer<Int32>]
    /// Per worker scratch: active axons of the core being stepped, saved potentials.
    let scratchAxons: [UnsafeMutablePointer<Int32>]
    /// The layer bucket of each core, and per worker this tick's spikes per bucket
    /// (counted while the spikes are resolved).
    let bucketCount: Int
    let bucketSpikes: [UnsafeMutablePointer<Int>]

    /// The membrane range, as lanes and as integers.
    let low: Lane
    let high: Lane
    let membrane: ClosedRange<Int>
    /// Mask giving rho its `randomBits` width.
    let randomMask: UInt32
    /// Where the workers meet twice a tick (``runTicks(_:before:between:after:)``).
    let barrier: UnsafeMutablePointer<tessera_barrier> = .allocate(capacity: 1)
    /// The C kernels' version, and the board as they see it.
    let kernels: Int32
    let board: UnsafeMutablePointer<tessera_board>

    init(layout: BoardLayout, ring: Int, workers: Int, kernels: EmulatorKernels, membrane: ClosedRange<Int>, randomBits: Int,
         bucketOf: [Int], bucketCount: Int, partition: BoardPartition? = nil, keepsFired: Bool = false) {
        L = layout
        self.ring = ring
        self.keepsFired = keepsFired
        // A version the CPU lacks would fault on its first instruction.
        self.kernels = (kernels.isAvailable ? kernels : .baseline).code
        board = .allocate(capacity: 1)
        board.initialize(to: tessera_board(records: UnsafeRawPointer(layout.records).assumingMemoryBound(to: UInt8.self),
                                           stride: Int64(layout.recordStride), fan_out_offset: Int64(layout.fanOutOffset),
                                           type_offset: Int64(layout.typeOffset),
                                           mask_table: UnsafeRawPointer(layout.masks).assumingMemoryBound(to: Int32.self),
                                           lanes: Int32(layout.lanes), axon_words: Int32(layout.axonWords),
                                           low: Int32(membrane.lowerBound), high: Int32(membrane.upperBound)))
        let laneCount = max(layout.cores * layout.lanes, 1)
        potential = .allocate(capacity: laneCount)
        HugePages.advise(potential, count: laneCount)
        for c in 0..<layout.cores {
            (potential + c * layout.lanes).initialize(from: layout.initial + Int(layout.blockOf[c]) * layout.lanes, count: layout.lanes)
        }
        if layout.cores == 0 { potential.initialize(to: .zero) }
        let mine = partition.map { $0.cores(of: $0.rank) }
        let cores = mine?.count ?? layout.cores
        let n = max(1, min(workers, cores))
        workerCount = n
        planeWords = ring * layout.cores * layout.axonWords
        let words = max(n * planeWords, 1)
        pending = .allocate(capacity: words)
        HugePages.advise(pending, count: words)
        pending.initialize(repeating: 0, count: words)
        prng = .allocate(capacity: max(layout.cores, 1))
        for (c, seed) in layout.seeds.enumerated() { (prng + c).initialize(to: CorePRNG(seed: seed)) }
        unstable = .allocate(capacity: max(layout.cores, 1))
        unstable.initialize(repeating: false, count: max(layout.cores, 1))
        // Each worker delivers the spikes from other processes to one range of the cores.
        let ranges = (0..<n).map { w in (cores * w / n)..<(cores * (w + 1) / n) }
        steppedCount = cores
        // About 64 chunks a worker, so the last one ends a tick soon after the others, of
        // whole multiples of 64 cores: a chunk's per-core flags then fill whole cache lines,
        // and two workers seldom write one line (chunks of 32 cost the full chip a third of
        // its speed). A map too small for that is claimed core by core.
        chunk = cores < 128 * n ? 1 : max(64, cores / (n * 64) / 64 * 64)
        listsPerWorker = partition?.ranks ?? 0
        if let partition, let mine {
            let list = UnsafeMutablePointer<Int32>.allocate(capacity: max(mine.count, 1))
            for (i, c) in mine.enumerated() { list[i] = Int32(c) }
            stepped = list
            let owner = UnsafeMutablePointer<Int32>.allocate(capacity: max(layout.cores, 1))
            for c in 0..<layout.cores { owner[c] = Int32(n) + partition.rankOf[c] }
            for (w, range) in ranges.enumerated() { for i in range { owner[mine[i]] = Int32(w) } }
            self.owner = owner
        } else {
            stepped = nil
            owner = nil
        }
        incoming = (0..<n).map { _ in tessera_spike_list(capacity: 64) }
        // Room for a sixteenth of a worker's neurons to start with; it grows as needed.
        fired = .allocate(capacity: n)
        let perWorker = listsPerWorker
        lists = .allocate(capacity: max(n * perWorker, 1))
        for w in 0..<n {
            // Spikes are resolved every `resolveBatch` codes, so the buffer stays small
            // unless every code is kept for the run's record.
            let start = keepsFired ? min(layout.destStart[layout.cores], 1 << 24) / n / 16 + 16 : Self.resolveBatch + layout.neurons + 16
            (fired + w).initialize(to: SpikeBuffer(capacity: start))
            for v in 0..<perWorker { (lists + w * perWorker + v).initialize(to: tessera_spike_list(capacity: start / n + 16)) }
        }
        let buckets = ownLines(Int.self, count: layout.cores, zero: 0)
        buckets.update(from: bucketOf, count: layout.cores)
        self.bucketOf = buckets
        routes = tessera_routes(dest_start: int64(layout.destStart), block_of: UnsafePointer(layout.blockOf),
                                rank_is_index: UnsafeRawPointer(layout.rankIsIndex).assumingMemoryBound(to: UInt8.self),
                                rank: UnsafePointer(layout.rank), neurons: Int32(layout.neurons), neuron_shift: Int32(layout.neuronShift),
                                dest_kind: nil, dest_target: nil, dest_index: nil, dest_delay: nil, uniform_delay: Int32(layout.uniformDelay ?? 0),
                                mesh: UnsafePointer(layout.mesh), chip: UnsafePointer(layout.chip), bucket_of: int64(buckets),
                                pending: pending, cores: Int64(layout.cores), axon_words: Int32(layout.axonWords), ring: Int32(ring),
                                owner: owner.map { UnsafePointer($0) }, workers: Int32(n))
        tally = WorkerTally.allocate(workerCount)
        outputEntries = (0..<workerCount).map { _ in .allocate(capacity: max(layout.outputNeurons, 1)) }
        scratchAxons = (0..<workerCount).map { _ in ownLines(Int32.self, count: layout.axons, zero: 0) }
        self.bucketCount = bucketCount
        bucketSpikes = (0..<workerCount).map { _ in ownLines(Int.self, count: bucketCount, zero: 0) }
        self.membrane = membrane
        low = Lane(repeating: Int32(membrane.lowerBound))
        high = Lane(repeating: Int32(membrane.upperBound))
        randomMask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(randomBits)) - 1)
        // A neuron that starts at or beyond a threshold changes in tick 0 without input.
        for c in 0..<layout.cores {
            let block = Int(layout.blockOf[c]) * layout.lanes
            for l in 0..<layout.lanes {
                let p = block + l
                let (_, _, restless) = neuronUpdate(potential[c * layout.lanes + l], low: low, high: high, leak: .zero, alpha: layout.alpha[p],
                                                    beta: layout.beta[p], reset: .zero, reversal: .zero, normal: .zero, linear: .zero,
                                                    saturate: .zero, enabled: layout.enabled[p], settledOnly: true)
                if restless { unstable[c] = true }
            }
        }
    }

    deinit {
        barrier.deallocate()
        board.deallocate()
        potential.deallocate()
        pending.deallocate()
        unstable.deallocate()
        prng.deallocate()
        outputEntries.forEach { $0.deallocate() }
        for w in 0..<workerCount { fired[w].deallocate() }
        for k in 0..<workerCount * listsPerWorker { lists[k].deallocate() }
        incoming.forEach { $0.deallocate() }
        stepped?.deallocate(); owner?.deallocate()
        lists.deallocate(); bucketOf.deallocate()
        fired.deallocate(); tally.deallocate()
        scratchAxons.forEach { $0.deallocate() }
        bucketSpikes.forEach { $0.deallocate() }
    }

    @inline(__always) func schedule(slot: Int, core: Int, axon: Int) {
        pending[(slot * L.cores + core) * L.axonWords + axon / 64] |= 1 << UInt64(axon % 64)
    }

    func potentials(core: Int) -> [Int] {
        L.used[Int(L.blockOf[core])].map { Int(potential[core * L.lanes + $0 / 8][$0 % 8]) }
    }

    /// Resolves the codes worker w fired from `from` on (in C: `tessera_resolve`) in the
    /// tick whose slot is `now`, and returns where the next batch starts: 0 once the buffer
    /// is emptied, or its end when the codes are kept.
    private func resolve(_ w: Int, now: Int, from: Int, counted: inout tessera_route_tally) -> Int {
        let n = tally[w].fired, workers = listsPerWorker
        let mine = lists + w * workers, counts = UnsafeMutableRawPointer(bucketSpikes[w]).assumingMemoryBound(to: Int64.self)
        L.destKind.withUnsafeBufferPointer { kind in
        L.destA.withUnsafeBufferPointer { destA in
        L.destB.withUnsafeBufferPointer { destB in
        L.destDelay.withUnsafeBufferPointer { delay in
            var routes = self.routes
            routes.pending = pending + w * planeWords
            (routes.dest_kind, routes.dest_target, routes.dest_index) = (kind.baseAddress, destA.baseAddress, destB.baseAddress)
            routes.dest_delay = L.uniformDelay == nil ? delay.baseAddress : nil
            var k = from
            while k < n {
                k = Int(tessera_resolve(&routes, fired[w].base, Int64(k), Int64(n), Int64(now), mine, outputEntries[w], counts, &counted))
                for v in 0..<workers where mine[v].count == mine[v].capacity { mine[v].grow() }
            }
        }}}}
        tally[w].spikes += n - from
        guard !keepsFired else { return n }
        tally[w].fired = 0
        return 0
    }

    /// Delivers the spikes that came in from other processes for worker w's cores, after
    /// the exchange (a local spike set its bit when it was resolved).
    func applyRange(_ w: Int, tick t: Int) {
        // Delays are at least 1 and below `ring` (the loader checks them), so the slot
        // wraps at most once: no division per spike.
        let now = t % ring
        let list = incoming[w]
        for k in 0..<Int(list.count) {
            let packed = Int(list.axon[k])
            var slot = now + packed & 0xFF
            if slot >= ring { slot -= ring }
            schedule(slot: slot, core: Int(list.core[k]), axon: packed >> 8)
        }
    }

    /// When the board is split over processes: sends this tick's spikes for other
    /// processes' cores to them, and sorts the ones that came in by the local worker whose
    /// core they reach. Runs on one thread, between the step and the delivery.
    func exchange(_ world: SpikeExchange) {
        guard let owner else { return }
        var outgoing = [[Int32]](repeating: [], count: world.ranks)
        for w in 0..<workerCount {
            for q in 0..<world.ranks where q != world.rank {
                let list = lists[w * listsPerWorker + q]
                for k in 0..<Int(list.count) {
                    outgoing[q].append(list.core[k])
                    outgoing[q].append(list.axon[k])
                }
            }
        }
        let received = world.allToAll(outgoing)
        for v in 0..<workerCount { incoming[v].count = 0 }
        for k in stride(from: 0, to: received.count - 1, by: 2) {
            let core = Int(received[k])
            guard core >= 0, core < L.cores else { continue }
            let v = Int(owner[core])
            guard v < workerCount else { continue }
            incoming[v].append(core: received[k], axon: received[k + 1])
        }
    }

    /// Whether this process steps core `c`.
    func steps(core c: Int) -> Bool { owner.map { Int($0[c]) < workerCount } ?? true }

    /// Makes the tick's chunks of cores claimable again; called while the workers wait.
    func resetChunks() { nextChunk.store(0, ordering: .relaxed) }

    /// Steps cores for the tick whose pending spikes are in `slot` on worker w, resolving
    /// what they fire as it goes: a spike's delay is at least one tick, so it lands in a
    /// later slot than the one being stepped, and its bit can be set at once. The worker
    /// claims chunks of ``chunk`` cores until none is left: layers differ in activity, and
    /// fixed halves left one CPU waiting for the other (SiamSNN: a tenth of each tick).
    /// Chunks are disjoint, so their cores' state needs no lock, and nothing downstream
    /// depends on which worker stepped a core (bits are ORed, counters summed, outputs and
    /// recorded codes sorted).
    func stepRange(_ w: Int, slot: Int) {
        tally[w] = WorkerTally()
        for v in 0..<listsPerWorker { lists[w * listsPerWorker + v].count = 0 }
        bucketSpikes[w].update(repeating: 0, count: bucketCount)
        var counted = tessera_route_tally(hops: 0, crossings: 0, outputs: 0)
        var from = 0
        while true {
            let start = nextChunk.wrappingAdd(chunk, ordering: .relaxed).oldValue
            guard start < steppedCount else { break }
            from = stepCores(start..<min(start + chunk, steppedCount), worker: w, slot: slot, from: from, counted: &counted)
        }
        _ = resolve(w, now: slot, from: from, counted: &counted)
        tally[w].hops = Int(counted.hops)
        tally[w].chipCrossings = Int(counted.crossings)
        tally[w].outputs = Int(counted.outputs)
    }

    /// Steps the cores at positions `range` of ``stepped`` (or cores `range`), resolving
    /// every ``resolveBatch`` fired codes; returns where the unresolved codes start.
    private func stepCores(_ range: Range<Int>, worker w: Int, slot: Int, from start: Int, counted: inout tessera_route_tally) -> Int {
        var from = start
        // The crossbar rows of a core's active axons sit at random places in a large
        // table; they are asked for `ahead` cores before they are read, so their memory
        // latency overlaps with the work on the cores in between.
        let ahead = 2
        for i in range.prefix(ahead) { gather(core: stepped.map { Int($0[i]) } ?? i, slot: slot) }
        for i in range {
            let c = stepped.map { Int($0[i]) } ?? i
            if i + ahead < range.upperBound {
                let next = stepped.map { Int($0[i + ahead]) } ?? i + ahead
                gather(core: next, slot: slot)
                prefetchRecords(core: next, slot: slot)
            }
            // Room for every neuron of the core to fire, and 16 more for the AVX-512
            // kernel, which stores 16 codes at a time.
            fired[w].reserve(tally[w].fired + L.neurons + 16, keeping: tally[w].fired)
            stepCore(c, slot: slot, worker: w)
            if tally[w].fired - from >= Self.resolveBatch { from = resolve(w, now: slot, from: from, counted: &counted) }
        }
        return from
    }

    /// ORs core c's words of `slot` from the other planes into plane 0, clearing them.
    @inline(__always) private func gather(core c: Int, slot: Int) {
        guard workerCount > 1 else { return }
        let words = pending + (slot * L.cores + c) * L.axonWords
        for p in 1..<workerCount {
            let theirs = words + p * planeWords
            for k in 0..<L.axonWords where theirs[k] != 0 {
                words[k] |= theirs[k]
                theirs[k] = 0
            }
        }
    }

    @inline(__always) private func prefetchRecords(core c: Int, slot: Int) {
        let words = pending + (slot * L.cores + c) * L.axonWords
        for k in 0..<L.axonWords {
            var bits = words[k]
            while bits != 0 {
                tessera_prefetch(L.record(core: c, axon: k * 64 + bits.trailingZeroBitCount))
                bits &= bits &- 1
            }
        }
    }
}

/// Memory for one worker's own use that shares no cache line with any other allocation:
/// 64-byte aligned and a whole number of lines long (see ``WorkerTally``).
func ownLines<T>(_: T.Type, count: Int, zero: T) -> UnsafeMutablePointer<T> {
    let bytes = (max(count, 1) * MemoryLayout<T>.stride + 63) / 64 * 64
    let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: T.self, capacity: max(count, 1))
    p.initialize(repeating: zero, count: max(count, 1))
    return p
}

extension tessera_spike_list {
    /// An empty list with room for `capacity` spikes.
    init(capacity: Int) {
        self.init(core: .allocate(capacity: capacity), axon: .allocate(capacity: capacity), count: 0, capacity: Int64(capacity))
    }

    /// Twice the room, keeping the spikes.
    mutating func grow() {
        let bigger = Int(capacity) * 2, count = Int(self.count)
        let newCore = UnsafeMutablePointer<Int32>.allocate(capacity: bigger), newAxon = UnsafeMutablePointer<Int32>.allocate(capacity: bigger)
        newCore.update(from: core, count: count)
        newAxon.update(from: axon, count: count)
        core.deallocate(); axon.deallocate()
        (core, axon, capacity) = (newCore, newAxon, Int64(bigger))
    }

    /// Appends a spike, growing the list when it is full.
    mutating func append(core target: Int32, axon packed: Int32) {
        if count == capacity { grow() }
        core[Int(count)] = target
        axon[Int(count)] = packed
        count += 1
    }

    func deallocate() { core.deallocate(); axon.deallocate() }
}

/// An Int buffer as the C code's int64_t (Int is 64 bits on the platforms Tessera builds for).
func int64(_ p: UnsafeMutablePointer<Int>) -> UnsafePointer<Int64> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self)
}
