import CKernels
import Foundation

extension RunState {
    /// Runs `ticks` ticks on the workers: each tick, the workers step the cores in chunks
    /// and resolve what they fire into later slots, then each delivers what came in from
    /// other processes for its range of cores. Worker 0 is the calling thread; the others
    /// are threads of their own for the whole run, meeting at a spinning barrier twice a
    /// tick (waking pooled threads for every phase cost more than a small map's whole tick).
    ///
    /// The calling thread alone runs `before(t)` (inputs into the pending spikes) before a
    /// tick's step, `between(t)` after it (what must see every core's fired spikes: the
    /// exchange with other processes, recording), and `after(t)` once tick t is delivered
    /// (counters, outputs, traces), while the other workers wait.
    func runTicks(_ ticks: Int, before: (Int) -> Void, between: (Int) -> Void, after: (Int) -> Void) {
        guard ticks > 0 else { return }
        guard workerCount > 1 else {
            for t in 0..<ticks {
                before(t)
                resetChunks()
                stepRange(0, slot: t % ring)
                between(t)
                applyRange(0, tick: t)
                after(t)
            }
            return
        }
        tessera_barrier_init(barrier, Int32(workerCount))
        let done = DispatchSemaphore(value: 0)
        for w in 1..<workerCount {
            let thread = Thread { [self] in
                for t in 0..<ticks {
                    tessera_barrier_arrive_and_wait(barrier)
                    stepRange(w, slot: t % ring)
                    tessera_barrier_arrive_and_wait(barrier)
                    applyRange(w, tick: t)
                }
                tessera_barrier_arrive_and_wait(barrier)
                done.signal()
            }
            thread.start()
        }
        for t in 0..<ticks {
            tessera_barrier_collect(barrier)
            if t > 0 { after(t - 1) }
            before(t)
            resetChunks()
            tessera_barrier_release(barrier)
            stepRange(0, slot: t % ring)
            tessera_barrier_collect(barrier)
            between(t)
            tessera_barrier_release(barrier)
            applyRange(0, tick: t)
        }
        tessera_barrier_collect(barrier)
        after(ticks - 1)
        tessera_barrier_release(barrier)
        for _ in 1..<workerCount { done.wait() }
    }
}
