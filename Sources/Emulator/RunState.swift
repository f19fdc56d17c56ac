import CKernels
import CPrefetch
import CoreMap
import TesseraSupport
import Dispatch

/// The mutable state of one emulation run: membrane potentials, pending axon spikes per
/// tick slot, per-core PRNGs, and per-worker output buffers. Cores are split into
/// contiguous ranges, one per worker; a worker writes only its cores' state and its own
/// buffers, so the parallel step needs no locks.
final class RunState: @unchecked Sendable {
    typealias Lane = SIMD8<Int32>
    typealias Mask = SIMD8<Int32>
    let L: BoardLayout
    let ring: Int
    let potential: UnsafeMutablePointer<Lane>
    /// Pending spikes: [slot][core][axon word].
    let pending: UnsafeMutablePointer<UInt64>
    let prng: UnsafeMutablePointer<CorePRNG>
    let unstable: UnsafeMutablePointer<Bool>
    let workerCount: Int
    let ranges: [Range<Int>]
    /// Per worker: fired neurons as `core * neurons + index`, and the tick's counters.
    let fired: UnsafeMutablePointer<SpikeBuffer>
    let tally: UnsafeMutablePointer<WorkerTally>
    /// Per [worker w][worker v]: this tick's spikes fired by w's cores and bound for an
    /// axon of v's, resolved from the fired codes: the target core, and the axon shifted
    /// left by 8 with the delay in the low byte. So delivering reads no destination array
    /// again, and each worker reads only the spikes for its own cores.
    let resolvedCore: UnsafeMutablePointer<SpikeBuffer>
    let resolvedAxon: UnsafeMutablePointer<SpikeBuffer>
    /// Per worker w: how many spikes it resolved for each worker v.
    let resolvedCount: [UnsafeMutablePointer<Int>]
    /// Per worker: destination entries of its neurons that fired into an output port this
    /// tick, and their count.
    let outputEntries: [UnsafeMutablePointer<Int32>]
    /// Per worker scratch: active axons of the core being stepped, saved potentials.
    let scratchAxons: [UnsafeMutablePointer<Int32>]
    /// The layer bucket of each core, and per worker this tick's spikes per bucket
    /// (counted while the spikes are resolved).
    let bucketOf: [Int]
    let bucketCount: Int
    let bucketSpikes: [UnsafeMutablePointer<Int>]

    /// The membrane range, as lanes and as integers.
    let low: Lane
    let high: Lane
    let membrane: ClosedRange<Int>
    /// Mask giving rho its `randomBits` width.
    let randomMask: UInt32
    /// The C kernels' version, and the board as they see it.
    let kernels: Int32
    let board: UnsafeMutablePointer<tessera_board>

    init(layout: BoardLayout, ring: Int, workers: Int, kernels: EmulatorKernels, membrane: ClosedRange<Int>, randomBits: Int,
         bucketOf: [Int], bucketCount: Int) {
        L = layout
        self.ring = ring
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
        let words = max(ring * layout.cores * layout.axonWords, 1)
        pending = .allocate(capacity: words)
        HugePages.advise(pending, count: words)
        pending.initialize(repeating: 0, count: words)
        prng = .allocate(capacity: max(layout.cores, 1))
        for (c, seed) in layout.seeds.enumerated() { (prng + c).initialize(to: CorePRNG(seed: seed)) }
        unstable = .allocate(capacity: max(layout.cores, 1))
        unstable.initialize(repeating: false, count: max(layout.cores, 1))
        let cores = layout.cores
        let n = max(1, min(workers, cores))
        workerCount = n
        let ranges = (0..<n).map { w in (cores * w / n)..<(cores * (w + 1) / n) }
        self.ranges = ranges
        // Room for a sixteenth of a worker's neurons to start with; it grows as needed.
        fired = .allocate(capacity: n)
        resolvedCore = .allocate(capacity: n * n)
        resolvedAxon = .allocate(capacity: n * n)
        for (w, range) in ranges.enumerated() {
            let start = min(layout.destStart[range.upperBound] - layout.destStart[range.lowerBound], 1 << 20) / 16 + 16
            (fired + w).initialize(to: SpikeBuffer(capacity: start))
            for v in 0..<n {
                (resolvedCore + w * n + v).initialize(to: SpikeBuffer(capacity: start / n))
                (resolvedAxon + w * n + v).initialize(to: SpikeBuffer(capacity: start / n))
            }
        }
        resolvedCount = (0..<n).map { _ in ownLines(Int.self, count: n, zero: 0) }
        tally = WorkerTally.allocate(workerCount)
        outputEntries = (0..<workerCount).map { _ in .allocate(capacity: max(layout.outputNeurons, 1)) }
        scratchAxons = (0..<workerCount).map { _ in ownLines(Int32.self, count: layout.axons, zero: 0) }
        self.bucketOf = bucketOf
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
        board.deallocate()
        potential.deallocate()
        pending.deallocate()
        unstable.deallocate()
        prng.deallocate()
        outputEntries.forEach { $0.deallocate() }
        for w in 0..<workerCount { fired[w].deallocate() }
        for k in 0..<workerCount * workerCount { resolvedCore[k].deallocate(); resolvedAxon[k].deallocate() }
        resolvedCount.forEach { $0.deallocate() }
        fired.deallocate(); resolvedCore.deallocate(); resolvedAxon.deallocate(); tally.deallocate()
        scratchAxons.forEach { $0.deallocate() }
        bucketSpikes.forEach { $0.deallocate() }
    }

    @inline(__always) func schedule(slot: Int, core: Int, axon: Int) {
        pending[(slot * L.cores + core) * L.axonWords + axon / 64] |= 1 << UInt64(axon % 64)
    }

