/// One worker's counters for the tick being run, one cache line per worker: two workers
/// bumping counters that share a line would hand it back and forth between their CPUs on
/// every core they step (false sharing), which cost the full chip a quarter of its speed.
struct WorkerTally {
    /// Fired codes in the worker's spike buffer, not all resolved yet. First, so that the
    /// C kernel can be handed its address as the tally's.
    var fired = 0
    /// Neurons fired in the tick (the buffer is emptied as its spikes are resolved).
    var spikes = 0
    var synapticEvents = 0
    var activeCores = 0
    var hops = 0
    var chipCrossings = 0
    /// Spikes that left through an output port.
    var outputs = 0
    private var padding = 0

    /// Per-worker tallies, each on a cache line of its own (64-byte aligned, 64 bytes).
    static func allocate(_ count: Int) -> UnsafeMutablePointer<WorkerTally> {
        precondition(MemoryLayout<WorkerTally>.stride == 64)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 64, alignment: 64)
        let tallies = raw.bindMemory(to: WorkerTally.self, capacity: max(count, 1))
        tallies.initialize(repeating: WorkerTally(), count: max(count, 1))
        return tallies
    }
}
