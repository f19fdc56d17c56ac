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
    /// Per worker: fired neurons as `core * neurons + index`, their count, and counters.
    let fired: [UnsafeMutablePointer<Int32>]
    let firedCount: UnsafeMutablePointer<Int>
    let synapticEvents: UnsafeMutablePointer<Int>
    let activeCores: UnsafeMutablePointer<Int>
    let hops: UnsafeMutablePointer<Int>
    let chipCrossings: UnsafeMutablePointer<Int>
    /// Per worker: destination entries of its neurons that fired into an output port this
    /// tick, and their count.
    let outputEntries: [UnsafeMutablePointer<Int32>]
    let outputCount: UnsafeMutablePointer<Int>
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

    init(layout: BoardLayout, ring: Int, workers: Int, membrane: ClosedRange<Int>, randomBits: Int, bucketOf: [Int], bucketCount: Int) {
        L = layout
        self.ring = ring
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
        // At most every used neuron of a worker's cores fires in one tick.
        fired = ranges.map { range in
            let count = max(layout.destStart[range.upperBound] - layout.destStart[range.lowerBound], 1)
            let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: count)
            HugePages.advise(buffer, count: count)
            return buffer
        }
        firedCount = .allocate(capacity: workerCount)
        firedCount.initialize(repeating: 0, count: workerCount)
        synapticEvents = .allocate(capacity: workerCount)
        synapticEvents.initialize(repeating: 0, count: workerCount)
        activeCores = .allocate(capacity: workerCount)
        activeCores.initialize(repeating: 0, count: workerCount)
        hops = .allocate(capacity: workerCount)
        hops.initialize(repeating: 0, count: workerCount)
        chipCrossings = .allocate(capacity: workerCount)
        chipCrossings.initialize(repeating: 0, count: workerCount)
        outputEntries = (0..<workerCount).map { _ in .allocate(capacity: max(layout.outputNeurons, 1)) }
        outputCount = .allocate(capacity: workerCount)
        outputCount.initialize(repeating: 0, count: workerCount)
        scratchAxons = (0..<workerCount).map { _ in .allocate(capacity: max(layout.axons, 1)) }
        self.bucketOf = bucketOf
        self.bucketCount = bucketCount
        bucketSpikes = (0..<workerCount).map { _ in
            let p = UnsafeMutablePointer<Int>.allocate(capacity: max(bucketCount, 1))
            p.initialize(repeating: 0, count: max(bucketCount, 1))
            return p
        }
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
        potential.deallocate()
        pending.deallocate()
        unstable.deallocate()
        prng.deallocate()
        firedCount.deallocate()
        synapticEvents.deallocate()
        activeCores.deallocate()
        hops.deallocate()
        chipCrossings.deallocate()
        outputEntries.forEach { $0.deallocate() }
        outputCount.deallocate()
        fired.forEach { $0.deallocate() }
        scratchAxons.forEach { $0.deallocate() }
        bucketSpikes.forEach { $0.deallocate() }
    }

    @inline(__always) func schedule(slot: Int, core: Int, axon: Int) {
        pending[(slot * L.cores + core) * L.axonWords + axon / 64] |= 1 << UInt64(axon % 64)
    }

    func potentials(core: Int) -> [Int] {
        L.used[Int(L.blockOf[core])].map { Int(potential[core * L.lanes + $0 / 8][$0 % 8]) }
    }

    /// Steps every core for the tick whose pending spikes are in `slot`.
    func step(slot: Int) {
        if workerCount == 1 {
            stepRange(0, slot: slot)
        } else {
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in stepRange(w, slot: slot) }
        }
    }

    /// Routes this tick's spikes in two parallel passes. First each worker resolves the
    /// spikes its own cores fired: their destination entries (kept in place of the fired
    /// codes, -1 for none), hops and chip crossings, and the spikes that leave through
    /// output ports, and counts them per layer bucket. Then each worker applies the
    /// resolved spikes bound for its own cores, so no two threads write one core's pending
    /// words. The fired codes are gone after this.
    func deliver(tick t: Int) {
        if workerCount == 1 {
            resolveRange(0)
            applyRange(0, tick: t)
        } else {
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in resolveRange(w) }
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in applyRange(w, tick: t) }
        }
    }

    private func resolveRange(_ w: Int) {
        var hopCount = 0, crossings = 0, outputs = 0
        let buffer = fired[w], out = outputEntries[w], counts = bucketSpikes[w]
        counts.update(repeating: 0, count: bucketCount)
        // Fired codes come in core order, so a core's bucket is looked up once.
        var lastCore = -1, bucket = 0
        for k in 0..<firedCount[w] {
            let code = Int(buffer[k])
            let c = L.split(code).core
            if c != lastCore { (lastCore, bucket) = (c, bucketOf[c]) }
            counts[bucket] += 1
            let e = L.dest(code)
            switch L.destKind[e] {
            case 1:
                let target = Int(L.destA[e])
                hopCount += Int(abs(L.mesh[c].x - L.mesh[target].x) + abs(L.mesh[c].y - L.mesh[target].y))
                crossings += Int(abs(L.chip[c].x - L.chip[target].x) + abs(L.chip[c].y - L.chip[target].y))
                buffer[k] = Int32(truncatingIfNeeded: e)
            case 2:
                out[outputs] = Int32(truncatingIfNeeded: e)
                outputs += 1
                buffer[k] = -1
            default:
                buffer[k] = -1
            }
        }
        hops[w] = hopCount
        chipCrossings[w] = crossings
        outputCount[w] = outputs
    }

    private func applyRange(_ w: Int, tick t: Int) {
        let mine = ranges[w]
        // Delays are at least 1 and below `ring` (the loader checks them against the
        // target), so the slot wraps at most once: no division per spike.
        let now = t % ring
        for source in 0..<workerCount {
            let buffer = fired[source]
            for k in 0..<firedCount[source] {
                let e = Int(buffer[k])
                guard e >= 0 else { continue }
                let target = Int(L.destA[e])
                guard mine.contains(target) else { continue }
                var slot = now + Int(L.destDelay[e])
                if slot >= ring { slot -= ring }
                schedule(slot: slot, core: target, axon: Int(L.destB[e]))
            }
        }
    }

    private func stepRange(_ w: Int, slot: Int) {
        firedCount[w] = 0
        synapticEvents[w] = 0
        activeCores[w] = 0
        for c in ranges[w] { stepCore(c, slot: slot, worker: w) }
    }
}