    func potentials(core: Int) -> [Int] {
        L.used[Int(L.blockOf[core])].map { Int(potential[core * L.lanes + $0 / 8][$0 % 8]) }
    }

    /// Steps every core for the tick whose pending spikes are in `slot`, and resolves what
    /// fired: each worker its own cores, then the spikes its cores fired (their target
    /// core, axon and delay, hops and chip crossings, the spikes that leave through output
    /// ports, and the counts per layer bucket), with no wait between the two.
    func step(slot: Int) {
        if workerCount == 1 {
            stepRange(0, slot: slot)
            resolveRange(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in
                stepRange(w, slot: slot)
                resolveRange(w)
            }
        }
    }

    /// Delivers this tick's resolved spikes: each worker those bound for its own cores, so
    /// no two threads write one core's pending words.
    func deliver(tick t: Int) {
        if workerCount == 1 {
            applyRange(0, tick: t)
        } else {
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in applyRange(w, tick: t) }
        }
    }

    /// The worker whose range holds core `c`: ranges start at `cores * w / workers`.
    @inline(__always) private func owner(of c: Int) -> Int {
        var w = c * workerCount / L.cores
        while w + 1 < workerCount && L.cores * (w + 1) / workerCount <= c { w += 1 }
        while w > 0 && L.cores * w / workerCount > c { w -= 1 }
        return w
    }

    private func resolveRange(_ w: Int) {
        var hopCount = 0, crossings = 0, outputs = 0
        let n = tally[w].fired, workers = workerCount
        let buffer = fired[w].base, out = outputEntries[w], counts = bucketSpikes[w], resolved = resolvedCount[w]
        resolved.update(repeating: 0, count: workers)
        counts.update(repeating: 0, count: bucketCount)
        L.destKind.withUnsafeBufferPointer { kind in
        L.destA.withUnsafeBufferPointer { destA in
        L.destB.withUnsafeBufferPointer { destB in
        L.destDelay.withUnsafeBufferPointer { delay in
            // The destination entries of successive spikes sit at random places in large
            // arrays: they are asked for `ahead` spikes before they are read.
            let ahead = 8
            for k in 0..<min(ahead, n) { prefetchDestination(Int(buffer[k]), kind, destA, destB, delay) }
            // Fired codes come in core order, so a core's bucket is looked up once.
            var lastCore = -1, bucket = 0
            for k in 0..<n {
                if k + ahead < n { prefetchDestination(Int(buffer[k + ahead]), kind, destA, destB, delay) }
                let code = Int(buffer[k])
                let c = L.split(code).core
                if c != lastCore { (lastCore, bucket) = (c, bucketOf[c]) }
                counts[bucket] += 1
                let e = L.dest(code)
                switch kind[e] {
                case 1:
                    let target = Int(destA[e])
                    hopCount += Int(abs(L.mesh[c].x - L.mesh[target].x) + abs(L.mesh[c].y - L.mesh[target].y))
                    crossings += Int(abs(L.chip[c].x - L.chip[target].x) + abs(L.chip[c].y - L.chip[target].y))
                    let v = workers == 1 ? 0 : owner(of: target), list = w * workers + v, i = resolved[v]
                    if i == resolvedCore[list].capacity {
                        resolvedCore[list].reserve(i + 1, keeping: i)
                        resolvedAxon[list].reserve(i + 1, keeping: i)
                    }
                    resolvedCore[list].base[i] = Int32(truncatingIfNeeded: target)
                    resolvedAxon[list].base[i] = destB[e] << 8 | Int32(delay[e])
                    resolved[v] = i + 1
                case 2:
                    out[outputs] = Int32(truncatingIfNeeded: e)
                    outputs += 1
                default:
                    break
                }
            }
        }}}}
        tally[w].hops = hopCount
        tally[w].chipCrossings = crossings
        tally[w].outputs = outputs
    }

    @inline(__always) private func prefetchDestination(_ code: Int, _ kind: UnsafeBufferPointer<UInt8>, _ a: UnsafeBufferPointer<Int32>,
                                                       _ b: UnsafeBufferPointer<Int32>, _ delay: UnsafeBufferPointer<UInt8>) {
        let e = L.dest(code)
        guard let k = kind.baseAddress, let a = a.baseAddress, let b = b.baseAddress, let d = delay.baseAddress else { return }
        tessera_prefetch(k + e); tessera_prefetch(a + e); tessera_prefetch(b + e); tessera_prefetch(d + e)
    }

    private func applyRange(_ w: Int, tick t: Int) {
        // Delays are at least 1 and below `ring` (the loader checks them against the
        // target), so the slot wraps at most once: no division per spike.
        let now = t % ring
        for source in 0..<workerCount {
            let list = source * workerCount + w
            let targets = resolvedCore[list].base, axons = resolvedAxon[list].base
            for k in 0..<resolvedCount[source][w] {
                let packed = Int(axons[k])
                var slot = now + packed & 0xFF
                if slot >= ring { slot -= ring }
                schedule(slot: slot, core: Int(targets[k]), axon: packed >> 8)
            }
        }
    }

    private func stepRange(_ w: Int, slot: Int) {
        tally[w] = WorkerTally()
        // The crossbar rows of a core's active axons sit at random places in a large
        // table; they are asked for `ahead` cores before they are read, so their memory
        // latency overlaps with the work on the cores in between.
        let range = ranges[w], ahead = 2
        for c in range {
            if c + ahead < range.upperBound { prefetchRecords(core: c + ahead, slot: slot) }
            // Room for every neuron of the core to fire, and 16 more for the AVX-512
            // kernel, which stores 16 codes at a time.
            fired[w].reserve(tally[w].fired + L.neurons + 16, keeping: tally[w].fired)
            stepCore(c, slot: slot, worker: w)
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
